/* fileio.c — see fileio.h. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/buf.h"

bool sr_has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool sr_path_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

sr_status sr_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, sr_error *err) {
  gzFile gz = gzopen(path, "rb");  /* reads plain files transparently too */
  if (!gz) return sr_fail(err, SR_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
  gzbuffer(gz, 1 << 17);
  sr_buf b = SR_BUF_INIT;
  char chunk[1 << 16];
  for (;;) {
    int n = gzread(gz, chunk, sizeof chunk);
    if (n < 0) {
      int zerr;
      const char *msg = gzerror(gz, &zerr);
      sr_status st = sr_fail(err, zerr == Z_ERRNO ? SR_ERR_IO : SR_ERR_FORMAT, "%s: read failed: %s", path,
                             zerr == Z_ERRNO ? strerror(errno) : msg);
      gzclose(gz);
      sr_buf_free(&b);
      return st;
    }
    if (n == 0) break;
    if (b.len + (size_t)n > max_bytes) {
      gzclose(gz);
      sr_buf_free(&b);
      return sr_fail(err, SR_ERR_ARG, "%s: larger than the %zu-byte limit", path, max_bytes);
    }
    if (!sr_buf_append(&b, chunk, (size_t)n)) {
      gzclose(gz);
      sr_buf_free(&b);
      return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
    }
  }
  gzclose(gz);
  *out_len = b.len;
  *out = sr_buf_take(&b);
  return *out ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
}

sr_status sr_map_file(const char *path, sr_map *out, sr_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sr_fail(err, errno == ENOENT ? SR_ERR_NOT_FOUND : SR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return sr_fail(err, SR_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return sr_fail(err, SR_ERR_ARG, "%s: not a regular file", path);
  }
  out->data = NULL;
  out->len = (size_t)st.st_size;
  if (out->len) {
    void *p = mmap(NULL, out->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      close(fd);
      return sr_fail(err, SR_ERR_IO, "%s: cannot map: %s", path, strerror(e));
    }
    out->data = p;
  }
  close(fd);
  return SR_OK;
}

void sr_map_close(sr_map *m) {
  if (m->data) munmap((void *)m->data, m->len);
  m->data = NULL;
  m->len = 0;
}

sr_status sr_atomic_open(sr_atomic_file *f, const char *path, sr_error *err) {
  memset(f, 0, sizeof *f);
  size_t n = strlen(path) + 32;
  f->path = strdup(path);
  f->tmp_path = malloc(n);
  if (!f->path || !f->tmp_path) {
    sr_atomic_abort(f);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  snprintf(f->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    sr_status st = sr_fail(err, SR_ERR_IO, "%s: cannot create: %s", f->tmp_path, strerror(errno));
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
    return st;
  }
  f->fp = fdopen(fd, "wb");
  if (!f->fp) {
    close(fd);
    sr_atomic_abort(f);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
  return SR_OK;
}

sr_status sr_atomic_commit(sr_atomic_file *f, sr_error *err) {
  sr_status st = SR_OK;
  if (fflush(f->fp) != 0 || ferror(f->fp))
    st = sr_fail(err, SR_ERR_IO, "%s: write failed: %s", f->tmp_path, strerror(errno));
  else if (fsync(fileno(f->fp)) != 0)
    st = sr_fail(err, SR_ERR_IO, "%s: fsync failed: %s", f->tmp_path, strerror(errno));
  if (fclose(f->fp) != 0 && st == SR_OK)
    st = sr_fail(err, SR_ERR_IO, "%s: close failed: %s", f->tmp_path, strerror(errno));
  f->fp = NULL;
  if (st == SR_OK && rename(f->tmp_path, f->path) != 0)
    st = sr_fail(err, SR_ERR_IO, "%s: cannot rename into place: %s", f->path, strerror(errno));
  if (st != SR_OK) unlink(f->tmp_path);
  free(f->path);
  free(f->tmp_path);
  memset(f, 0, sizeof *f);
  return st;
}

void sr_atomic_abort(sr_atomic_file *f) {
  if (f->fp) fclose(f->fp);
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->path);
  free(f->tmp_path);
  memset(f, 0, sizeof *f);
}

sr_status sr_write_file_atomic(const char *path, const void *data, size_t len, sr_error *err) {
  sr_atomic_file f;
  sr_status st = sr_atomic_open(&f, path, err);
  if (st != SR_OK) return st;
  if (len && fwrite(data, 1, len, f.fp) != len) {
    int e = errno;
    sr_atomic_abort(&f);
    return sr_fail(err, SR_ERR_IO, "%s: write failed: %s", path, strerror(e));
  }
  return sr_atomic_commit(&f, err);
}
