/* cli_common.h — helpers shared by the CLI commands (not part of the library): progress bar, reading a
 * query argument, parsing numbers and BM25F flags, Ctrl-C handling. */
#ifndef SR_CLI_COMMON_H
#define SR_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "route/router.h"

/* A progress bar on stderr: drawn only when stderr is a terminal and not quiet. */
typedef struct cli_progress {
  bool enabled;
  double start;          /* seconds, monotonic, of the current phase */
  double last_draw;
  char phase[32];
} cli_progress;

void cli_progress_init(cli_progress *p, bool quiet);
/* Library callback shape: (ctx = cli_progress*, phase, done, total). Thread-safe enough for one caller. */
void cli_progress_update(void *ctx, const char *phase, size_t done, size_t total);
void cli_progress_bytes(void *ctx, size_t done, size_t total);  /* for catalog reading */
void cli_progress_done(cli_progress *p);

/* Reads the query: the argument itself, or all of stdin when it is "-". Returns a malloc'd string or
 * NULL (message printed). */
char *cli_read_query(const char *arg, size_t *len);

/* Parses a positive integer option value; prints an error naming the flag and returns false if bad. */
bool cli_parse_size(const char *flag, const char *val, size_t *out);

/* Handles the BM25F tuning flags (--k1 X, --weights N,D,B, --b N,D,B, --max-df R). Returns 1 if argv[*i]
 * was one of them (and consumes its value), 0 if not, -1 on a bad value (message printed). */
int cli_bm25f_flag(int argc, char **argv, int *i, sr_bm25f_params *p);
void cli_bm25f_help(void);

/* Installs SIGINT/SIGTERM handlers that set *flag (for cancellable work). */
void cli_catch_interrupt(volatile int *flag);

#endif
