/* catalog.c — the catalog container (entries, diags, id map), the content hash, the source-kind
 * dispatch of sr_catalog_add_source, and helpers shared by the readers (readers.h). */
#include "catalog/catalog.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/readers.h"
#include "util/fileio.h"
#include "util/utf8.h"

void sr_catalog_init(sr_catalog *cat) {
  assert(cat);
  memset(cat, 0, sizeof *cat);
}

void sr_entry_release(sr_entry *e) {
  free(e->id);
  free(e->name);
  free(e->description);
  free(e->body);
  free(e->pack);
  free(e->category);
  free(e->source);
  free(e->metadata);
  memset(e, 0, sizeof *e);
}

void sr_catalog_free(sr_catalog *cat) {
  if (!cat) return;
  for (size_t i = 0; i < cat->n_entries; i++) sr_entry_release(&cat->entries[i]);
  free(cat->entries);
  for (size_t i = 0; i < cat->n_diags; i++) {
    free(cat->diags[i].where);
    free(cat->diags[i].message);
  }
  free(cat->diags);
  sr_strmap_free(&cat->ids);
  memset(cat, 0, sizeof *cat);
}

/* Hashes one optional field: its presence, length (sr_hash64 seeds with it) and bytes, chained. */
static uint64_t hash_field(uint64_t h, unsigned tag, const char *s) {
  h = h * 0x100000001b3ULL + tag;
  if (!s) return sr_hash64("", 0, h ^ 0xa5a5a5a5a5a5a5a5ULL);
  return sr_hash64(s, strlen(s), h);
}

uint64_t sr_catalog_entry_hash(const sr_entry *e) {
  assert(e);
  uint64_t h = 0x736b696c6c726f75ULL; /* "skillrou" */
  h = hash_field(h, 1, e->name);
  h = hash_field(h, 2, e->description);
  h = hash_field(h, 3, e->body);
  h = hash_field(h, 4, e->pack);
  h = hash_field(h, 5, e->category);
  h = hash_field(h, 6, e->metadata);
  return h;
}

static bool vdiag(sr_catalog *cat, sr_diag_level level, const char *where, const char *fmt, va_list ap) {
  if (cat->n_diags == cat->cap_diags) {
    size_t cap = cat->cap_diags ? cat->cap_diags * 2 : 16;
    sr_diag *d = realloc(cat->diags, cap * sizeof *d);
    if (!d) return false;
    cat->diags = d;
    cat->cap_diags = cap;
  }
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0) return false;
  char *w = strdup(where ? where : "");
  if (!w) {
    free(msg);
    return false;
  }
  cat->diags[cat->n_diags++] = (sr_diag){level, w, msg};
  return true;
}

bool sr_catalog_diag(sr_catalog *cat, sr_diag_level level, const char *where, const char *fmt, ...) {
  assert(cat && fmt);
  va_list ap;
  va_start(ap, fmt);
  bool ok = vdiag(cat, level, where, fmt, ap);
  va_end(ap);
  return ok;
}

bool sr_catalog_skip(sr_catalog *cat, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  bool ok = vdiag(cat, SR_DIAG_SKIPPED, where, fmt, ap);
  va_end(ap);
  if (ok) cat->n_skipped++;
  return ok;
}

sr_status sr_catalog_add(sr_catalog *cat, sr_entry *e, sr_error *err) {
  assert(cat && e);
  if (!e->id || !e->name) {
    sr_entry_release(e);
    return sr_fail(err, SR_ERR_ARG, "sr_catalog_add: entry without id or name");
  }
  if (!e->description) e->description = strdup("");
  if (!e->body) e->body = strdup("");
  if (!e->description || !e->body || cat->n_entries >= UINT32_MAX) {
    sr_entry_release(e);
    return sr_fail(err, SR_ERR_NOMEM, "catalog: out of memory");
  }
  size_t id_len = strlen(e->id);
  uint32_t first;
  if (sr_strmap_get(&cat->ids, e->id, id_len, &first)) {
    const sr_entry *old = &cat->entries[first];
    bool ok = sr_catalog_skip(cat, e->source, "duplicate id '%s' (first defined at %s)", e->id,
                              old->source ? old->source : "?");
    sr_entry_release(e);
    return ok ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "catalog: out of memory");
  }
  if (cat->n_entries == cat->cap_entries) {
    size_t cap = cat->cap_entries ? cat->cap_entries * 2 : 64;
    sr_entry *p = realloc(cat->entries, cap * sizeof *p);
    if (!p) {
      sr_entry_release(e);
      return sr_fail(err, SR_ERR_NOMEM, "catalog: out of memory");
    }
    cat->entries = p;
    cat->cap_entries = cap;
  }
  e->content_hash = sr_catalog_entry_hash(e);
  uint32_t idx = (uint32_t)cat->n_entries;
  /* The map key points at the entry's own id string, which never moves (separately malloc'd). */
  if (!sr_strmap_put(&cat->ids, e->id, id_len, idx, NULL, NULL)) {
    sr_entry_release(e);
    return sr_fail(err, SR_ERR_NOMEM, "catalog: out of memory");
  }
  cat->entries[cat->n_entries++] = *e;
  memset(e, 0, sizeof *e);
  return SR_OK;
}

size_t sr_read_max_field(const sr_read_opts *opts) {
  return opts && opts->max_field_bytes ? opts->max_field_bytes : SR_DEFAULT_MAX_FIELD_BYTES;
}

bool sr_check_field(sr_catalog *cat, const char *where, const char *what, char *s, size_t *len,
                    size_t max, bool cut_long, bool *oom) {
  size_t bad;
  *oom = false;
  if (!sr_utf8_valid(s, *len, &bad)) {
    size_t line, col;
    sr_text_position(s, bad, &line, &col);
    *oom = !sr_catalog_skip(cat, where, "invalid UTF-8 in %s (its line %zu, column %zu)", what, line, col);
    return false;
  }
  if (*len <= max) return true;
  if (!cut_long) {
    *oom = !sr_catalog_skip(cat, where, "%s is %zu bytes, over the %zu-byte limit", what, *len, max);
    return false;
  }
  size_t cut = max;
  while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;  /* s is valid: back to a lead byte */
  if (!sr_catalog_diag(cat, SR_DIAG_WARNING, where, "%s is %zu bytes, cut to %zu (limit %zu)", what, *len,
                       cut, max)) {
    *oom = true;
    return false;
  }
  s[cut] = '\0';
  *len = cut;
  return true;
}

char *sr_strdup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  return n < 0 ? NULL : s;
}

char *sr_path_basename(const char *path) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  size_t start = n;
  while (start > 0 && path[start - 1] != '/') start--;
  const char *base = path + start;
  size_t blen = n - start;
  if (blen == 0 || (blen == 1 && base[0] == '.') || (blen == 2 && base[0] == '.' && base[1] == '.')) {
    char *real = realpath(n ? path : ".", NULL);
    if (!real) return strndup(blen ? base : ".", blen ? blen : 1);
    char *b = sr_path_basename(strcmp(real, "/") == 0 ? "root" : real);
    free(real);
    return b;
  }
  return strndup(base, blen);
}

static bool is_skill_md(const char *path) {
  const char *slash = strrchr(path, '/');
  return strcasecmp(slash ? slash + 1 : path, "SKILL.md") == 0;
}

sr_status sr_catalog_add_source(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err) {
  assert(cat);
  static const sr_read_opts defaults;
  if (!opts) opts = &defaults;
  if (!path || !*path) return sr_fail(err, SR_ERR_ARG, "catalog: empty source path");
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    return sr_fail(err, e == ENOENT ? SR_ERR_NOT_FOUND : SR_ERR_IO, "%s: cannot read source: %s", path,
                   strerror(e));
  }
  if (S_ISDIR(st.st_mode)) return sr_read_skill_dir(cat, path, opts, err);
  if (!S_ISREG(st.st_mode)) return sr_fail(err, SR_ERR_ARG, "%s: not a regular file or directory", path);
  if (sr_has_suffix(path, ".jsonl") || sr_has_suffix(path, ".jsonl.gz")) return sr_read_jsonl(cat, path, opts, err);
  if (sr_has_suffix(path, ".json") || sr_has_suffix(path, ".json.gz")) return sr_read_tools(cat, path, opts, err);
  if (is_skill_md(path)) return sr_read_skill_file(cat, path, opts, err);
  return sr_fail(err, SR_ERR_UNSUPPORTED,
                 "%s: unknown source kind (expected a directory of SKILL.md files, a SKILL.md, *.jsonl, "
                 "*.jsonl.gz or a *.json tools file)", path);
}
