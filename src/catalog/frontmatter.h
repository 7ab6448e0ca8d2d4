/* frontmatter.h — splits a SKILL.md into YAML front matter and markdown body and parses the front
 * matter with libyaml. Internal to src/catalog. */
#ifndef SR_CATALOG_FRONTMATTER_H
#define SR_CATALOG_FRONTMATTER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/status.h"

typedef struct sr_frontmatter {
  bool present;        /* the file starts with a "---" line (after an optional UTF-8 BOM) */
  char *name;          /* malloc'd; NULL when absent or null */
  char *description;   /* malloc'd; NULL when absent or null */
  char *metadata;      /* malloc'd JSON object text of the other top-level keys; NULL when none */
  const char *body;    /* view into the parsed text: everything after the closing "---" line */
  size_t body_len;
} sr_frontmatter;

/* Parses text[0..len) (valid UTF-8, NUL-terminated at len). Without a leading "---" line the whole
 * text (minus a BOM) is the body and present=false. On success *out owns its strings (release with
 * sr_frontmatter_free). On failure returns SR_ERR_FORMAT (or SR_ERR_NOMEM), fills err with a message
 * without the file name, sets *err_line to the 1-based line of the file it concerns, and leaves *out
 * empty. Failures: the front matter is never closed, the YAML is malformed (libyaml's problem and
 * position translated to the file's line), it is not a mapping, name or description is not a string. */
sr_status sr_frontmatter_parse(const char *text, size_t len, sr_frontmatter *out, size_t *err_line,
                               sr_error *err);
void sr_frontmatter_free(sr_frontmatter *fm);

#endif
