/* catalog.h — the in-memory catalog: skills and tools read from their sources, before indexing.
 *
 * Pipeline: catalog (this) → text (analyzer) → index (persistent file) → route → rerank → serve/eval.
 *
 * Ownership: an sr_catalog owns every entry and every string in it (each a separate malloc'd,
 * NUL-terminated, valid UTF-8 string); sr_catalog_free releases all of it. Readers copy what they keep.
 * Diagnostics (skipped entries, warnings) are owned by the catalog too.
 */
#ifndef SR_CATALOG_H
#define SR_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/status.h"

typedef enum sr_entry_kind {
  SR_KIND_SKILL = 0,  /* a SKILL.md or a skill record from JSONL */
  SR_KIND_TOOL = 1    /* a tool from an MCP tools/list result or an OpenAI tools array */
} sr_entry_kind;

typedef struct sr_entry {
  char *id;           /* stable unique id: the given skill_id, or "<source root>/<relative path>" */
  char *name;         /* never NULL; a skill without one takes its directory name */
  char *description;  /* never NULL (may be "") */
  char *body;         /* never NULL; the markdown after the front matter, or a tool's rendered schema */
  char *pack;         /* NULL when none: the pack / server / tool group the entry belongs to */
  char *category;     /* NULL when none */
  char *source;       /* where it came from, "path" or "path:line", for messages */
  char *metadata;     /* NULL or a JSON object text: other front-matter keys, or a tool's inputSchema
                         under "inputSchema" (kept so tool definitions can be emitted again) */
  sr_entry_kind kind;
  uint64_t content_hash; /* sr_catalog_entry_hash(): over name, description, body, pack, category, metadata */
} sr_entry;

typedef enum sr_diag_level { SR_DIAG_WARNING = 0, SR_DIAG_SKIPPED = 1 } sr_diag_level;

typedef struct sr_diag {
  sr_diag_level level;
  char *where;    /* "file:line" or "file" */
  char *message;  /* what is wrong, one line */
} sr_diag;

typedef struct sr_catalog {
  sr_entry *entries;
  size_t n_entries, cap_entries;
  sr_diag *diags;
  size_t n_diags, cap_diags;
  size_t n_skipped;   /* number of entries skipped (each has an SR_DIAG_SKIPPED diag) */
  sr_strmap ids;      /* id → entry index, for duplicate detection (keys point into entries) */
} sr_catalog;

/* Options of the readers. Zero-initialised options are the defaults. */
typedef struct sr_read_opts {
  const char *pack;        /* override the pack of every entry read from this source (--pack) */
  size_t max_field_bytes;  /* 0 = default 1 MiB: longer name/description are skipped with a diag,
                              a longer body is cut (warning) */
  bool quiet;              /* no progress output */
  void (*progress)(void *ctx, size_t done_bytes, size_t total_bytes);  /* optional, may be NULL */
  void *progress_ctx;
} sr_read_opts;

void sr_catalog_init(sr_catalog *cat);
void sr_catalog_free(sr_catalog *cat);

/* Reads one source into `cat`, detecting its kind:
 *   - a directory: every file named SKILL.md (any case) below it, recursively (symlinked dirs are not
 *     followed twice); YAML front matter (libyaml) gives name, description and metadata;
 *   - *.jsonl or *.jsonl.gz: one JSON object per line with skill_id, name, description, body
 *     (+ optional pack, category, source);
 *   - *.json: an MCP tools/list result ({"tools":[...]} or {"result":{"tools":[...]}}) or an OpenAI tools
 *     array ([{"type":"function","function":{...}}]); the pack is --pack or the file's base name.
 * Bad entries are skipped with an SR_DIAG_SKIPPED diagnostic naming file and line; the call still
 * returns SR_OK. Returns an error only when the source as a whole cannot be read (missing, unreadable,
 * not a known kind); then `cat` holds whatever was added before the failure. */
sr_status sr_catalog_add_source(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err);

/* Adds one entry, taking ownership of every non-NULL string in *e (also on failure, when they are
 * freed). Computes the content hash. A duplicate id is skipped with a diag naming both sources and
 * returns SR_OK; only running out of memory is an error. */
sr_status sr_catalog_add(sr_catalog *cat, sr_entry *e, sr_error *err);

/* Records a diagnostic (copies where/message). Returns false only on out-of-memory. */
bool sr_catalog_diag(sr_catalog *cat, sr_diag_level level, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The content hash used for incremental indexing (stable across runs). */
uint64_t sr_catalog_entry_hash(const sr_entry *e);

#endif
