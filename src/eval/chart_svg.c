/* chart_svg.c — SVG line charts with CI bands (see chart_svg.h). */
#include "eval/chart_svg.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static const char *const COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_COLORS (sizeof COLORS / sizeof *COLORS)

double sr_chart_nice_step(double lo, double hi, int target) {
  double span = hi - lo;
  if (!(span > 0) || target < 1) return 1;
  double raw = span / target, p = pow(10, floor(log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static bool put_text(sr_buf *b, const char *s) {
  bool ok = true;
  for (; s && *s && ok; s++) {
    switch (*s) {
      case '<': ok = sr_buf_puts(b, "&lt;"); break;
      case '>': ok = sr_buf_puts(b, "&gt;"); break;
      case '&': ok = sr_buf_puts(b, "&amp;"); break;
      case '"': ok = sr_buf_puts(b, "&quot;"); break;
      default: ok = sr_buf_putc(b, *s);
    }
  }
  return ok;
}

typedef struct frame {
  double x0, x1, y0, y1;         /* data range */
  double left, right, top, bottom;  /* plot area in pixels */
} frame;

static double px(const frame *f, double x) { return f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left); }
static double py(const frame *f, double y) { return f->bottom - (y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top); }

static void data_range(const sr_chart *c, frame *f) {
  f->x0 = INFINITY, f->x1 = -INFINITY, f->y0 = INFINITY, f->y1 = -INFINITY;
  for (size_t s = 0; s < c->n_series; s++) {
    const sr_chart_series *se = &c->series[s];
    for (size_t i = 0; i < se->n; i++) {
      if (isnan(se->y[i])) continue;
      f->x0 = fmin(f->x0, se->x[i]), f->x1 = fmax(f->x1, se->x[i]);
      double lo = se->lo && !isnan(se->lo[i]) ? se->lo[i] : se->y[i];
      double hi = se->hi && !isnan(se->hi[i]) ? se->hi[i] : se->y[i];
      f->y0 = fmin(f->y0, fmin(lo, se->y[i])), f->y1 = fmax(f->y1, fmax(hi, se->y[i]));
    }
  }
  if (!isfinite(f->x0)) f->x0 = 0, f->x1 = 1;
  if (!isfinite(f->y0)) f->y0 = 0, f->y1 = 1;
  if (c->y_min != c->y_max) f->y0 = c->y_min, f->y1 = c->y_max;
  if (f->x1 <= f->x0) f->x1 = f->x0 + 1;
  if (f->y1 <= f->y0) f->y1 = f->y0 + 1;
}

bool sr_chart_svg(const sr_chart *c, sr_buf *b) {
  assert(c && b);
  int w = c->width ? c->width : 720, h = c->height ? c->height : 440;
  frame f;
  data_range(c, &f);
  f.left = 70, f.right = w - 190, f.top = 40, f.bottom = h - 60;
  bool ok = sr_buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                          "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
                          "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n<text x=\"%d\" y=\"22\" "
                          "text-anchor=\"middle\" font-size=\"15\">", w, h, w, h, w, h, (int)(f.left + f.right) / 2) &&
            put_text(b, c->title) && sr_buf_puts(b, "</text>\n");
  /* grid and ticks */
  double ys = sr_chart_nice_step(f.y0, f.y1, 5), xs = sr_chart_nice_step(f.x0, f.x1, 8);
  for (double y = ceil(f.y0 / ys - 1e-9) * ys; ok && y <= f.y1 + 1e-9 * ys; y += ys)
    ok = sr_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                       f.left, py(&f, y), f.right, py(&f, y), f.left - 6, py(&f, y) + 4, fabs(y) < 1e-12 ? 0 : y);
  for (double x = ceil(f.x0 / xs - 1e-9) * xs; ok && x <= f.x1 + 1e-9 * xs; x += xs)
    ok = sr_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                       px(&f, x), f.bottom, px(&f, x), f.bottom + 5, px(&f, x), f.bottom + 19, x);
  ok = ok && sr_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n"
                              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n",
                           f.left, f.bottom, f.right, f.bottom, f.left, f.top, f.left, f.bottom);
  ok = ok && sr_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (f.left + f.right) / 2, h - 18) &&
       put_text(b, c->x_label) &&
       sr_buf_printf(b, "</text>\n<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">",
                     (f.top + f.bottom) / 2, (f.top + f.bottom) / 2) &&
       put_text(b, c->y_label) && sr_buf_puts(b, "</text>\n");
  for (size_t s = 0; ok && s < c->n_series; s++) {
    const sr_chart_series *se = &c->series[s];
    const char *col = COLORS[s % N_COLORS];
    if (se->lo && se->hi) {  /* band: lo left to right, then hi right to left */
      ok = sr_buf_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"", col);
      for (size_t i = 0; ok && i < se->n; i++)
        if (!isnan(se->lo[i]) && !isnan(se->y[i])) ok = sr_buf_printf(b, "%.1f,%.1f ", px(&f, se->x[i]), py(&f, se->lo[i]));
      for (size_t i = se->n; ok && i-- > 0;)
        if (!isnan(se->hi[i]) && !isnan(se->y[i])) ok = sr_buf_printf(b, "%.1f,%.1f ", px(&f, se->x[i]), py(&f, se->hi[i]));
      ok = ok && sr_buf_puts(b, "\"/>\n");
    }
    ok = ok && sr_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
    for (size_t i = 0; ok && i < se->n; i++)
      if (!isnan(se->y[i])) ok = sr_buf_printf(b, "%.1f,%.1f ", px(&f, se->x[i]), py(&f, se->y[i]));
    ok = ok && sr_buf_puts(b, "\"/>\n");
    for (size_t i = 0; ok && i < se->n; i++)
      if (!isnan(se->y[i]))
        ok = sr_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(&f, se->x[i]), py(&f, se->y[i]), col);
    double ly = f.top + 10 + 20.0 * (double)s;
    ok = ok && sr_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" fill=\"%s\" fill-opacity=\"0.3\" "
                                "stroke=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\">", f.right + 16, ly - 9, col, col,
                             f.right + 40, ly) && put_text(b, se->name) && sr_buf_puts(b, "</text>\n");
  }
  return ok && sr_buf_puts(b, "</svg>\n");
}
