/* prompts.c — SkillRouter prompt strings (see prompts.h). */
#include "model/prompts.h"

#include <string.h>

#include "util/buf.h"

size_t sr_utf8_prefix_bytes(const char *s, size_t len, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < len; i++) {
    if (((unsigned char)s[i] & 0xC0) != 0x80) {   /* a lead byte starts a new character */
      if (chars == max_chars) return i;
      chars++;
    }
  }
  return len;
}

static bool put_cut(sr_buf *b, const char *s, size_t max_chars) {
  if (!s) return true;
  size_t len = strlen(s);
  return sr_buf_append(b, s, sr_utf8_prefix_bytes(s, len, max_chars));
}

static sr_status finish(sr_buf *b, bool ok, char **out, sr_error *err) {
  if (!ok) {
    sr_buf_free(b);
    return sr_fail(err, SR_ERR_NOMEM, "out of memory building prompt text");
  }
  *out = sr_buf_take(b);
  return *out ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory building prompt text");
}

sr_status sr_query_text(const char *instruction, const char *query, size_t max_chars, char **out, sr_error *err) {
  sr_buf b = SR_BUF_INIT;
  bool ok = sr_buf_puts(&b, "Instruct: ") && sr_buf_puts(&b, instruction ? instruction : SR_ENCODER_INSTRUCTION) &&
            sr_buf_puts(&b, "\nQuery:") && put_cut(&b, query, max_chars);
  return finish(&b, ok, out, err);
}

static bool put_doc(sr_buf *b, const char *name, const char *description, const char *body, size_t desc_chars,
                    size_t body_chars) {
  return sr_buf_puts(b, name ? name : "") && sr_buf_puts(b, " | ") && put_cut(b, description, desc_chars) &&
         sr_buf_puts(b, " | ") && put_cut(b, body, body_chars);
}

sr_status sr_doc_text(const char *name, const char *description, const char *body, size_t desc_chars,
                      size_t body_chars, char **out, sr_error *err) {
  sr_buf b = SR_BUF_INIT;
  bool ok = sr_buf_reserve(&b, 1) && put_doc(&b, name, description, body, desc_chars, body_chars);
  return finish(&b, ok, out, err);
}

sr_status sr_rerank_body_text(const char *instruction, const char *query, const char *name,
                              const char *description, const char *body, size_t desc_chars,
                              size_t body_chars, char **out, sr_error *err) {
  sr_buf b = SR_BUF_INIT;
  bool ok = sr_buf_puts(&b, "<Instruct>: ") && sr_buf_puts(&b, instruction ? instruction : SR_RERANK_INSTRUCTION) &&
            sr_buf_puts(&b, "\n\n<Query>: ") && sr_buf_puts(&b, query ? query : "") &&
            sr_buf_puts(&b, "\n\n<Document>: ") && put_doc(&b, name, description, body, desc_chars, body_chars);
  return finish(&b, ok, out, err);
}
