/* buf.h — a growable byte buffer (string builder), always NUL-terminated after a successful append.
 * The buffer owns `data`; sr_buf_free releases it; sr_buf_take hands it to the caller (free() it). */
#ifndef SR_BUF_H
#define SR_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sr_buf {
  char *data;   /* NULL until the first append; NUL-terminated after one */
  size_t len;   /* bytes used, not counting the terminating NUL */
  size_t cap;   /* bytes allocated */
} sr_buf;

#define SR_BUF_INIT {NULL, 0, 0}

/* Each append returns false only when memory runs out (the buffer is then unchanged). */
bool sr_buf_reserve(sr_buf *b, size_t extra);
bool sr_buf_append(sr_buf *b, const void *p, size_t n);
bool sr_buf_puts(sr_buf *b, const char *s);
bool sr_buf_putc(sr_buf *b, char c);
bool sr_buf_printf(sr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal (quotes and escapes included). */
bool sr_buf_json_string(sr_buf *b, const char *s, size_t n);
void sr_buf_reset(sr_buf *b);          /* len = 0, keeps the memory */
void sr_buf_free(sr_buf *b);           /* frees and re-initialises */
char *sr_buf_take(sr_buf *b);          /* returns data ("" if empty, never NULL unless OOM); re-initialises */

/* Little-endian varint (LEB128) encode/decode, used by the index format. sr_varint_get returns the
 * number of bytes read, or 0 if the input ends (or runs past 10 bytes) before the value does. */
bool sr_buf_put_varint(sr_buf *b, uint64_t v);
size_t sr_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out);

#endif
