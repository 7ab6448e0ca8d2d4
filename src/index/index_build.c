/* index_build.c — catalog → index file. See index.h for the contract.
 *
 * Phases: (1) analyse new or changed entries in parallel, each worker with its own term dictionary;
 * (2) merge the dictionaries; (3) take unchanged entries' terms from the previous index's postings;
 * (4) invert into per-term postings; (5) write the sections through a temp file renamed into place. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "index/index_format.h"
#include "util/hash.h"

/* ---- a chunked arena for term bytes: pointers into it stay valid until it is freed ---- */
typedef struct arena_block { struct arena_block *next; size_t used, cap; char data[]; } arena_block;
typedef struct arena { arena_block *head; } arena;

static char *arena_copy(arena *a, const char *s, size_t n) {
  if (!a->head || a->head->cap - a->head->used < n + 1) {
    size_t cap = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
    arena_block *b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  char *p = a->head->data + a->head->used;
  memcpy(p, s, n);
  p[n] = '\0';
  a->head->used += n + 1;
  return p;
}

static void arena_free(arena *a) {
  for (arena_block *b = a->head, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  a->head = NULL;
}

/* ---- forward postings: one per (entry, term) ---- */
typedef struct fwd_posting {
  uint32_t term;     /* worker-local term id, later the global id */
  uint16_t tf_body;
  uint8_t tf_name, tf_desc;
} fwd_posting;

typedef struct worker {
  const sr_catalog *cat;
  const uint32_t *docs;    /* catalog entries this worker analyses */
  size_t n_docs;
  sr_analyzer_opts aopts;
  /* results */
  sr_strmap dict;          /* term → local id; keys in `terms` */
  arena terms;
  const char **term_str;   /* [n_terms] */
  uint32_t *term_len;
  uint32_t n_terms, cap_terms;
  uint32_t *last_doc;      /* [cap_terms] local doc number + 1 that last saw the term */
  uint32_t *slot;          /* [cap_terms] index in fwd of that posting */
  fwd_posting *fwd;
  size_t n_fwd, cap_fwd;
  size_t *fwd_start;       /* [n_docs + 1] */
  uint32_t (*field_len)[SR_IDX_NFIELDS];  /* [n_docs] */
  /* analysis state */
  uint32_t cur_doc;        /* local doc number + 1 */
  int cur_field;
  bool oom;
  sr_status status;
  sr_error err;
  /* progress */
  size_t *done_counter;    /* shared, updated atomically */
  const sr_build_opts *opts;
  size_t total;
  bool reports;            /* this worker calls opts->progress */
} worker;

static bool worker_grow_terms(worker *w) {
  uint32_t cap = w->cap_terms ? w->cap_terms * 2 : 4096;
  const char **ts = realloc(w->term_str, cap * sizeof *ts);
  if (ts) w->term_str = ts;
  uint32_t *tl = realloc(w->term_len, cap * sizeof *tl);
  if (tl) w->term_len = tl;
  uint32_t *ld = realloc(w->last_doc, cap * sizeof *ld);
  if (ld) w->last_doc = ld;
  uint32_t *sl = realloc(w->slot, cap * sizeof *sl);
  if (sl) w->slot = sl;
  if (!ts || !tl || !ld || !sl) return false;
  w->cap_terms = cap;
  return true;
}

static void on_term(void *ctx, const char *term, size_t len) {
  worker *w = ctx;
  if (w->oom) return;
  uint32_t id;
  if (!sr_strmap_get(&w->dict, term, len, &id)) {
    if (w->n_terms == w->cap_terms && !worker_grow_terms(w)) { w->oom = true; return; }
    char *copy = arena_copy(&w->terms, term, len);
    if (!copy) { w->oom = true; return; }
    id = w->n_terms;
    if (!sr_strmap_put(&w->dict, copy, len, id, NULL, NULL)) { w->oom = true; return; }
    w->term_str[id] = copy;
    w->term_len[id] = (uint32_t)len;
    w->last_doc[id] = 0;
    w->n_terms++;
  }
  if (w->last_doc[id] != w->cur_doc) {
    if (w->n_fwd == w->cap_fwd) {
      size_t cap = w->cap_fwd ? w->cap_fwd * 2 : (1u << 16);
      fwd_posting *f = realloc(w->fwd, cap * sizeof *f);
      if (!f) { w->oom = true; return; }
      w->fwd = f;
      w->cap_fwd = cap;
    }
    w->last_doc[id] = w->cur_doc;
    w->slot[id] = (uint32_t)w->n_fwd;
    w->fwd[w->n_fwd++] = (fwd_posting){id, 0, 0, 0};
  }
  fwd_posting *p = &w->fwd[w->slot[id]];
  switch (w->cur_field) {
    case 0: if (p->tf_name < UINT8_MAX) p->tf_name++; break;
    case 1: if (p->tf_desc < UINT8_MAX) p->tf_desc++; break;
    default: if (p->tf_body < UINT16_MAX) p->tf_body++; break;
  }
  w->field_len[w->cur_doc - 1][w->cur_field]++;
}

static void *worker_run(void *arg) {
  worker *w = arg;
  sr_analyzer *an = NULL;
  w->status = sr_analyzer_new(&w->aopts, &an, &w->err);
  if (w->status != SR_OK) return NULL;
  w->fwd_start = malloc((w->n_docs + 1) * sizeof *w->fwd_start);
  w->field_len = calloc(w->n_docs ? w->n_docs : 1, sizeof *w->field_len);
  if (!w->fwd_start || !w->field_len) w->oom = true;
  for (size_t i = 0; i < w->n_docs && !w->oom; i++) {
    if (w->opts->cancel && *w->opts->cancel) {
      w->status = sr_fail(&w->err, SR_ERR_INTERRUPTED, "indexing interrupted");
      break;
    }
    const sr_entry *e = &w->cat->entries[w->docs[i]];
    w->fwd_start[i] = w->n_fwd;
    w->cur_doc = (uint32_t)i + 1;
    const char *fields[SR_IDX_NFIELDS] = {e->name, e->description, e->body};
    for (int f = 0; f < SR_IDX_NFIELDS; f++) {
      w->cur_field = f;
      sr_analyze(an, fields[f], strlen(fields[f]), on_term, w, NULL);
    }
    size_t done = __atomic_add_fetch(w->done_counter, 1, __ATOMIC_RELAXED);
    if (w->reports && w->opts->progress && (i & 255) == 0)
      w->opts->progress(w->opts->progress_ctx, "analysing", done, w->total);
  }
  if (w->fwd_start) w->fwd_start[w->n_docs] = w->n_fwd;
  if (w->oom && w->status == SR_OK) w->status = sr_fail(&w->err, SR_ERR_NOMEM, "indexing: out of memory");
  sr_analyzer_free(an);
  return NULL;
}

static void worker_free(worker *w) {
  sr_strmap_free(&w->dict);
  arena_free(&w->terms);
  free(w->term_str);
  free(w->term_len);
  free(w->last_doc);
  free(w->slot);
  free(w->fwd);
  free(w->fwd_start);
  free(w->field_len);
}

/* ---- section writer: tracks offsets and per-section crc32 ---- */
typedef struct writer {
  FILE *fp;
  uint64_t off;
  uint32_t crc;
  sr_idx_section secs[12];
  uint32_t n_secs;
  bool failed;
} writer;

static void w_bytes(writer *w, const void *p, size_t n) {
  if (!n || w->failed) return;
  if (fwrite(p, 1, n, w->fp) != n) w->failed = true;
  w->crc = (uint32_t)crc32_z(w->crc, p, n);
  w->off += n;
}

static void w_begin(writer *w, uint32_t tag) {
  static const char zeros[SR_IDX_ALIGN];
  size_t pad = (SR_IDX_ALIGN - w->off % SR_IDX_ALIGN) % SR_IDX_ALIGN;
  if (pad && !w->failed && fwrite(zeros, 1, pad, w->fp) != pad) w->failed = true;
  w->off += pad;
  assert(w->n_secs < sizeof w->secs / sizeof w->secs[0]);
  w->secs[w->n_secs] = (sr_idx_section){tag, 0, w->off, 0};
  w->crc = (uint32_t)crc32_z(0, NULL, 0);
}

static void w_end(writer *w) {
  sr_idx_section *s = &w->secs[w->n_secs++];
  s->size = w->off - s->offset;
  s->crc = w->crc;
}

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

static size_t posting_size(uint32_t delta, const fwd_posting *p) {
  bool has_short = p->tf_name || p->tf_desc;
  return varint_len(((uint64_t)delta << 1) | has_short) + varint_len(p->tf_body) + (has_short ? 2 : 0);
}

static uint8_t *posting_put(uint8_t *q, uint32_t delta, const fwd_posting *p) {
  bool has_short = p->tf_name || p->tf_desc;
  uint64_t vals[2] = {((uint64_t)delta << 1) | has_short, p->tf_body};
  for (int k = 0; k < 2; k++) {
    uint64_t v = vals[k];
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      *q++ = byte | (v ? 0x80 : 0);
    } while (v);
  }
  if (has_short) {
    *q++ = p->tf_name;
    *q++ = p->tf_desc;
  }
  return q;
}

/* The state of one build, freed by build_free. */
typedef struct build {
  worker *workers;
  int n_workers;
  uint32_t *doc_prev;       /* [N] previous-index doc reused for entry d, or UINT32_MAX */
  int32_t *doc_worker;      /* [N] worker that analysed d, or -1 when reused */
  uint32_t *doc_local;      /* [N] d's number inside its worker */
  uint32_t **worker_docs;   /* [n_workers] catalog entry numbers */
  sr_strmap gdict;          /* global term → id; keys in workers' arenas or prev's mapping */
  const char **gstr;
  uint32_t *glen;
  uint32_t n_terms, cap_terms;
  fwd_posting *reused;      /* postings of reused entries, grouped by new doc */
  size_t *reused_start;     /* [N + 1] */
  uint32_t *df;
  uint64_t *post_off;       /* [n_terms + 1] */
  uint8_t *post;
  sr_idx_entry *records;    /* [N] */
} build;

static void build_free(build *b) {
  for (int i = 0; i < b->n_workers; i++) {
    worker_free(&b->workers[i]);
    if (b->worker_docs) free(b->worker_docs[i]);
  }
  free(b->workers);
  free(b->worker_docs);
  free(b->doc_prev);
  free(b->doc_worker);
  free(b->doc_local);
  sr_strmap_free(&b->gdict);
  free(b->gstr);
  free(b->glen);
  free(b->reused);
  free(b->reused_start);
  free(b->df);
  free(b->post_off);
  free(b->post);
  free(b->records);
}

/* Returns the global id of a term, adding it when new; UINT32_MAX on out-of-memory.
 * `s` must stay alive for the whole build (it points into a worker arena or the previous index). */
static uint32_t global_term(build *b, const char *s, uint32_t len) {
  uint32_t id;
  if (sr_strmap_get(&b->gdict, s, len, &id)) return id;
  if (b->n_terms == b->cap_terms) {
    uint32_t cap = b->cap_terms ? b->cap_terms * 2 : 65536;
    const char **gs = realloc(b->gstr, cap * sizeof *gs);
    if (gs) b->gstr = gs;
    uint32_t *gl = realloc(b->glen, cap * sizeof *gl);
    if (gl) b->glen = gl;
    if (!gs || !gl) return UINT32_MAX;
    b->cap_terms = cap;
  }
  id = b->n_terms;
  if (!sr_strmap_put(&b->gdict, s, len, id, NULL, NULL)) return UINT32_MAX;
  b->gstr[id] = s;
  b->glen[id] = len;
  b->n_terms++;
  return id;
}

/* Collects the postings of reused entries from the previous index, grouped by their new doc number. */
static sr_status collect_reused(build *b, const sr_index *prev, size_t n_docs, size_t n_reused, sr_error *err) {
  b->reused_start = calloc(n_docs + 1, sizeof *b->reused_start);
  uint32_t *prev_to_new = malloc((prev->n_entries ? prev->n_entries : 1) * sizeof *prev_to_new);
  if (!b->reused_start || !prev_to_new) {
    free(prev_to_new);
    return sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory");
  }
  memset(prev_to_new, 0xff, (prev->n_entries ? prev->n_entries : 1) * sizeof *prev_to_new);
  for (size_t d = 0; d < n_docs; d++)
    if (b->doc_prev[d] != UINT32_MAX) prev_to_new[b->doc_prev[d]] = (uint32_t)d;
  /* two passes over the previous postings: count per new doc, then fill */
  sr_status st = SR_OK;
  for (int pass = 0; pass < 2 && st == SR_OK && n_reused; pass++) {
    if (pass == 1) {
      size_t total = 0;
      for (size_t d = 0; d <= n_docs; d++) {
        size_t c = b->reused_start[d];
        b->reused_start[d] = total;
        total += c;
      }
      b->reused = malloc((total ? total : 1) * sizeof *b->reused);
      if (!b->reused) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); break; }
    }
    for (uint32_t t = 0; t < prev->n_terms && st == SR_OK; t++) {
      const uint8_t *p, *end;
      sr_index_term_postings(prev, t, &p, &end);
      uint32_t doc = 0, gid = UINT32_MAX;
      while (p < end) {
        uint32_t delta, tf[SR_IDX_NFIELDS];
        size_t n = sr_posting_decode(p, end, &delta, tf);
        if (!n) { st = sr_fail(err, SR_ERR_CORRUPT, "%s: bad postings of term %u", prev->path, t); break; }
        p += n;
        doc += delta;
        if (doc >= prev->n_entries) { st = sr_fail(err, SR_ERR_CORRUPT, "%s: posting past the last entry", prev->path); break; }
        uint32_t nd = prev_to_new[doc];
        if (nd == UINT32_MAX) continue;
        if (pass == 0) { b->reused_start[nd]++; continue; }
        if (gid == UINT32_MAX) {
          gid = global_term(b, prev->term_bytes + prev->terms[t].str_offset, prev->terms[t].len);
          if (gid == UINT32_MAX) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); break; }
        }
        b->reused[b->reused_start[nd]++] = (fwd_posting){gid, (uint16_t)tf[2], (uint8_t)tf[0], (uint8_t)tf[1]};
      }
    }
  }
  if (st == SR_OK && n_reused) { /* the fill pass advanced each start to its end: shift back */
    for (size_t d = n_docs; d > 0; d--) b->reused_start[d] = b->reused_start[d - 1];
    b->reused_start[0] = 0;
  }
  free(prev_to_new);
  return st;
}

/* The postings of new doc d (after merging): a slice of a worker's or of the reused array. */
static const fwd_posting *doc_postings(const build *b, size_t d, size_t *n) {
  if (b->doc_worker[d] < 0) {
    *n = b->reused_start[d + 1] - b->reused_start[d];
    return b->reused + b->reused_start[d];
  }
  const worker *w = &b->workers[b->doc_worker[d]];
  uint32_t i = b->doc_local[d];
  *n = w->fwd_start[i + 1] - w->fwd_start[i];
  return w->fwd + w->fwd_start[i];
}

static sr_status invert(build *b, size_t n_docs, uint64_t *n_postings, sr_error *err) {
  uint32_t T = b->n_terms;
  b->df = calloc(T ? T : 1, sizeof *b->df);
  b->post_off = calloc((size_t)T + 1, sizeof *b->post_off);
  uint32_t *last = calloc(T ? T : 1, sizeof *last);  /* last doc + 1 */
  if (!b->df || !b->post_off || !last) { free(last); return sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); }
  for (size_t d = 0; d < n_docs; d++) {
    size_t n;
    const fwd_posting *p = doc_postings(b, d, &n);
    for (size_t i = 0; i < n; i++) {
      uint32_t t = p[i].term;
      uint32_t delta = (uint32_t)d - (last[t] ? last[t] - 1 : 0);
      b->post_off[t + 1] += posting_size(delta, &p[i]);
      b->df[t]++;
      last[t] = (uint32_t)d + 1;
    }
  }
  uint64_t total = 0, np = 0;
  for (uint32_t t = 0; t < T; t++) { uint64_t s = b->post_off[t + 1]; b->post_off[t + 1] = total + s; total += s; np += b->df[t]; }
  b->post_off[0] = 0;
  for (uint32_t t = 1; t <= T; t++) if (b->post_off[t] < b->post_off[t - 1]) { free(last); return sr_fail(err, SR_ERR_INTERNAL, "postings offsets"); }
  b->post = malloc(total ? total : 1);
  uint64_t *cursor = malloc(((size_t)T + 1) * sizeof *cursor);
  if (!b->post || !cursor) { free(last); free(cursor); return sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); }
  memcpy(cursor, b->post_off, ((size_t)T + 1) * sizeof *cursor);
  memset(last, 0, (T ? T : 1) * sizeof *last);
  for (size_t d = 0; d < n_docs; d++) {
    size_t n;
    const fwd_posting *p = doc_postings(b, d, &n);
    for (size_t i = 0; i < n; i++) {
      uint32_t t = p[i].term;
      uint32_t delta = (uint32_t)d - (last[t] ? last[t] - 1 : 0);
      cursor[t] = (uint64_t)(posting_put(b->post + cursor[t], delta, &p[i]) - b->post);
      last[t] = (uint32_t)d + 1;
    }
  }
  for (uint32_t t = 0; t < T; t++) assert(cursor[t] == b->post_off[t + 1]);
  free(cursor);
  free(last);
  *n_postings = np;
  return SR_OK;
}

static uint64_t put_string(writer *w, const char *s) {
  if (!s) return SR_IDX_NO_STRING;
  uint64_t off = w->off - w->secs[w->n_secs].offset;
  w_bytes(w, s, strlen(s) + 1);
  return off;
}

/* VECS (see vectors.h): the build's float32 vectors converted to the requested dtype. */
static sr_status write_vecs(writer *w, const sr_catalog *cat, const sr_vec_input *vi, sr_error *err) {
  size_t N = cat->n_entries, D = vi->info.dim;
  sr_vec_dtype t = vi->info.dtype;
  if (D == 0 || t > SR_VEC_I8) return sr_fail(err, SR_ERR_ARG, "indexing: bad vector dimension or dtype");
  sr_idx_vecs_layout l = sr_idx_vecs_layout_of(N, D, t);
  sr_idx_vecs_header h = {.n = (uint32_t)N, .dim = (uint32_t)D, .dtype = (uint32_t)t, .desc_chars = vi->info.desc_chars,
                          .body_chars = vi->info.body_chars};
  snprintf(h.model_id, sizeof h.model_id, "%s", vi->info.model_id);
  void *row = malloc(D * 4);
  if (!row) return sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory");
  w_begin(w, SR_SEC_VECS);
  w_bytes(w, &h, sizeof h);
  for (size_t d = 0; d < N; d++) w_bytes(w, &cat->entries[d].content_hash, 8);
  if (t == SR_VEC_I8)
    for (size_t d = 0; d < N; d++) {
      float sc = sr_quantize_i8(vi->data + d * D, D, row);
      w_bytes(w, &sc, 4);
    }
  static const char zeros[SR_IDX_ALIGN];
  uint64_t at = w->off - w->secs[w->n_secs].offset;
  assert(at <= l.data_off && l.data_off - at < SR_IDX_ALIGN);
  w_bytes(w, zeros, l.data_off - at);
  for (size_t d = 0; d < N; d++) {
    const float *x = vi->data + d * D;
    if (t == SR_VEC_F32) {
      w_bytes(w, x, D * 4);
    } else if (t == SR_VEC_F16) {
      for (size_t k = 0; k < D; k++) ((uint16_t *)row)[k] = sr_f32_to_f16(x[k]);
      w_bytes(w, row, D * 2);
    } else {
      sr_quantize_i8(x, D, row);
      w_bytes(w, row, D);
    }
  }
  w_end(w);
  assert(w->secs[w->n_secs - 1].size == l.size);
  if (t == SR_VEC_I8 && !vi->no_refine) {  /* VECR: f16 refine rows */
    sr_idx_vecr_header rh = {.n = (uint32_t)N, .dim = (uint32_t)D, .dtype = SR_VEC_F16};
    w_begin(w, SR_SEC_VECR);
    w_bytes(w, &rh, sizeof rh);
    for (size_t d = 0; d < N; d++) {
      const float *x = vi->data + d * D;
      for (size_t k = 0; k < D; k++) ((uint16_t *)row)[k] = sr_f32_to_f16(x[k]);
      w_bytes(w, row, D * 2);
    }
    w_end(w);
  }
  free(row);
  return SR_OK;
}

static sr_status write_file(build *b, const sr_catalog *cat, const sr_index *prev, const sr_build_opts *o, const double avg[SR_IDX_NFIELDS],
                            uint64_t n_postings, const char *path, sr_build_stats *stats, sr_error *err) {
  size_t N = cat->n_entries;
  /* packs */
  sr_strmap packs = SR_STRMAP_INIT;
  uint32_t n_packs = 0;
  const char **pack_name = NULL;
  uint32_t *pack_count = NULL, *pack_members = NULL, *pack_start = NULL;
  sr_status st = SR_OK;
  b->records = calloc(N ? N : 1, sizeof *b->records);
  pack_name = malloc((N ? N : 1) * sizeof *pack_name);
  pack_count = calloc(N + 1, sizeof *pack_count);
  if (!b->records || !pack_name || !pack_count) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); goto done; }
  for (size_t d = 0; d < N; d++) {
    const char *p = cat->entries[d].pack;
    b->records[d].pack_id = UINT32_MAX;
    if (!p) continue;
    bool inserted;
    uint32_t id = n_packs, existing;
    if (!sr_strmap_put(&packs, p, strlen(p), id, &inserted, &existing)) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); goto done; }
    if (inserted) pack_name[n_packs++] = p; else id = existing;
    b->records[d].pack_id = id;
    pack_count[id]++;
  }
  pack_start = calloc((size_t)n_packs + 1, sizeof *pack_start);
  pack_members = malloc((N ? N : 1) * sizeof *pack_members);
  if (!pack_start || !pack_members) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); goto done; }
  for (uint32_t p = 0; p < n_packs; p++) pack_start[p + 1] = pack_start[p] + pack_count[p];
  memset(pack_count, 0, (N + 1) * sizeof *pack_count);
  for (size_t d = 0; d < N; d++) {
    uint32_t p = b->records[d].pack_id;
    if (p != UINT32_MAX) pack_members[pack_start[p] + pack_count[p]++] = (uint32_t)d;
  }

  sr_atomic_file af;
  st = sr_atomic_open(&af, path, err);
  if (st != SR_OK) goto done;
  writer w = {.fp = af.fp};
  sr_idx_header hdr = {0};
  w_bytes(&w, &hdr, sizeof hdr);

  if (o->progress) o->progress(o->progress_ctx, "writing", 0, N);
  w_begin(&w, SR_SEC_STRINGS);
  w_bytes(&w, "", 1);  /* offset 0 is the empty string: STRS is never empty and ends with NUL */
  for (size_t d = 0; d < N; d++) {
    const sr_entry *e = &cat->entries[d];
    sr_idx_entry *r = &b->records[d];
    const char *strs[SR_STR_COUNT] = {e->id, e->name, e->description, e->body, e->pack, e->category, e->source, e->metadata};
    for (int k = 0; k < SR_STR_COUNT; k++) r->str[k] = put_string(&w, strs[k]);
    r->content_hash = e->content_hash;
    r->kind = (uint32_t)e->kind;
    if (b->doc_worker[d] >= 0)
      memcpy(r->field_len, b->workers[b->doc_worker[d]].field_len[b->doc_local[d]], sizeof r->field_len);
    else
      memcpy(r->field_len, prev->entries[b->doc_prev[d]].field_len, sizeof r->field_len);
    if (o->cancel && *o->cancel) { st = sr_fail(err, SR_ERR_INTERRUPTED, "indexing interrupted"); break; }
  }
  w_end(&w);
  w_begin(&w, SR_SEC_ENTRIES);
  w_bytes(&w, b->records, N * sizeof *b->records);
  w_end(&w);

  w_begin(&w, SR_SEC_TERMS);
  uint64_t soff = 0;
  for (uint32_t t = 0; t < b->n_terms; t++) {
    sr_idx_term rec = {soff, b->post_off[t], b->df[t], b->glen[t]};
    w_bytes(&w, &rec, sizeof rec);
    soff += b->glen[t] + 1;
  }
  for (uint32_t t = 0; t < b->n_terms; t++) w_bytes(&w, b->gstr[t], b->glen[t] + 1);
  w_end(&w);

  uint64_t slots = 16, id_slots = 16;
  while (slots < 2 * (uint64_t)b->n_terms) slots *= 2;
  while (id_slots < 2 * (uint64_t)N) id_slots *= 2;
  uint32_t *tab = calloc(slots > id_slots ? slots : id_slots, sizeof *tab);
  if (!tab) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); sr_atomic_abort(&af); goto done; }
  for (uint32_t t = 0; t < b->n_terms; t++) {
    uint64_t i = sr_hash64(b->gstr[t], b->glen[t], 0) & (slots - 1);
    while (tab[i]) i = (i + 1) & (slots - 1);
    tab[i] = t + 1;
  }
  w_begin(&w, SR_SEC_TERMTAB);
  w_bytes(&w, tab, slots * sizeof *tab);
  w_end(&w);
  memset(tab, 0, id_slots * sizeof *tab);
  for (size_t d = 0; d < N; d++) {
    const char *id = cat->entries[d].id;
    uint64_t i = sr_hash64(id, strlen(id), 0) & (id_slots - 1);
    while (tab[i]) i = (i + 1) & (id_slots - 1);
    tab[i] = (uint32_t)d + 1;
  }
  w_begin(&w, SR_SEC_IDTAB);
  w_bytes(&w, tab, id_slots * sizeof *tab);
  w_end(&w);
  free(tab);

  w_begin(&w, SR_SEC_POSTINGS);
  w_bytes(&w, b->post, b->post_off[b->n_terms]);
  w_end(&w);

  w_begin(&w, SR_SEC_PACKS);
  uint32_t pk_hdr[2] = {n_packs, 0};
  w_bytes(&w, pk_hdr, sizeof pk_hdr);
  for (uint32_t p = 0; p < n_packs; p++) {
    /* the pack name is the first member's pack string, already in STRS */
    uint64_t off = b->records[pack_members[pack_start[p]]].str[SR_STR_PACK];
    w_bytes(&w, &off, sizeof off);
  }
  w_bytes(&w, pack_start, ((size_t)n_packs + 1) * sizeof *pack_start);
  w_bytes(&w, pack_members, (size_t)pack_start[n_packs] * sizeof *pack_members);
  w_end(&w);

  if (o->vectors && (st = write_vecs(&w, cat, o->vectors, err)) != SR_OK) {
    sr_atomic_abort(&af);
    goto done;
  }

  sr_idx_stats s = {0};
  s.n_entries = (uint32_t)N;
  s.n_terms = b->n_terms;
  s.n_packs = n_packs;
  memcpy(s.avg_field_len, avg, sizeof s.avg_field_len);
  s.analyzer = o->analyzer;
  s.n_postings = n_postings;
  s.termtab_slots = slots;
  s.idtab_slots = id_slots;
  w_begin(&w, SR_SEC_STATS);
  w_bytes(&w, &s, sizeof s);
  w_end(&w);

  w_begin(&w, 0);  /* align the table */
  uint64_t table_off = w.off;
  uint32_t table_crc = (uint32_t)crc32_z(0, (const void *)w.secs, w.n_secs * sizeof *w.secs);
  uint32_t n_secs = w.n_secs;
  sr_idx_section table[12];
  memcpy(table, w.secs, sizeof table);
  w_bytes(&w, table, n_secs * sizeof *table);
  memcpy(hdr.magic, SR_IDX_MAGIC, 8);
  hdr.version = SR_IDX_VERSION;
  hdr.n_sections = n_secs;
  hdr.table_offset = table_off;
  hdr.file_size = w.off;
  hdr.table_crc = table_crc;
  if (!w.failed && (fseek(af.fp, 0, SEEK_SET) != 0 || fwrite(&hdr, sizeof hdr, 1, af.fp) != 1)) w.failed = true;
  if (st == SR_OK && w.failed) st = sr_fail(err, SR_ERR_IO, "%s: write failed (disk full?)", path);
  if (st != SR_OK) {
    sr_atomic_abort(&af);
    goto done;
  }
  st = sr_atomic_commit(&af, err);
  if (st == SR_OK && stats) {
    stats->terms = b->n_terms;
    stats->postings = n_postings;
    stats->file_bytes = hdr.file_size;
  }
done:
  sr_strmap_free(&packs);
  free(pack_name);
  free(pack_count);
  free(pack_start);
  free(pack_members);
  return st;
}

static int cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

sr_status sr_index_build(const sr_catalog *cat, const sr_index *prev, const sr_build_opts *opts, const char *path,
                         sr_build_stats *stats, sr_error *err) {
  sr_build_opts o = opts ? *opts : (sr_build_opts){0};
  if (!opts) o.analyzer = sr_analyzer_defaults();
  size_t N = cat->n_entries;
  if (N >= UINT32_MAX) return sr_fail(err, SR_ERR_ARG, "%s: too many entries (%zu)", path, N);
  if (prev && memcmp(&prev->stats->analyzer, &o.analyzer, sizeof o.analyzer) != 0) prev = NULL;  /* settings changed */
  build b = {0};
  sr_status st = SR_OK;
  b.doc_prev = malloc((N ? N : 1) * sizeof *b.doc_prev);
  b.doc_worker = malloc((N ? N : 1) * sizeof *b.doc_worker);
  b.doc_local = malloc((N ? N : 1) * sizeof *b.doc_local);
  if (!b.doc_prev || !b.doc_worker || !b.doc_local) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); goto out; }
  size_t n_reused = 0;
  for (size_t d = 0; d < N; d++) {
    uint32_t pd;
    b.doc_prev[d] = UINT32_MAX;
    if (prev && sr_index_find(prev, cat->entries[d].id, &pd) && prev->entries[pd].content_hash == cat->entries[d].content_hash) {
      b.doc_prev[d] = pd;
      n_reused++;
    }
  }
  size_t n_new = N - n_reused;
  int T = o.threads > 0 ? o.threads : cpu_count();
  if ((size_t)T > n_new / 64 + 1) T = (int)(n_new / 64 + 1);
  b.n_workers = T;
  b.workers = calloc((size_t)T, sizeof *b.workers);
  b.worker_docs = calloc((size_t)T, sizeof *b.worker_docs);
  if (!b.workers || !b.worker_docs) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); goto out; }
  size_t done_counter = 0, next_new = 0;
  for (int i = 0; i < T; i++) {
    worker *w = &b.workers[i];
    size_t lo = n_new * (size_t)i / (size_t)T, hi = n_new * (size_t)(i + 1) / (size_t)T;
    w->cat = cat;
    w->n_docs = hi - lo;
    w->aopts = o.analyzer;
    w->opts = &o;
    w->done_counter = &done_counter;
    w->total = n_new;
    w->reports = i == 0;
    b.worker_docs[i] = malloc((w->n_docs ? w->n_docs : 1) * sizeof **b.worker_docs);
    if (!b.worker_docs[i]) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); goto out; }
    w->docs = b.worker_docs[i];
  }
  /* assign new docs to workers in order, contiguous ranges */
  for (size_t d = 0, wi = 0, local = 0; d < N; d++) {
    if (b.doc_prev[d] != UINT32_MAX) { b.doc_worker[d] = -1; continue; }
    while (local == b.workers[wi].n_docs) { wi++; local = 0; }
    b.worker_docs[wi][local] = (uint32_t)d;
    b.doc_worker[d] = (int32_t)wi;
    b.doc_local[d] = (uint32_t)local++;
    next_new++;
  }
  assert(next_new == n_new);
  pthread_t tids[64];
  int started = 0;
  for (int i = 1; i < T; i++, started++)
    if (pthread_create(&tids[i], NULL, worker_run, &b.workers[i]) != 0) break;
  worker_run(&b.workers[0]);
  for (int i = 1; i <= started; i++) pthread_join(tids[i], NULL);
  if (started != T - 1) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: cannot start threads"); goto out; }
  for (int i = 0; i < T; i++)
    if (b.workers[i].status != SR_OK) {
      st = sr_fail(err, b.workers[i].status, "%s", b.workers[i].err.msg);
      goto out;
    }
  if (o.progress) o.progress(o.progress_ctx, "analysing", n_new, n_new);
  /* merge dictionaries: remap every worker's term ids to global ids */
  for (int i = 0; i < T && st == SR_OK; i++) {
    worker *w = &b.workers[i];
    uint32_t *remap = malloc((w->n_terms ? w->n_terms : 1) * sizeof *remap);
    if (!remap) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); break; }
    for (uint32_t t = 0; t < w->n_terms; t++) {
      remap[t] = global_term(&b, w->term_str[t], w->term_len[t]);
      if (remap[t] == UINT32_MAX) { st = sr_fail(err, SR_ERR_NOMEM, "indexing: out of memory"); break; }
    }
    if (st == SR_OK)
      for (size_t k = 0; k < w->n_fwd; k++) w->fwd[k].term = remap[w->fwd[k].term];
    free(remap);
  }
  if (st != SR_OK) goto out;
  if (n_reused) {
    st = collect_reused(&b, prev, N, n_reused, err);
    if (st != SR_OK) goto out;
  }
  uint64_t n_postings = 0;
  st = invert(&b, N, &n_postings, err);
  if (st != SR_OK) goto out;
  double sum[SR_IDX_NFIELDS] = {0}, avg[SR_IDX_NFIELDS] = {0};
  for (size_t d = 0; d < N; d++) {
    const uint32_t *fl = b.doc_worker[d] >= 0 ? b.workers[b.doc_worker[d]].field_len[b.doc_local[d]]
                                             : prev->entries[b.doc_prev[d]].field_len;
    for (int f = 0; f < SR_IDX_NFIELDS; f++) sum[f] += fl[f];
  }
  for (int f = 0; f < SR_IDX_NFIELDS; f++) avg[f] = N ? sum[f] / (double)N : 0;
  st = write_file(&b, cat, prev, &o, avg, n_postings, path, stats, err);
  if (st == SR_OK && stats) {
    stats->entries = N;
    stats->reused = n_reused;
    stats->analysed = n_new;
  }
out:
  build_free(&b);
  return st;
}
