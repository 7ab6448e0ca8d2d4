/* cli_exclude.h — the evaluation data that `train` and `write-queries` must never train on
 * (--exclude-bench DIR, --exclude-ids FILE), as a list of entry ids. CLI helper, not library.
 *
 * Ownership: a cli_id_list owns its strings; cli_id_list_free releases them. Failures print one line
 * "skillrouter <prog>: <message>" on stderr and return false (the list keeps what was added). */
#ifndef SR_CLI_EXCLUDE_H
#define SR_CLI_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

#include "index/index.h"

typedef struct cli_id_list {
  char **v;
  size_t n, cap;
} cli_id_list;

/* Appends a copy of s; false when memory runs out. */
bool cli_id_push(cli_id_list *l, const char *s);
void cli_id_list_free(cli_id_list *l);

/* A benchmark's ground truth: every id in DIR/relevance.json (gt_skill_ids and graded "relevance"
 * keys), their copies in DIR/equivalents.json (optional file), and every entry of ix whose normalised
 * name (lower-case alphanumerics) equals a ground-truth entry's name. */
bool cli_exclude_bench(const char *prog, const char *dir, const sr_index *ix, cli_id_list *out);

/* Ids listed one per line in path (blank lines ignored). */
bool cli_exclude_file(const char *prog, const char *path, cli_id_list *out);

/* Both of the above for the --exclude-bench DIR and --exclude-ids FILE options (each may be NULL). */
bool cli_exclusions(const char *prog, const char *bench_dir, const char *ids_file, const sr_index *ix,
                    cli_id_list *out);

#endif
