/* fileio.h — whole-file reads, read-only mappings and crash-safe writes.
 *
 * Crash safety: sr_atomic_file writes to "<path>.tmp.<pid>" in the same directory, fsyncs it and
 * renames it over <path> on commit; abort (or a crash) leaves the old file untouched. */
#ifndef SR_FILEIO_H
#define SR_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/status.h"

/* Reads a whole file (plain, or gzip-compressed when the name ends in ".gz") into a NUL-terminated
 * malloc'd buffer the caller frees. Fails with SR_ERR_ARG if it is larger than max_bytes. */
sr_status sr_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, sr_error *err);

/* A read-only mapping of a whole file. sr_map_close unmaps; an empty file maps to data=NULL,len=0. */
typedef struct sr_map {
  const unsigned char *data;
  size_t len;
} sr_map;
sr_status sr_map_file(const char *path, sr_map *out, sr_error *err);
void sr_map_close(sr_map *m);

typedef struct sr_atomic_file {
  FILE *fp;         /* write through this */
  char *path;       /* final path (owned) */
  char *tmp_path;   /* temporary path (owned) */
} sr_atomic_file;

sr_status sr_atomic_open(sr_atomic_file *f, const char *path, sr_error *err);
/* Flushes, fsyncs and renames into place; always releases f (also on failure, removing the temp). */
sr_status sr_atomic_commit(sr_atomic_file *f, sr_error *err);
/* Discards the temporary file and releases f. Safe on a zeroed or already-released struct. */
void sr_atomic_abort(sr_atomic_file *f);
/* Writes data[0..len) to path through a temporary file renamed into place: on any failure the old
 * file (if any) is left as it was and the temporary file is removed. */
sr_status sr_write_file_atomic(const char *path, const void *data, size_t len, sr_error *err);

bool sr_path_is_dir(const char *path);
bool sr_has_suffix(const char *s, const char *suffix);   /* case-insensitive */

#endif
