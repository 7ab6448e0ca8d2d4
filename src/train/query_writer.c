/* query_writer.c — sampling, resume, the request loop and the output files of the LLM query writer.
 * See query_writer.h. */
#include "train/query_writer.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/pairs.h"
#include "train/qw_http.h"
#include "util/fileio.h"
#include "util/rng.h"

#define FIRST_CHECK 20   /* more than half of the first 20 requested skills failing stops the run */

sr_qw_opts sr_qw_defaults(void) {
  return (sr_qw_opts){.n_queries = 1000, .seed = 20261121, .parallel = 4, .timeout_ms = 120000,
                      .max_body_chars = 6000, .temperature = 0, .max_tokens = 1024, .min_words = 8,
                      .max_words = 200};
}

/* One progress or failure line to the options' log callback (nothing when there is none). */
static void logf_(const sr_qw_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const sr_qw_opts *o, const char *fmt, ...) {
  if (!o->log) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  o->log(o->log_ctx, line);
}

/* snprintf that may cut the message short (messages only). */
static void fmt_msg(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fmt_msg(char *out, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, cap, fmt, ap);
  va_end(ap);
}

/* excluded[d] = 1 for the options' excluded ids (malloc'd, n entries), NULL when out of memory. */
sr_status sr_qw_plan(const sr_index *ix, const sr_qw_opts *o, const uint8_t *done, uint32_t **docs, size_t *n,
                     size_t *sampled, sr_error *err) {
  *docs = NULL;
  *n = 0;
  uint32_t count = sr_index_count(ix);
  uint32_t *order = malloc((count ? count : 1) * sizeof *order);
  uint8_t *ex = sr_pairs_excluded(ix, o->exclude_ids, o->n_exclude, NULL);
  if (!order || !ex) {
    free(order);
    free(ex);
    return sr_fail(err, SR_ERR_NOMEM, "query writer: out of memory");
  }
  sr_rng r;   /* the same shuffle as the pseudo-queries */
  sr_rng_seed(&r, o->seed);
  sr_pairs_order(order, count, &r);
  size_t taken = 0, m = 0;
  for (uint32_t k = 0; k < count && taken < o->n_queries; k++) {
    uint32_t d = order[k];
    if (ex[d]) continue;
    taken++;
    if (!done || !done[d]) order[m++] = d;
  }
  free(ex);
  if (sampled) *sampled = taken;
  if (!m) {
    free(order);
    return SR_OK;
  }
  *docs = order;
  *n = m;
  return SR_OK;
}

sr_status sr_qw_load(const char *path, const sr_index *ix, const uint8_t *excluded, uint8_t *done, sr_buf *keep,
                     size_t *dropped, sr_error *err) {
  if (access(path, F_OK) != 0) return SR_OK;
  char *data;
  size_t len, line = 0;
  sr_status st = sr_read_file(path, (size_t)1 << 31, &data, &len, err);
  if (st != SR_OK) return st;
  for (char *p = data; *p && st == SR_OK;) {
    char *nl = strchr(p, '\n'), *s = p;
    if (nl) *nl = '\0';
    p = nl ? nl + 1 : p + strlen(p);
    line++;
    size_t sl = strlen(s);
    while (sl && (s[sl - 1] == '\r' || s[sl - 1] == ' ')) s[--sl] = '\0';
    if (!sl) continue;
    cJSON *j = cJSON_Parse(s);
    const cJSON *id = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "skill_id") : NULL;
    uint32_t d;
    if (!cJSON_IsString(id))
      st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: expected a JSON object with a string \"skill_id\" (a line of an "
                   "earlier run; delete the file to start over)", path, line);
    else if (!sr_index_find(ix, id->valuestring, &d) || (excluded && excluded[d]) || done[d])
      (*dropped)++;
    else if (!sr_buf_append(keep, s, sl) || !sr_buf_putc(keep, '\n'))
      st = sr_fail(err, SR_ERR_NOMEM, "query writer: out of memory");
    else
      done[d] = 1;
    cJSON_Delete(j);
  }
  free(data);
  return st;
}

/* ---- the run ---- */

typedef struct qw_run {
  const sr_index *ix;
  const sr_qw_opts *o;
  sr_qw_report *rep;
  char url[2048];
  const char *out_path;
  char *rej_path;
  sr_buf out, rej;           /* whole contents of the two files */
  bool dirty;
  size_t out_lines, since_commit;
} qw_run;

/* Writes both files atomically (the rejected file only once it has something); an I/O error leaves the
 * old files as they were. */
static sr_status commit(qw_run *w, sr_error *err) {
  const char *paths[2] = {w->out_path, w->rej_path};
  sr_buf *bufs[2] = {&w->out, &w->rej};
  for (int i = 0; i < 2; i++) {
    if (i == 1 && !bufs[i]->len && access(paths[i], F_OK) != 0) continue;  /* no empty rejected file */
    sr_status st = sr_write_file_atomic(paths[i], bufs[i]->data, bufs[i]->len, err);
    if (st != SR_OK) return st;
  }
  w->dirty = false;
  w->since_commit = 0;
  return SR_OK;
}

/* The request URL from the base: ".../v1/chat/completions" is kept, ".../v1" gets "/chat/completions". */
static bool make_url(const char *base, char *url, size_t cap) {
  size_t n = strlen(base);
  while (n && base[n - 1] == '/') n--;
  const char *tail = "/v1/chat/completions";
  if (n >= 20 && !strncmp(base + n - 20, "/v1/chat/completions", 20)) tail = "";
  else if (n >= 3 && !strncmp(base + n - 3, "/v1", 3)) tail = "/chat/completions";
  return (size_t)snprintf(url, cap, "%.*s%s", (int)n, base, tail) < cap;
}

/* Printable first 200 bytes of a response body, for messages. */
static void snippet(const sr_buf *b, char *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < b->len && i < 200 && n + 1 < cap; i++) {
    unsigned char c = (unsigned char)b->data[i];
    out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
  }
  out[n] = '\0';
}

/* Turns a finished request into content (malloc'd) or an error message in msg. */
static char *outcome(const sr_qw_req *r, char *msg, size_t cap) {
  char snip[256];
  snippet(&r->resp, snip, sizeof snip);
  if (r->status == 0) {
    fmt_msg(msg, cap, "%s", r->error[0] ? r->error : r->timed_out ? "timed out" : "no response");
    return NULL;
  }
  if (r->status != 200) {
    fmt_msg(msg, cap, "HTTP %ld: %s", r->status, snip);
    return NULL;
  }
  char *content;
  sr_error e = {0};
  if (sr_qw_parse_response(r->resp.data ? r->resp.data : "", r->resp.len, &content, &e) != SR_OK) {
    fmt_msg(msg, cap, "%s: %s", e.msg, snip);
    return NULL;
  }
  return content;
}

/* Appends the accepted query or the rejection of skill d. */
static bool record(qw_run *w, uint32_t d, const char *content) {
  sr_entry_view e;
  sr_index_entry(w->ix, d, &e);
  char *q = sr_qw_clean(content);
  if (!q) return false;
  sr_qw_verdict v = sr_qw_validate(q, e.name, w->o);
  const char *model = w->o->model ? w->o->model : "default";
  sr_buf *b = v == SR_QW_ACCEPT ? &w->out : &w->rej;
  bool ok;
  if (v == SR_QW_ACCEPT) {
    ok = sr_buf_puts(b, "{\"query\": ") && sr_buf_json_string(b, q, strlen(q)) && sr_buf_puts(b, ", \"skill_id\": ") &&
         sr_buf_json_string(b, e.id, strlen(e.id)) && sr_buf_puts(b, ", \"source\": \"llm\", \"model\": ") &&
         sr_buf_json_string(b, model, strlen(model)) && sr_buf_puts(b, "}\n");
    w->rep->written++;
    w->out_lines++;
  } else {
    /* invalid UTF-8 is not stored: the JSON line would not be valid either */
    const char *text = v == SR_QW_NOT_UTF8 ? "" : q;
    ok = sr_buf_puts(b, "{\"skill_id\": ") && sr_buf_json_string(b, e.id, strlen(e.id)) &&
         sr_buf_printf(b, ", \"reason\": \"%s\", \"model\": ", sr_qw_verdict_name(v)) &&
         sr_buf_json_string(b, model, strlen(model)) && sr_buf_puts(b, ", \"text\": ") &&
         sr_buf_json_string(b, text, strlen(text)) && sr_buf_puts(b, "}\n");
    w->rep->rejected[v]++;
  }
  free(q);
  w->dirty = true;
  w->since_commit++;
  return ok;
}

/* Requests reqs[k] for the skills docs[idx[k]] (k < n) and fills content[idx[k]], or logs the failure.
 * final: the second attempt (a failure then counts); otherwise failed ones go to retry[*n_retry]. */
static sr_status attempt(qw_run *w, const uint32_t *docs, const size_t *idx, size_t n, char **bodies, char **content,
                         bool final, size_t *retry, size_t *n_retry, size_t base, size_t *failed_first,
                         char *last_error, size_t cap, sr_error *err) {
  sr_qw_req reqs[64];
  memset(reqs, 0, sizeof reqs);
  for (size_t k = 0; k < n; k++) reqs[k].body = bodies[idx[k]];
  sr_status st = sr_qw_post_all(w->url, w->o->api_key, w->o->timeout_ms, reqs, n, w->o->cancel, err);
  for (size_t k = 0; k < n && st == SR_OK; k++) {
    size_t i = idx[k];
    char msg[512];
    if ((content[i] = outcome(&reqs[k], msg, sizeof msg))) continue;
    sr_entry_view e;
    sr_index_entry(w->ix, docs[i], &e);
    logf_(w->o, "query writer: POST %s (skill %s) failed%s: %s; %s", w->url, e.id, final ? " again" : "", msg,
          final ? "skipped" : "retrying");
    if (!final) {
      retry[(*n_retry)++] = i;
      continue;
    }
    fmt_msg(last_error, cap, "skill %s: %s", e.id, msg);
    w->rep->failed++;
    if (base + i < FIRST_CHECK) (*failed_first)++;
  }
  for (size_t k = 0; k < n; k++) sr_qw_req_reset(&reqs[k]);
  return st;
}

/* One batch of n skills (plan positions base..): request, retry the failures once, record in order.
 * *failed_first counts failures among plan positions < FIRST_CHECK. */
static sr_status run_batch(qw_run *w, const uint32_t *docs, size_t base, size_t n, size_t *failed_first,
                           char *last_error, size_t cap, sr_error *err) {
  char *bodies[64] = {0}, *content[64] = {0};
  size_t all[64], retry[64], n_retry = 0;
  sr_status st = SR_OK;
  for (size_t i = 0; i < n && st == SR_OK; i++) {
    sr_entry_view e;
    sr_index_entry(w->ix, docs[i], &e);
    all[i] = i;
    if (!(bodies[i] = sr_qw_request_json(&e, w->o))) st = sr_fail(err, SR_ERR_NOMEM, "query writer: out of memory");
  }
  if (st == SR_OK)
    st = attempt(w, docs, all, n, bodies, content, false, retry, &n_retry, base, failed_first, last_error, cap, err);
  if (st == SR_OK && n_retry) {
    w->rep->retries += n_retry;
    size_t again[64];
    memcpy(again, retry, n_retry * sizeof *again);
    st = attempt(w, docs, again, n_retry, bodies, content, true, retry, &n_retry, base, failed_first, last_error,
                 cap, err);
  }
  for (size_t i = 0; i < n && st == SR_OK; i++)
    if (content[i] && !record(w, docs[i], content[i])) st = sr_fail(err, SR_ERR_NOMEM, "query writer: out of memory");
  for (size_t i = 0; i < n; i++) {
    free(bodies[i]);
    free(content[i]);
  }
  return st;
}

/* "<out>.rejected.jsonl", or "<stem>.rejected.jsonl" when out ends in ".jsonl". */
static char *rejected_path(const char *out) {
  size_t n = strlen(out);
  if (sr_has_suffix(out, ".jsonl")) n -= 6;
  char *p = malloc(n + 32);
  if (p) snprintf(p, n + 32, "%.*s.rejected.jsonl", (int)n, out);
  return p;
}

/* SR_ERR_ARG with a message when an option is out of range. */
static sr_status check_opts(const sr_qw_opts *o, const char *out_path, sr_error *err) {
  const char *e = o->endpoint;
  if (!e || (strncasecmp(e, "http://", 7) && strncasecmp(e, "https://", 8)))
    return sr_fail(err, SR_ERR_ARG, "query writer: the endpoint must be an http:// or https:// URL, got \"%s\"",
                   e ? e : "(none)");
  if (!out_path || !*out_path) return sr_fail(err, SR_ERR_ARG, "query writer: no output file");
  if (o->parallel < 1 || o->parallel > 64 || o->timeout_ms < 1 || o->min_words > o->max_words || o->max_tokens < 1)
    return sr_fail(err, SR_ERR_ARG, "query writer: bad options (parallel 1..64, timeout > 0, min words <= max words, "
                   "max tokens > 0)");
  return SR_OK;
}

sr_status sr_qw_run(const sr_index *ix, const sr_qw_opts *o, const char *out_path, sr_qw_report *rep_out, sr_error *err) {
  sr_qw_report rep_local;
  sr_qw_report *rep = rep_out ? rep_out : &rep_local;
  memset(rep, 0, sizeof *rep);
  sr_status st = check_opts(o, out_path, err);
  if (st != SR_OK) return st;
  qw_run w = {.ix = ix, .o = o, .rep = rep, .out_path = out_path, .out = SR_BUF_INIT, .rej = SR_BUF_INIT};
  if (!make_url(o->endpoint, w.url, sizeof w.url)) return sr_fail(err, SR_ERR_ARG, "query writer: endpoint URL too long");
  uint32_t n_docs = sr_index_count(ix), *docs = NULL;
  uint8_t *ex = sr_pairs_excluded(ix, o->exclude_ids, o->n_exclude, NULL), *done = calloc(n_docs ? n_docs : 1, 1);
  w.rej_path = rejected_path(out_path);
  bool curl_up = false;
  size_t n = 0, sampled = 0;
  if (!ex || !done || !w.rej_path) {
    st = sr_fail(err, SR_ERR_NOMEM, "query writer: out of memory");
    goto done;
  }
  if ((st = sr_qw_load(out_path, ix, ex, done, &w.out, &rep->dropped_lines, err)) != SR_OK ||
      (st = sr_qw_load(w.rej_path, ix, ex, done, &w.rej, &rep->dropped_lines, err)) != SR_OK ||
      (st = sr_qw_plan(ix, o, done, &docs, &n, &sampled, err)) != SR_OK)
    goto done;
  w.dirty = rep->dropped_lines > 0;
  for (size_t i = 0; i < w.out.len; i++) w.out_lines += w.out.data[i] == '\n';
  rep->sampled = sampled;
  rep->already_done = sampled - n;
  logf_(o, "query writer: %zu skills sampled, %zu already done in %s, %zu to request from %s%s", sampled,
        rep->already_done, out_path, n, w.url, rep->dropped_lines ? " (old lines of unknown or excluded skills dropped)" : "");
  if (n) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      st = sr_fail(err, SR_ERR_INTERNAL, "query writer: libcurl cannot start");
      goto done;
    }
    curl_up = true;
  }
  size_t failed_first = 0, step = n / 10 ? n / 10 : 1, next_log = step;
  bool checked = false;
  char last_error[640] = "";
  for (size_t b = 0; b < n && st == SR_OK; b += (size_t)o->parallel) {
    size_t m = n - b < (size_t)o->parallel ? n - b : (size_t)o->parallel;
    st = run_batch(&w, docs + b, b, m, &failed_first, last_error, sizeof last_error, err);
    rep->requested += m;
    size_t lim = n < FIRST_CHECK ? n : FIRST_CHECK;
    if (st == SR_OK && !checked && b + m >= lim) {
      checked = true;
      if (failed_first * 2 > lim)
        st = sr_fail(err, SR_ERR_IO, "query writer: %zu of the first %zu requests to %s failed; is the endpoint "
                     "right? (last: %s)", failed_first, lim, w.url, last_error);
    }
    if (st == SR_OK && o->cancel && *o->cancel) st = sr_fail(err, SR_ERR_INTERRUPTED, "query writer: interrupted");
    if (b + m >= next_log || b + m == n) {
      logf_(o, "query writer: %zu/%zu requested, %zu accepted, %zu rejected, %zu failed", b + m, n, rep->written,
            rep->requested - rep->written - rep->failed, rep->failed);
      next_log = b + m + step;
    }
    if (st == SR_OK && w.since_commit >= 64 && w.since_commit >= w.out_lines / 4) st = commit(&w, err);
  }
  if (w.dirty || (st == SR_OK && access(out_path, F_OK) != 0)) {
    sr_error cerr = {0};
    sr_status cst = commit(&w, st == SR_OK ? err : &cerr);
    if (st == SR_OK) st = cst;
  }
  rep->total_lines = w.out_lines;
  if (st == SR_OK || st == SR_ERR_IO || st == SR_ERR_INTERRUPTED)
    logf_(o, "query writer: %zu new queries (%zu in %s); rejected: %zu empty, %zu too short, %zu too long, %zu naming "
          "the skill, %zu not UTF-8; %zu failed requests (%zu retries)", rep->written, rep->total_lines, out_path,
          rep->rejected[SR_QW_EMPTY], rep->rejected[SR_QW_SHORT], rep->rejected[SR_QW_LONG],
          rep->rejected[SR_QW_NAMES_SKILL], rep->rejected[SR_QW_NOT_UTF8], rep->failed, rep->retries);
done:
  if (curl_up) curl_global_cleanup();
  sr_buf_free(&w.out);
  sr_buf_free(&w.rej);
  free(w.rej_path);
  free(docs);
  free(ex);
  free(done);
  return st;
}
