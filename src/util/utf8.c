/* utf8.c — see utf8.h. */
#include "util/utf8.h"

#include <stdint.h>

bool sr_utf8_valid(const char *str, size_t len, size_t *bad_offset) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < len) {
    /* fast path: 8 ASCII bytes at a time */
    while (i + 8 <= len) {
      uint64_t w;
      __builtin_memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= len) break;
    unsigned c = s[i];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80) { i++; continue; }
    else if ((c & 0xe0) == 0xc0) { n = 2; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { n = 3; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { n = 4; cp = c & 0x07; min = 0x10000; }
    else goto bad;
    if (i + n > len) goto bad;
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) goto bad;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) goto bad;
    i += n;
  }
  return true;
bad:
  if (bad_offset) *bad_offset = i;
  return false;
}

void sr_text_position(const char *s, size_t offset, size_t *line, size_t *col) {
  size_t l = 1, start = 0;
  for (size_t i = 0; i < offset; i++)
    if (s[i] == '\n') { l++; start = i + 1; }
  *line = l;
  *col = offset - start + 1;
}
