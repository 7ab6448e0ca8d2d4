/* route_pipeline.h — the retrieve(-fuse)(-rerank) pipeline of `skillrouter route` and `skillrouter eval`
 * (route_pipeline.c): retrieval = dense (query embedded with --embed-model, or a given query vector),
 * lexical (BM25F) or hybrid (RRF k=60, or weighted min-max score fusion); then optionally the top
 * rerank_k of the retrieval list reranked with the SkillRouter reranker.
 *
 * Both commands run the same code: rp_open loads the models once, rp_run answers one query and keeps
 * every stage (dense list, lexical list, retrieval list, reranked list) so that eval can score each.
 * The retrieval depth does not depend on whether a reranker is given, so the retrieval stage of a
 * reranking run equals a run without the reranker.
 *
 * Ownership: an rp_pipeline owns its models, buffers and the arrays an rp_stages points to (valid until
 * the next rp_run or rp_free); it borrows the index and the options (keep them alive while it lives).
 * One pipeline serves one thread at a time. */
#ifndef SR_CLI_ROUTE_PIPELINE_H
#define SR_CLI_ROUTE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "index/index.h"
#include "index/vectors.h"
#include "route/fusion.h"
#include "route/router.h"
#include "util/status.h"

typedef enum { RP_AUTO = 0, RP_DENSE, RP_LEXICAL, RP_HYBRID } rp_mode;

typedef struct route_pipe_opts {
  rp_mode mode;                 /* AUTO: hybrid when a query vector is available, else lexical */
  const char *embed_model, *query_vector, *rerank_model, *tokenizer;
  bool query_vectors_given;     /* eval: query vectors come with each rp_run (no embed model needed) */
  sr_fusion fusion;
  double dense_weight;          /* weighted fusion: weight of the dense list (0.5) */
  size_t k, rerank_k;
  int threads;
  bool json;
  const sr_bm25f_params *bm25f;
} route_pipe_opts;

typedef struct rp_pipeline rp_pipeline;

/* One query's stages (arrays owned by the pipeline). ids are entry numbers of the index. */
typedef struct rp_stages {
  const sr_result *dense, *lexical;  /* the lists fused (each `pool` deep; n = 0 when not used) */
  size_t n_dense, n_lexical;
  const sr_result *retrieval;        /* retrieval list (dense, lexical or fused), best first */
  size_t n_retrieval;                /* min(depth, what was found); depth = max(k, rerank_k) */
  const sr_result *final;            /* reranked: the first n_reranked of `retrieval` reordered by the
                                        reranker (stable), then the rest of `retrieval`; without a
                                        reranker the same as `retrieval` */
  const float *rerank_score;         /* [n_reranked]: reranker score of final[i] */
  size_t n_final, n_reranked;
  double embed_ms, dense_ms, lexical_ms, rerank_ms;
} rp_stages;

/* Checks the options against the index (SR_ERR_ARG: a usage error, e.g. dense mode without a query
 * vector source; SR_ERR_NOT_FOUND: the index holds no vectors) and loads the models. */
sr_status rp_open(const sr_index *ix, const route_pipe_opts *po, rp_pipeline **out, sr_error *err);
/* Runs one query through the pipeline. qvec: the query vector (index dimension) when the caller has
 * one (po->query_vector or query_vectors_given); NULL embeds the query with the embedding model when
 * the pipeline is dense or hybrid. */
sr_status rp_run(rp_pipeline *p, sr_searcher *s, const char *query, size_t qlen, const float *qvec, rp_stages *out,
                 sr_error *err);
/* "dense", "lexical", "hybrid-rrf" or "hybrid-weighted". */
const char *rp_mode_name(const rp_pipeline *p);
/* Dimension of the index's vectors (0 without vectors). */
size_t rp_dim(const rp_pipeline *p);
void rp_free(rp_pipeline *p);

/* `skillrouter route` with these options: prints the results; returns the exit code. */
int route_pipeline(const sr_index *ix, sr_searcher *s, const char *query, size_t qlen, const route_pipe_opts *po);

#endif
