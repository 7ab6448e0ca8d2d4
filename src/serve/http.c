/* http.c — the libmicrohttpd glue: reads request bodies (bounded in size and time), calls
 * sr_http_handle from the MHD worker pool, sends the response, drains on shutdown (see http.h). */
#include "serve/http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"

struct sr_http_server {
  struct MHD_Daemon *d;
  sr_http_handler *h;
  uint16_t port;
  atomic_int in_flight;      /* requests begun and not yet completed (response sent or connection gone) */
  atomic_bool stopping;      /* sr_http_stop has begun: answer with "Connection: close" */
};

/* Per-request state: the body read so far, and when the request began. */
typedef struct conn_ctx {
  sr_buf body;
  bool too_large;
  double received_s;
} conn_ctx;

static const char OOM_BODY[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"internal_error\",\"code\":500}}";

/* MHD access handler: collects the body over successive calls, then answers. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls) {
  sr_http_server *s = cls;
  conn_ctx *cc = *con_cls;
  if (!cc) {
    cc = calloc(1, sizeof *cc);
    if (!cc) return MHD_NO;
    cc->received_s = sr_clock_s();
    *con_cls = cc;
    atomic_fetch_add(&s->in_flight, 1);
    return MHD_YES;
  }
  if (*upload_size) {
    if (sr_clock_s() - cc->received_s > sr_http_time_limit(s->h)) {  /* a body still arriving: drop it */
      sr_http_note_aborted(s->h);
      return MHD_NO;
    }
    if (!cc->too_large && cc->body.len + *upload_size > sr_http_max_body(s->h)) {
      cc->too_large = true;
      sr_buf_free(&cc->body);
    }
    if (!cc->too_large && !sr_buf_append(&cc->body, upload_data, *upload_size)) return MHD_NO;
    *upload_size = 0;
    return MHD_YES;
  }
  sr_http_request req = {.method = method, .path = url,
                         .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
                         .body = cc->body.data, .body_len = cc->body.len, .body_too_large = cc->too_large,
                         .received_s = cc->received_s};
  sr_http_response resp;
  sr_http_handle(s->h, &req, &resp);
  struct MHD_Response *r;
  if (resp.body) r = MHD_create_response_from_buffer(resp.body_len, resp.body, MHD_RESPMEM_MUST_FREE);
  else r = MHD_create_response_from_buffer(sizeof OOM_BODY - 1, (void *)OOM_BODY, MHD_RESPMEM_PERSISTENT);
  if (!r) {
    free(resp.body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type ? resp.content_type : "application/json");
  if (resp.status == 405)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, strcmp(url, "/healthz") && strcmp(url, "/metrics") ? "POST" : "GET");
  if (resp.status == 401) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  if (cc->too_large || atomic_load(&s->stopping)) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp.status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Frees the per-connection state when a request completes. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  sr_http_server *s = cls;
  conn_ctx *cc = *con_cls;
  if (!cc) return;
  atomic_fetch_sub(&s->in_flight, 1);
  sr_buf_free(&cc->body);
  free(cc);
  *con_cls = NULL;
}

sr_status sr_http_start(sr_http_handler *h, const char *host, uint16_t port, int threads, unsigned conn_timeout_s,
                        sr_http_server **out, sr_error *err) {
  assert(h && host && out);
  *out = NULL;
  if (threads < 1) return sr_fail(err, SR_ERR_ARG, "http: threads must be >= 1");
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;  /* ITC: for MHD_quiesce_daemon */
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    flags |= MHD_USE_IPv6;
  } else {
    return sr_fail(err, SR_ERR_ARG, "http: '%s' is not a numeric IP address", host);
  }
  sr_http_server *s = calloc(1, sizeof *s);
  if (!s) return sr_fail(err, SR_ERR_NOMEM, "http: out of memory");
  s->h = h;
  s->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                          MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_TIMEOUT,
                          conn_timeout_s ? conn_timeout_s : 30u, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->d) {
    free(s);
    return sr_fail(err, SR_ERR_IO, "http: cannot listen on %s:%u (in use, or not a local address)", host, port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : port;
  *out = s;
  return SR_OK;
}

uint16_t sr_http_port(const sr_http_server *s) { return s->port; }

void sr_http_stop(sr_http_server *s) {
  if (!s) return;
  atomic_store(&s->stopping, true);
  MHD_socket listen_fd = MHD_quiesce_daemon(s->d);  /* no new connections; running requests go on */
  double until = sr_clock_s() + sr_http_time_limit(s->h) + 2.0;
  while (atomic_load(&s->in_flight) > 0 && sr_clock_s() < until) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(s->d);
  if (listen_fd != MHD_INVALID_SOCKET) close(listen_fd);
  free(s);
}
