/* scaling_out.c — results.csv, results.json and the SVG charts of a scaling study (see scaling.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/chart_svg.h"
#include "eval/scaling.h"
#include "util/buf.h"
#include "util/fileio.h"

static sr_status write_buf(const char *dir, const char *name, const sr_buf *b, char **path_out, sr_error *err) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
    return sr_fail(err, SR_ERR_ARG, "%s: path too long", dir);
  sr_status st = sr_write_file_atomic(path, b->data, b->len, err);
  if (!st && path_out && !(*path_out = strdup(path))) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  return st;
}

static bool put_num(sr_buf *b, double v) { return isnan(v) ? sr_buf_puts(b, "null") : sr_buf_printf(b, "%.6g", v); }

static void size_label(const sr_scale_size *z, char *s, size_t n) {
  if (z->all) snprintf(s, n, "all");
  else snprintf(s, n, "%zu", z->packs);
}

sr_status sr_scale_write_tables(const sr_scale_result *r, const char *dir, sr_error *err) {
  sr_buf csv = SR_BUF_INIT, js = SR_BUF_INIT;
  bool ok = sr_buf_puts(&csv, "size,packs,mean_tools,cohort,method,metric,mean,ci_lo,ci_hi,n\n") &&
            sr_buf_printf(&js, "{\"units\":%zu,\"folds\":%zu,\"bootstrap\":%zu,\"ci_level\":0.95,"
                               "\"shortlist_k\":%d,\"rel_threshold\":{\"tool\":%.4g,\"pack\":%.4g},\"seconds\":%.3f,\"sizes\":[",
                          r->units, r->folds, r->boot, SR_SCALE_K, r->rel_entry, r->rel_pack, r->seconds);
  for (size_t si = 0; ok && si < r->n_sizes; si++) {
    const sr_scale_size *z = &r->sizes[si];
    char lab[32];
    size_label(z, lab, sizeof lab);
    ok = sr_buf_printf(&js, "%s{\"size\":\"%s\",\"packs\":%zu,\"mean_tools\":%.2f,\"tasks\":{\"all\":%zu,\"fixed\":%zu},"
                            "\"cohorts\":{", si ? "," : "", lab, z->packs, z->mean_tools, z->tasks[0], z->tasks[1]);
    for (int co = 0; ok && co < SR_CO_COUNT; co++) {
      ok = sr_buf_printf(&js, "%s\"%s\":{", co ? "," : "", sr_scale_cohort_name(co));
      bool first_m = true;
      for (int m = 0; ok && m < SR_SC_COUNT; m++) {
        if (!r->has_method[m]) continue;
        ok = sr_buf_printf(&js, "%s\"%s\":{", first_m ? "" : ",", sr_scale_method_name(m));
        first_m = false;
        bool first = true;
        for (int k = 0; ok && k < SR_SM_COUNT; k++) {
          const sr_ci *c = &z->ci[co][m][k];
          if (isnan(c->mean)) continue;
          ok = sr_buf_printf(&csv, "%s,%zu,%.2f,%s,%s,%s,%.6f,%.6f,%.6f,%zu\n", lab, z->packs, z->mean_tools,
                             sr_scale_cohort_name(co), sr_scale_method_name(m), sr_scale_metric_name(k), c->mean,
                             c->lo, c->hi, c->n) &&
               sr_buf_printf(&js, "%s\"%s\":{\"mean\":", first ? "" : ",", sr_scale_metric_name(k)) &&
               put_num(&js, c->mean) && sr_buf_puts(&js, ",\"ci\":[") && put_num(&js, c->lo) && sr_buf_putc(&js, ',') &&
               put_num(&js, c->hi) && sr_buf_puts(&js, "]}");
          first = false;
        }
        ok = ok && sr_buf_putc(&js, '}');
      }
      ok = ok && sr_buf_putc(&js, '}');
    }
    ok = ok && sr_buf_puts(&js, "}}");
  }
  ok = ok && sr_buf_puts(&js, "]}\n");
  sr_status st = ok ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
  if (!st) st = write_buf(dir, "results.csv", &csv, NULL, err);
  if (!st) st = write_buf(dir, "results.json", &js, NULL, err);
  sr_buf_free(&csv);
  sr_buf_free(&js);
  return st;
}

static const sr_scale_metric CHART_METRICS[] = {SR_SM_RECALL5, SR_SM_RECALL10, SR_SM_RECALL20, SR_SM_COV10,
                                                SR_SM_COV20, SR_SM_NDCG10, SR_SM_F1_1, SR_SM_F1T};
#define N_CHART (sizeof CHART_METRICS / sizeof *CHART_METRICS)

sr_status sr_scale_write_charts(const sr_scale_result *r, const char *dir, char ***paths, size_t *n_paths,
                                sr_error *err) {
  *paths = NULL, *n_paths = 0;
  size_t ns = r->n_sizes;
  double *buf = malloc((4 * SR_SC_COUNT * ns + 1) * sizeof *buf);
  char **out = calloc(SR_CO_COUNT * N_CHART, sizeof *out);
  if (!buf || !out) {
    free(buf), free(out);
    return sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
  }
  sr_status st = SR_OK;
  size_t np = 0;
  for (int co = 0; !st && co < SR_CO_COUNT; co++) {
    for (size_t ci = 0; !st && ci < N_CHART; ci++) {
      sr_scale_metric k = CHART_METRICS[ci];
      sr_chart_series se[SR_SC_COUNT];
      size_t nse = 0;
      for (int m = 0; m < SR_SC_COUNT; m++) {
        if (!r->has_method[m]) continue;
        double *x = &buf[4 * ns * m], *y = x + ns, *lo = y + ns, *hi = lo + ns;
        bool any = false;
        for (size_t i = 0; i < ns; i++) {
          const sr_ci *c = &r->sizes[i].ci[co][m][k];
          x[i] = r->sizes[i].mean_tools, y[i] = c->mean, lo[i] = c->lo, hi[i] = c->hi;
          any = any || !isnan(c->mean);
        }
        if (any) se[nse++] = (sr_chart_series){sr_scale_method_name(m), x, y, lo, hi, ns};
      }
      char title[160], name[96];
      snprintf(title, sizeof title, "%s vs catalog size (%s tasks, %zu folds, 95%% bootstrap CI)",
               sr_scale_metric_name(k), co == SR_CO_ALL ? "all" : "fixed-cohort", r->folds);
      snprintf(name, sizeof name, "%s_%s.svg", sr_scale_cohort_name(co), sr_scale_metric_name(k));
      for (char *p = name; *p; p++)
        if (*p == '@') *p = '_';
      sr_chart ch = {title, "catalog size (tools, mean over folds)", sr_scale_metric_name(k), se, nse, 0, 1, 0, 0};
      sr_buf b = SR_BUF_INIT;
      if (!sr_chart_svg(&ch, &b)) st = sr_fail(err, SR_ERR_NOMEM, "scale: out of memory");
      if (!st && !(st = write_buf(dir, name, &b, &out[np], err))) np++;
      sr_buf_free(&b);
    }
  }
  free(buf);
  if (st) {
    for (size_t i = 0; i < np; i++) free(out[i]);
    free(out);
    return st;
  }
  *paths = out, *n_paths = np;
  return SR_OK;
}
