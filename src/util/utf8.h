/* utf8.h — UTF-8 validation (strict: no overlongs, no surrogates, nothing above U+10FFFF). */
#ifndef SR_UTF8_H
#define SR_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8. Otherwise false, and *bad_offset (if not NULL) gets the offset
 * of the first byte of the first invalid sequence. */
bool sr_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Line (1-based) and column (1-based, in bytes) of byte `offset` in s, for error messages. */
void sr_text_position(const char *s, size_t offset, size_t *line, size_t *col);

#endif
