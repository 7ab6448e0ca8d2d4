/* buf.c — growable buffer; see buf.h. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sr_buf_reserve(sr_buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len - 1) return false;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = realloc(b->data, cap);
  if (!p) return false;
  b->data = p;
  b->cap = cap;
  return true;
}

bool sr_buf_append(sr_buf *b, const void *p, size_t n) {
  if (!sr_buf_reserve(b, n)) return false;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return true;
}

bool sr_buf_puts(sr_buf *b, const char *s) { return sr_buf_append(b, s, strlen(s)); }

bool sr_buf_putc(sr_buf *b, char c) { return sr_buf_append(b, &c, 1); }

bool sr_buf_printf(sr_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !sr_buf_reserve(b, (size_t)n)) return false;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return true;
}

bool sr_buf_json_string(sr_buf *b, const char *s, size_t n) {
  if (!sr_buf_reserve(b, n + 2)) return false;
  if (!sr_buf_putc(b, '"')) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool ok;
    switch (c) {
      case '"': ok = sr_buf_puts(b, "\\\""); break;
      case '\\': ok = sr_buf_puts(b, "\\\\"); break;
      case '\n': ok = sr_buf_puts(b, "\\n"); break;
      case '\r': ok = sr_buf_puts(b, "\\r"); break;
      case '\t': ok = sr_buf_puts(b, "\\t"); break;
      default:
        ok = c < 0x20 ? sr_buf_printf(b, "\\u%04x", c) : sr_buf_putc(b, (char)c);
    }
    if (!ok) return false;
  }
  return sr_buf_putc(b, '"');
}

void sr_buf_reset(sr_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

void sr_buf_free(sr_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *sr_buf_take(sr_buf *b) {
  char *p = b->data;
  if (!p) p = calloc(1, 1);
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

bool sr_buf_put_varint(sr_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    tmp[n++] = byte | (v ? 0x80 : 0);
  } while (v);
  return sr_buf_append(b, tmp, n);
}

size_t sr_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < 10 && p + i < end; i++) {
    v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (!(p[i] & 0x80)) {
      *out = v;
      return i + 1;
    }
  }
  return 0;
}
