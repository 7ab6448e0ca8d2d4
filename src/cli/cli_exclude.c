/* cli_exclude.c — see cli_exclude.h. */
#include "cli/cli_exclude.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"

bool cli_id_push(cli_id_list *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) return false;
    l->v = v;
    l->cap = cap;
  }
  if (!(l->v[l->n] = strdup(s))) return false;
  l->n++;
  return true;
}

void cli_id_list_free(cli_id_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static void norm_name(const char *s, char *out, size_t cap) {
  size_t n = 0;
  for (; s && *s && n + 1 < cap; s++)
    if (isalnum((unsigned char)*s)) out[n++] = (char)tolower((unsigned char)*s);
  out[n] = '\0';
}

static bool oom(const char *prog) {
  fprintf(stderr, "skillrouter %s: out of memory\n", prog);
  return false;
}

/* Adds every entry of ix whose normalised name equals that of an entry among out->v[first..end). */
static bool add_same_names(const char *prog, const sr_index *ix, cli_id_list *out, size_t first, size_t end) {
  size_t n_names = 0;
  char(*names)[128] = malloc((end - first + 1) * sizeof *names);
  if (!names) return oom(prog);
  for (size_t i = first; i < end; i++) {
    uint32_t d;
    if (!sr_index_find(ix, out->v[i], &d)) continue;
    sr_entry_view e;
    sr_index_entry(ix, d, &e);
    norm_name(e.name, names[n_names], sizeof names[n_names]);
    if (names[n_names][0]) n_names++;
  }
  bool ok = true;
  uint32_t n = sr_index_count(ix);
  for (uint32_t d = 0; d < n && n_names && ok; d++) {
    sr_entry_view e;
    sr_index_entry(ix, d, &e);
    char nn[128];
    norm_name(e.name, nn, sizeof nn);
    for (size_t k = 0; k < n_names; k++)
      if (!strcmp(nn, names[k])) {
        ok = cli_id_push(out, e.id);
        break;
      }
  }
  free(names);
  return ok || oom(prog);
}

bool cli_exclude_bench(const char *prog, const char *dir, const sr_index *ix, cli_id_list *out) {
  char path[4096];
  snprintf(path, sizeof path, "%s/relevance.json", dir);
  char *data;
  size_t len;
  sr_error err = {0};
  if (sr_read_file(path, (size_t)1 << 28, &data, &len, &err) != SR_OK) {
    fprintf(stderr, "skillrouter %s: %s\n", prog, err.msg);
    return false;
  }
  cJSON *rel = cJSON_Parse(data);
  free(data);
  if (!cJSON_IsObject(rel)) {
    fprintf(stderr, "skillrouter %s: %s: not a JSON object\n", prog, path);
    cJSON_Delete(rel);
    return false;
  }
  size_t first = out->n;
  bool ok = true;
  const cJSON *task;
  cJSON_ArrayForEach(task, rel) {
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(task, "gt_skill_ids"), *x;
    cJSON_ArrayForEach(x, gt) if (cJSON_IsString(x)) ok &= cli_id_push(out, x->valuestring);
    const cJSON *graded = cJSON_GetObjectItemCaseSensitive(task, "relevance");
    cJSON_ArrayForEach(x, graded) ok &= cli_id_push(out, x->string);
  }
  cJSON_Delete(rel);
  if (!ok) return oom(prog);
  size_t gt_end = out->n;
  snprintf(path, sizeof path, "%s/equivalents.json", dir);
  if (sr_read_file(path, (size_t)1 << 28, &data, &len, &err) == SR_OK) {
    cJSON *eq = cJSON_Parse(data);
    free(data);
    const cJSON *g, *x;
    cJSON_ArrayForEach(g, eq) cJSON_ArrayForEach(x, g) if (cJSON_IsString(x)) ok &= cli_id_push(out, x->valuestring);
    cJSON_Delete(eq);
    if (!ok) return oom(prog);
  }
  return add_same_names(prog, ix, out, first, gt_end);
}

bool cli_exclude_file(const char *prog, const char *path, cli_id_list *out) {
  char *data;
  size_t len;
  sr_error err = {0};
  if (sr_read_file(path, (size_t)1 << 30, &data, &len, &err) != SR_OK) {
    fprintf(stderr, "skillrouter %s: %s\n", prog, err.msg);
    return false;
  }
  bool ok = true;
  for (char *p = strtok(data, "\r\n"); p && ok; p = strtok(NULL, "\r\n"))
    if (*p) ok = cli_id_push(out, p);
  free(data);
  return ok || oom(prog);
}

bool cli_exclusions(const char *prog, const char *bench_dir, const char *ids_file, const sr_index *ix,
                    cli_id_list *out) {
  return (!bench_dir || cli_exclude_bench(prog, bench_dir, ix, out)) && (!ids_file || cli_exclude_file(prog, ids_file, out));
}
