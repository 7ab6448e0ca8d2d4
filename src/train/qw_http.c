/* qw_http.c — concurrent JSON POSTs with libcurl's multi interface. See qw_http.h. */
#include "train/qw_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESPONSE ((size_t)4 << 20)

typedef struct xfer {
  sr_qw_req *r;
  CURL *h;
  struct curl_slist *headers;
  char errbuf[CURL_ERROR_SIZE];
  bool too_big, nomem;
} xfer;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx) {
  xfer *x = ctx;
  size_t n = size * nmemb;
  if (x->r->resp.len + n > MAX_RESPONSE) {
    x->too_big = true;
    return 0;  /* aborts the transfer */
  }
  if (!sr_buf_append(&x->r->resp, p, n)) {
    x->nomem = true;
    return 0;
  }
  return n;
}

void sr_qw_req_reset(sr_qw_req *r) {
  sr_buf_free(&r->resp);
  r->status = 0;
  r->timed_out = false;
  r->error[0] = '\0';
}

/* Sets up one easy handle; false when libcurl cannot. */
static bool setup(xfer *x, const char *url, const char *auth, long timeout_ms) {
  x->h = curl_easy_init();
  if (!x->h) return false;
  x->headers = curl_slist_append(NULL, "Content-Type: application/json");
  struct curl_slist *h2 = x->headers ? curl_slist_append(x->headers, "Expect:") : NULL;  /* no 100-continue wait */
  if (h2 && auth) h2 = curl_slist_append(h2, auth);
  if (!h2) return false;
  CURL *h = x->h;
  bool ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
#if CURL_AT_LEAST_VERSION(7, 85, 0)
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
#else
            curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK &&
#endif
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->r->body) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->r->body)) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_WRITEDATA, x) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_USERAGENT, "skillrouter-query-writer") == CURLE_OK;
  return ok;
}

/* Records the outcome of a finished transfer in its request. */
static void finish(xfer *x, CURLcode rc) {
  sr_qw_req *r = x->r;
  if (rc == CURLE_OK) {
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->status);
    return;
  }
  r->status = 0;
  r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  if (x->too_big) snprintf(r->error, sizeof r->error, "response larger than %zu bytes", MAX_RESPONSE);
  else if (x->nomem) snprintf(r->error, sizeof r->error, "out of memory reading the response");
  else snprintf(r->error, sizeof r->error, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
}

sr_status sr_qw_post_all(const char *url, const char *api_key, long timeout_ms, sr_qw_req *reqs, size_t n,
                         volatile int *cancel, sr_error *err) {
  if (!n) return SR_OK;
  xfer *xs = calloc(n, sizeof *xs);
  char *auth = NULL;
  CURLM *m = curl_multi_init();
  sr_status st = SR_OK;
  if (!xs || !m) {
    st = sr_fail(err, SR_ERR_NOMEM, "query writer: cannot set up HTTP transfers (out of memory)");
    goto done;
  }
  if (api_key && *api_key) {
    size_t len = strlen(api_key) + 32;
    if (!(auth = malloc(len))) {
      st = sr_fail(err, SR_ERR_NOMEM, "query writer: out of memory");
      goto done;
    }
    snprintf(auth, len, "Authorization: Bearer %s", api_key);
  }
  for (size_t i = 0; i < n; i++) {
    sr_qw_req_reset(&reqs[i]);
    xs[i].r = &reqs[i];
    if (!setup(&xs[i], url, auth, timeout_ms) || curl_multi_add_handle(m, xs[i].h) != CURLM_OK) {
      st = sr_fail(err, SR_ERR_INTERNAL, "query writer: libcurl cannot set up a request to %s", url);
      goto done;
    }
  }
  int running = 1;
  while (running) {
    if (cancel && *cancel) {
      st = sr_fail(err, SR_ERR_INTERRUPTED, "query writer: interrupted");
      goto done;
    }
    CURLMcode mc = curl_multi_perform(m, &running);
    if (mc == CURLM_OK && running) mc = curl_multi_poll(m, NULL, 0, 100, NULL);
    if (mc != CURLM_OK) {
      st = sr_fail(err, SR_ERR_INTERNAL, "query writer: libcurl: %s", curl_multi_strerror(mc));
      goto done;
    }
  }
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(m, &left)))
    if (msg->msg == CURLMSG_DONE)
      for (size_t i = 0; i < n; i++)
        if (xs[i].h == msg->easy_handle) finish(&xs[i], msg->data.result);
done:
  for (size_t i = 0; xs && i < n; i++) {
    if (xs[i].h) {
      if (m) curl_multi_remove_handle(m, xs[i].h);
      curl_easy_cleanup(xs[i].h);
    }
    curl_slist_free_all(xs[i].headers);
  }
  if (m) curl_multi_cleanup(m);
  free(xs);
  free(auth);
  return st;
}
