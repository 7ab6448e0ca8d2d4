/* index_update.c — keeping entries of a previous index for `index --update`. See index.h. */
#include <stdlib.h>
#include <string.h>

#include "index/index_format.h"

/* True when source "path" or "path:line" lies inside (or is) one of the re-read sources. */
static bool from_sources(const char *source, const char *const *sources, size_t n) {
  if (!source) return false;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(sources[i]);
    while (len > 1 && sources[i][len - 1] == '/') len--;
    if (strncmp(source, sources[i], len) == 0 && (source[len] == '\0' || source[len] == '/' || source[len] == ':'))
      return true;
  }
  return false;
}

static char *dup_or_null(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = true;
  return d;
}

sr_status sr_index_keep_entries(const sr_index *prev, sr_catalog *cat, const char *const *sources, size_t n_sources,
                                const char *const *remove_ids, size_t n_remove, size_t *kept, size_t *removed,
                                sr_error *err) {
  *kept = *removed = 0;
  for (uint32_t d = 0; d < prev->n_entries; d++) {
    sr_entry_view v;
    sr_index_entry(prev, d, &v);
    uint32_t existing;
    if (sr_strmap_get(&cat->ids, v.id, strlen(v.id), &existing)) continue;  /* replaced or unchanged */
    bool drop = from_sources(v.source, sources, n_sources);
    for (size_t r = 0; r < n_remove && !drop; r++) drop = strcmp(remove_ids[r], v.id) == 0;
    if (drop) {
      (*removed)++;
      continue;
    }
    bool oom = false;
    sr_entry e = {dup_or_null(v.id, &oom), dup_or_null(v.name, &oom), dup_or_null(v.description, &oom),
                  dup_or_null(v.body, &oom), dup_or_null(v.pack, &oom), dup_or_null(v.category, &oom),
                  dup_or_null(v.source, &oom), dup_or_null(v.metadata, &oom), v.kind, 0};
    if (oom) {
      free(e.id); free(e.name); free(e.description); free(e.body);
      free(e.pack); free(e.category); free(e.source); free(e.metadata);
      return sr_fail(err, SR_ERR_NOMEM, "update: out of memory");
    }
    sr_status st = sr_catalog_add(cat, &e, err);
    if (st != SR_OK) return st;
    (*kept)++;
  }
  return SR_OK;
}
