/* tokenizer_load.c — reads a tokenizer directory (tokenizer.json, or vocab.json + merges.txt + added
 * tokens from tokenizer_config.json / added_tokens.json) and hands the entries to the builder. */
#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/tokenizer_internal.h"
#include "util/fileio.h"
#include "util/utf8.h"

#define MAX_TOKENIZER_FILE ((size_t)256 << 20)

typedef struct added_src {
  const char *s;
  size_t len;
  int64_t id;
  int special;   /* 1, 0, or -1 = unknown (decided from the text) */
} added_src;

typedef struct load_ctx {
  const char *dir;
  char path[4][4096];        /* file names for messages, by slot */
  char *text[4];             /* file contents, by slot */
  size_t text_len[4];
  cJSON *json[4];
  added_src *added;
  size_t n_added, cap_added;
} load_ctx;

enum { F_MAIN, F_MERGES, F_CONFIG, F_ADDED };

static void ctx_free(load_ctx *c) {
  for (int i = 0; i < 4; i++) {
    free(c->text[i]);
    cJSON_Delete(c->json[i]);
  }
  free(c->added);
}

/* Reads dir/name into slot `slot`. Missing: SR_ERR_NOT_FOUND, or SR_OK with text NULL if optional. */
static sr_status read_slot(load_ctx *c, int slot, const char *name, bool optional, sr_error *err) {
  snprintf(c->path[slot], sizeof c->path[slot], "%s/%s", c->dir, name);
  struct stat sb;
  if (stat(c->path[slot], &sb) != 0) {
    if (errno == ENOENT && optional) return SR_OK;
    if (errno == ENOENT) return sr_fail(err, SR_ERR_NOT_FOUND, "%s: file not found", c->path[slot]);
    return sr_fail(err, SR_ERR_IO, "%s: %s", c->path[slot], strerror(errno));
  }
  return sr_read_file(c->path[slot], MAX_TOKENIZER_FILE, &c->text[slot], &c->text_len[slot], err);
}

/* Parses slot's text as JSON; errors give path:line:col. */
static sr_status parse_slot(load_ctx *c, int slot, sr_error *err) {
  const char *end = NULL;
  c->json[slot] = cJSON_ParseWithLengthOpts(c->text[slot], c->text_len[slot], &end, false);
  if (!c->json[slot]) {
    size_t off = end && end >= c->text[slot] ? (size_t)(end - c->text[slot]) : 0;
    if (off > c->text_len[slot]) off = c->text_len[slot];
    size_t line, col;
    sr_text_position(c->text[slot], off, &line, &col);
    return sr_fail(err, SR_ERR_FORMAT, "%s:%zu:%zu: invalid JSON", c->path[slot], line, col);
  }
  return SR_OK;
}

/* An integral JSON number in [0, 2^31) or -1. */
static int64_t json_id(const cJSON *v) {
  if (!cJSON_IsNumber(v)) return -1;
  double d = v->valuedouble;
  if (!(d >= 0 && d < 2147483647.0) || floor(d) != d) return -1;
  return (int64_t)d;
}

static sr_status push_added(load_ctx *c, const char *s, int64_t id, int special, sr_error *err) {
  if (c->n_added == c->cap_added) {
    size_t cap = c->cap_added ? c->cap_added * 2 : 32;
    added_src *a = realloc(c->added, cap * sizeof *a);
    if (!a) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
    c->added = a;
    c->cap_added = cap;
  }
  c->added[c->n_added++] = (added_src){s, strlen(s), id, special};
  return SR_OK;
}

/* Checks that `vocab` is an object of token -> id; sets *max_id and *bytes (sum of key lengths). */
static sr_status scan_vocab(const cJSON *vocab, const char *where, int64_t *max_id, size_t *bytes,
                            sr_error *err) {
  if (!cJSON_IsObject(vocab)) return sr_fail(err, SR_ERR_FORMAT, "%s: vocabulary is not a JSON object", where);
  for (const cJSON *e = vocab->child; e; e = e->next) {
    int64_t id = json_id(e);
    if (id < 0)
      return sr_fail(err, SR_ERR_FORMAT, "%s: token \"%.40s\" has no valid id", where, e->string);
    if (id > *max_id) *max_id = id;
    *bytes += strlen(e->string);
  }
  return SR_OK;
}

static sr_status add_vocab(sr_tokenizer *t, const cJSON *vocab, const char *where, sr_error *err) {
  for (const cJSON *e = vocab->child; e; e = e->next) {
    sr_status st = sr_tok_add_vocab(t, e->string, strlen(e->string), json_id(e), where, err);
    if (st) return st;
  }
  return SR_OK;
}

static sr_status add_added(sr_tokenizer *t, load_ctx *c, sr_error *err) {
  for (size_t i = 0; i < c->n_added; i++) {
    added_src *a = &c->added[i];
    int special = a->special;
    if (special < 0) {   /* added_tokens.json only: a token listed with flags elsewhere keeps them */
      if (t->tok_len[a->id] != SR_TOK_NONE && (t->tok_flags[a->id] & SR_TOK_FLAG_ADDED)) special = 0;
      else special = a->len >= 4 && !memcmp(a->s, "<|", 2) && !memcmp(a->s + a->len - 2, "|>", 2);
    }
    sr_status st = sr_tok_add_added(t, a->s, a->len, a->id, special != 0, "added tokens", err);
    if (st) return st;
  }
  return SR_OK;
}

/* Splits merges.txt into lines, checks each is "left right", and adds them in rank order. */
static sr_status add_merges_txt(sr_tokenizer *t, load_ctx *c, sr_error *err) {
  char *s = c->text[F_MERGES];
  size_t n = c->text_len[F_MERGES], lines = 0;
  for (size_t i = 0; i < n; i++) lines += s[i] == '\n';
  sr_status st = sr_tok_begin_merges(t, lines + 1, err);
  if (st) return st;
  uint32_t rank = 0;
  size_t lineno = 0;
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && s[e] != '\n') e++;
    size_t le = e > i && s[e - 1] == '\r' ? e - 1 : e;
    lineno++;
    if (le > i && !(lineno == 1 && le - i >= 8 && !memcmp(s + i, "#version", 8))) {
      const char *sp = memchr(s + i, ' ', le - i);
      char where[4200];
      snprintf(where, sizeof where, "%s:%zu", c->path[F_MERGES], lineno);
      if (!sp || sp == s + i || sp + 1 == s + le || memchr(sp + 1, ' ', (size_t)(s + le - sp - 1)))
        return sr_fail(err, SR_ERR_FORMAT, "%s: expected \"left right\"", where);
      st = sr_tok_add_merge(t, s + i, (size_t)(sp - (s + i)), sp + 1, (size_t)(s + le - sp - 1), rank++,
                            where, err);
      if (st) return st;
    }
    i = e + 1;
  }
  return SR_OK;
}

/* tokenizer.json model.merges: "a b" strings or [a, b] pairs. */
static sr_status add_merges_json(sr_tokenizer *t, const cJSON *merges, const char *path, sr_error *err) {
  int n = cJSON_GetArraySize(merges);
  sr_status st = sr_tok_begin_merges(t, (size_t)n, err);
  if (st) return st;
  uint32_t rank = 0;
  for (const cJSON *m = merges->child; m; m = m->next, rank++) {
    char where[4200];
    snprintf(where, sizeof where, "%s: model.merges[%u]", path, rank);
    const char *l, *r;
    size_t ll, rl;
    if (cJSON_IsString(m)) {
      const char *sp = strchr(m->valuestring, ' ');
      if (!sp || sp == m->valuestring || !sp[1] || strchr(sp + 1, ' '))
        return sr_fail(err, SR_ERR_FORMAT, "%s: expected \"left right\"", where);
      l = m->valuestring, ll = (size_t)(sp - l), r = sp + 1, rl = strlen(r);
    } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
               cJSON_IsString(m->child->next)) {
      l = m->child->valuestring, ll = strlen(l), r = m->child->next->valuestring, rl = strlen(r);
    } else {
      return sr_fail(err, SR_ERR_FORMAT, "%s: expected a \"left right\" string or a pair", where);
    }
    st = sr_tok_add_merge(t, l, ll, r, rl, rank, where, err);
    if (st) return st;
  }
  return SR_OK;
}

/* Collects added tokens from tokenizer.json's added_tokens array. */
static sr_status collect_added_fast(load_ctx *c, const cJSON *arr, sr_error *err) {
  if (!arr) return SR_OK;
  if (!cJSON_IsArray(arr)) return sr_fail(err, SR_ERR_FORMAT, "%s: added_tokens is not an array", c->path[F_MAIN]);
  int i = 0;
  for (const cJSON *a = arr->child; a; a = a->next, i++) {
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    int64_t id = json_id(cJSON_GetObjectItemCaseSensitive(a, "id"));
    if (!cJSON_IsString(content) || id < 0)
      return sr_fail(err, SR_ERR_FORMAT, "%s: added_tokens[%d] needs \"id\" and \"content\"", c->path[F_MAIN], i);
    sr_status st = push_added(c, content->valuestring, id,
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "special")), err);
    if (st) return st;
  }
  return SR_OK;
}

/* Collects added tokens from tokenizer_config.json (added_tokens_decoder) and added_tokens.json. */
static sr_status collect_added_slow(load_ctx *c, sr_error *err) {
  sr_status st;
  if (c->json[F_CONFIG]) {
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(c->json[F_CONFIG], "added_tokens_decoder");
    if (dec && !cJSON_IsObject(dec))
      return sr_fail(err, SR_ERR_FORMAT, "%s: added_tokens_decoder is not an object", c->path[F_CONFIG]);
    for (const cJSON *e = dec ? dec->child : NULL; e; e = e->next) {
      char *endp;
      long long id = strtoll(e->string, &endp, 10);
      const cJSON *content = cJSON_GetObjectItemCaseSensitive(e, "content");
      if (*endp || endp == e->string || id < 0 || id > 2147483646 || !cJSON_IsString(content))
        return sr_fail(err, SR_ERR_FORMAT, "%s: added_tokens_decoder entry \"%.40s\" is malformed",
                       c->path[F_CONFIG], e->string);
      st = push_added(c, content->valuestring, id, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "special")), err);
      if (st) return st;
    }
  }
  if (c->json[F_ADDED]) {
    if (!cJSON_IsObject(c->json[F_ADDED]))
      return sr_fail(err, SR_ERR_FORMAT, "%s: not a JSON object", c->path[F_ADDED]);
    for (const cJSON *e = c->json[F_ADDED]->child; e; e = e->next) {
      int64_t id = json_id(e);
      if (id < 0) return sr_fail(err, SR_ERR_FORMAT, "%s: \"%.40s\" has no valid id", c->path[F_ADDED], e->string);
      st = push_added(c, e->string, id, -1, err);
      if (st) return st;
    }
  }
  return SR_OK;
}

/* Allocates the tokenizer's tables for the vocabulary object and the collected added tokens. */
static sr_status begin_tables(sr_tokenizer *t, load_ctx *c, const cJSON *vocab, const char *where,
                              sr_error *err) {
  int64_t max_id = -1;
  size_t bytes = 0;
  sr_status st = scan_vocab(vocab, where, &max_id, &bytes, err);
  if (st) return st;
  for (size_t i = 0; i < c->n_added; i++) {
    if (c->added[i].id > max_id) max_id = c->added[i].id;
    bytes += c->added[i].len;
  }
  if (max_id < 0) return sr_fail(err, SR_ERR_FORMAT, "%s: empty vocabulary", where);
  if (max_id >= (1 << 24)) return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: token id %lld too large", where, (long long)max_id);
  return sr_tok_begin(t, (uint32_t)max_id + 1, bytes, err);
}

static sr_status load_fast(sr_tokenizer *t, load_ctx *c, sr_error *err) {
  sr_status st = parse_slot(c, F_MAIN, err);
  if (st) return st;
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(c->json[F_MAIN], "model");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
  const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
  const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
  if (!cJSON_IsObject(model) || !vocab)
    return sr_fail(err, SR_ERR_FORMAT, "%s: no model.vocab", c->path[F_MAIN]);
  if (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE") != 0))
    return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: model.type is not \"BPE\"", c->path[F_MAIN]);
  if (!cJSON_IsArray(merges)) return sr_fail(err, SR_ERR_FORMAT, "%s: no model.merges array", c->path[F_MAIN]);
  if ((st = collect_added_fast(c, cJSON_GetObjectItemCaseSensitive(c->json[F_MAIN], "added_tokens"), err)))
    return st;
  char where[4200];
  snprintf(where, sizeof where, "%s: model.vocab", c->path[F_MAIN]);
  if ((st = begin_tables(t, c, vocab, where, err)) || (st = add_vocab(t, vocab, where, err)) ||
      (st = add_added(t, c, err)) || (st = add_merges_json(t, merges, c->path[F_MAIN], err)))
    return st;
  return sr_tok_finish(t, c->path[F_MAIN], err);
}

static sr_status load_slow(sr_tokenizer *t, load_ctx *c, sr_error *err) {
  sr_status st;
  if ((st = read_slot(c, F_MAIN, "vocab.json", false, err)) || (st = read_slot(c, F_MERGES, "merges.txt", false, err)) ||
      (st = read_slot(c, F_CONFIG, "tokenizer_config.json", true, err)) ||
      (st = read_slot(c, F_ADDED, "added_tokens.json", true, err)))
    return st;
  if ((st = parse_slot(c, F_MAIN, err))) return st;
  if (c->text[F_CONFIG] && (st = parse_slot(c, F_CONFIG, err))) return st;
  if (c->text[F_ADDED] && (st = parse_slot(c, F_ADDED, err))) return st;
  if ((st = collect_added_slow(c, err))) return st;
  const cJSON *vocab = c->json[F_MAIN];
  if ((st = begin_tables(t, c, vocab, c->path[F_MAIN], err)) || (st = add_vocab(t, vocab, c->path[F_MAIN], err)) ||
      (st = add_added(t, c, err)) || (st = add_merges_txt(t, c, err)))
    return st;
  return sr_tok_finish(t, c->path[F_MAIN], err);
}

sr_status sr_tokenizer_load(const char *dir, sr_tokenizer **out, sr_error *err) {
  if (!dir || !out) return sr_fail(err, SR_ERR_ARG, "sr_tokenizer_load: NULL argument");
  *out = NULL;
  if (!sr_path_is_dir(dir)) return sr_fail(err, SR_ERR_NOT_FOUND, "%s: not a directory", dir);
  /* A model directory whose tokenizer files sit in a tokenizer/ sub-directory. */
  char sub[4096];
  struct stat sb;
  snprintf(sub, sizeof sub, "%s/tokenizer.json", dir);
  bool here = stat(sub, &sb) == 0;
  snprintf(sub, sizeof sub, "%s/vocab.json", dir);
  here = here || stat(sub, &sb) == 0;
  snprintf(sub, sizeof sub, "%s/tokenizer", dir);
  load_ctx c = {.dir = !here && sr_path_is_dir(sub) ? sub : dir};
  sr_tokenizer *t = calloc(1, sizeof *t);
  if (!t) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  sr_status st = read_slot(&c, F_MAIN, "tokenizer.json", true, err);
  if (!st) st = c.text[F_MAIN] ? load_fast(t, &c, err) : load_slow(t, &c, err);
  ctx_free(&c);
  if (st) {
    sr_tokenizer_free(t);
    return st;
  }
  *out = t;
  return SR_OK;
}
