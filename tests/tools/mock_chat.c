/* mock_chat.c — a deterministic stand-in for an OpenAI-compatible chat endpoint, for the query
 * writer's tests (tests/e2e/write_queries.sh). Not part of skillrouter.
 *
 *   mock_chat --port-file FILE [--mode M] [--sleep-ms N] [--fail-first N] [--requests-log FILE]
 *
 * Listens on 127.0.0.1 on a free port (bound as port 0) and writes that port to FILE once it accepts
 * connections. POST /v1/chat/completions answers with a query made from the user message: a fixed
 * scenario around the words of its "Description:" line, minus the words of its "Skill name:" line (so
 * a test can tell which skill a query was written for). GET /requests gives the number of chat
 * requests so far. --requests-log appends each request body as one line.
 * Modes: ok (default), 500 (HTTP 500), malformed (200 with a body that is not JSON), shape (200 with
 * JSON without choices), sleep (waits --sleep-ms before answering), leak (the query names the skill),
 * fenced (the answer wrapped in a markdown fence, a "Query:" label and quotes).
 * --fail-first N answers the first N chat requests with HTTP 500, then follows the mode.
 * Stops cleanly on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *g_mode = "ok";
static long g_sleep_ms = 0, g_fail_first = 0;
static FILE *g_log;
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long g_requests;
static volatile sig_atomic_t g_stop;

typedef struct body {
  char *data;
  size_t len;
} body;

/* The rest of the line after "key" in text, copied into out. */
static void line_after(const char *text, const char *key, char *out, size_t cap) {
  out[0] = '\0';
  const char *p = strstr(text, key);
  if (!p) return;
  p += strlen(key);
  size_t n = 0;
  while (p[n] && p[n] != '\n' && n + 1 < cap) n++;
  memcpy(out, p, n);
  out[n] = '\0';
}

/* Lower-cased alphanumeric core of a word. */
static void core(const char *w, size_t n, char *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < cap; i++)
    if (isalnum((unsigned char)w[i])) out[k++] = (char)tolower((unsigned char)w[i]);
  out[k] = '\0';
}

/* Up to 14 description words that are not words of the name. */
static void make_query(const char *user, char *out, size_t cap) {
  char name[512], desc[2048], words[2048] = "";
  line_after(user, "Skill name: ", name, sizeof name);
  line_after(user, "Description: ", desc, sizeof desc);
  size_t used = 0, taken = 0;
  for (const char *p = desc; *p && taken < 14;) {
    while (*p == ' ') p++;
    const char *w = p;
    while (*p && *p != ' ') p++;
    char c[128];
    core(w, (size_t)(p - w), c, sizeof c);
    if (!c[0]) continue;
    bool in_name = false;
    for (const char *q = name; *q && !in_name;) {
      while (*q && !isalnum((unsigned char)*q)) q++;
      const char *s = q;
      while (isalnum((unsigned char)*q)) q++;
      char nc[128];
      core(s, (size_t)(q - s), nc, sizeof nc);
      in_name = nc[0] && !strcmp(nc, c);
    }
    if (in_name) continue;
    used += (size_t)snprintf(words + used, sizeof words - used, "%s%.*s", taken ? " " : "", (int)(p - w), w);
    taken++;
    if (used >= sizeof words) break;
  }
  if (!strcmp(g_mode, "leak"))
    snprintf(out, cap, "Please use %s for this: I have data.csv and need %s, returned as a table.", name, words);
  else
    snprintf(out, cap, "I have a folder with input.csv and notes.txt from last week. I need help to %s. Please "
             "send back the result as a short summary table.", words);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text, const char *type) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* The answer to one chat request (malloc'd JSON), or NULL for a 500. */
static char *chat(const body *b) {
  cJSON *req = cJSON_ParseWithLength(b->data ? b->data : "", b->len);
  const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(req, "messages"), *m, *user = NULL;
  cJSON_ArrayForEach(m, msgs) {
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
    if (cJSON_IsString(role) && !strcmp(role->valuestring, "user")) user = cJSON_GetObjectItemCaseSensitive(m, "content");
  }
  char query[4096], content[4400];
  make_query(cJSON_IsString(user) ? user->valuestring : "", query, sizeof query);
  cJSON_Delete(req);
  if (!strcmp(g_mode, "fenced")) snprintf(content, sizeof content, "```text\nQuery: \"%s\"\n```", query);
  else snprintf(content, sizeof content, "%s", query);
  cJSON *resp = cJSON_CreateObject(), *choices = cJSON_AddArrayToObject(resp, "choices");
  cJSON *c0 = cJSON_CreateObject(), *msg = cJSON_AddObjectToObject(c0, "message");
  cJSON_AddStringToObject(msg, "role", "assistant");
  cJSON_AddStringToObject(msg, "content", content);
  cJSON_AddStringToObject(c0, "finish_reason", "stop");
  cJSON_AddItemToArray(choices, c0);
  cJSON_AddStringToObject(resp, "object", "chat.completion");
  char *out = cJSON_PrintUnformatted(resp);
  cJSON_Delete(resp);
  return out;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **ctx) {
  (void)cls;
  (void)version;
  body *b = *ctx;
  if (!b) {
    *ctx = calloc(1, sizeof *b);
    return *ctx ? MHD_YES : MHD_NO;
  }
  if (*upload_size) {
    char *d = realloc(b->data, b->len + *upload_size + 1);
    if (!d) return MHD_NO;
    memcpy(d + b->len, upload, *upload_size);
    b->data = d;
    b->len += *upload_size;
    d[b->len] = '\0';
    *upload_size = 0;
    return MHD_YES;
  }
  if (!strcmp(method, "GET") && !strcmp(url, "/requests")) {
    char n[32];
    snprintf(n, sizeof n, "%ld\n", atomic_load(&g_requests));
    return reply(c, 200, n, "text/plain");
  }
  if (strcmp(method, "POST") || strcmp(url, "/v1/chat/completions"))
    return reply(c, 404, "{\"error\":{\"message\":\"not found\"}}", "application/json");
  long k = atomic_fetch_add(&g_requests, 1) + 1;
  if (g_log) {
    pthread_mutex_lock(&g_log_lock);
    fprintf(g_log, "%.*s\n", (int)b->len, b->data ? b->data : "");
    fflush(g_log);
    pthread_mutex_unlock(&g_log_lock);
  }
  if (k <= g_fail_first || !strcmp(g_mode, "500"))
    return reply(c, 500, "{\"error\":{\"message\":\"mock failure\",\"type\":\"server_error\"}}", "application/json");
  if (!strcmp(g_mode, "malformed")) return reply(c, 200, "<html>this is not json", "text/html");
  if (!strcmp(g_mode, "shape")) return reply(c, 200, "{\"object\":\"chat.completion\",\"choices\":[]}", "application/json");
  if (!strcmp(g_mode, "sleep")) {
    struct timespec ts = {g_sleep_ms / 1000, (g_sleep_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  char *out = chat(b);
  if (!out) return MHD_NO;
  enum MHD_Result r = reply(c, 200, out, "application/json");
  free(out);
  return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  body *b = *ctx;
  if (b) free(b->data);
  free(b);
  *ctx = NULL;
}

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

int main(int argc, char **argv) {
  const char *port_file = NULL, *log_path = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port-file")) port_file = argv[i + 1];
    else if (!strcmp(argv[i], "--mode")) g_mode = argv[i + 1];
    else if (!strcmp(argv[i], "--sleep-ms")) g_sleep_ms = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--fail-first")) g_fail_first = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--requests-log")) log_path = argv[i + 1];
    else {
      fprintf(stderr, "mock_chat: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!port_file) {
    fprintf(stderr, "usage: mock_chat --port-file FILE [--mode ok|500|malformed|shape|sleep|leak|fenced] "
                    "[--sleep-ms N] [--fail-first N] [--requests-log FILE]\n");
    return 2;
  }
  if (log_path && !(g_log = fopen(log_path, "a"))) {
    perror(log_path);
    return 1;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                                          NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                          MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "mock_chat: cannot start the server\n");
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
  FILE *f = fopen(tmp, "w");
  if (!info || !f || fprintf(f, "%u\n", (unsigned)info->port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
    fprintf(stderr, "mock_chat: cannot write %s\n", port_file);
    MHD_stop_daemon(d);
    return 1;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!g_stop) usleep(20000);
  MHD_stop_daemon(d);
  if (g_log) fclose(g_log);
  return 0;
}
