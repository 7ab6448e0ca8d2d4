/* chart_svg.h — hand-written SVG line charts: one line per series, an optional confidence band per
 * series (a shaded polygon from lo to hi), axes with ticks, axis labels, a title and a legend.
 * Points whose y is NaN are left out (the line and band break there). */
#ifndef SR_EVAL_CHART_SVG_H
#define SR_EVAL_CHART_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef struct sr_chart_series {
  const char *name;
  const double *x, *y;       /* n points, x ascending */
  const double *lo, *hi;     /* the band, or NULL for none */
  size_t n;
} sr_chart_series;

typedef struct sr_chart {
  const char *title, *x_label, *y_label;  /* borrowed; escaped on output */
  const sr_chart_series *series;
  size_t n_series;
  double y_min, y_max;       /* y range; y_min == y_max = fit to the data (and bands) */
  int width, height;         /* pixels; 0 = 720 x 440 */
} sr_chart;

/* Appends the SVG document to out; returns false only when memory runs out. */
bool sr_chart_svg(const sr_chart *c, sr_buf *out);

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over [lo, hi]. */
double sr_chart_nice_step(double lo, double hi, int target);

#endif
