/* qw_text.c — the query writer's text side: the prompt and request body, reading the chat response,
 * cleaning and validating the answer. See query_writer.h. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "train/query_writer.h"
#include "util/buf.h"
#include "util/utf8.h"

/* Our instruction (written for this project). The user message carries the skill. */
static const char SYSTEM_PROMPT[] =
    "You help build test data for a router that picks the right skill for an AI agent. A skill is a set "
    "of instructions the agent can load. You are shown one skill. Write ONE request that a real user "
    "could type to an AI agent, for which this skill would be the right tool.\n"
    "The request must:\n"
    "- describe a concrete situation with concrete inputs the user has (files with plausible names, data, "
    "numbers, URLs or text) and say what output they expect back (a file, a table, a fix, a number, an "
    "answer);\n"
    "- be 2 to 6 sentences, written by the user in the first person;\n"
    "- never mention the skill, its name or any words of its name, and never ask to use a skill or tool: "
    "describe the task, not the tool;\n"
    "- not copy sentences from the skill's text.\n"
    "Reply with the request only: no preamble, no quotes, no markdown, no lists.";

/* Appends s with newlines and tabs turned into spaces. */
static void put_flat(sr_buf *b, const char *s) {
  for (; s && *s; s++) sr_buf_putc(b, *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
}

char *sr_qw_request_json(const sr_entry_view *e, const sr_qw_opts *o) {
  sr_buf user = SR_BUF_INIT;
  sr_buf_puts(&user, "Skill name: ");
  put_flat(&user, e->name);
  sr_buf_puts(&user, "\nDescription: ");
  put_flat(&user, e->description);
  const char *body = e->body ? e->body : "";
  size_t n = strlen(body);
  bool cut = n > o->max_body_chars;
  if (cut) {
    n = o->max_body_chars;
    while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80) n--;  /* not inside a UTF-8 sequence */
  }
  sr_buf_puts(&user, cut ? "\n\nSkill instructions (cut short):\n" : "\n\nSkill instructions:\n");
  sr_buf_append(&user, body, n);
  if (!sr_buf_puts(&user, "\n\nWrite the user's request now.")) {
    sr_buf_free(&user);
    return NULL;
  }
  cJSON *req = cJSON_CreateObject(), *msgs = cJSON_CreateArray();
  cJSON *sys = cJSON_CreateObject(), *usr = cJSON_CreateObject();
  char *out = NULL;
  if (req && msgs && sys && usr && cJSON_AddStringToObject(req, "model", o->model ? o->model : "default") &&
      cJSON_AddNumberToObject(req, "temperature", o->temperature) &&
      cJSON_AddNumberToObject(req, "seed", (double)(o->seed & 0x7fffffff)) &&
      cJSON_AddNumberToObject(req, "max_tokens", o->max_tokens) && cJSON_AddStringToObject(sys, "role", "system") &&
      cJSON_AddStringToObject(sys, "content", SYSTEM_PROMPT) && cJSON_AddStringToObject(usr, "role", "user") &&
      cJSON_AddStringToObject(usr, "content", user.data)) {
    cJSON_AddItemToArray(msgs, sys);
    cJSON_AddItemToArray(msgs, usr);
    sys = usr = NULL;
    cJSON_AddItemToObject(req, "messages", msgs);
    msgs = NULL;
    out = cJSON_PrintUnformatted(req);
  }
  cJSON_Delete(sys);
  cJSON_Delete(usr);
  cJSON_Delete(msgs);
  cJSON_Delete(req);
  sr_buf_free(&user);
  return out;
}

sr_status sr_qw_parse_response(const char *body, size_t len, char **content, sr_error *err) {
  *content = NULL;
  cJSON *j = cJSON_ParseWithLength(body, len);
  if (!j) return sr_fail(err, SR_ERR_FORMAT, "response is not JSON");
  sr_status st = SR_OK;
  const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
  const cJSON *c0 = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
  const cJSON *msg = c0 ? cJSON_GetObjectItemCaseSensitive(c0, "message") : NULL;
  const cJSON *text = msg ? cJSON_GetObjectItemCaseSensitive(msg, "content") : NULL;
  if (!cJSON_IsObject(j)) st = sr_fail(err, SR_ERR_FORMAT, "response is JSON but not an object");
  else if (!c0) st = sr_fail(err, SR_ERR_FORMAT, "response has no choices[0]");
  else if (!cJSON_IsObject(msg)) st = sr_fail(err, SR_ERR_FORMAT, "response has no choices[0].message");
  else if (!cJSON_IsString(text)) st = sr_fail(err, SR_ERR_FORMAT, "choices[0].message.content is not a string");
  else if (!(*content = strdup(text->valuestring))) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  cJSON_Delete(j);
  return st;
}

/* ---- cleaning ---- */

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* Trims [*b, *e) of white space. */
static void trim(const char **b, const char **e) {
  while (*b < *e && is_space(**b)) (*b)++;
  while (*e > *b && is_space((*e)[-1])) (*e)--;
}

/* Drops a leading "<think>...</think>" block (reasoning models); an unclosed one leaves nothing. */
static void drop_think(const char **b, const char **e) {
  if (*e - *b < 7 || strncmp(*b, "<think>", 7)) return;
  const char *close = NULL;
  for (const char *p = *b; p + 8 <= *e; p++)
    if (!strncmp(p, "</think>", 8)) { close = p; break; }
  *b = close ? close + 8 : *e;
}

/* A markdown code fence around the whole answer: drops the opening line and a closing ``` line. */
static void drop_fence(const char **b, const char **e) {
  if (*e - *b < 3 || strncmp(*b, "```", 3)) return;
  const char *nl = memchr(*b, '\n', (size_t)(*e - *b));
  *b = nl ? nl + 1 : *e;
  trim(b, e);
  if (*e - *b >= 3 && !strncmp(*e - 3, "```", 3)) *e -= 3;
}

/* "Query:", "**User request:**" style labels at the start. */
static bool drop_label(const char **b, const char **e) {
  static const char *const labels[] = {"query", "user query", "request", "user request", "task", "user task",
                                       "prompt", "user prompt", "user", "example request", "request text"};
  const char *p = *b;
  while (p < *e && (*p == '*' || *p == '#' || *p == '_' || *p == ' ')) p++;
  char label[32];
  size_t n = 0;
  const char *q = p;
  for (; q < *e && n + 1 < sizeof label && (isalpha((unsigned char)*q) || *q == ' '); q++)
    label[n++] = (char)tolower((unsigned char)*q);
  while (n && label[n - 1] == ' ') n--;
  label[n] = '\0';
  while (q < *e && (*q == '*' || *q == '_' || *q == ' ')) q++;
  if (q >= *e || *q != ':') return false;
  for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
    if (!strcmp(label, labels[i])) {
      q++;
      while (q < *e && (*q == '*' || *q == '_' || is_space(*q))) q++;
      *b = q;
      return true;
    }
  return false;
}

/* Matching quotes around the whole answer: "", '', ``, “”, ‘’, «». A " or ` quote inside the answer
 * means the ends quote two different things (left alone); apostrophes inside '...' are fine. */
static bool drop_quotes(const char **b, const char **e) {
  static const char *const pairs[][2] = {{"\"", "\""}, {"'", "'"}, {"`", "`"}, {"\xe2\x80\x9c", "\xe2\x80\x9d"},
                                         {"\xe2\x80\x98", "\xe2\x80\x99"}, {"\xc2\xab", "\xc2\xbb"}};
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
    size_t lo = strlen(pairs[i][0]), lc = strlen(pairs[i][1]);
    if ((size_t)(*e - *b) >= lo + lc && !strncmp(*b, pairs[i][0], lo) && !strncmp(*e - lc, pairs[i][1], lc)) {
      if ((**b == '"' || **b == '`') && memchr(*b + 1, **b, (size_t)(*e - *b) - 2)) return false;
      *b += lo;
      *e -= lc;
      return true;
    }
  }
  return false;
}

char *sr_qw_clean(const char *content) {
  const char *b = content ? content : "", *e = b + strlen(b);
  trim(&b, &e);
  drop_think(&b, &e);
  trim(&b, &e);
  drop_fence(&b, &e);
  trim(&b, &e);
  for (int round = 0; round < 3; round++) {   /* e.g. Query: "..." or "Query: ..." */
    bool changed = drop_label(&b, &e);
    trim(&b, &e);
    changed |= drop_quotes(&b, &e);
    trim(&b, &e);
    if (!changed) break;
  }
  sr_buf out = SR_BUF_INIT;
  for (const char *p = b; p < e; p++) {
    if (is_space(*p)) {
      if (out.len && out.data[out.len - 1] != ' ') sr_buf_putc(&out, ' ');
    } else {
      sr_buf_putc(&out, *p);
    }
  }
  return sr_buf_take(&out);
}

/* ---- validation ---- */

/* " w1 w2 ... " of s: maximal runs of ASCII letters/digits and non-ASCII bytes, ASCII lower-cased.
 * With join, the words are concatenated without spaces instead (" w1w2 "). */
static char *norm_words(const char *s, bool join, size_t *n_words) {
  sr_buf b = SR_BUF_INIT;
  sr_buf_putc(&b, ' ');
  *n_words = 0;
  for (const char *p = s ? s : ""; *p;) {
    unsigned char c = (unsigned char)*p;
    if (!isalnum(c) && c < 0x80) {
      p++;
      continue;
    }
    if (*n_words && !join) sr_buf_putc(&b, ' ');
    for (; *p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80); p++)
      sr_buf_putc(&b, (char)tolower((unsigned char)*p));
    (*n_words)++;
  }
  sr_buf_putc(&b, ' ');
  return sr_buf_take(&b);
}

sr_qw_verdict sr_qw_validate(const char *query, const char *name, const sr_qw_opts *o) {
  size_t len = strlen(query);
  if (!sr_utf8_valid(query, len, NULL)) return SR_QW_NOT_UTF8;
  size_t words = 0;
  for (const char *p = query; *p;) {
    while (*p && is_space(*p)) p++;
    if (!*p) break;
    words++;
    while (*p && !is_space(*p)) p++;
  }
  if (!words) return SR_QW_EMPTY;
  if (words < o->min_words) return SR_QW_SHORT;
  if (words > o->max_words) return SR_QW_LONG;
  size_t nn, nq, nj;
  char *nm = norm_words(name, false, &nn), *q = norm_words(query, false, &nq), *joined = norm_words(name, true, &nj);
  bool leak = nm && q && joined && nn > 0 && (strstr(q, nm) || (nn > 1 && strstr(q, joined)));
  free(nm);
  free(q);
  free(joined);
  return leak ? SR_QW_NAMES_SKILL : SR_QW_ACCEPT;
}

const char *sr_qw_verdict_name(sr_qw_verdict v) {
  static const char *const names[] = {"accepted", "empty", "too_short", "too_long", "names_skill", "not_utf8"};
  return v < SR_QW_NVERDICTS ? names[v] : "?";
}
