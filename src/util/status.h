/* status.h — status codes and error messages shared by every skillrouter module.
 *
 * Ownership rule (the one rule for the whole library, stated once):
 *   - A function that returns a pointer through an `out` argument or as its value gives the caller
 *     ownership of it, to be released with the matching *_free / *_close function named in the header.
 *   - A `const` pointer passed in is borrowed: the callee never frees it and keeps it no longer than the
 *     call unless the header says otherwise (then the caller must keep it alive, as stated).
 *   - Views (`sr_str`, entries read from an open index) point into memory owned by their container and
 *     are valid until that container is freed or closed.
 *
 * Errors: library functions never exit or print. A failing function returns a non-zero sr_status and,
 * when `err` is not NULL, writes a one-line message naming the file and place (path:line, or byte offset)
 * into it. On failure, out-arguments are left untouched or set to NULL/0, and nothing is leaked.
 */
#ifndef SR_STATUS_H
#define SR_STATUS_H

#include <stddef.h>

typedef enum sr_status {
  SR_OK = 0,
  SR_ERR_ARG,         /* bad argument or option from the caller */
  SR_ERR_IO,          /* open/read/write/rename failed (errno text in the message) */
  SR_ERR_NOMEM,       /* allocation failed */
  SR_ERR_FORMAT,      /* input is not in the expected format (bad JSON/YAML/UTF-8, wrong types) */
  SR_ERR_CORRUPT,     /* a file of ours fails its magic, version, size or checksum check */
  SR_ERR_UNSUPPORTED, /* valid input we do not handle (unknown architecture, dtype, format version) */
  SR_ERR_NOT_FOUND,   /* a named thing does not exist (file, tensor, entry) */
  SR_ERR_INTERRUPTED, /* stopped on request (signal, cancel flag) */
  SR_ERR_INTERNAL     /* a bug: an invariant did not hold */
} sr_status;

#define SR_ERROR_MSG_MAX 1024

typedef struct sr_error {
  sr_status code;
  char msg[SR_ERROR_MSG_MAX];
} sr_error;

/* Records `code` and a printf-style message into `err` (if not NULL) and returns `code`, so that
 * failures read `return sr_fail(err, SR_ERR_IO, "%s: %s", path, strerror(errno));`. */
sr_status sr_fail(sr_error *err, sr_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an error already recorded in `err`; returns err->code (SR_ERR_INTERNAL if
 * err is NULL). Used to add context (a file name) to an error from a lower layer. */
sr_status sr_error_prefix(sr_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short constant name for the code ("io error", "corrupt file", ...). Never NULL. */
const char *sr_status_name(sr_status code);

/* Clears `err` to SR_OK with an empty message. */
void sr_error_clear(sr_error *err);

#endif
