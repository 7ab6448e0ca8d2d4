/* train.c — the training pipeline's driver. See train.h. */
#include "train/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index/vectors.h"
#include "train/train_internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/parallel.h"

sr_train_opts sr_train_defaults(void) {
  sr_train_opts o;
  memset(&o, 0, sizeof o);
  o.seed = 20261121;
  o.pairs.n_queries = 40000;
  o.pairs.desc_ratio = 0.25;
  o.pairs.heldout = 0.05;
  o.pairs.reranker_share = 0.25;
  o.neg_dense = 4;
  o.neg_bm25 = 3;
  o.neg_cat = 2;
  o.neg_rand = 1;
  o.filter = true;
  o.rr_drop_copies = false;
  o.fn_jaccard = 0.6f;
  o.fn_cosine = 0.92f;
  o.buckets = 1u << 16;
  o.dim = 256;
  o.epochs = 2;
  o.batch = 128;
  o.lr = 0.05f;
  o.tau = 0.05f;
  o.train_reranker = true;
  o.rr_epochs = 30;
  o.rr_average = true;
  o.rr_list = 20;
  o.rr_hidden = 32;
  o.rr_members = 8;
  o.cooc_init = false;
  o.rr_features = SR_LTR_NFEAT;
  o.rr_lr = 2e-3f;
  o.rr_tau = 1.0f;
  o.rr_loss = SR_RR_LISTWISE;
  return o;
}

/* The random starting rows' std (also the co-occurrence start's row scale): --init-std, or the default. */
static float start_std(const sr_train_opts *o) { return o->init_std > 0 ? o->init_std : SR_TRAIN_INIT_STD; }

/* Held-out figures of the first-stage lists. */
static void eval_lists(const tctx *t, const uint32_t *lists, const uint32_t *lens, double *hit1, double *mrr,
                       double *r50) {
  size_t n = 0, hits = 0, in50 = 0;
  double rr = 0;
  for (size_t i = 0; i < t->pairs.n; i++) {
    if (t->pairs.v[i].split != SR_SPLIT_HELDOUT) continue;
    n++;
    size_t len = lens ? lens[i] : SR_TRAIN_LIST;
    for (size_t r = 0; r < len; r++)
      if (lists[i * SR_TRAIN_LIST + r] == t->pairs.v[i].doc) {
        if (r == 0) hits++;
        if (r < 10) rr += 1.0 / (double)(r + 1);
        in50++;
        break;
      }
  }
  *hit1 = n ? (double)hits / n : 0;
  *mrr = n ? rr / n : 0;
  if (r50) *r50 = n ? (double)in50 / n : 0;
}

static void free_ctx(tctx *t) {
  sr_pairs_free(&t->pairs);
  free(t->bucket);
  free(t->docvec);
  free(t->posvec);
  free(t->qvec);
  free(t->lex);
  free(t->n_lex);
  free(t->dense);
  free(t->neg);
  free(t->cat);
  free(t->cat_start);
  free(t->cat_docs);
  if (t->norm_name)
    for (uint32_t d = 0; d < t->n_docs; d++) free(t->norm_name[d]);
  free(t->norm_name);
  free(t->adagrad);
}

/* FNV-1a, 64-bit, over n bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ULL;
  return h;
}

/* What a checkpoint's encoder state depends on: the catalog (every entry's id and content hash, the
 * analyzer), the pairs as built (texts, positives, splits: this covers the seed, the labelled files and
 * the exclusions) and every option the encoder epochs use. Thread count, reranker options and the
 * number of epochs are left out: they do not change what an epoch computes. */
static uint64_t run_fingerprint(const tctx *t) {
  const sr_train_opts *o = t->o;
  uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv(h, "skillrouter-train-state-1", 25);
  h = fnv(h, &t->n_docs, sizeof t->n_docs);
  h = fnv(h, sr_index_analyzer(t->ix), sizeof(sr_analyzer_opts));
  for (uint32_t d = 0; d < t->n_docs; d++) {
    sr_entry_view e;
    sr_index_entry(t->ix, d, &e);
    h = fnv(h, e.id, strlen(e.id) + 1);
    h = fnv(h, &e.content_hash, sizeof e.content_hash);
  }
  for (size_t i = 0; i < t->pairs.n; i++) {
    const sr_pair *p = &t->pairs.v[i];
    uint32_t v[4] = {p->doc, p->kind, p->split, p->group};
    h = fnv(h, v, sizeof v);
    h = fnv(h, p->query, strlen(p->query) + 1);
  }
  uint64_t u[8] = {o->seed, t->enc->n_buckets, t->enc->dim, o->cooc_init, o->batch, o->filter,
                   (uint64_t)o->neg_dense << 48 | (uint64_t)o->neg_bm25 << 32 | (uint64_t)o->neg_cat << 16 |
                       (uint64_t)o->neg_rand,
                   0};
  h = fnv(h, u, sizeof u);
  float f[5] = {start_std(o), o->lr, o->tau, o->fn_jaccard, o->fn_cosine};
  h = fnv(h, f, sizeof f);
  return h;
}

static char *make_meta(const sr_train_opts *o, const sr_train_report *r, const sr_index *ix) {
  sr_buf b = SR_BUF_INIT;
  sr_buf_printf(&b,
                "{\"name\":\"skillrouter-default\",\"format\":1,"
                "\"encoder\":{\"init\":\"%s\",\"init_std\":%g,\"buckets\":%u,\"dim\":%u,\"epochs\":%d,\"resumed_epochs\":%d,\"batch\":%zu,\"lr\":%g,\"tau\":%g},"
                "\"negatives\":{\"dense\":%d,\"bm25\":%d,\"category\":%d,\"random\":%d,\"filter\":%s,"
                "\"fn_jaccard\":%g,\"fn_cosine\":%g,\"filtered_same_name\":%zu,\"filtered_jaccard\":%zu,"
                "\"filtered_cosine\":%zu,\"kept\":%zu},"
                "\"reranker\":{\"loss\":\"%s\",\"copies\":\"%s\",\"copies_dropped\":%zu,\"labelled_lists\":%zu,\"labelled_share\":%g,\"labelled_weight\":%u,\"list\":%zu,\"features\":%u,\"hidden\":%u,\"members\":%u,\"epochs\":%d,\"lr\":%g,\"tau\":%g},"
                "\"data\":{\"catalog_entries\":%u,\"pairs_encoder\":%zu,\"pairs_reranker\":%zu,\"pairs_heldout\":%zu,"
                "\"when\":%zu,\"span\":%zu,\"desc\":%zu,\"label\":%zu,\"llm\":%zu,\"seed\":%llu},"
                "\"heldout\":{\"lexical_hit1\":%.4f,\"lexical_mrr10\":%.4f,\"dense_hit1\":%.4f,\"dense_mrr10\":%.4f,"
                "\"dense_r50\":%.4f,\"reranked_hit1\":%.4f,\"reranked_mrr10\":%.4f,\"shortlist_recall\":%.4f},"
                "\"train_seconds\":%.1f}",
                o->encoder_from ? "from another model" : o->cooc_init ? "cooccurrence" : "random",
                start_std(o), o->buckets, o->dim, o->epochs, r->resumed_epochs, o->batch, o->lr, o->tau, o->neg_dense, o->neg_bm25, o->neg_cat,
                o->neg_rand, o->filter ? "true" : "false", o->fn_jaccard, o->fn_cosine, r->fn_same_name,
                r->fn_jaccard, r->fn_cosine, r->negatives, o->rr_loss == SR_RR_LISTWISE ? "listwise" : "pointwise",
                o->rr_drop_copies ? "drop" : "keep", r->rr_copies_name + r->rr_copies_text, r->rr_labelled_lists,
                sr_pairs_labelled_share(&o->pairs),
                o->rr_labelled_weight > 1 ? o->rr_labelled_weight : 1u, o->rr_list, o->rr_features, o->rr_hidden, o->rr_members, o->rr_epochs, o->rr_lr, o->rr_tau, sr_index_count(ix), r->pairs_train, r->pairs_reranker,
                r->pairs_heldout, r->by_kind[SR_PQ_WHEN], r->by_kind[SR_PQ_SPAN], r->by_kind[SR_PQ_DESC],
                r->by_kind[SR_PQ_LABEL], r->by_kind[SR_PQ_LLM], (unsigned long long)o->seed, r->heldout_lex_hit1, r->heldout_lex_mrr,
                r->heldout_dense_hit1, r->heldout_dense_mrr, r->heldout_dense_r50, r->heldout_rr_hit1,
                r->heldout_rr_mrr, r->heldout_shortlist_recall, r->seconds);
  return sr_buf_take(&b);
}

sr_status sr_train(const sr_index *ix, const sr_train_opts *o, sr_default_model *model, sr_train_report *rep,
                   sr_error *err) {
  double t0 = sr_clock_s();
  memset(model, 0, sizeof *model);
  memset(rep, 0, sizeof *rep);
  if (o->epochs < 0 || o->rr_list < 1 || o->rr_list > SR_TRAIN_LIST || o->neg_dense < 0 || o->neg_bm25 < 0 ||
      o->neg_cat < 0 || o->neg_rand < 0)
    return sr_fail(err, SR_ERR_ARG, "train: bad options (epochs ≥ 0, list 1..%d, negative counts ≥ 0)", SR_TRAIN_LIST);
  if (o->resume_from && o->encoder_from)
    return sr_fail(err, SR_ERR_ARG, "train: --resume continues a whole run, --encoder-from trains only a reranker: "
                                    "give one of them");
  if (o->rr_hidden < 1 || o->rr_members < 1 || (uint64_t)o->rr_members * o->rr_hidden > SR_LTR_MAX_HIDDEN)
    return sr_fail(err, SR_ERR_ARG, "train: reranker members × hidden units must be 1..%d (got %u × %u)",
                   SR_LTR_MAX_HIDDEN, o->rr_members, o->rr_hidden);
  tctx t;
  memset(&t, 0, sizeof t);
  sr_train_state resume;     /* the checkpoint's state, when resuming */
  memset(&resume, 0, sizeof resume);
  t.ix = ix;
  t.o = o;
  t.rep = rep;
  t.n_docs = sr_index_count(ix);
  t.threads = sr_parallel_threads(o->threads);
  t.nneg = o->neg_dense + o->neg_bm25 + o->neg_cat + o->neg_rand;
  if (t.n_docs < 2) return sr_fail(err, SR_ERR_ARG, "train: the index needs at least 2 entries");
  sr_forward *fwd = NULL;
  sr_status st = sr_forward_build(ix, &fwd, err);
  if (st != SR_OK) return st;
  t.fwd = fwd;
  if (o->encoder_from) {
    sr_default_model src;
    if ((st = sr_default_model_load(o->encoder_from, &src, err)) != SR_OK) goto done;
    model->enc = src.enc;  /* the loaded table is owned: it moves into the new model */
    memset(&src.enc, 0, sizeof src.enc);
    sr_default_model_free(&src);
  } else if ((st = sr_senc_init(&model->enc, o->buckets, o->dim, o->seed, start_std(o), err)) != SR_OK) {
    goto done;
  }
  t.enc = &model->enc;
  t.dim = model->enc.dim;
  sr_train_opts mo = *o;  /* what META records: the encoder actually used */
  mo.buckets = model->enc.n_buckets;
  mo.dim = model->enc.dim;
  if (o->encoder_from) mo.epochs = 0;
  t.bucket = sr_senc_term_buckets(&model->enc, ix);
  if (!t.bucket) {
    st = sr_fail(err, SR_ERR_NOMEM, "train: out of memory");
    goto done;
  }
  if (!o->encoder_from) sr_senc_set_idf(&model->enc, ix, t.bucket);
  sr_pairs_opts po = o->pairs;
  po.seed = o->seed;
  if ((st = sr_pairs_build(ix, &model->enc, &po, &t.pairs, err)) != SR_OK) goto done;
  for (size_t i = 0; i < t.pairs.n; i++) {
    if (t.pairs.v[i].split == SR_SPLIT_HELDOUT) rep->pairs_heldout++;
    else if (t.pairs.v[i].split == SR_SPLIT_RERANKER) rep->pairs_reranker++;
    else rep->pairs_train++;
  }
  memcpy(rep->by_kind, t.pairs.by_kind, sizeof rep->by_kind);
  sr_train_log(&t, "pairs: %zu encoder + %zu reranker + %zu held out (when %zu, span %zu, desc %zu, labelled %zu, llm %zu; %zu excluded entries, %zu labelled lines of excluded entries skipped)",
               rep->pairs_train, rep->pairs_reranker, rep->pairs_heldout, rep->by_kind[SR_PQ_WHEN], rep->by_kind[SR_PQ_SPAN],
               rep->by_kind[SR_PQ_DESC], rep->by_kind[SR_PQ_LABEL], rep->by_kind[SR_PQ_LLM], t.pairs.excluded,
               t.pairs.labelled_excluded);
  if (!rep->pairs_train) {
    st = sr_fail(err, SR_ERR_ARG, "train: no training pairs could be made from this catalog");
    goto done;
  }
  if (o->cooc_init && !o->encoder_from && !o->resume_from) {
    /* the excluded entries (benchmark ground truth) add nothing to the starting table either */
    uint8_t *skip = sr_pairs_excluded(ix, o->pairs.exclude_ids, o->pairs.n_exclude, NULL);
    if (!skip) {
      st = sr_fail(err, SR_ERR_NOMEM, "train: out of memory");
      goto done;
    }
    double ti = sr_clock_s();
    size_t reached = 0;
    st = sr_train_encoder_cooc_init(&t, skip, start_std(o), &reached, err);
    free(skip);
    if (st != SR_OK) goto done;
    sr_train_log(&t, "encoder table from catalog co-occurrence: %zu of %u rows, %.1f s", reached, o->buckets,
                 sr_clock_s() - ti);
  }
  size_t np = t.pairs.n;
  t.docvec = malloc((size_t)t.n_docs * t.dim * sizeof *t.docvec);
  t.posvec = malloc(np * t.dim * sizeof *t.posvec);
  t.qvec = malloc(np * t.dim * sizeof *t.qvec);
  t.lex = malloc(np * SR_TRAIN_LIST * sizeof *t.lex);
  t.n_lex = calloc(np, sizeof *t.n_lex);
  t.dense = malloc(np * SR_TRAIN_LIST * sizeof *t.dense);
  t.neg = malloc(np * (size_t)(t.nneg ? t.nneg : 1) * sizeof *t.neg);
  if (!t.docvec || !t.posvec || !t.qvec || !t.lex || !t.n_lex || !t.dense || !t.neg) {
    st = sr_fail(err, SR_ERR_NOMEM, "train: out of memory");
    goto done;
  }
  if ((st = sr_train_categories(&t, err)) != SR_OK) goto done;
  double tl = sr_clock_s();
  if ((st = sr_train_lexical_lists(&t, err)) != SR_OK) goto done;
  eval_lists(&t, t.lex, t.n_lex, &rep->heldout_lex_hit1, &rep->heldout_lex_mrr, NULL);
  sr_train_log(&t, "lexical lists: %.1f s; held-out BM25F Hit@1 %.3f MRR@10 %.3f", sr_clock_s() - tl,
               rep->heldout_lex_hit1, rep->heldout_lex_mrr);
  int epochs = o->encoder_from ? 0 : o->epochs;
  t.epochs = epochs;
  uint64_t fingerprint = o->checkpoint_path || o->resume_from ? run_fingerprint(&t) : 0;
  int first_epoch = 0;
  if (o->resume_from) {
    if ((st = sr_train_state_read(o->resume_from, &resume, err)) != SR_OK) goto done;
    if (resume.n_buckets != model->enc.n_buckets || resume.dim != model->enc.dim) {
      st = sr_fail(err, SR_ERR_ARG, "%s: its encoder has %u rows × %u dims, this run's %u × %u (--buckets, --dim)",
                   o->resume_from, resume.n_buckets, resume.dim, model->enc.n_buckets, model->enc.dim);
      goto done;
    }
    if (resume.fingerprint != fingerprint) {
      st = sr_fail(err, SR_ERR_ARG,
                   "%s: a checkpoint of another run: the index, the training data (--queries, --pairs, exclusions, "
                   "--seed, shares) or the encoder options differ from this run's; resume with the index and "
                   "options it was started with", o->resume_from);
      goto done;
    }
    if (resume.epochs_done > (uint32_t)epochs) {
      st = sr_fail(err, SR_ERR_ARG, "%s: holds %u encoder epochs, more than --epochs %d", o->resume_from,
                   resume.epochs_done, epochs);
      goto done;
    }
    memcpy(model->enc.emb, resume.emb, (size_t)resume.n_buckets * resume.dim * sizeof *resume.emb);
    t.adagrad = resume.adagrad;  /* moves into the context, which frees it */
    resume.adagrad = NULL;
    rep->fn_same_name = resume.fn_same_name;
    rep->fn_jaccard = resume.fn_jaccard;
    rep->fn_cosine = resume.fn_cosine;
    rep->negatives = resume.negatives_kept;
    first_epoch = (int)resume.epochs_done;
    rep->resumed_epochs = rep->checkpoint_epochs = first_epoch;
    sr_train_log(&t, "resumed from %s after encoder epoch %d of %d", o->resume_from, first_epoch, epochs);
  }
  for (int epoch = first_epoch; epoch <= epochs; epoch++) {
    double te = sr_clock_s();
    if (epoch == epochs) {
      /* the encoder as the model file will hold it (f16 rows and row weights): the reranker's lists and
       * cosine feature are then computed exactly as they will be when routing */
      size_t cells = (size_t)model->enc.n_buckets * model->enc.dim;
      for (size_t i = 0; i < cells; i++) model->enc.emb[i] = sr_half_to_f32(sr_f32_to_f16(model->enc.emb[i]));
      for (uint32_t b = 0; b < model->enc.n_buckets; b++)
        model->enc.idf[b] = sr_half_to_f32(sr_f32_to_f16(model->enc.idf[b]));
    }
    if ((st = sr_train_encode_all(&t, err)) != SR_OK || (st = sr_train_dense_lists(&t, err)) != SR_OK) goto done;
    eval_lists(&t, t.dense, NULL, &rep->heldout_dense_hit1, &rep->heldout_dense_mrr, &rep->heldout_dense_r50);
    t.pass_seconds = sr_clock_s() - te;
    sr_train_log(&t, "encoder after %d epoch(s): held-out dense Hit@1 %.3f MRR@10 %.3f R@50 %.3f (%.1f s)", epoch,
                 rep->heldout_dense_hit1, rep->heldout_dense_mrr, rep->heldout_dense_r50, t.pass_seconds);
    if (epoch == epochs) break;
    if (o->cancel && *o->cancel) {
      st = sr_fail(err, SR_ERR_INTERRUPTED, "training interrupted");
      goto done;
    }
    te = sr_clock_s();
    if ((st = sr_train_mine_negatives(&t, epoch > 0, o->seed + (uint64_t)epoch, err)) != SR_OK) goto done;
    t.mine_seconds = sr_clock_s() - te;
    double loss;
    te = sr_clock_s();
    if ((st = sr_train_encoder_epoch(&t, epoch, &loss, err)) != SR_OK) goto done;
    double epoch_s = sr_clock_s() - te;
    /* left: the encoding pass after this epoch, then each remaining epoch with its mining and pass */
    double left = t.pass_seconds + (epochs - epoch - 1) * (t.mine_seconds + epoch_s + t.pass_seconds);
    sr_train_log(&t, "encoder epoch %d/%d: loss %.4f, %.1f s; negatives %zu kept, filtered: same name %zu, "
                 "trigram Jaccard %zu, cosine %zu; encoder done in about %.0f s",
                 epoch + 1, epochs, loss, epoch_s, rep->negatives, rep->fn_same_name, rep->fn_jaccard,
                 rep->fn_cosine, left);
    if (o->checkpoint_path) {
      rep->seconds = sr_clock_s() - t0;
      model->meta = make_meta(&mo, rep, ix);
      sr_train_state cs = {.epochs_done = (uint32_t)epoch + 1, .n_buckets = model->enc.n_buckets,
                           .dim = model->enc.dim, .fingerprint = fingerprint, .fn_same_name = rep->fn_same_name,
                           .fn_jaccard = rep->fn_jaccard, .fn_cosine = rep->fn_cosine,
                           .negatives_kept = rep->negatives, .emb = model->enc.emb, .adagrad = t.adagrad};
      st = sr_default_model_save_checkpoint(model, &cs, o->checkpoint_path, err);
      free(model->meta);
      model->meta = NULL;
      if (st != SR_OK) goto done;
      rep->checkpoint_epochs = epoch + 1;
    }
  }
  if (o->train_reranker) {
    if ((st = sr_train_reranker(&t, &model->rr, err)) != SR_OK) goto done;
    model->has_rr = true;
  }
  rep->seconds = sr_clock_s() - t0;
  model->meta = make_meta(&mo, rep, ix);
done:
  sr_train_state_free(&resume);
  free_ctx(&t);
  sr_forward_free(fwd);
  if (st != SR_OK) sr_default_model_free(model);
  return st;
}
