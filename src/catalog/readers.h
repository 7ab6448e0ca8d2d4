/* readers.h — internal to src/catalog: the per-kind readers behind sr_catalog_add_source and the small
 * helpers they share. Not part of the public API.
 *
 * Every reader follows catalog.h: bad entries are skipped with an SR_DIAG_SKIPPED diag (and
 * cat->n_skipped counted), the call returns non-SR_OK only when the source as a whole cannot be read
 * or memory runs out, and entries added before such a failure stay in the catalog. */
#ifndef SR_CATALOG_READERS_H
#define SR_CATALOG_READERS_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog/catalog.h"

#define SR_DEFAULT_MAX_FIELD_BYTES ((size_t)1 << 20)

/* The effective per-field limit of `opts` (never 0). `opts` may be NULL. */
size_t sr_read_max_field(const sr_read_opts *opts);

/* Records a skipped entry: an SR_DIAG_SKIPPED diag and n_skipped + 1. False only on out-of-memory. */
bool sr_catalog_skip(sr_catalog *cat, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks one text field that is to become part of an entry: valid UTF-8 and within `max` bytes.
 * `what` names the field in messages ("name", "body"). On a problem, records a skip diag at `where`
 * and returns false (`*oom` is set when even that failed). With `cut_long` a field over `max` is
 * cut in place at a UTF-8 boundary (a warning diag) instead of skipped; `*len` is updated. */
bool sr_check_field(sr_catalog *cat, const char *where, const char *what, char *s, size_t *len,
                    size_t max, bool cut_long, bool *oom);

/* A malloc'd copy of the last path component of `path` without trailing slashes ("a/b/" → "b");
 * "/" gives "/", "." and "" give the name of the current directory (realpath). NULL on OOM. */
char *sr_path_basename(const char *path);

/* A malloc'd printf result, NULL on OOM. */
char *sr_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Frees every string of *e and zeroes it (for readers that fail before sr_catalog_add). */
void sr_entry_release(sr_entry *e);

/* The readers. `path` is the source as given; `opts` is never NULL here. */
sr_status sr_read_skill_dir(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err);
/* One SKILL.md file named directly: id = basename of its directory. */
sr_status sr_read_skill_file(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err);
sr_status sr_read_jsonl(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err);
sr_status sr_read_tools(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err);

/* Reads one SKILL.md at `file` into an entry with the given id (copied) and directory name (copied,
 * the fallback name). Bad files become skip diags; returns non-SR_OK only on out-of-memory. */
sr_status sr_read_one_skill(sr_catalog *cat, const char *file, const char *id, const char *dir_name,
                            const sr_read_opts *opts, sr_error *err);

#endif
