/* pairs.c — pseudo-queries and labelled pairs. See pairs.h. */
#include "train/pairs.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/query_bag.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/rng.h"

const char *sr_pair_kind_name(sr_pair_kind k) {
  static const char *const names[] = {"when", "span", "desc", "label", "llm"};
  return k < SR_PQ_NKINDS ? names[k] : "?";
}

/* ---- text extraction ---- */

typedef struct line_iter {
  const char *p;
  bool in_fence;
} line_iter;

/* Next line [*b, *e) that is not inside (or a delimiter of) a code fence; false at the end. */
static bool next_prose_line(line_iter *it, const char **b, const char **e) {
  while (*it->p) {
    const char *s = it->p, *nl = strchr(s, '\n');
    const char *end = nl ? nl : s + strlen(s);
    it->p = nl ? nl + 1 : end;
    const char *t = s;
    while (t < end && (*t == ' ' || *t == '\t')) t++;
    if (end - t >= 3 && (!strncmp(t, "```", 3) || !strncmp(t, "~~~", 3))) {
      it->in_fence = !it->in_fence;
      continue;
    }
    if (it->in_fence) continue;
    if (s + 4 <= end && !strncmp(s, "    ", 4)) continue; /* indented code */
    if (t < end && *t == '|') continue;                    /* table rows */
    *b = t;
    *e = end;
    return true;
  }
  return false;
}

static bool is_heading(const char *b, const char *e) { return b < e && *b == '#'; }

static bool contains_ci(const char *b, const char *e, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = b; p + n <= e; p++)
    if (!strncasecmp(p, needle, n)) return true;
  return false;
}

static bool starts_ci(const char *b, const char *e, const char *prefix) {
  while (b < e && (*b == '-' || *b == '*' || *b == '>' || *b == ' ')) b++;
  size_t n = strlen(prefix);
  return (size_t)(e - b) >= n && !strncasecmp(b, prefix, n);
}

/* Appends the words of [b, e) to out (single spaces), up to *budget words; strips heading/list marks. */
static void append_words(sr_buf *out, const char *b, const char *e, size_t *budget, size_t *words) {
  const char *p = b;
  while (p < e && *budget > 0) {
    while (p < e && isspace((unsigned char)*p)) p++;
    const char *w = p;
    while (p < e && !isspace((unsigned char)*p)) p++;
    if (p == w) break;
    bool markup = true;
    for (const char *c = w; c < p; c++)
      if (!strchr("#*->`_=+|", *c)) { markup = false; break; }
    if (markup) continue;
    if (out->len && !isspace((unsigned char)out->data[out->len - 1])) sr_buf_putc(out, ' ');
    sr_buf_append(out, w, (size_t)(p - w));
    (*budget)--;
    (*words)++;
  }
}

static char *take_if(sr_buf *b, size_t words, size_t min_words) {
  if (words < min_words) {
    sr_buf_free(b);
    return NULL;
  }
  return sr_buf_take(b);
}

char *sr_pq_when(const char *body, size_t max_words) {
  static const char *const heads[] = {"when to use", "when to apply", "when to invoke", "use cases", "use case",
                                      "triggers", "when should", "usage scenarios"};
  line_iter it = {body, false};
  const char *b, *e;
  while (next_prose_line(&it, &b, &e)) {
    bool head = false, para = false;
    if (is_heading(b, e)) {
      for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
        if (contains_ci(b, e, heads[i])) head = true;
    } else if (starts_ci(b, e, "use this skill when") || starts_ci(b, e, "use when") ||
               starts_ci(b, e, "use this when")) {
      para = true;
    }
    if (!head && !para) continue;
    sr_buf out = SR_BUF_INIT;
    size_t budget = max_words, words = 0;
    if (para) append_words(&out, b, e, &budget, &words);
    line_iter save = it;
    while (budget > 0 && next_prose_line(&it, &b, &e)) {
      if (is_heading(b, e)) break;
      if (para && b == e) break;
      append_words(&out, b, e, &budget, &words);
    }
    if (words >= 6) return sr_buf_take(&out);
    sr_buf_free(&out);
    it = save;
  }
  return NULL;
}

char *sr_pq_span(const char *body, uint64_t rnd, size_t min_words, size_t max_words) {
  /* collect prose words with a flag for "starts a sentence" */
  sr_buf prose = SR_BUF_INIT;
  line_iter it = {body, false};
  const char *b, *e;
  size_t budget = 100000, words = 0;
  while (next_prose_line(&it, &b, &e)) {
    if (b == e) continue;
    if (prose.len) sr_buf_putc(&prose, '\n');
    append_words(&prose, b, e, &budget, &words);
  }
  if (words < min_words || !prose.data) {
    sr_buf_free(&prose);
    return NULL;
  }
  /* word starts; sentence starts are the first word, words after '\n', or after . ! ? : */
  size_t *start = malloc(words * sizeof *start), n = 0, n_sent = 0;
  size_t *sent = malloc(words * sizeof *sent);
  if (!start || !sent) {
    free(start);
    free(sent);
    sr_buf_free(&prose);
    return NULL;
  }
  const char *s = prose.data;
  for (size_t i = 0; i < prose.len && n < words; i++) {
    if (isspace((unsigned char)s[i])) continue;
    if (i == 0 || isspace((unsigned char)s[i - 1])) {
      bool sentence = i == 0 || s[i - 1] == '\n' || (i >= 2 && strchr(".!?:", s[i - 2]));
      if (sentence && words - n >= min_words) sent[n_sent++] = n;
      start[n++] = i;
    }
  }
  size_t want = min_words + (size_t)(rnd % (max_words - min_words + 1));
  size_t w0 = n_sent ? sent[(rnd / 7919) % n_sent] : 0;
  size_t w1 = w0 + want < n ? w0 + want : n;
  sr_buf out = SR_BUF_INIT;
  size_t end_byte = w1 < n ? start[w1] : prose.len;
  for (size_t i = start[w0]; i < end_byte; i++) sr_buf_putc(&out, s[i] == '\n' ? ' ' : s[i]);
  while (out.len && isspace((unsigned char)out.data[out.len - 1])) out.len--;
  if (out.data) out.data[out.len] = '\0';
  free(start);
  free(sent);
  sr_buf_free(&prose);
  return take_if(&out, w1 - w0, min_words);
}

/* Lower-cased alphanumeric core of a word, into w (cap bytes). */
static size_t word_core(const char *b, const char *e, char *w, size_t cap) {
  size_t n = 0;
  for (const char *p = b; p < e && n + 1 < cap; p++)
    if (isalnum((unsigned char)*p)) w[n++] = (char)tolower((unsigned char)*p);
  w[n] = '\0';
  return n;
}

char *sr_pq_desc(const char *name, const char *description) {
  if (!description) return NULL;
  /* name parts: split on non-alphanumerics */
  char parts[16][64];
  size_t np = 0;
  char whole[128];
  word_core(name ? name : "", (name ? name : "") + (name ? strlen(name) : 0), whole, sizeof whole);
  for (const char *p = name ? name : ""; *p && np < 16;) {
    while (*p && !isalnum((unsigned char)*p)) p++;
    const char *w = p;
    while (*p && isalnum((unsigned char)*p)) p++;
    if (p > w && word_core(w, p, parts[np], sizeof parts[np]) > 0) np++;
  }
  sr_buf out = SR_BUF_INIT;
  size_t words = 0;
  for (const char *p = description; *p;) {
    while (*p && isspace((unsigned char)*p)) p++;
    const char *w = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    if (p == w) break;
    char core[128];
    size_t cl = word_core(w, p, core, sizeof core);
    bool drop = cl > 0 && !strcmp(core, whole);
    for (size_t i = 0; i < np && !drop && cl > 0; i++)
      if (!strcmp(core, parts[i])) drop = true;
    if (drop) continue;
    if (out.len) sr_buf_putc(&out, ' ');
    sr_buf_append(&out, w, (size_t)(p - w));
    words++;
  }
  return take_if(&out, words, 4);
}

/* ---- building pairs ---- */

void sr_pairs_free(sr_pairs *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].query);
    free(p->v[i].q);
    free(p->v[i].minus);
  }
  free(p->v);
  free(p->group_start);
  free(p->group_doc);
  memset(p, 0, sizeof *p);
}

bool sr_pairs_group_has(const sr_pairs *ps, size_t i, uint32_t d) {
  uint32_t g = ps->v[i].group;
  for (uint32_t k = ps->group_start[g]; k < ps->group_start[g + 1]; k++)
    if (ps->group_doc[k] == d) return true;
  return false;
}

/* Fills group_start/group_doc from every pair's group (counting sort, pairs in order). */
static sr_status finish_groups(sr_pairs *ps, sr_error *err) {
  ps->group_start = calloc((size_t)ps->n_groups + 2, sizeof *ps->group_start);
  ps->group_doc = malloc((ps->n ? ps->n : 1) * sizeof *ps->group_doc);
  uint32_t *cur = malloc(((size_t)ps->n_groups + 1) * sizeof *cur);
  if (!ps->group_start || !ps->group_doc || !cur) {
    free(cur);
    return sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
  }
  for (size_t i = 0; i < ps->n; i++) ps->group_start[ps->v[i].group + 1]++;
  for (uint32_t g = 0; g < ps->n_groups; g++) ps->group_start[g + 1] += ps->group_start[g];
  memcpy(cur, ps->group_start, (size_t)ps->n_groups * sizeof *cur);
  for (size_t i = 0; i < ps->n; i++) ps->group_doc[cur[ps->v[i].group]++] = ps->v[i].doc;
  free(cur);
  return SR_OK;
}

static int cmp_fwd(const void *a, const void *b) {
  uint32_t x = ((const sr_fwd_term *)a)->term, y = ((const sr_fwd_term *)b)->term;
  return (x > y) - (x < y);
}

/* Resolves the query's terms and, unless LABEL or LLM, the per-field counts to subtract from the positive. */
static sr_status add_pair(sr_pairs *ps, sr_query_bag *bag, sr_analyzer *an, const sr_index *ix, const sr_senc *enc,
                          uint32_t doc, sr_pair_kind kind, char *query, int split, uint32_t group, sr_error *err) {
  sr_status st = sr_query_bag_fill(bag, an, ix, enc, query, strlen(query), err);
  if (st != SR_OK) {
    free(query);
    return st;
  }
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? ps->cap * 2 : 1024;
    sr_pair *v = realloc(ps->v, cap * sizeof *v);
    if (!v) {
      free(query);
      return sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
    }
    ps->v = v;
    ps->cap = cap;
  }
  sr_pair *p = &ps->v[ps->n];
  memset(p, 0, sizeof *p);
  p->doc = doc;
  p->kind = (uint8_t)kind;
  p->split = (uint8_t)split;
  p->group = group;
  p->query = query;
  p->q = malloc((bag->n ? bag->n : 1) * sizeof *p->q);
  p->minus = malloc((bag->n ? bag->n : 1) * sizeof *p->minus);
  if (!p->q || !p->minus) {
    free(p->q);
    free(p->minus);
    free(query);
    return sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
  }
  memcpy(p->q, bag->terms, bag->n * sizeof *p->q);
  p->nq = (uint32_t)bag->n;
  if (!sr_pair_kind_labelled(kind)) {
    for (size_t i = 0; i < bag->n; i++) {
      if (bag->terms[i].term == UINT32_MAX) continue;
      sr_fwd_term *m = &p->minus[p->n_minus++];
      uint32_t c = bag->terms[i].count;
      m->term = bag->terms[i].term;
      m->tf_name = 0;
      m->tf_desc = (uint8_t)(kind == SR_PQ_DESC ? (c > 255 ? 255 : c) : 0);
      m->tf_body = (uint16_t)(kind == SR_PQ_DESC ? 0 : (c > 65535 ? 65535 : c));
    }
    qsort(p->minus, p->n_minus, sizeof *p->minus, cmp_fwd);
  }
  ps->by_kind[kind]++;
  ps->n++;
  return SR_OK;
}

/* The labelled pairs of each group as a chain (for the duplicate check): next[i] = the group's next
 * pair after i; tail[i] (valid at a group's first pair) = its last pair. Owned by sr_pairs_build. */
typedef struct group_links {
  uint32_t *next, *tail;
  size_t cap;
} group_links;

/* Records pair ps->n - 1 as the newest member of the group that starts at `first` (UINT32_MAX: it
 * starts a group). */
static sr_status group_link(group_links *gl, const sr_pairs *ps, uint32_t first, sr_error *err) {
  size_t i = ps->n - 1;
  if (i >= gl->cap) {
    size_t cap = gl->cap ? gl->cap * 2 : 1024;
    while (cap <= i) cap *= 2;
    uint32_t *n2 = realloc(gl->next, cap * sizeof *n2);
    if (n2) gl->next = n2;
    uint32_t *t2 = n2 ? realloc(gl->tail, cap * sizeof *t2) : NULL;
    if (!n2 || !t2) return sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
    gl->tail = t2;
    gl->cap = cap;
  }
  gl->next[i] = UINT32_MAX;
  if (first == UINT32_MAX) {
    gl->tail[i] = (uint32_t)i;
  } else {
    gl->next[gl->tail[first]] = (uint32_t)i;
    gl->tail[first] = (uint32_t)i;
  }
  return SR_OK;
}

static int pick_split(sr_rng *r, const sr_pairs_opts *o, bool labelled) {
  double u = sr_rng_unit(r);
  double rr = labelled ? sr_pairs_labelled_share(o) : o->reranker_share;
  if (u < o->heldout) return SR_SPLIT_HELDOUT;
  if (u < o->heldout + rr) return SR_SPLIT_RERANKER;
  return SR_SPLIT_ENCODER;
}

static sr_status read_labelled(sr_pairs *ps, sr_query_bag *bag, sr_analyzer *an, const sr_index *ix,
                               const sr_senc *enc, const char *path, const uint8_t *excluded, sr_rng *r,
                               const sr_pairs_opts *o, sr_strmap *seen, group_links *gl, sr_error *err) {
  char *data;
  size_t len;
  sr_status st = sr_read_file(path, (size_t)1 << 31, &data, &len, err);
  if (st != SR_OK) return st;
  size_t line = 0;
  for (char *p = data; *p;) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    line++;
    char *s = p;
    p = nl ? nl + 1 : p + strlen(p);
    while (isspace((unsigned char)*s)) s++;
    if (!*s) continue;
    cJSON *j = cJSON_Parse(s);
    const cJSON *q = j ? cJSON_GetObjectItemCaseSensitive(j, "query") : NULL;
    const cJSON *id = j ? cJSON_GetObjectItemCaseSensitive(j, "skill_id") : NULL;
    if (!id && j) id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (!cJSON_IsString(q) || !cJSON_IsString(id)) {
      cJSON_Delete(j);
      free(data);
      return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: expected {\"query\": string, \"skill_id\": string}", path, line);
    }
    uint32_t doc;
    if (!sr_index_find(ix, id->valuestring, &doc)) {
      sr_fail(err, SR_ERR_NOT_FOUND, "%s:%zu: skill id \"%s\" is not in the index", path, line, id->valuestring);
      cJSON_Delete(j);
      free(data);
      return SR_ERR_NOT_FOUND;
    }
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "source");
    sr_pair_kind kind = cJSON_IsString(src) && !strcmp(src->valuestring, "llm") ? SR_PQ_LLM : SR_PQ_LABEL;
    if (excluded[doc]) {
      ps->labelled_excluded++;
      cJSON_Delete(j);
      continue;
    }
    /* the same query with several right answers: one group, one split (no held-out leak) */
    uint32_t first = UINT32_MAX;
    bool known = sr_strmap_get(seen, q->valuestring, strlen(q->valuestring), &first), dup = false;
    for (uint32_t k = known ? first : UINT32_MAX; k != UINT32_MAX && !dup; k = gl->next[k]) dup = ps->v[k].doc == doc;
    if (dup) {
      ps->labelled_duplicates++;
      cJSON_Delete(j);
      continue;
    }
    char *query = strdup(q->valuestring);
    cJSON_Delete(j);
    if (!query) {
      free(data);
      return sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
    }
    int split = known ? ps->v[first].split : pick_split(r, o, true);
    uint32_t group = known ? ps->v[first].group : ps->n_groups++;
    st = add_pair(ps, bag, an, ix, enc, doc, kind, query, split, group, err);
    if (st == SR_OK && !known && !sr_strmap_put(seen, ps->v[ps->n - 1].query, strlen(query), (uint32_t)(ps->n - 1), NULL, NULL))
      st = sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
    if (st == SR_OK) st = group_link(gl, ps, known ? first : UINT32_MAX, err);
    if (st != SR_OK) {
      free(data);
      return sr_error_prefix(err, "%s:%zu", path, line);
    }
  }
  free(data);
  return SR_OK;
}

uint8_t *sr_pairs_excluded(const sr_index *ix, const char *const *ids, size_t n, size_t *marked) {
  uint32_t count = sr_index_count(ix);
  uint8_t *flags = calloc(count ? count : 1, 1);
  size_t m = 0;
  for (size_t i = 0; flags && i < n; i++) {
    uint32_t d;
    if (sr_index_find(ix, ids[i], &d) && !flags[d]) {
      flags[d] = 1;
      m++;
    }
  }
  if (marked) *marked = m;
  return flags;
}

void sr_pairs_order(uint32_t *order, uint32_t n, sr_rng *r) {
  for (uint32_t i = 0; i < n; i++) order[i] = i;
  for (uint32_t i = n; i > 1; i--) {
    uint32_t j = (uint32_t)sr_rng_below(r, i), t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}

sr_status sr_pairs_build(const sr_index *ix, const sr_senc *enc, const sr_pairs_opts *o, sr_pairs *out, sr_error *err) {
  memset(out, 0, sizeof *out);
  uint32_t n = sr_index_count(ix);
  uint8_t *excluded = sr_pairs_excluded(ix, o->exclude_ids, o->n_exclude, &out->excluded);
  uint32_t *order = malloc((n ? n : 1) * sizeof *order);
  sr_analyzer *an = NULL;
  sr_query_bag bag = SR_QUERY_BAG_INIT;
  sr_strmap seen = SR_STRMAP_INIT;   /* labelled query text → its first pair */
  group_links gl = {0};
  sr_status st = SR_OK;
  if (!excluded || !order) {
    st = sr_fail(err, SR_ERR_NOMEM, "pairs: out of memory");
    goto done;
  }
  if ((st = sr_analyzer_new(sr_index_analyzer(ix), &an, err)) != SR_OK) goto done;
  sr_rng r;
  sr_rng_seed(&r, o->seed);
  sr_pairs_order(order, n, &r);
  size_t made = 0;
  for (uint32_t k = 0; k < n && made < o->n_queries; k++) {
    uint32_t d = order[k];
    if (excluded[d]) continue;
    sr_entry_view e;
    sr_index_entry(ix, d, &e);
    uint64_t rnd = sr_rng_next(&r);
    double u = sr_rng_unit(&r);
    sr_pair_kind kind = SR_PQ_WHEN;
    char *q = (u < 0.6 && e.body) ? sr_pq_when(e.body, 120) : NULL;
    if (!q) {
      kind = SR_PQ_DESC;
      if (sr_rng_unit(&r) < o->desc_ratio) q = sr_pq_desc(e.name, e.description);
    }
    if (!q && e.body) {
      kind = SR_PQ_SPAN;
      q = sr_pq_span(e.body, rnd, 40, 160);
    }
    if (!q) {
      out->skipped_short++;
      continue;
    }
    int split = pick_split(&r, o, false);
    if ((st = add_pair(out, &bag, an, ix, enc, d, kind, q, split, out->n_groups++, err)) != SR_OK) goto done;
    made++;
  }
  for (size_t i = 0; i < o->n_labelled && st == SR_OK; i++)
    st = read_labelled(out, &bag, an, ix, enc, o->labelled_paths[i], excluded, &r, o, &seen, &gl, err);
  if (st == SR_OK) st = finish_groups(out, err);
done:
  sr_strmap_free(&seen);
  free(gl.next);
  free(gl.tail);
  sr_query_bag_free(&bag);
  sr_analyzer_free(an);
  free(excluded);
  free(order);
  if (st != SR_OK) sr_pairs_free(out);
  return st;
}
