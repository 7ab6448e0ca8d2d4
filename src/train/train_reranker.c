/* train_reranker.c — the reranker: lists of first-stage candidates (lexical top-L ∪ dense top-L) for
 * every pair, their features (route/ltr.h; the positive scored with its pseudo-query's text removed),
 * standardised, then the network trained with Adam on the listwise softmax cross-entropy (temperature
 * rr_tau) or, as the ablation, the pointwise logistic loss. Lists without the positive are not trained
 * on (their loss has no target); on held-out pairs they count as misses. With rr_members > 1, that many
 * networks train from different seeds on the same lists (in parallel) and the model keeps their mean,
 * written as one wider network (train_members). */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "route/ltr.h"
#include "train/train_internal.h"
#include "util/parallel.h"
#include "util/rng.h"

typedef struct lists {
  size_t n;                  /* lists (= pairs) */
  size_t *start;             /* [n + 1] into feat rows (room reserved per list) */
  uint32_t *len;             /* [n] candidates kept in each list (≤ start[i + 1] - start[i]) */
  int32_t *pos;              /* [n] index of the positive inside its list, -1 = absent */
  float *feat;               /* [rows * SR_LTR_NFEAT] */
} lists;

typedef struct build_job {
  tctx *t;
  lists *L;
  sr_ltr_list l[64];
  sr_status st[64];
  sr_error err[64];
  size_t copies_name[64], copies_text[64];  /* candidates dropped as copies of the positive */
  size_t copies_group[64];   /* candidates dropped as other right answers of the same query */
} build_job;

/* True when candidate k of l holds (nearly) all of the pseudo-query's source text: Σ min(tf, count in
 * the source) over the kept query terms ≥ 90% of Σ count. Such a candidate (a copy of the positive in
 * another repository) matches the query better than the positive itself, whose copy of the text was
 * subtracted. */
static bool holds_query_text(const sr_ltr_list *l, size_t k, const sr_fwd_term *minus, size_t n_minus) {
  if (!minus || !n_minus) return false;
  const uint16_t *tf = &l->tf[k * l->nq * 3];
  double want = 0, have = 0;
  size_t m = 0;
  for (size_t b = 0; b < l->nq; b++) {
    while (m < n_minus && minus[m].term < l->qterm[b]) m++;
    if (m == n_minus || minus[m].term != l->qterm[b]) continue;
    double c = (double)minus[m].tf_name + minus[m].tf_desc + minus[m].tf_body;
    double x = (double)tf[b * 3] + tf[b * 3 + 1] + tf[b * 3 + 2];
    want += c;
    have += x < c ? x : c;
  }
  return want > 0 && have >= 0.9 * want;
}

/* Removes the positive's copies from the list (same normalised name, or holding the query's source
 * text) and the other right answers of the same labelled query: they are neither right nor wrong answers, and as negatives they teach the network to distrust
 * the best matches. Ranks of the remaining candidates are renumbered as if the copies were not in the
 * catalog. The copies are dropped only when `copies` (other right answers always are). Returns the new
 * index of the positive (-1 when absent). */
static int32_t drop_copies(build_job *j, int tid, size_t i, const sr_pair *p, sr_ltr_list *l, bool copies) {
  tctx *t = j->t;
  size_t nq3 = l->nq * 3, w = 0;
  int32_t pos = -1;
  bool drop[2 * SR_TRAIN_LIST] = {false};
  for (size_t k = 0; k < l->n; k++) {
    uint32_t d = l->doc[k];
    if (d == p->doc) continue;
    if (sr_pairs_group_has(&t->pairs, i, d)) {
      drop[k] = true;
      j->copies_group[tid]++;
    } else if (!copies) {
      continue;
    } else if (t->norm_name[p->doc][0] && !strcmp(t->norm_name[p->doc], t->norm_name[d])) {
      drop[k] = true;
      j->copies_name[tid]++;
    } else if (holds_query_text(l, k, p->minus, p->n_minus)) {
      drop[k] = true;
      j->copies_text[tid]++;
    }
  }
  for (size_t k = 0; k < l->n; k++) {
    if (drop[k]) continue;
    int32_t lr = l->lex_rank[k], dr = l->dense_rank[k];
    int32_t nl = lr, nd = dr;
    for (size_t c = 0; c < l->n; c++) {
      if (!drop[c]) continue;
      if (lr >= 0 && l->lex_rank[c] >= 0 && l->lex_rank[c] < lr) nl--;
      if (dr >= 0 && l->dense_rank[c] >= 0 && l->dense_rank[c] < dr) nd--;
    }
    if (w != k) {
      l->doc[w] = l->doc[k];
      memmove(&l->tf[w * nq3], &l->tf[k * nq3], nq3 * sizeof *l->tf);
      memcpy(&l->len[w * 3], &l->len[k * 3], 3 * sizeof *l->len);
      l->cosine[w] = l->cosine[k];
    }
    l->lex_rank[w] = nl;
    l->dense_rank[w] = nd;
    if (l->doc[w] == p->doc) pos = (int32_t)w;
    w++;
  }
  l->n = w;
  return pos;
}

static void build_one(void *ctx, size_t i, int tid) {
  build_job *j = ctx;
  tctx *t = j->t;
  if (j->st[tid] != SR_OK) return;
  const sr_pair *p = &t->pairs.v[i];
  size_t L = t->o->rr_list, n = 0;
  uint32_t cand[2 * SR_TRAIN_LIST];
  int32_t lr[2 * SR_TRAIN_LIST], dr[2 * SR_TRAIN_LIST];
  for (size_t r = 0; r < L && r < t->n_lex[i]; r++) {
    cand[n] = t->lex[i * SR_TRAIN_LIST + r];
    lr[n] = (int32_t)r;
    dr[n++] = -1;
  }
  for (size_t r = 0; r < L; r++) {
    uint32_t d = t->dense[i * SR_TRAIN_LIST + r];
    size_t k = 0;
    while (k < n && cand[k] != d) k++;
    if (k == n) {
      cand[n] = d;
      lr[n] = -1;
      dr[n++] = (int32_t)r;
    } else {
      dr[k] = (int32_t)r;
    }
  }
  sr_ltr_list *l = &j->l[tid];
  sr_status st = sr_ltr_list_begin(l, t->ix, p->q, p->nq, n, sr_bm25f_defaults().max_df_ratio, &j->err[tid]);
  if (st != SR_OK) {
    j->st[tid] = st;
    return;
  }
  const float *q = &t->qvec[i * t->dim];
  j->L->pos[i] = -1;
  for (size_t k = 0; k < n; k++) {
    l->doc[k] = cand[k];
    l->lex_rank[k] = lr[k];
    l->dense_rank[k] = dr[k];
    const float *v = cand[k] == p->doc ? &t->posvec[i * t->dim] : &t->docvec[(size_t)cand[k] * t->dim];
    float s = 0;
    for (size_t c = 0; c < t->dim; c++) s += q[c] * v[c];
    l->cosine[k] = s;
    if (cand[k] == p->doc) j->L->pos[i] = (int32_t)k;
  }
  sr_ltr_gather_forward(l, t->fwd, p->doc, p->minus, p->n_minus);
  j->L->pos[i] = drop_copies(j, tid, i, p, l, p->split == SR_SPLIT_HELDOUT || t->o->rr_drop_copies);
  j->L->len[i] = (uint32_t)l->n;
  sr_bm25f_params bp = sr_bm25f_defaults();
  sr_ltr_features(l, &bp, t->n_docs, t->fwd->avg_field_len);
  memcpy(&j->L->feat[j->L->start[i] * SR_LTR_NFEAT], l->feat, l->n * SR_LTR_NFEAT * sizeof(float));
}

static size_t list_len(const tctx *t, size_t i) {
  size_t L = t->o->rr_list, n = 0;
  for (size_t r = 0; r < L && r < t->n_lex[i]; r++) n++;
  for (size_t r = 0; r < L; r++) {
    uint32_t d = t->dense[i * SR_TRAIN_LIST + r];
    bool seen = false;
    for (size_t k = 0; k < L && k < t->n_lex[i] && !seen; k++) seen = t->lex[i * SR_TRAIN_LIST + k] == d;
    if (!seen) n++;
  }
  return n;
}

/* Network forward for one row: returns the score, fills a (pre-activation) [hidden]. */
static float forward(const sr_ltr *m, const float *x, float *a) {
  float s = m->b2;
  uint32_t F = m->n_feat;
  for (uint32_t h = 0; h < m->hidden; h++) {
    const float *w = &m->w1[(size_t)h * F];
    float v = m->b1[h];
    for (uint32_t f = 0; f < F; f++) v += w[f] * x[f];
    a[h] = v;
    if (v > 0) s += m->w2[h] * v;
  }
  return s;
}

typedef struct adam {
  float *m, *v;
  size_t n;
  int t;
} adam;

static void adam_step(adam *a, float *w, const float *g, float lr) {
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  float c1 = 1.0f - powf(b1, (float)a->t), c2 = 1.0f - powf(b2, (float)a->t);
  for (size_t i = 0; i < a->n; i++) {
    a->m[i] = b1 * a->m[i] + (1 - b1) * g[i];
    a->v[i] = b2 * a->v[i] + (1 - b2) * g[i] * g[i];
    w[i] -= lr * (a->m[i] / c1) / (sqrtf(a->v[i] / c2) + eps);
  }
}

/* Held-out evaluation of the current network: Hit@1, MRR@10 and the shortlist recall. */
static void evaluate(const tctx *t, const lists *L, const sr_ltr *m, double *hit1, double *mrr, double *recall) {
  size_t n = 0, hits = 0, present = 0;
  double rr = 0;
  float a[SR_LTR_MAX_HIDDEN];
  for (size_t i = 0; i < L->n; i++) {
    if (t->pairs.v[i].split != SR_SPLIT_HELDOUT) continue;
    n++;
    if (L->pos[i] < 0) continue;
    present++;
    size_t len = L->len[i];
    const float *X = &L->feat[L->start[i] * SR_LTR_NFEAT];
    float ps = forward(m, &X[(size_t)L->pos[i] * SR_LTR_NFEAT], a);
    size_t rank = 0;
    for (size_t k = 0; k < len; k++) {
      if ((int32_t)k == L->pos[i]) continue;
      float s = forward(m, &X[k * SR_LTR_NFEAT], a);
      if (s > ps || (s == ps && (int32_t)k < L->pos[i])) rank++;
    }
    if (rank == 0) hits++;
    if (rank < 10) rr += 1.0 / (double)(rank + 1);
  }
  *hit1 = n ? (double)hits / n : 0;
  *mrr = n ? rr / n : 0;
  *recall = n ? (double)present / n : 0;
}

/* Trains one network rr (initialised, standardisation set) on the lists train[0..n_train) with Adam:
 * list order shuffled by shuffle_seed, weights averaged over the second half of epochs when asked.
 * Progress lines per epoch when progress. Returns SR_ERR_NOMEM or SR_ERR_INTERRUPTED; rr is then partly
 * trained (the caller frees it). Thread-safe for distinct rr. */
static sr_status train_one(const tctx *t, const lists *L, const uint32_t *train, size_t n_train,
                           uint64_t shuffle_seed, bool progress, sr_ltr *rr, sr_error *err) {
  const sr_train_opts *o = t->o;
  size_t H = rr->hidden, F = rr->n_feat, nw1 = H * F, np = nw1 + 2 * H + 1;
  size_t max_len = 1;
  for (size_t i = 0; i < L->n; i++)
    if (L->len[i] > max_len) max_len = L->len[i];
  float *params = malloc(np * sizeof *params), *grad = calloc(np, sizeof *grad);
  float *a = malloc(max_len * H * sizeof *a), *ds = malloc(max_len * sizeof *ds);
  uint32_t *order = malloc((n_train + 1) * sizeof *order);
  adam opt = {calloc(np, sizeof(float)), calloc(np, sizeof(float)), np, 0};
  /* weight averaging: the held-out score of the last epoch's weights swings by a point or two from
   * epoch to epoch; the mean of the weights after each epoch of the second half is steadier */
  int avg_from = o->rr_average ? o->rr_epochs / 2 : o->rr_epochs;
  double *avg = calloc(np, sizeof *avg);
  int n_avg = 0;
  sr_status st = SR_OK;
  if (!params || !grad || !a || !ds || !order || !opt.m || !opt.v || !avg) {
    st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
    goto out;
  }
  memcpy(order, train, n_train * sizeof *order);
  sr_rng r;
  sr_rng_seed(&r, shuffle_seed);
  const size_t lists_per_step = 32;
  float tau = o->rr_tau > 0 ? o->rr_tau : 1.0f;
  for (int epoch = 0; epoch < o->rr_epochs; epoch++) {
    for (size_t i = n_train; i > 1; i--) {
      size_t j = sr_rng_below(&r, i);
      uint32_t tmp = order[i - 1]; order[i - 1] = order[j]; order[j] = tmp;
    }
    double loss = 0;
    for (size_t b0 = 0; b0 < n_train; b0 += lists_per_step) {
      if (o->cancel && *o->cancel) {
        st = sr_fail(err, SR_ERR_INTERRUPTED, "training interrupted");
        goto out;
      }
      memset(grad, 0, np * sizeof *grad);
      size_t nb = n_train - b0 < lists_per_step ? n_train - b0 : lists_per_step;
      for (size_t bi = 0; bi < nb; bi++) {
        size_t li = order[b0 + bi], len = L->len[li];
        const float *X = &L->feat[L->start[li] * SR_LTR_NFEAT];
        float mx = -1e30f;
        for (size_t k = 0; k < len; k++) {
          ds[k] = forward(rr, &X[k * SR_LTR_NFEAT], &a[k * H]);
          if (ds[k] > mx) mx = ds[k];
        }
        if (o->rr_loss == SR_RR_LISTWISE) {
          double z = 0;
          for (size_t k = 0; k < len; k++) z += exp((ds[k] - mx) / tau);
          loss += -((ds[L->pos[li]] - mx) / tau - log(z));
          for (size_t k = 0; k < len; k++)
            ds[k] = (float)((exp((ds[k] - mx) / tau) / z - ((int32_t)k == L->pos[li] ? 1.0 : 0.0)) / tau) / (float)nb;
        } else {
          for (size_t k = 0; k < len; k++) {
            float y = (int32_t)k == L->pos[li] ? 1.0f : 0.0f, s = ds[k];
            float pk = 1.0f / (1.0f + expf(-s));
            loss += -(y * log(pk + 1e-12) + (1 - y) * log(1 - pk + 1e-12)) / (double)len;
            ds[k] = (pk - y) / (float)len / (float)nb;
          }
        }
        for (size_t k = 0; k < len; k++) {
          const float *x = &X[k * SR_LTR_NFEAT];
          const float *ak = &a[k * H];
          float d = ds[k];
          grad[np - 1] += d;
          for (size_t h = 0; h < H; h++) {
            if (ak[h] <= 0) continue;
            grad[nw1 + H + h] += d * ak[h];
            float da = d * rr->w2[h];
            grad[nw1 + h] += da;
            float *gw = &grad[h * F];
            for (size_t f = 0; f < F; f++) gw[f] += da * x[f];
          }
        }
      }
      memcpy(params, rr->w1, nw1 * sizeof(float));
      memcpy(params + nw1, rr->b1, H * sizeof(float));
      memcpy(params + nw1 + H, rr->w2, H * sizeof(float));
      params[np - 1] = rr->b2;
      opt.t++;
      adam_step(&opt, params, grad, o->rr_lr);
      memcpy(rr->w1, params, nw1 * sizeof(float));
      memcpy(rr->b1, params + nw1, H * sizeof(float));
      memcpy(rr->w2, params + nw1 + H, H * sizeof(float));
      rr->b2 = params[np - 1];
    }
    if (epoch >= avg_from) {
      for (size_t k = 0; k < nw1; k++) avg[k] += rr->w1[k];
      for (size_t k = 0; k < H; k++) avg[nw1 + k] += rr->b1[k], avg[nw1 + H + k] += rr->w2[k];
      avg[np - 1] += rr->b2;
      n_avg++;
    }
    if (progress) {
      double h1, mrr, rec;
      evaluate(t, L, rr, &h1, &mrr, &rec);
      sr_train_log(t, "reranker epoch %d/%d: loss %.4f, held-out Hit@1 %.3f MRR@10 %.3f (shortlist recall %.3f)",
                   epoch + 1, o->rr_epochs, n_train ? loss / (double)n_train : 0, h1, mrr, rec);
    }
  }
  if (n_avg > 0) {
    for (size_t k = 0; k < nw1; k++) rr->w1[k] = (float)(avg[k] / n_avg);
    for (size_t k = 0; k < H; k++) rr->b1[k] = (float)(avg[nw1 + k] / n_avg), rr->w2[k] = (float)(avg[nw1 + H + k] / n_avg);
    rr->b2 = (float)(avg[np - 1] / n_avg);
    if (progress) {
      double h1, mrr, rec;
      evaluate(t, L, rr, &h1, &mrr, &rec);
      sr_train_log(t, "reranker weights averaged over epochs %d-%d: held-out Hit@1 %.3f MRR@10 %.3f", avg_from + 1,
                   o->rr_epochs, h1, mrr);
    }
  }
out:
  free(params);
  free(grad);
  free(a);
  free(ds);
  free(order);
  free(opt.m);
  free(opt.v);
  free(avg);
  return st;
}

typedef struct member_job {
  const tctx *t;
  const lists *L;
  const uint32_t *train;
  size_t n_train;
  sr_ltr *m;                 /* [members] */
  sr_status *st;             /* [members] */
  sr_error *err;             /* [members] */
} member_job;

/* Member k's seeds: member 0 uses the run's seed as a single network always did (so --rr-members 1
 * gives the same model as before members existed); member k > 0 steps it by a large odd constant. */
static uint64_t member_seed(uint64_t seed, size_t k) { return seed + (uint64_t)k * 0x9E3779B97F4A7C15ull; }

static void member_one(void *ctx, size_t k, int tid) {
  (void)tid;
  member_job *j = ctx;
  j->st[k] = train_one(j->t, j->L, j->train, j->n_train, member_seed(j->t->o->seed, k) ^ 0x52524E4Bull,
                       false, &j->m[k], &j->err[k]);
}

/* Trains rr_members networks like rr (initialised with rr's standardisation) and makes rr their mean:
 * hidden units concatenated, output weights and bias divided by the member count, so rr's score is the
 * members' mean score. A single member trains rr itself with per-epoch progress. Members run on the
 * training threads; the result does not depend on the thread count. */
static sr_status train_members(tctx *t, const lists *L, const uint32_t *train, size_t n_train, sr_ltr *rr,
                               sr_error *err) {
  const sr_train_opts *o = t->o;
  size_t K = o->rr_members ? o->rr_members : 1, H = rr->hidden, F = rr->n_feat;
  if (K == 1) {
    sr_status st = train_one(t, L, train, n_train, o->seed ^ 0x52524E4Bull, true, rr, err);
    if (st == SR_OK) {
      double h1, mrr, rec;
      evaluate(t, L, rr, &h1, &mrr, &rec);
      t->rep->heldout_rr_hit1 = h1;
      t->rep->heldout_rr_mrr = mrr;
      t->rep->heldout_shortlist_recall = rec;
    }
    return st;
  }
  assert(K * H <= SR_LTR_MAX_HIDDEN);
  sr_ltr *m = calloc(K, sizeof *m);
  sr_status *mst = calloc(K, sizeof *mst);
  sr_error *merr = calloc(K, sizeof *merr);
  sr_status st = SR_OK;
  if (!m || !mst || !merr) {
    st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
    goto out;
  }
  m[0] = *rr;                /* member 0 takes rr's seed weights and standardisation; rr is rebuilt */
  memset(rr, 0, sizeof *rr);
  st = sr_ltr_init(rr, (uint32_t)(K * H), (uint32_t)F, o->seed, err);
  for (size_t k = 1; k < K && st == SR_OK; k++) {
    if ((st = sr_ltr_init(&m[k], (uint32_t)H, (uint32_t)F, member_seed(o->seed, k), err)) != SR_OK) break;
    memcpy(m[k].mean, m[0].mean, sizeof m[k].mean);
    memcpy(m[k].std, m[0].std, sizeof m[k].std);
  }
  if (st != SR_OK) goto out;
  member_job j = {t, L, train, n_train, m, mst, merr};
  sr_parallel_run(t->threads, K, member_one, &j);
  for (size_t k = 0; k < K; k++) {
    if (mst[k] != SR_OK) {
      st = mst[k];
      if (err) *err = merr[k];
      goto out;
    }
    double h1, mrr, rec;
    evaluate(t, L, &m[k], &h1, &mrr, &rec);
    sr_train_log(t, "reranker member %zu/%zu (%d epochs): held-out Hit@1 %.3f MRR@10 %.3f", k + 1, K, o->rr_epochs, h1,
                 mrr);
  }
  memcpy(rr->mean, m[0].mean, sizeof rr->mean);
  memcpy(rr->std, m[0].std, sizeof rr->std);
  rr->b2 = 0;
  for (size_t k = 0; k < K; k++) {
    memcpy(&rr->w1[k * H * F], m[k].w1, H * F * sizeof(float));
    memcpy(&rr->b1[k * H], m[k].b1, H * sizeof(float));
    for (size_t h = 0; h < H; h++) rr->w2[k * H + h] = m[k].w2[h] / (float)K;
    rr->b2 += m[k].b2 / (float)K;
  }
  {
    double h1, mrr, rec;
    evaluate(t, L, rr, &h1, &mrr, &rec);
    sr_train_log(t, "reranker: mean of %zu members, held-out Hit@1 %.3f MRR@10 %.3f (shortlist recall %.3f)", K, h1,
                 mrr, rec);
    t->rep->heldout_rr_hit1 = h1;
    t->rep->heldout_rr_mrr = mrr;
    t->rep->heldout_shortlist_recall = rec;
  }
out:
  if (m)
    for (size_t k = 0; k < K; k++) sr_ltr_free(&m[k]);
  free(m);
  free(mst);
  free(merr);
  return st;
}

sr_status sr_train_reranker(tctx *t, sr_ltr *rr, sr_error *err) {
  const sr_train_opts *o = t->o;
  lists L = {0};
  L.n = t->pairs.n;
  L.start = malloc((L.n + 1) * sizeof *L.start);
  L.pos = malloc((L.n + 1) * sizeof *L.pos);
  L.len = calloc(L.n + 1, sizeof *L.len);
  if (!L.start || !L.pos || !L.len) {
    free(L.start);
    free(L.pos);
    free(L.len);
    return sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
  }
  L.start[0] = 0;
  for (size_t i = 0; i < L.n; i++) L.start[i + 1] = L.start[i] + list_len(t, i);
  size_t rows = L.start[L.n];
  L.feat = malloc((rows + 1) * SR_LTR_NFEAT * sizeof *L.feat);
  build_job *bj = calloc(1, sizeof *bj);
  sr_status st = SR_OK;
  if (!L.feat || !bj) {
    st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
    goto done;
  }
  bj->t = t;
  bj->L = &L;
  sr_parallel_run(t->threads, L.n, build_one, bj);
  for (int k = 0; k < t->threads; k++) {
    if (bj->st[k] != SR_OK && st == SR_OK) {
      st = bj->st[k];
      if (err) *err = bj->err[k];
    }
    sr_ltr_list_free(&bj->l[k]);
  }
  if (st != SR_OK) goto done;
  {
    size_t cn = 0, ct = 0, cg = 0;
    for (int k = 0; k < 64; k++) cn += bj->copies_name[k], ct += bj->copies_text[k], cg += bj->copies_group[k];
    t->rep->rr_copies_name = cn;
    t->rep->rr_copies_text = ct;
    t->rep->rr_copies_group = cg;
    sr_train_log(t, "reranker lists: dropped %zu other right answers of the same query, %zu copies of the positive "
                 "(same name %zu, holding the query's text %zu)%s",
                 cg, cn + ct, cn, ct, o->rr_drop_copies ? "" : " (copies from held-out lists only)");
  }
  /* standardisation over the training rows */
  if ((st = sr_ltr_init(rr, o->rr_hidden, o->rr_features, o->seed, err)) != SR_OK) goto done;
  {
    double sum[SR_LTR_NFEAT] = {0}, sq[SR_LTR_NFEAT] = {0};
    size_t cnt = 0;
    for (size_t i = 0; i < L.n; i++) {
      if (t->pairs.v[i].split != SR_SPLIT_RERANKER) continue;
      for (size_t r = L.start[i]; r < L.start[i] + L.len[i]; r++, cnt++)
        for (int f = 0; f < SR_LTR_NFEAT; f++) {
          double x = L.feat[r * SR_LTR_NFEAT + f];
          sum[f] += x;
          sq[f] += x * x;
        }
    }
    for (int f = 0; f < SR_LTR_NFEAT; f++) {
      double mu = cnt ? sum[f] / cnt : 0, var = cnt ? sq[f] / cnt - mu * mu : 1;
      rr->mean[f] = (float)mu;
      rr->std[f] = var > 1e-12 ? (float)sqrt(var) : 1.0f;
    }
    for (size_t i = 0; i < L.n; i++)
      for (size_t r = L.start[i]; r < L.start[i] + L.len[i]; r++)
        for (int f = 0; f < SR_LTR_NFEAT; f++)
          L.feat[r * SR_LTR_NFEAT + f] = (L.feat[r * SR_LTR_NFEAT + f] - rr->mean[f]) / rr->std[f];
  }
  {
    size_t n_train = 0, n_labelled = 0, w = o->rr_labelled_weight > 1 ? o->rr_labelled_weight : 1;
    for (size_t i = 0; i < L.n; i++)
      if (t->pairs.v[i].split == SR_SPLIT_RERANKER && L.pos[i] >= 0 && sr_pair_kind_labelled(t->pairs.v[i].kind))
        n_labelled++;
    uint32_t *train_ids = malloc((L.n + n_labelled * (w - 1) + 1) * sizeof *train_ids);
    if (!train_ids) {
      st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
      goto done;
    }
    for (size_t i = 0; i < L.n; i++)
      if (t->pairs.v[i].split == SR_SPLIT_RERANKER && L.pos[i] >= 0 && t->pairs.v[i].kind != SR_PQ_DESC) {
        size_t copies = sr_pair_kind_labelled(t->pairs.v[i].kind) ? w : 1;
        for (size_t k = 0; k < copies; k++) train_ids[n_train++] = (uint32_t)i;
      }
    t->rep->rr_train_lists = n_train;
    t->rep->rr_labelled_lists = n_labelled;
    if (n_labelled)
      sr_train_log(t, "reranker: %zu labelled lists (each trained %zu× per epoch) among %zu", n_labelled, w, n_train);
    st = train_members(t, &L, train_ids, n_train, rr, err);
    free(train_ids);
  }
done:
  free(L.start);
  free(L.pos);
  free(L.len);
  free(L.feat);
  free(bj);
  return st;
}
