/* route_pipeline.h — the retrieve(-fuse)(-rerank) path of `skillrouter route` (route_pipeline.c). */
#ifndef SR_CLI_ROUTE_PIPELINE_H
#define SR_CLI_ROUTE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "index/index.h"
#include "index/vectors.h"
#include "route/fusion.h"
#include "route/router.h"

typedef enum { RP_AUTO = 0, RP_DENSE, RP_LEXICAL, RP_HYBRID } rp_mode;

typedef struct route_pipe_opts {
  rp_mode mode;                 /* AUTO: hybrid when a query vector is available, else lexical */
  const char *embed_model, *query_vector, *rerank_model, *tokenizer;
  sr_fusion fusion;
  double dense_weight;          /* weighted fusion: weight of the dense list (0.5) */
  size_t k, rerank_k;
  int threads;
  bool json;
  const sr_bm25f_params *bm25f;
} route_pipe_opts;

/* Prints the results; returns the exit code. */
int route_pipeline(const sr_index *ix, sr_searcher *s, const char *query, size_t qlen, const route_pipe_opts *po);

#endif
