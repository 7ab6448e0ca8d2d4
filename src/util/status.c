/* status.c — error recording helpers; see status.h for the contract. */
#include "util/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

sr_status sr_fail(sr_error *err, sr_status code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return code;
}

sr_status sr_error_prefix(sr_error *err, const char *fmt, ...) {
  if (!err) return SR_ERR_INTERNAL;
  char prefix[SR_ERROR_MSG_MAX], old[SR_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  size_t n = strnlen(prefix, sizeof err->msg - 3);
  memcpy(err->msg, prefix, n);
  memcpy(err->msg + n, ": ", 2);
  size_t room = sizeof err->msg - n - 3, m = strnlen(old, room);
  memcpy(err->msg + n + 2, old, m);
  err->msg[n + 2 + m] = '\0';
  return err->code;
}

const char *sr_status_name(sr_status code) {
  switch (code) {
    case SR_OK: return "ok";
    case SR_ERR_ARG: return "bad argument";
    case SR_ERR_IO: return "i/o error";
    case SR_ERR_NOMEM: return "out of memory";
    case SR_ERR_FORMAT: return "format error";
    case SR_ERR_CORRUPT: return "corrupt file";
    case SR_ERR_UNSUPPORTED: return "unsupported";
    case SR_ERR_NOT_FOUND: return "not found";
    case SR_ERR_INTERRUPTED: return "interrupted";
    case SR_ERR_INTERNAL: return "internal error";
  }
  return "unknown error";
}

void sr_error_clear(sr_error *err) {
  if (!err) return;
  err->code = SR_OK;
  err->msg[0] = '\0';
}
