/* state.c — shared index snapshot with pooled searchers and atomic reload (see state.h). */
#include "serve/state.h"
#include "util/clock.h"

#include <assert.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct file_sig {
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  bool valid;
} file_sig;

typedef struct snap {
  sr_index *ix;
  uint64_t generation;
  int refs;                 /* leases + 1 while current */
  struct pooled { sr_searcher *s; sr_default_router *r; } *pool;  /* idle searchers (+ model routers) */
  size_t n_pool, cap_pool;
  bool model_ok;            /* the index holds the state's default model's vectors */
} snap;

struct sr_serve_state {
  pthread_mutex_t mu;
  char *path;
  double interval;
  double last_check;
  snap *cur;
  file_sig cur_sig;         /* signature of the file the current snapshot came from */
  file_sig bad_sig;         /* signature of a file that failed to open (not retried until it changes) */
  sr_serve_log_fn log;
  void *log_ctx;
  const sr_default_model *model;  /* borrowed; NULL = lexical routing only */
};

static bool holds_model(const sr_index *ix, const sr_default_model *m);

/* Fills *sig from stat(path); sig->valid is false when stat fails. */
static void sig_of(const char *path, file_sig *sig) {
  struct stat sb;
  memset(sig, 0, sizeof *sig);
  if (stat(path, &sb) != 0) return;
  sig->dev = sb.st_dev;
  sig->ino = sb.st_ino;
  sig->size = sb.st_size;
  sig->mtime = sb.st_mtim;
  sig->valid = true;
}

/* True when both signatures are valid and name the same file version. */
static bool sig_eq(const file_sig *a, const file_sig *b) {
  return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Frees a snapshot whose refcount reached zero: its searchers, then its index. */
static void snap_free(snap *s) {
  if (!s) return;
  assert(s->refs == 0);
  for (size_t i = 0; i < s->n_pool; i++) {
    sr_searcher_free(s->pool[i].s);
    sr_default_router_free(s->pool[i].r);
  }
  free(s->pool);
  sr_index_close(s->ix);
  free(s);
}

/* Drops one reference (mutex held); frees the snapshot on the last one. */
static void snap_unref_locked(snap *s) {
  assert(s->refs > 0);
  if (--s->refs == 0) snap_free(s);
}

static void logf_(sr_serve_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Formats a line and hands it to the log callback, if any. */
static void logf_(sr_serve_state *st, const char *fmt, ...) {
  if (!st->log) return;
  char line[SR_ERROR_MSG_MAX + 128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  st->log(st->log_ctx, line);
}

sr_status sr_serve_open(const char *path, double check_interval_s, sr_serve_log_fn log, void *log_ctx,
                        sr_serve_state **out, sr_error *err) {
  assert(path && out);
  *out = NULL;
  sr_serve_state *st = calloc(1, sizeof *st);
  snap *s = calloc(1, sizeof *s);
  char *p = strdup(path);
  if (!st || !s || !p) {
    free(st), free(s), free(p);
    return sr_fail(err, SR_ERR_NOMEM, "serve: out of memory");
  }
  file_sig sig;
  sig_of(path, &sig);
  sr_status rc = sr_index_open(path, &s->ix, err);
  if (rc != SR_OK) {
    free(st), free(s), free(p);
    return rc;
  }
  s->generation = 1;
  s->refs = 1;
  pthread_mutex_init(&st->mu, NULL);
  st->path = p;
  st->interval = check_interval_s < 0 ? 0 : check_interval_s;
  st->last_check = sr_clock_s();
  st->cur = s;
  st->cur_sig = sig;
  st->log = log;
  st->log_ctx = log_ctx;
  *out = st;
  return SR_OK;
}

void sr_serve_close(sr_serve_state *st) {
  if (!st) return;
  pthread_mutex_lock(&st->mu);
  snap_unref_locked(st->cur);
  pthread_mutex_unlock(&st->mu);
  pthread_mutex_destroy(&st->mu);
  free(st->path);
  free(st);
}

/* The reload check itself; the mutex is NOT held (opening a big index takes time), so two threads may
 * open concurrently; the later swap simply wins if it is newer. */
static sr_status check_reload(sr_serve_state *st, bool force, bool *reloaded, sr_error *err) {
  if (reloaded) *reloaded = false;
  file_sig sig;
  sig_of(st->path, &sig);
  pthread_mutex_lock(&st->mu);
  st->last_check = sr_clock_s();
  bool same = sig_eq(&sig, &st->cur_sig), known_bad = sig_eq(&sig, &st->bad_sig);
  pthread_mutex_unlock(&st->mu);
  if (!force && (same || known_bad || !sig.valid)) return SR_OK;
  sr_index *ix = NULL;
  sr_status rc = sr_index_open(st->path, &ix, err);
  if (rc != SR_OK) {
    pthread_mutex_lock(&st->mu);
    st->bad_sig = sig;
    pthread_mutex_unlock(&st->mu);
    logf_(st, "reload failed, keeping the current index: %s", err ? err->msg : sr_status_name(rc));
    return rc;
  }
  snap *s = calloc(1, sizeof *s);
  if (!s) {
    sr_index_close(ix);
    return sr_fail(err, SR_ERR_NOMEM, "serve: out of memory");
  }
  s->ix = ix;
  s->refs = 1;
  pthread_mutex_lock(&st->mu);
  snap *old = st->cur;
  s->generation = old->generation + 1;
  s->model_ok = holds_model(ix, st->model);
  st->cur = s;
  st->cur_sig = sig;
  pthread_mutex_unlock(&st->mu);
  logf_(st, "reloaded %s: %u entries (generation %llu)", st->path, sr_index_count(ix),
        (unsigned long long)s->generation);
  pthread_mutex_lock(&st->mu);
  snap_unref_locked(old);
  pthread_mutex_unlock(&st->mu);
  if (reloaded) *reloaded = true;
  return SR_OK;
}

sr_status sr_serve_reload(sr_serve_state *st, bool force, bool *reloaded, sr_error *err) {
  assert(st);
  return check_reload(st, force, reloaded, err);
}

sr_status sr_serve_acquire(sr_serve_state *st, sr_serve_lease *out, sr_error *err) {
  assert(st && out);
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&st->mu);
  bool due = sr_clock_s() - st->last_check >= st->interval;
  pthread_mutex_unlock(&st->mu);
  if (due) {
    sr_error ignored;
    check_reload(st, false, NULL, &ignored);  /* a bad new file keeps the old index */
  }
  pthread_mutex_lock(&st->mu);
  snap *s = st->cur;
  s->refs++;
  struct pooled p = {NULL, NULL};
  if (s->n_pool) p = s->pool[--s->n_pool];
  const sr_default_model *model = st->model;
  pthread_mutex_unlock(&st->mu);
  if (!p.s) {
    sr_status rc = sr_searcher_new(s->ix, &p.s, err);
    if (rc == SR_OK && model && s->model_ok) {
      sr_default_route_opts ro = {0};
      rc = sr_default_router_new(s->ix, model, &ro, &p.r, err);
      if (rc != SR_OK) sr_searcher_free(p.s);
    }
    if (rc != SR_OK) {
      pthread_mutex_lock(&st->mu);
      snap_unref_locked(s);
      pthread_mutex_unlock(&st->mu);
      return rc;
    }
  }
  out->ix = s->ix;
  out->searcher = p.s;
  out->router = p.r;
  out->generation = s->generation;
  out->snap_ = s;
  return SR_OK;
}

void sr_serve_release(sr_serve_state *st, sr_serve_lease *lease) {
  assert(st && lease);
  snap *s = lease->snap_;
  if (!s) return;
  pthread_mutex_lock(&st->mu);
  if (s->n_pool == s->cap_pool) {
    size_t nc = s->cap_pool ? s->cap_pool * 2 : 8;
    struct pooled *np = realloc(s->pool, nc * sizeof *np);
    if (np) s->pool = np, s->cap_pool = nc;
  }
  if (s->n_pool < s->cap_pool) {
    s->pool[s->n_pool++] = (struct pooled){lease->searcher, lease->router};
  } else {
    sr_searcher_free(lease->searcher);
    sr_default_router_free(lease->router);
  }
  snap_unref_locked(s);
  pthread_mutex_unlock(&st->mu);
  memset(lease, 0, sizeof *lease);
}

/* True when ix holds the vectors of model m. */
static bool holds_model(const sr_index *ix, const sr_default_model *m) {
  sr_vec_view v;
  return m && sr_index_vectors(ix, &v) && !strcmp(v.info->model_id, m->id) && v.dim == m->enc.dim;
}

void sr_serve_set_model(sr_serve_state *st, const sr_default_model *m) {
  pthread_mutex_lock(&st->mu);
  st->model = m;
  st->cur->model_ok = holds_model(st->cur->ix, m);
  pthread_mutex_unlock(&st->mu);
}

bool sr_serve_uses_model(sr_serve_state *st) {
  pthread_mutex_lock(&st->mu);
  bool r = st->model && st->cur->model_ok;
  pthread_mutex_unlock(&st->mu);
  return r;
}

sr_status sr_serve_route(const sr_serve_lease *l, const char *q, size_t len, size_t k, sr_result *out, size_t *n,
                         sr_route_timing *t, float *lexical_top, sr_error *err) {
  if (lexical_top) *lexical_top = 0;
  if (!l->router) {
    sr_route_opts ro = {.k = k, .by = SR_BY_ENTRY, .bm25f = NULL};
    sr_status st = sr_route(l->searcher, q, len, &ro, out, n, t, err);
    if (st == SR_OK && lexical_top && *n) *lexical_top = out[0].score;
    return st;
  }
  sr_result *lex = malloc((k ? k : 1) * sizeof *lex);
  if (!lex) return sr_fail(err, SR_ERR_NOMEM, "route: out of memory");
  size_t nl = 0;
  sr_default_route_timing dt;
  sr_status st = sr_default_route(l->router, q, len, k, out, n, lex, &nl, &dt, err);
  if (st == SR_OK) {
    if (lexical_top && nl) *lexical_top = lex[0].score;
    if (t) *t = (sr_route_timing){dt.lexical_ms, dt.dense_ms, dt.rerank_ms, dt.total_ms};
  }
  free(lex);
  return st;
}

void sr_serve_info(sr_serve_state *st, uint64_t *generation, uint32_t *entries) {
  assert(st);
  pthread_mutex_lock(&st->mu);
  if (generation) *generation = st->cur->generation;
  if (entries) *entries = sr_index_count(st->cur->ix);
  pthread_mutex_unlock(&st->mu);
}
