/* train_encoder.c — one epoch of the static bi-encoder: InfoNCE over each batch's queries against
 * every document of the batch (the positives, with the pseudo-query's text removed, and all hard
 * negatives), temperature tau; row-wise Adagrad on the embedding rows the batch touched.
 *
 *   s_ij = (q_i · d_j) / tau,  loss_i = -s_ii + log Σ_j exp(s_ij)   (j over the batch's documents;
 *   a column holding query i's own positive entry under another pair is masked out)
 * Gradients flow through the L2 normalisation: for u = v/|v|, dL/dv = (g - (g·u) u) / |v|. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"
#include "util/clock.h"
#include "util/parallel.h"
#include "util/rng.h"

typedef struct item {
  uint32_t doc;              /* entry, or UINT32_MAX for a query item */
  int32_t pair;              /* pair index whose minus applies (positives), or -1 */
  sr_wrow *rows;
  size_t n_rows;
  float norm;
  float *v;                  /* [dim] normalised vector */
  float *g;                  /* [dim] dL/dv (after the normalisation backward) */
} item;

typedef struct batch_job {
  tctx *t;
  item *it;
  const uint32_t *pairs;     /* the batch's pair indices */
} batch_job;

static void encode_item(void *ctx, size_t k, int tid) {
  (void)tid;
  batch_job *b = ctx;
  tctx *t = b->t;
  item *x = &b->it[k];
  if (x->doc == UINT32_MAX) {
    const sr_pair *p = &t->pairs.v[x->pair];
    x->n_rows = sr_senc_query_rows(t->enc, p->q, p->nq, x->rows);
  } else if (x->pair >= 0) {
    const sr_pair *p = &t->pairs.v[x->pair];
    x->n_rows = sr_senc_doc_rows(t->enc, t->fwd, t->bucket, x->doc, p->minus, p->n_minus, x->rows);
  } else {
    x->n_rows = sr_senc_doc_rows(t->enc, t->fwd, t->bucket, x->doc, NULL, 0, x->rows);
  }
  x->norm = sr_senc_pool(t->enc, x->rows, x->n_rows, x->v);
}

static size_t item_cap(const tctx *t, const item *x) {
  if (x->doc == UINT32_MAX) return t->pairs.v[x->pair].nq;
  return (size_t)(t->fwd->start[x->doc + 1] - t->fwd->start[x->doc]);
}

sr_status sr_train_encoder_epoch(tctx *t, int epoch, double *loss_out, sr_error *err) {
  const sr_train_opts *o = t->o;
  size_t dim = t->dim, B = o->batch ? o->batch : 128, nneg = (size_t)t->nneg;
  /* training pairs in a seeded order */
  size_t n_train = 0;
  uint32_t *order = malloc((t->pairs.n ? t->pairs.n : 1) * sizeof *order);
  if (!order) return sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
  for (size_t i = 0; i < t->pairs.n; i++)
    if (t->pairs.v[i].split == SR_SPLIT_ENCODER) order[n_train++] = (uint32_t)i;
  sr_rng r;
  sr_rng_seed(&r, o->seed * 1000003u + (uint64_t)epoch);
  for (size_t i = n_train; i > 1; i--) {
    size_t j = sr_rng_below(&r, i);
    uint32_t tmp = order[i - 1]; order[i - 1] = order[j]; order[j] = tmp;
  }
  size_t max_items = B * (2 + nneg);
  item *it = calloc(max_items, sizeof *it);
  float *vbuf = malloc(max_items * dim * 2 * sizeof *vbuf);
  float *S = malloc(B * (B * (1 + nneg)) * sizeof *S);
  int32_t *slot = malloc((size_t)t->enc->n_buckets * sizeof *slot);
  if (!t->adagrad) t->adagrad = calloc(t->enc->n_buckets ? t->enc->n_buckets : 1, sizeof *t->adagrad);
  float *adagrad = t->adagrad;
  uint32_t *touched = NULL;
  float *grad = NULL;
  size_t cap_touched = 0;
  sr_status st = SR_OK;
  if (!it || !vbuf || !S || !slot || !adagrad) {
    st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
    goto done;
  }
  /* Adagrad state persists across epochs (t->adagrad): later epochs take smaller steps. */
  for (uint32_t b = 0; b < t->enc->n_buckets; b++) slot[b] = -1;
  double loss_sum = 0;
  size_t loss_n = 0;
  size_t n_batches = (n_train + B - 1) / B, next_tenth = 1;
  double t_start = sr_clock_s();
  for (size_t b0 = 0; b0 < n_train; b0 += B) {
    if (o->cancel && *o->cancel) {
      st = sr_fail(err, SR_ERR_INTERRUPTED, "training interrupted");
      goto done;
    }
    /* progress at each tenth of the batches: loss so far and time left (this epoch, the encoder) */
    size_t done_batches = b0 / B;
    if (n_batches >= 10 && next_tenth < 10 && done_batches * 10 >= next_tenth * n_batches) {
      double el = sr_clock_s() - t_start, frac = (double)done_batches / (double)n_batches;
      double epoch_left = el / frac - el;
      double enc_left = epoch_left + t->pass_seconds +
                        (t->epochs - epoch - 1) * (t->mine_seconds + el / frac + t->pass_seconds);
      sr_train_log(t, "encoder epoch %d/%d: %zu0%%, loss %.4f so far; about %.0f s left in this epoch, %.0f s "
                   "until the encoder is done", epoch + 1, t->epochs, next_tenth, loss_n ? loss_sum / (double)loss_n : 0,
                   epoch_left, enc_left);
      while (next_tenth < 10 && done_batches * 10 >= next_tenth * n_batches) next_tenth++;
    }
    size_t nb = n_train - b0 < B ? n_train - b0 : B;
    const uint32_t *bp = &order[b0];
    /* items: nb queries, nb positives, then the negatives */
    size_t ni = 0;
    for (size_t i = 0; i < nb; i++) it[ni++] = (item){UINT32_MAX, (int32_t)bp[i], NULL, 0, 0, NULL, NULL};
    for (size_t i = 0; i < nb; i++) it[ni++] = (item){t->pairs.v[bp[i]].doc, (int32_t)bp[i], NULL, 0, 0, NULL, NULL};
    for (size_t i = 0; i < nb; i++)
      for (size_t k = 0; k < nneg; k++) {
        uint32_t d = t->neg[(size_t)bp[i] * nneg + k];
        if (d != UINT32_MAX) it[ni++] = (item){d, -1, NULL, 0, 0, NULL, NULL};
      }
    size_t nd = ni - nb;  /* document columns */
    bool fail = false;
    for (size_t k = 0; k < ni; k++) {
      it[k].rows = malloc((item_cap(t, &it[k]) + 1) * sizeof(sr_wrow));
      it[k].v = &vbuf[k * dim * 2];
      it[k].g = &vbuf[k * dim * 2 + dim];
      if (!it[k].rows) fail = true;
    }
    if (fail) {
      for (size_t k = 0; k < ni; k++) free(it[k].rows);
      st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
      goto done;
    }
    batch_job bj = {t, it, bp};
    sr_parallel_run(t->threads, ni, encode_item, &bj);
    /* scores, softmax, gradients w.r.t. the normalised vectors */
    for (size_t k = 0; k < ni; k++) memset(it[k].g, 0, dim * sizeof(float));
    float inv_tau = 1.0f / (o->tau > 0 ? o->tau : 0.05f);
    for (size_t i = 0; i < nb; i++) {
      float *row = &S[i * nd];
      float mx = -1e30f;
      uint32_t pos_doc = it[nb + i].doc;
      for (size_t j = 0; j < nd; j++) {
        const item *dj = &it[nb + j];
        bool masked = j != i && (dj->doc == pos_doc || sr_pairs_group_has(&t->pairs, bp[i], dj->doc));
        float s = 0;
        if (!masked)
          for (size_t c = 0; c < dim; c++) s += it[i].v[c] * dj->v[c];
        row[j] = masked ? -INFINITY : s * inv_tau;
        if (row[j] > mx) mx = row[j];
      }
      double z = 0;
      for (size_t j = 0; j < nd; j++) z += exp((double)(row[j] - mx));
      loss_sum += -(row[i] - mx) + log(z);
      loss_n++;
      for (size_t j = 0; j < nd; j++) {
        float pj = (float)(exp((double)(row[j] - mx)) / z);
        float d = (pj - (j == i ? 1.0f : 0.0f)) * inv_tau / (float)nb;
        if (d == 0) continue;
        item *dj = &it[nb + j];
        for (size_t c = 0; c < dim; c++) {
          it[i].g[c] += d * dj->v[c];
          dj->g[c] += d * it[i].v[c];
        }
      }
    }
    /* backward through the normalisation, then scatter into the touched rows */
    size_t n_touched = 0;
    for (size_t k = 0; k < ni; k++) {
      item *x = &it[k];
      if (x->norm <= 0) continue;
      float gu = 0;
      for (size_t c = 0; c < dim; c++) gu += x->g[c] * x->v[c];
      for (size_t c = 0; c < dim; c++) x->g[c] = (x->g[c] - gu * x->v[c]) / x->norm;
      for (size_t rr = 0; rr < x->n_rows; rr++) {
        uint32_t bk = x->rows[rr].bucket;
        if (slot[bk] < 0) {
          if (n_touched == cap_touched) {
            size_t cap = cap_touched ? cap_touched * 2 : 65536;
            uint32_t *nt = realloc(touched, cap * sizeof *nt);
            if (nt) touched = nt;
            float *ng = realloc(grad, cap * dim * sizeof *ng);
            if (ng) grad = ng;
            if (!nt || !ng) {
              for (size_t q = 0; q < ni; q++) free(it[q].rows);
              st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
              goto done;
            }
            cap_touched = cap;
          }
          slot[bk] = (int32_t)n_touched;
          touched[n_touched] = bk;
          memset(&grad[n_touched * dim], 0, dim * sizeof *grad);
          n_touched++;
        }
        float w = x->rows[rr].weight, *g = &grad[(size_t)slot[bk] * dim];
        for (size_t c = 0; c < dim; c++) g[c] += w * x->g[c];
      }
    }
    /* row-wise Adagrad */
    for (size_t k = 0; k < n_touched; k++) {
      uint32_t bk = touched[k];
      float *g = &grad[k * dim], *e = &t->enc->emb[(size_t)bk * dim];
      double g2 = 0;
      for (size_t c = 0; c < dim; c++) g2 += (double)g[c] * g[c];
      adagrad[bk] += (float)(g2 / (double)dim);
      float step = o->lr / (sqrtf(adagrad[bk]) + 1e-10f);
      for (size_t c = 0; c < dim; c++) e[c] -= step * g[c];
      slot[bk] = -1;
    }
    for (size_t k = 0; k < ni; k++) free(it[k].rows);
  }
  *loss_out = loss_n ? loss_sum / (double)loss_n : 0;
done:
  free(order);
  free(it);
  free(vbuf);
  free(S);
  free(slot);
  free(touched);
  free(grad);
  return st;
}
