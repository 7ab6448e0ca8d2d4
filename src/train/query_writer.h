/* query_writer.h — the optional LLM query writer of the training pipeline: asks an OpenAI-compatible
 * chat endpoint given by the user (e.g. a local llama-server) to write one task-style request per
 * sampled skill, and stores the accepted ones as labelled pairs for `skillrouter train`.
 *
 * Contract:
 *   - Sampling: the index's entries are shuffled with the seed (the same Fisher–Yates as the
 *     pseudo-queries), excluded ids are skipped, and the first n_queries remaining entries are the
 *     sample. At most one query per skill.
 *   - Each sampled skill (name, description, body cut to max_body_chars) goes to
 *     POST {endpoint}/v1/chat/completions with our system + user prompt, temperature and seed set.
 *     choices[0].message.content is cleaned (reasoning blocks, markdown fences, surrounding quotes and
 *     "Query:"-style prefixes removed, whitespace collapsed) and validated (min..max words; it must not
 *     contain the skill's normalised name as a phrase).
 *   - Output: accepted queries are lines {"query", "skill_id", "source": "llm", "model"} of out_path;
 *     rejected answers are lines {"skill_id", "reason", "text"} of "<out_path>.rejected.jsonl". Both are
 *     rewritten atomically (temp file + rename, util/fileio.h) at checkpoints and at the end, so an
 *     interrupted run leaves whole files.
 *   - Resume: skills already in either file are not requested again, so a finished run costs nothing
 *     and an interrupted one continues. Lines of skills that are no longer in the index, or that are
 *     now excluded, are dropped (counted in the report). Requests that failed are asked again next run.
 *   - Failures: a request that fails (connection, timeout, HTTP status other than 200, a body that is
 *     not JSON or not the chat-completions shape) is retried once, then counted as failed and its skill
 *     skipped; each failure is logged with the URL and skill id. When more than half of the first 20
 *     skills requested in this run (all of them when fewer) fail, the run stops with SR_ERR_IO naming
 *     the URL and the last error (the endpoint is probably wrong); what was accepted is still written.
 *   - Network: only the endpoint is contacted (libcurl's proxy variables http_proxy / no_proxy apply);
 *     http and https only, no redirects followed.
 *
 * libcurl: sr_qw_run calls curl_global_init / curl_global_cleanup once per call (libcurl counts
 * them). A program that uses libcurl from other threads at the same time should call
 * curl_global_init itself first. The library keeps no global state of its own.
 *
 * Ownership: options and the index are borrowed for the call. Strings returned by the helpers below
 * are malloc'd and owned by the caller (free()). Library code never prints; progress and per-request
 * failures go to the optional log callback.
 */
#ifndef SR_TRAIN_QUERY_WRITER_H
#define SR_TRAIN_QUERY_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "util/buf.h"
#include "util/status.h"

typedef struct sr_qw_opts {
  const char *endpoint;      /* base URL, e.g. "http://127.0.0.1:8080"; "/v1/chat/completions" is added */
  const char *model;         /* the request's "model" (and the lines' "model"); NULL = "default" */
  const char *api_key;       /* sent as "Authorization: Bearer KEY", or NULL */
  size_t n_queries;          /* skills to sample (default 1000) */
  uint64_t seed;             /* sampling, and the request's "seed" (low 31 bits) */
  int parallel;              /* requests in flight at once, 1..64 (default 4) */
  long timeout_ms;           /* per request, connection included (default 120000) */
  size_t max_body_chars;     /* bytes of the skill body sent, cut on a UTF-8 boundary (default 6000) */
  double temperature;        /* default 0 */
  int max_tokens;            /* the request's "max_tokens" (default 1024: room for reasoning models) */
  size_t min_words, max_words;   /* accepted query length (default 8..200 words) */
  const char *const *exclude_ids;  /* never sampled (benchmark ground truth and copies) */
  size_t n_exclude;
  void (*log)(void *ctx, const char *line);  /* progress and failures, or NULL */
  void *log_ctx;
  volatile int *cancel;      /* when it becomes non-zero: write what we have, return SR_ERR_INTERRUPTED */
} sr_qw_opts;

sr_qw_opts sr_qw_defaults(void);

/* Why an answer was not kept. */
typedef enum sr_qw_verdict {
  SR_QW_ACCEPT = 0,
  SR_QW_EMPTY,               /* nothing left after cleaning */
  SR_QW_SHORT,               /* fewer than min_words */
  SR_QW_LONG,                /* more than max_words */
  SR_QW_NAMES_SKILL,         /* contains the skill's normalised name */
  SR_QW_NOT_UTF8,            /* not valid UTF-8 */
  SR_QW_NVERDICTS
} sr_qw_verdict;

const char *sr_qw_verdict_name(sr_qw_verdict v);   /* "accepted", "empty", "too_short", ... */

typedef struct sr_qw_report {
  size_t sampled;            /* skills in the sample */
  size_t already_done;       /* of those, found in the output files (not requested) */
  size_t requested;          /* skills sent to the endpoint this run */
  size_t written;            /* new accepted queries this run */
  size_t failed;             /* skills whose request failed twice */
  size_t retries;            /* second attempts made */
  size_t rejected[SR_QW_NVERDICTS];  /* new rejections by reason (index 0 unused) */
  size_t dropped_lines;      /* old lines dropped: skill not in the index, or excluded */
  size_t total_lines;        /* accepted lines in out_path after the run */
} sr_qw_report;

/* Runs the writer (see the contract above). rep may be NULL. On SR_ERR_IO (endpoint failing) and
 * SR_ERR_INTERRUPTED the files still hold every query accepted before the stop. */
sr_status sr_qw_run(const sr_index *ix, const sr_qw_opts *o, const char *out_path, sr_qw_report *rep, sr_error *err);

/* ---- parts, exposed for tests ---- */

/* The sample in request order, without skills already done: malloc'd entry numbers into *docs (NULL
 * when none), their count into *n. done[d] != 0 marks entries already in the output (may be NULL).
 * *sampled (optional) gets the sample's size, done ones included. */
sr_status sr_qw_plan(const sr_index *ix, const sr_qw_opts *o, const uint8_t *done, uint32_t **docs, size_t *n,
                     size_t *sampled, sr_error *err);

/* Reads an existing output file (or rejected file) of the writer: keeps its lines whose skill is in
 * the index and not excluded, appending them (newline-terminated) to *keep, and sets done[d] = 1 for
 * them; others add to *dropped. A missing file is not an error. Fails (path:line) on a line that is
 * not a JSON object with a string "skill_id". excluded[d] != 0 marks excluded entries (may be NULL). */
sr_status sr_qw_load(const char *path, const sr_index *ix, const uint8_t *excluded, uint8_t *done, sr_buf *keep,
                     size_t *dropped, sr_error *err);

/* The request body (JSON) for one skill. NULL when memory runs out. */
char *sr_qw_request_json(const sr_entry_view *e, const sr_qw_opts *o);

/* Extracts choices[0].message.content from a chat-completions response into *content (malloc'd).
 * SR_ERR_FORMAT with a message saying what is wrong (not JSON / no choices / content not a string). */
sr_status sr_qw_parse_response(const char *body, size_t len, char **content, sr_error *err);

/* The cleaned query (malloc'd; "" when nothing is left; NULL only when memory runs out). */
char *sr_qw_clean(const char *content);

/* The verdict on a cleaned query for a skill named `name`. */
sr_qw_verdict sr_qw_validate(const char *query, const char *name, const sr_qw_opts *o);

#endif
