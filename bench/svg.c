/* Standalone SVG figures for sweep tables (no dependencies; plain text, deterministic).
 *
 * Every agent keeps one style in every figure of a table (its column index): a colour from a
 * palette of 16 distinguishable colours and a line pattern (solid, dashed, dotted, dash-dot),
 * so that no two of 16 agents look alike and even same-coloured lines differ. Axes carry ticks
 * with labels; value axes follow the data, and an interval that runs off an axis is clipped with
 * an arrowhead at the clipped end. */
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tableau 10, then six more that stay distinct from them on white (navy, maroon, teal, magenta,
 * black, salmon). */
static const char *const palette[SVG_NSTYLE_COLOURS] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22", "#000075", "#800000", "#469990", "#f032e6", "#000000", "#fb9a99"};
static const char *const dashes[4] = {"", " stroke-dasharray=\"7 4\"", " stroke-dasharray=\"2 3\"",
                                      " stroke-dasharray=\"9 3 2 3\""};

const char *svg_colour(int style) { return palette[(style % SVG_NSTYLE_COLOURS + SVG_NSTYLE_COLOURS) % SVG_NSTYLE_COLOURS]; }
/* The line pattern of a style: cycles independently of the colour, so that two agents that share a
 * colour (style i and i + 16) never share the pattern as well. */
static const char *dash_of(int style) { return dashes[(style % 4 + 4) % 4]; }

static void xml_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}


static void text_at(FILE *f, double x, double y, const char *anchor, const char *extra, const char *s) {
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s%s%s%s>", x, y, anchor ? " text-anchor=\"" : "", anchor ? anchor : "",
          anchor ? "\"" : "", extra ? extra : "");
  xml_text(f, s);
  fputs("</text>\n", f);
}

/* Opens `path` atomically and writes the SVG header of a W x H figure with its title at height ty
 * (font size fs). NULL on failure (e set). */
static FILE *svg_begin(sgp_atomic_file *af, const char *path, int W, int H, double ty, int fs, const char *title,
                       sgp_err *e) {
  if (sgp_atomic_open(af, path, e)) return NULL;
  FILE *f = af->f;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          W, H, W, H);
  char size[32];
  snprintf(size, sizeof size, " font-size=\"%d\"", fs);
  text_at(f, 10, ty, NULL, size, title);
  return f;
}

/* "nice" tick step for a range */
static double nice_step(double range, int want) {
  if (!(range > 0)) return 1;
  double raw = range / want, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* An axis: data range [lo, hi] onto pixels [p0, p1]. */
typedef struct axis {
  double lo, hi, p0, p1;
} axis;

static double ax(const axis *a, double v) { return a->p0 + (v - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0); }

/* The range of the finite values v[0..n) padded by 5 % (a flat range opens to ±0.5, or ±5 %). */
static void data_range(const double *v, int n, double *lo, double *hi) {
  *lo = INFINITY, *hi = -INFINITY;
  for (int i = 0; i < n; i++)
    if (isfinite(v[i])) *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]);
  if (!(*lo <= *hi)) *lo = 0, *hi = 1;
  double pad = *hi > *lo ? 0.05 * (*hi - *lo) : fmax(0.5, 0.05 * fabs(*lo));
  *lo -= pad, *hi += pad;
}

static void tick_label(char *buf, size_t cap, double v, double step) {
  if (fabs(v) < 1e-9 * step) v = 0;
  snprintf(buf, cap, "%g", v);
}

/* Ticks, labels and grid lines of axis a: vertical (the y axis at x = at, grid lines across to
 * `to`) or horizontal (the x axis at y = at, grid lines up to `to`). */
static void ticks(FILE *f, const axis *a, int vertical, double at, double to, int grid) {
  double step = nice_step(a->hi - a->lo, 5);
  char b[64];
  for (double v = ceil(a->lo / step) * step; v <= a->hi + 1e-9 * step; v += step) {
    double p = ax(a, v);
    double x1 = vertical ? at : p, x2 = vertical ? to : p, y1 = vertical ? p : to, y2 = vertical ? p : at;
    if (grid) fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", x1, x2, y1, y2);
    if (vertical) fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", at - 4, at, p, p);
    else fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", p, p, at, at + 4);
    tick_label(b, sizeof b, v, step);
    if (vertical) text_at(f, at - 6, p + 4, "end", " font-size=\"10\"", b);
    else text_at(f, p, at + 15, "middle", " font-size=\"10\"", b);
  }
}
static void yticks(FILE *f, const axis *a, double L, double R, int grid) { ticks(f, a, 1, L, R, grid); }
static void xticks(FILE *f, const axis *a, double B, double T, int grid) { ticks(f, a, 0, B, T, grid); }

/* A vertical interval [lo, hi] at x on axis a, clipped to the axis with an arrowhead where it
 * runs off. Returns 1 if it was clipped. */
static int vinterval(FILE *f, const axis *a, double x, double lo, double hi, double cap, const char *col) {
  if (!isfinite(lo) || !isfinite(hi)) return 0;
  double amin = fmin(a->lo, a->hi), amax = fmax(a->lo, a->hi);
  int clo = lo < amin, chi = hi > amax;
  double y0 = ax(a, fmax(lo, amin)), y1 = ax(a, fmin(hi, amax));
  fprintf(f, "<path d=\"M%.1f %.1fV%.1f\" stroke=\"%s\" stroke-width=\"1.5\" fill=\"none\"/>", x, y0, y1, col);
  for (int end = 0; end < 2; end++) {
    int clipped = end ? chi : clo;
    double y = end ? y1 : y0;
    if (clipped) /* an arrowhead pointing off the axis */
      fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x - 5, y + (end ? 7 : -7), x, y,
              x + 5, y + (end ? 7 : -7), col);
    else
      fprintf(f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" stroke-width=\"1.5\"/>", x - cap, y, x + cap, col);
  }
  fputc('\n', f);
  return clo || chi;
}

/* ------------------------------------------------------------------ bar charts */
int svg_bar_chart(const char *path, const char *title, const char *ylabel, const char *note, const svg_bar_item *it,
                  int n, sgp_err *e) {
  /* the axis follows the estimates and the per-seed points, not the intervals */
  int nv = 0;
  for (int i = 0; i < n; i++) nv += 1 + it[i].npoints;
  double *v = sgp_malloc(sizeof *v * (size_t)(nv + 1));
  nv = 0;
  for (int i = 0; i < n; i++) {
    v[nv++] = it[i].est;
    for (int k = 0; k < it[i].npoints; k++) v[nv++] = it[i].points[k];
  }
  double lo, hi;
  data_range(v, nv, &lo, &hi);
  free(v);
  int zero_in = lo <= 0 && hi >= 0;
  const int W = 170 + 84 * (n < 4 ? 4 : n), H = 420, L = 70, R = 30, T = 58, B = 130;
  axis a = {lo, hi, H - B, T};
  sgp_atomic_file af;
  FILE *f = svg_begin(&af, path, W, H, 20, 13, title, e);
  if (!f) return -1;
  text_at(f, 10, 38, NULL, " font-size=\"11\" fill=\"#444\"", note);
  yticks(f, &a, L, W - R, 1);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, T, W - L - R,
          H - B - T);
  if (zero_in) fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, W - R, ax(&a, 0), ax(&a, 0));
  fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", T + (H - B - T) / 2.0);
  xml_text(f, ylabel);
  fprintf(f, "</text>\n");
  double bw = (double)(W - L - R) / (n ? n : 1);
  int clipped = 0;
  for (int i = 0; i < n; i++) {
    double cx = L + bw * (i + 0.5);
    const char *col = svg_colour(it[i].style);
    if (isfinite(it[i].est)) {
      if (zero_in) {
        double y0 = ax(&a, 0), y1 = ax(&a, it[i].est);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.55\"/>\n",
                cx - bw * 0.3, fmin(y0, y1), bw * 0.6, fabs(y1 - y0), col);
      }
      fprintf(f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" stroke-width=\"4\"/>\n", cx - bw * 0.3, ax(&a, it[i].est),
              cx + bw * 0.3, col);
      clipped |= vinterval(f, &a, cx, it[i].lo, it[i].hi, 8, "black");
      /* the per-seed values: spread across the bar in seed order, drawn over it */
      for (int k = 0; k < it[i].npoints; k++) {
        if (!isfinite(it[i].points[k])) continue;
        double dx = it[i].npoints > 1 ? (k / (double)(it[i].npoints - 1) - 0.5) * bw * 0.4 : 0;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"white\" stroke=\"%s\" stroke-width=\"1.6\"/>", cx + dx,
                ax(&a, it[i].points[k]), col);
      }
      fputc('\n', f);
    } else {
      text_at(f, cx, T + (H - B - T) / 2.0, "middle", " fill=\"#888\"", "missing");
    }
    char lab[300];
    snprintf(lab, sizeof lab, "%s (n=%d)", it[i].label, it[i].n);
    fprintf(f, "<text transform=\"translate(%.1f %d) rotate(35)\" font-size=\"11\">", cx - 4, H - B + 16);
    xml_text(f, lab);
    fprintf(f, "</text>\n");
  }
  if (!zero_in) text_at(f, W - R, T - 4, "end", " font-size=\"10\" fill=\"#444\"", "axis does not include 0: estimates as marks");
  if (clipped) text_at(f, L, T - 4, NULL, " font-size=\"10\" fill=\"#444\"", "arrowhead: interval clipped at the axis");
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}

/* ------------------------------------------------------------------ legends */
static void legend(FILE *f, int x, int y, const svg_traj_agent *ag, int na, const char *const *notes) {
  for (int a = 0; a < na; a++, y += 20) {
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2.5\"%s/>", x, x + 30, y, y,
            svg_colour(ag[a].style), dash_of(ag[a].style));
    text_at(f, x + 36, y + 4, NULL, NULL, ag[a].label);
  }
  for (int k = 0; notes[k]; k++) text_at(f, x, y + 10 + 16 * k, NULL, " fill=\"#555\" font-size=\"11\"", notes[k]);
}

/* every agent's executed (thick, its pattern) and first planned (thin, faint) path of columns
 * (cx, cy) of n-column rows, clamped to the axes */
static void draw_lines(FILE *f, const axis *X, const axis *Y, const svg_traj_agent *ag, int na, int n, int cx, int cy,
                       int series) {
  for (int a = 0; a < na; a++) {
    for (int pass = 0; pass < 2; pass++) {
      const float *p = pass ? ag[a].plan : ag[a].x;
      int m = pass ? ag[a].nplan : ag[a].nx_steps;
      if (!p || m < 2) continue;
      fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s%s points=\"", svg_colour(ag[a].style),
              pass ? "1" : "2", pass ? " stroke-opacity=\"0.55\"" : "", pass ? "" : dash_of(ag[a].style));
      int first = 1;
      for (int t = 0; t < m; t++) {
        double xv = series ? t : p[t * n + cx], yv = p[t * n + cy];
        if (!isfinite(xv) || !isfinite(yv)) continue;
        xv = fmin(fmax(xv, fmin(X->lo, X->hi)), fmax(X->lo, X->hi));
        yv = fmin(fmax(yv, fmin(Y->lo, Y->hi)), fmax(Y->lo, Y->hi));
        fprintf(f, "%s%.1f,%.1f", first ? "" : " ", ax(X, xv), ax(Y, yv));
        first = 0;
      }
      fprintf(f, "\"/>\n");
    }
  }
}

/* ------------------------------------------------------------------ planar small multiples */
/* The extent of every panel: the data box, widened to what is drawn (at most 3× the box). */
static void planar_extent(const sweep_env_info *info, const svg_traj_panel *pn, int np, double *x0, double *x1,
                          double *y0, double *y1) {
  *x0 = info->box_lo[0], *x1 = info->box_hi[0], *y0 = info->box_lo[1], *y1 = info->box_hi[1];
  if (!(*x1 > *x0)) *x0 = -1, *x1 = 1;
  if (!(*y1 > *y0)) *y0 = -1, *y1 = 1;
  for (int q = 0; q < np; q++)
    for (int a = 0; a < pn[q].nagents; a++)
      for (int pass = 0; pass < 2; pass++) {
        const float *p = pass ? pn[q].agents[a].plan : pn[q].agents[a].x;
        int m = pass ? pn[q].agents[a].nplan : pn[q].agents[a].nx_steps;
        for (int t = 0; p && t < m; t++) {
          if (!isfinite(p[2 * t]) || !isfinite(p[2 * t + 1])) continue;
          *x0 = fmin(*x0, p[2 * t]), *x1 = fmax(*x1, p[2 * t]);
          *y0 = fmin(*y0, p[2 * t + 1]), *y1 = fmax(*y1, p[2 * t + 1]);
        }
      }
  double bw = info->box_hi[0] - info->box_lo[0], bh = info->box_hi[1] - info->box_lo[1];
  if (bw > 0) *x0 = fmax(*x0, info->box_lo[0] - bw), *x1 = fmin(*x1, info->box_hi[0] + bw);
  if (bh > 0) *y0 = fmax(*y0, info->box_lo[1] - bh), *y1 = fmin(*y1, info->box_hi[1] + bh);
  double pad = 0.04 * fmax(*x1 - *x0, *y1 - *y0);
  *x0 -= pad, *x1 += pad, *y0 -= pad, *y1 += pad;
}

int svg_trajectories(const char *path, const char *title, const sweep_env_info *info, const svg_traj_panel *pn,
                     int np, sgp_err *e) {
  double x0, x1, y0, y1;
  planar_extent(info, pn, np, &x0, &x1, &y0, &y1);
  /* square data units: S pixels for the larger side */
  const int S = 300, ncol = np < 3 ? (np ? np : 1) : 3, nrow = (np + ncol - 1) / ncol, L = 50, T = 44, GX = 56, GY = 56,
            LEG = 230;
  double sc = S / fmax(x1 - x0, y1 - y0);
  int pw = (int)ceil((x1 - x0) * sc), ph = (int)ceil((y1 - y0) * sc);
  int W = L + ncol * (pw + GX) + LEG, H = T + nrow * (ph + GY) + 10;
  sgp_atomic_file af;
  FILE *f = svg_begin(&af, path, W, H, 22, 14, title, e);
  if (!f) return -1;
  for (int q = 0; q < np; q++) {
    int pl = L + (q % ncol) * (pw + GX), pt = T + (q / ncol) * (ph + GY) + 14;
    axis X = {x0, x1, pl, pl + pw}, Y = {y0, y1, pt + ph, pt};
    text_at(f, pl, pt - 5, NULL, " font-size=\"12\"", pn[q].title);
    xticks(f, &X, pt + ph, pt, 1);
    yticks(f, &Y, pl, pl + pw, 1);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", pl, pt, pw, ph);
    long stride = pn[q].npts > 1500 ? (pn[q].npts + 1499) / 1500 : 1;
    fprintf(f, "<g fill=\"#9aa\" fill-opacity=\"0.5\">\n");
    for (long i = 0; pn[q].pts && i < pn[q].npts; i += stride) {
      double px = pn[q].pts[2 * i], py = pn[q].pts[2 * i + 1];
      if (isfinite(px) && isfinite(py) && px >= x0 && px <= x1 && py >= y0 && py <= y1)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.2\"/>\n", ax(&X, px), ax(&Y, py));
    }
    fprintf(f, "</g>\n");
    if (info->hole_r > 0)
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#333\" fill-opacity=\"0.12\" stroke=\"#333\" "
                 "stroke-dasharray=\"4 3\"/>\n", ax(&X, info->hole_c[0]), ax(&Y, info->hole_c[1]), info->hole_r * sc);
    draw_lines(f, &X, &Y, pn[q].agents, pn[q].nagents, 2, 0, 1, 0);
    for (int a = 0; a < pn[q].nagents; a++)
      if (pn[q].agents[a].x && pn[q].agents[a].nx_steps > 0) { /* the episode's start */
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"black\"/>\n", ax(&X, pn[q].agents[a].x[0]),
                ax(&Y, pn[q].agents[a].x[1]));
        break;
      }
    if (info->has_goal2)
      fprintf(f, "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" transform=\"translate(-4 -4)\" stroke=\"black\" stroke-width=\"2.5\"/>\n",
              ax(&X, info->goal[0]), ax(&Y, info->goal[1]));
    if (q % ncol == 0) {
      fprintf(f, "<text transform=\"translate(%d %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">", pl - 36,
              pt + ph / 2.0);
      xml_text(f, info->fig.labels[1] ? info->fig.labels[1] : "");
      fprintf(f, "</text>\n");
    }
    text_at(f, pl + pw / 2.0, pt + ph + 30, "middle", " font-size=\"11\"", info->fig.labels[0] ? info->fig.labels[0] : "");
  }
  const char *notes[] = {"thick: executed (episode 0)", "thin, faint: first plan", "dots: the seed's dataset",
                         "black dot: start; cross: goal", info->hole_r > 0 ? "dashed disk: hole (no data)" : NULL, NULL};
  legend(f, L + ncol * (pw + GX), T + 20, np ? pn[0].agents : NULL, np ? pn[0].nagents : 0, notes);
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}

/* ------------------------------------------------------------------ time-series small multiples */
/* Rows: the figure's state dimensions; columns: the panels (seeds). Shared value axis per row. */
int svg_series(const char *path, const char *title, const sweep_env_info *info, const svg_traj_panel *pn, int np,
               sgp_err *e) {
  const int n = info->fig.n, L = 70, T = 44, PW = 230, PH = 140, GX = 30, GY = 44, LEG = 230;
  int W = L + np * (PW + GX) + LEG, H = T + n * (PH + GY) + 30;
  sgp_atomic_file af;
  FILE *f = svg_begin(&af, path, W, H, 22, 14, title, e);
  if (!f) return -1;
  int tmax = 1;
  for (int q = 0; q < np; q++)
    for (int a = 0; a < pn[q].nagents; a++) {
      if (pn[q].agents[a].nx_steps - 1 > tmax) tmax = pn[q].agents[a].nx_steps - 1;
      if (pn[q].agents[a].nplan - 1 > tmax) tmax = pn[q].agents[a].nplan - 1;
    }
  for (int k = 0; k < n; k++) {
    /* the row's value range over every panel, the goal included */
    double lo = INFINITY, hi = -INFINITY;
    if (isfinite(info->goal[k])) lo = hi = info->goal[k];
    for (int q = 0; q < np; q++)
      for (int a = 0; a < pn[q].nagents; a++)
        for (int pass = 0; pass < 2; pass++) {
          const float *p = pass ? pn[q].agents[a].plan : pn[q].agents[a].x;
          int m = pass ? pn[q].agents[a].nplan : pn[q].agents[a].nx_steps;
          for (int t = 0; p && t < m; t++)
            if (isfinite(p[t * n + k])) lo = fmin(lo, p[t * n + k]), hi = fmax(hi, p[t * n + k]);
        }
    if (!(lo <= hi)) lo = hi = 0;
    double pad = hi > lo ? 0.05 * (hi - lo) : 0.5;
    lo -= pad, hi += pad;
    for (int q = 0; q < np; q++) {
      int pl = L + q * (PW + GX), pt = T + k * (PH + GY) + 14;
      axis X = {0, tmax, pl, pl + PW}, Y = {lo, hi, pt + PH, pt};
      if (k == 0) text_at(f, pl, pt - 5, NULL, " font-size=\"12\"", pn[q].title);
      xticks(f, &X, pt + PH, pt, 1);
      yticks(f, &Y, pl, pl + PW, 1);
      fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", pl, pt, PW, PH);
      if (isfinite(info->goal[k]))
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"1 3\"/>\n", pl,
                pl + PW, ax(&Y, info->goal[k]), ax(&Y, info->goal[k]));
      /* one column of the n-column rows, against the step */
      draw_lines(f, &X, &Y, pn[q].agents, pn[q].nagents, n, 0, k, 1);
      if (q == 0) {
        fprintf(f, "<text transform=\"translate(%d %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">", pl - 46,
                pt + PH / 2.0);
        xml_text(f, info->fig.labels[k] ? info->fig.labels[k] : "");
        fprintf(f, "</text>\n");
      }
    }
  }
  text_at(f, L + np * (PW + GX) / 2.0, H - 6, "middle", NULL, "control step");
  const char *notes[] = {"thick: executed (episode 0)", "thin, faint: first plan", "dotted black: goal", NULL};
  legend(f, L + np * (PW + GX), T + 20, np ? pn[0].agents : NULL, np ? pn[0].nagents : 0, notes);
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}

/* ------------------------------------------------------------------ aggregate figure */
int svg_aggregate(const char *path, const char *title, const char *xlabel, const svg_agg_item *it, int n,
                  const double *taus, int ntau, sgp_err *e) {
  const int L = 170, T = 56, PW = 330, GAP = 90, PW2 = 360, LEG = 200, rowh = 26;
  int H1 = n * rowh + 20, PH = H1 > 260 ? H1 : 260, W = L + PW + GAP + PW2 + LEG, H = T + PH + 60;
  /* left: IQM and its interval per agent (an interval plot: the axis spans the intervals) */
  double *v = sgp_malloc(sizeof *v * (size_t)(3 * n + 1));
  for (int i = 0; i < n; i++) v[3 * i] = it[i].est, v[3 * i + 1] = it[i].lo, v[3 * i + 2] = it[i].hi;
  double lo, hi;
  data_range(v, 3 * n, &lo, &hi);
  free(v);
  sgp_atomic_file af;
  FILE *f = svg_begin(&af, path, W, H, 20, 14, title, e);
  if (!f) return -1;
  text_at(f, 10, 38, NULL, " font-size=\"11\" fill=\"#444\"",
          "left: interquartile mean over every row's seeds x episodes, 95% stratified bootstrap interval; "
          "right: performance profiles (fraction of runs above a score)");
  axis X = {lo, hi, L, L + PW};
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, T, PW, PH);
  xticks(f, &X, T + PH, T, 1);
  text_at(f, L + PW / 2.0, T + PH + 32, "middle", " font-size=\"11\"", xlabel);
  int clipped = 0;
  for (int i = 0; i < n; i++) {
    double y = T + 20 + i * rowh;
    char lab[300];
    snprintf(lab, sizeof lab, "%s (%d row%s)", it[i].label, it[i].nrows, it[i].nrows == 1 ? "" : "s");
    text_at(f, L - 8, y + 4, "end", " font-size=\"11\"", lab);
    if (!isfinite(it[i].est)) continue;
    const char *col = svg_colour(it[i].style);
    double a0 = isfinite(it[i].lo) ? it[i].lo : it[i].est, a1 = isfinite(it[i].hi) ? it[i].hi : it[i].est;
    int c0 = a0 < lo, c1 = a1 > hi;
    clipped |= c0 || c1;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\" fill-opacity=\"0.45\"/>",
            ax(&X, fmax(a0, lo)), y - 6, ax(&X, fmin(a1, hi)) - ax(&X, fmax(a0, lo)), col);
    if (c0) fprintf(f, "<path d=\"M%.1f %.1fl7 -5v10Z\" fill=\"black\"/>", ax(&X, lo), y);
    if (c1) fprintf(f, "<path d=\"M%.1f %.1fl-7 -5v10Z\" fill=\"black\"/>", ax(&X, hi), y);
    fprintf(f, "<path d=\"M%.1f %.1fv14\" stroke=\"%s\" stroke-width=\"3\"/>\n", ax(&X, it[i].est), y - 7, col);
  }
  if (clipped) text_at(f, L, T - 4, NULL, " font-size=\"10\" fill=\"#444\"", "arrowhead: interval clipped at the axis");
  /* right: performance profiles */
  int L2 = L + PW + GAP;
  axis PX = {taus[0], taus[ntau - 1], L2, L2 + PW2}, PY = {0, 1, T + PH, T};
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L2, T, PW2, PH);
  xticks(f, &PX, T + PH, T, 1);
  yticks(f, &PY, L2, L2 + PW2, 1);
  text_at(f, L2 + PW2 / 2.0, T + PH + 32, "middle", " font-size=\"11\"", "score threshold tau");
  fprintf(f, "<text transform=\"translate(%d %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">fraction of runs "
             "with score &gt; tau</text>\n", L2 - 40, T + PH / 2.0);
  for (int i = 0; i < n; i++) {
    if (!it[i].profile) continue;
    const char *col = svg_colour(it[i].style);
    if (it[i].prof_lo && it[i].prof_hi) { /* the interval band */
      fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.12\" points=\"", col);
      for (int k = 0; k < ntau; k++)
        if (isfinite(it[i].prof_hi[k])) fprintf(f, "%.1f,%.1f ", ax(&PX, taus[k]), ax(&PY, it[i].prof_hi[k]));
      for (int k = ntau - 1; k >= 0; k--)
        if (isfinite(it[i].prof_lo[k])) fprintf(f, "%.1f,%.1f ", ax(&PX, taus[k]), ax(&PY, it[i].prof_lo[k]));
      fprintf(f, "\"/>\n");
    }
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", col, dash_of(it[i].style));
    for (int k = 0; k < ntau; k++)
      if (isfinite(it[i].profile[k])) fprintf(f, "%s%.1f,%.1f", k ? " " : "", ax(&PX, taus[k]), ax(&PY, it[i].profile[k]));
    fprintf(f, "\"/>\n");
  }
  for (int i = 0; i < n; i++) {
    int y = T + 10 + 20 * i, x = L2 + PW2 + 16;
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2.5\"%s/>", x, x + 30, y, y,
            svg_colour(it[i].style), dash_of(it[i].style));
    text_at(f, x + 36, y + 4, NULL, " font-size=\"11\"", it[i].label);
  }
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}

/* ------------------------------------------------------------------ curves */
/* Values of a curve's x axis, in axis units (log10 on a log axis). */
static double curve_xv(double x, int log_x) { return log_x ? log10(x) : x; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

int svg_curve(const char *path, const char *title, const char *xlabel, const char *ylabel, const char *note, int log_x,
              const svg_curve_series *s, int ns, sgp_err *e) {
  /* x: the distinct drawable x values (ticks at each when there are few); y: estimates and intervals */
  int np = 0;
  for (int i = 0; i < ns; i++) np += s[i].n;
  double *xs = sgp_malloc(sizeof *xs * (size_t)(np + 1)), *ys = sgp_malloc(sizeof *ys * (size_t)(3 * np + 1));
  int nx = 0, ny = 0;
  for (int i = 0; i < ns; i++)
    for (int k = 0; k < s[i].n; k++) {
      const svg_curve_point *p = &s[i].pts[k];
      if (!isfinite(p->x) || (log_x && !(p->x > 0)) || !isfinite(p->est)) continue;
      xs[nx++] = p->x;
      ys[ny++] = p->est, ys[ny++] = p->lo, ys[ny++] = p->hi;
    }
  qsort(xs, (size_t)nx, sizeof *xs, cmp_double);
  int nd = 0;
  for (int i = 0; i < nx; i++)
    if (!nd || xs[i] != xs[nd - 1]) xs[nd++] = xs[i];
  double ylo, yhi, xlo, xhi;
  data_range(ys, ny, &ylo, &yhi);
  free(ys);
  if (nd) {
    double a = curve_xv(xs[0], log_x), b = curve_xv(xs[nd - 1], log_x), pad = b > a ? 0.06 * (b - a) : 0.5;
    xlo = a - pad, xhi = b + pad;
  } else {
    xlo = 0, xhi = 1;
  }
  const int W = 780, H = 440, L = 70, R = 220, T = 58, B = 72;
  axis X = {xlo, xhi, L, W - R}, Y = {ylo, yhi, H - B, T};
  sgp_atomic_file af;
  FILE *f = svg_begin(&af, path, W, H, 20, 13, title, e);
  if (!f) {
    free(xs);
    return -1;
  }
  text_at(f, 10, 38, NULL, " font-size=\"11\" fill=\"#444\"", note);
  /* the axes' mapping, for readers of the figure's numbers (tests/e2e_figures.sh inverts it) */
  fprintf(f, "<g class=\"curve-plot\" data-x-log=\"%d\" data-x-lo=\"%.17g\" data-x-hi=\"%.17g\" data-x-p0=\"%d\" "
             "data-x-p1=\"%d\" data-y-lo=\"%.17g\" data-y-hi=\"%.17g\" data-y-p0=\"%d\" data-y-p1=\"%d\">\n",
          log_x, X.lo, X.hi, L, W - R, Y.lo, Y.hi, H - B, T);
  yticks(f, &Y, L, W - R, 1);
  char b[64];
  if (nd && nd <= 10) { /* a tick at every x of the data */
    for (int i = 0; i < nd; i++) {
      double p = ax(&X, curve_xv(xs[i], log_x));
      fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#e4e4e4\"/>", p, p, T, H - B);
      fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#444\"/>", p, p, H - B, H - B + 4);
      snprintf(b, sizeof b, "%g", xs[i]);
      text_at(f, p, H - B + 15, "middle", " class=\"xtick\" font-size=\"10\"", b);
    }
  } else if (log_x) { /* decades */
    for (double d = ceil(X.lo); d <= X.hi; d += 1) {
      double p = ax(&X, d);
      fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#444\"/>", p, p, H - B, H - B + 4);
      snprintf(b, sizeof b, "%g", pow(10, d));
      text_at(f, p, H - B + 15, "middle", " class=\"xtick\" font-size=\"10\"", b);
    }
  } else {
    xticks(f, &X, H - B, T, 1);
  }
  free(xs);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, T, W - L - R,
          H - B - T);
  text_at(f, L + (W - L - R) / 2.0, H - B + 36, "middle", NULL, xlabel);
  fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", T + (H - B - T) / 2.0);
  xml_text(f, ylabel);
  fprintf(f, "</text>\n");
  int clipped = 0;
  for (int i = 0; i < ns; i++) {
    const char *col = svg_colour(s[i].style);
    double dx = (i - (ns - 1) / 2.0) * 4; /* side by side, so that intervals at one x do not hide each other */
    fprintf(f, "<polyline class=\"curve-line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", col,
            dash_of(s[i].style));
    int first = 1;
    for (int k = 0; k < s[i].n; k++) {
      const svg_curve_point *p = &s[i].pts[k];
      if (!isfinite(p->x) || (log_x && !(p->x > 0)) || !isfinite(p->est)) continue;
      fprintf(f, "%s%.2f,%.2f", first ? "" : " ", ax(&X, curve_xv(p->x, log_x)) + dx, ax(&Y, p->est));
      first = 0;
    }
    fprintf(f, "\"/>\n");
    for (int k = 0; k < s[i].n; k++) {
      const svg_curve_point *p = &s[i].pts[k];
      if (!isfinite(p->x) || (log_x && !(p->x > 0)) || !isfinite(p->est)) continue;
      double cx = ax(&X, curve_xv(p->x, log_x)) + dx;
      clipped |= vinterval(f, &Y, cx, p->lo, p->hi, 3, col);
      fprintf(f, "<circle class=\"curve-point\" data-agent=\"");
      xml_text(f, s[i].label);
      fprintf(f, "\" data-row=\"");
      xml_text(f, p->row ? p->row : "");
      fprintf(f, "\" data-x=\"%.17g\" data-estimate=\"%.17g\" data-lo=\"%.17g\" data-hi=\"%.17g\" data-dx=\"%g\" "
                 "cx=\"%.3f\" cy=\"%.3f\" r=\"3.5\" fill=\"%s\" stroke=\"white\"/>\n",
              p->x, p->est, p->lo, p->hi, dx, cx, ax(&Y, p->est), col);
    }
  }
  fprintf(f, "</g>\n");
  for (int i = 0; i < ns; i++) {
    int y = T + 8 + 20 * i;
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2.5\"%s/>", W - R + 16,
            W - R + 46, y, y, svg_colour(s[i].style), dash_of(s[i].style));
    text_at(f, W - R + 52, y + 4, NULL, " font-size=\"11\"", s[i].label);
  }
  if (clipped) text_at(f, L, T - 4, NULL, " font-size=\"10\" fill=\"#444\"", "arrowhead: interval clipped at the axis");
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}
