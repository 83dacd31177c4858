/* Standalone SVG figures for sweep tables (no dependencies; plain text, deterministic). */
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define NPAL (int)(sizeof palette / sizeof palette[0])

static void xml_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

/* "nice" tick step for a range */
static double nice_step(double range, int want) {
  if (!(range > 0)) return 1;
  double raw = range / want, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

int svg_bar_chart(const char *path, const char *title, const char *ylabel, const svg_bar_item *it,
                  int n, sgp_err *e) {
  double lo = 0, hi = 0;
  for (int i = 0; i < n; i++) {
    double a = isfinite(it[i].lo) ? it[i].lo : it[i].mean, b = isfinite(it[i].hi) ? it[i].hi : it[i].mean;
    if (isfinite(a)) lo = fmin(lo, a);
    if (isfinite(b)) hi = fmax(hi, b);
  }
  if (hi - lo <= 0) hi = lo + 1;
  double step = nice_step(hi - lo, 5);
  lo = floor(lo / step) * step;
  hi = ceil(hi / step) * step;
  const int W = 160 + 80 * (n < 4 ? 4 : n), H = 380, L = 70, R = 90, T = 40, B = 120;
  double pw = W - L - R, ph = H - T - B;
#define Y(v) (T + ph * (1 - ((v) - lo) / (hi - lo)))
  sgp_atomic_file af;
  if (sgp_atomic_open(&af, path, e)) return -1;
  FILE *f = af.f;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"10\" y=\"22\" font-size=\"13\">");
  xml_text(f, title);
  fprintf(f, "</text>\n");
  for (double v = lo; v <= hi + 1e-9 * step; v += step) {
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", L, W - R, Y(v), Y(v));
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, Y(v) + 4, fabs(v) < 1e-12 * step ? 0.0 : v);
  }
  fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, W - R, Y(fmax(lo, fmin(0, hi))), Y(fmax(lo, fmin(0, hi))));
  fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", T + ph / 2);
  xml_text(f, ylabel);
  fprintf(f, "</text>\n");
  double bw = pw / (n ? n : 1);
  for (int i = 0; i < n; i++) {
    double cx = L + bw * (i + 0.5);
    if (isfinite(it[i].mean)) {
      double y0 = Y(fmax(lo, fmin(0, hi))), y1 = Y(it[i].mean);
      fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", cx - bw * 0.3,
              fmin(y0, y1), bw * 0.6, fabs(y1 - y0), palette[i % NPAL]);
      if (isfinite(it[i].lo) && isfinite(it[i].hi))
        fprintf(f, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" stroke=\"black\" stroke-width=\"1.5\" fill=\"none\"/>\n",
                cx, Y(it[i].lo), Y(it[i].hi), cx - 8, Y(it[i].lo), cx + 8, cx - 8, Y(it[i].hi), cx + 8);
    } else {
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">missing</text>\n", cx, T + ph / 2);
    }
    fprintf(f, "<text transform=\"translate(%.1f %d) rotate(35)\">", cx - 4, H - B + 16);
    xml_text(f, it[i].label);
    fprintf(f, " (n=%d)</text>\n", it[i].n);
  }
  fprintf(f, "</svg>\n");
#undef Y
  return sgp_atomic_commit(&af, e);
}

/* The agents' colours with their labels, then the notes (NULL-terminated), from (x, y) down. */
static void legend(FILE *f, int x, int y, const svg_traj_agent *ag, int na, const char *const *notes) {
  for (int a = 0; a < na; a++, y += 20) {
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">",
            x, x + 22, y, y, palette[a % NPAL], x + 28, y + 4);
    xml_text(f, ag[a].label);
    if (!ag[a].x) fputs(" (no rollout)", f);
    fprintf(f, "</text>\n");
  }
  for (int k = 0; notes[k]; k++)
    fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555\">%s</text>\n", x, y + 10 + 16 * k, notes[k]);
}

/* The drawing area of the trajectory figure: data coordinates [x0,x1] x [y0,y1] on an S x S square. */
typedef struct frame {
  double x0, x1, y0, y1, sc;
  int L, T, S;
} frame;

static double px(const frame *fr, double v) { return fr->L + (v - fr->x0) * fr->sc; }
static double py(const frame *fr, double v) { return fr->T + fr->S - (v - fr->y0) * fr->sc; }

/* The box of the data, widened to everything drawn (diverging plans leave it) but at most 3x the
 * box, plus a margin. */
static void traj_extent(const sweep_env_info *info, const svg_traj_agent *ag, int na, frame *fr) {
  double x0 = info->box_lo[0], x1 = info->box_hi[0], y0 = info->box_lo[1], y1 = info->box_hi[1];
  if (!(x1 > x0)) x0 = -1, x1 = 1;
  if (!(y1 > y0)) y0 = -1, y1 = 1;
  for (int a = 0; a < na; a++) {
    for (int pass = 0; pass < 2; pass++) {
      const float *p = pass ? ag[a].plan : ag[a].x;
      int m = pass ? ag[a].nplan : ag[a].nx_steps;
      for (int t = 0; p && t < m; t++) {
        if (!isfinite(p[2 * t]) || !isfinite(p[2 * t + 1])) continue;
        x0 = fmin(x0, p[2 * t]), x1 = fmax(x1, p[2 * t]);
        y0 = fmin(y0, p[2 * t + 1]), y1 = fmax(y1, p[2 * t + 1]);
      }
    }
  }
  double bwid = info->box_hi[0] - info->box_lo[0], bhei = info->box_hi[1] - info->box_lo[1];
  if (bwid > 0) x0 = fmax(x0, info->box_lo[0] - bwid), x1 = fmin(x1, info->box_hi[0] + bwid);
  if (bhei > 0) y0 = fmax(y0, info->box_lo[1] - bhei), y1 = fmin(y1, info->box_hi[1] + bhei);
  double pad = 0.05 * fmax(x1 - x0, y1 - y0);
  fr->x0 = x0 - pad, fr->x1 = x1 + pad, fr->y0 = y0 - pad, fr->y1 = y1 + pad;
  fr->S = 460, fr->L = 20, fr->T = 40;
  fr->sc = fr->S / fmax(fr->x1 - fr->x0, fr->y1 - fr->y0);
}

/* every agent's executed (solid) and first planned (dashed) path, clamped to the frame */
static void draw_paths(FILE *f, const frame *fr, const svg_traj_agent *ag, int na) {
  for (int a = 0; a < na; a++) {
    const char *col = palette[a % NPAL];
    for (int pass = 0; pass < 2; pass++) {
      const float *p = pass ? ag[a].plan : ag[a].x;
      int m = pass ? ag[a].nplan : ag[a].nx_steps;
      if (!p || m < 2) continue;
      fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"", col, pass ? "1.5" : "2.2",
              pass ? " stroke-dasharray=\"5 4\"" : "");
      for (int t = 0; t < m; t++)
        if (isfinite(p[2 * t]) && isfinite(p[2 * t + 1]))
          fprintf(f, "%s%.1f,%.1f", t ? " " : "", px(fr, fmin(fmax(p[2 * t], fr->x0), fr->x1)),
                  py(fr, fmin(fmax(p[2 * t + 1], fr->y0), fr->y1)));
      fprintf(f, "\"/>\n");
    }
    if (ag[a].x && ag[a].nx_steps > 0 && a == 0)
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"black\"/><text x=\"%.1f\" y=\"%.1f\">start</text>\n",
              px(fr, ag[a].x[0]), py(fr, ag[a].x[1]), px(fr, ag[a].x[0]) + 7, py(fr, ag[a].x[1]) - 7);
  }
}

int svg_trajectories(const char *path, const char *title, const sweep_env_info *info,
                     const float *pts, long npts, const svg_traj_agent *ag, int na, sgp_err *e) {
  frame fr;
  traj_extent(info, ag, na, &fr);
  const int LEG = 190, W = fr.L + fr.S + LEG, H = fr.T + fr.S + 20;
  sgp_atomic_file af;
  if (sgp_atomic_open(&af, path, e)) return -1;
  FILE *f = af.f;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%d\" y=\"22\" font-size=\"14\">", fr.L);
  xml_text(f, title);
  fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", fr.L,
          fr.T, fr.S, fr.S);
  /* dataset: at most 3000 points, evenly strided */
  long stride = npts > 3000 ? (npts + 2999) / 3000 : 1;
  fprintf(f, "<g fill=\"#9aa\" fill-opacity=\"0.55\">\n");
  for (long i = 0; pts && i < npts; i += stride)
    if (isfinite(pts[2 * i]) && isfinite(pts[2 * i + 1]))
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>\n", px(&fr, pts[2 * i]), py(&fr, pts[2 * i + 1]));
  fprintf(f, "</g>\n");
  if (info->hole_r > 0)
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#333\" fill-opacity=\"0.12\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n",
            px(&fr, info->hole_c[0]), py(&fr, info->hole_c[1]), info->hole_r * fr.sc);
  draw_paths(f, &fr, ag, na);
  if (info->has_goal2)
    fprintf(f, "<path d=\"M%.1f %.1fl6 6m0 -6l-6 6\" transform=\"translate(-3 -3)\" stroke=\"black\" stroke-width=\"2.5\"/>"
               "<text x=\"%.1f\" y=\"%.1f\">goal</text>\n", px(&fr, info->goal[0]), py(&fr, info->goal[1]),
            px(&fr, info->goal[0]) + 7, py(&fr, info->goal[1]) - 7);
  const char *notes[] = {"solid: executed", "dashed: first plan", "dots: dataset",
                         info->hole_r > 0 ? "disk: hole (no data)" : NULL, NULL};
  legend(f, fr.L + fr.S + 12, fr.T + 10, ag, na, notes);
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}

/* ------------------------------------------------------------------ time series */
/* The value range of column k over every agent's executed and planned states and the goal. */
static void series_range(const sweep_env_info *info, const svg_traj_agent *ag, int na, int k,
                         double *lo, double *hi, int *tmax) {
  int n = info->fig.n;
  *lo = INFINITY, *hi = -INFINITY;
  if (isfinite(info->goal[k])) *lo = *hi = info->goal[k];
  for (int a = 0; a < na; a++)
    for (int pass = 0; pass < 2; pass++) {
      const float *p = pass ? ag[a].plan : ag[a].x;
      int m = pass ? ag[a].nplan : ag[a].nx_steps;
      if (p && m - 1 > *tmax) *tmax = m - 1;
      for (int t = 0; p && t < m; t++)
        if (isfinite(p[t * n + k])) *lo = fmin(*lo, p[t * n + k]), *hi = fmax(*hi, p[t * n + k]);
    }
  if (!(*lo <= *hi)) *lo = *hi = 0; /* nothing to draw */
  double pad = *hi > *lo ? 0.05 * (*hi - *lo) : 0.5;
  *lo -= pad, *hi += pad;
}

/* One panel (column k) with its top-left corner at (L, top), pw × ph. */
static void series_panel(FILE *f, const sweep_env_info *info, const svg_traj_agent *ag, int na, int k,
                         int L, int top, int pw, int ph) {
  double lo, hi;
  int tmax = 1, n = info->fig.n;
  series_range(info, ag, na, k, &lo, &hi, &tmax);
  if (tmax < 1) tmax = 1;
#define SX(t) (L + (double)(t) * pw / tmax)
#define SY(v) (top + ph * (1 - ((v) - lo) / (hi - lo)))
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, top, pw, ph);
  fprintf(f, "<text x=\"%d\" y=\"%d\">", L + 6, top + 16);
  xml_text(f, info->fig.labels[k] ? info->fig.labels[k] : "");
  fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>", L - 4, top + 10, hi);
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n", L - 4, top + ph, lo);
  if (isfinite(info->goal[k]))
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"2 3\"/>\n", L,
            L + pw, SY(info->goal[k]), SY(info->goal[k]));
  for (int a = 0; a < na; a++)
    for (int pass = 0; pass < 2; pass++) {
      const float *p = pass ? ag[a].plan : ag[a].x;
      int m = pass ? ag[a].nplan : ag[a].nx_steps;
      if (!p || m < 2) continue;
      fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"", palette[a % NPAL],
              pass ? "1.5" : "2.2", pass ? " stroke-dasharray=\"5 4\"" : "");
      for (int t = 0; t < m; t++)
        if (isfinite(p[t * n + k])) fprintf(f, "%s%.1f,%.1f", t ? " " : "", SX(t), SY(p[t * n + k]));
      fprintf(f, "\"/>\n");
    }
#undef SX
#undef SY
}

int svg_series(const char *path, const char *title, const sweep_env_info *info,
               const svg_traj_agent *ag, int na, sgp_err *e) {
  const int L = 60, T = 40, PW = 460, PH = 150, GAP = 24, LEG = 190, n = info->fig.n;
  int W = L + PW + LEG, H = T + n * (PH + GAP) + 20;
  sgp_atomic_file af;
  if (sgp_atomic_open(&af, path, e)) return -1;
  FILE *f = af.f;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"10\" y=\"22\" font-size=\"14\">");
  xml_text(f, title);
  fprintf(f, "</text>\n");
  for (int k = 0; k < n; k++) series_panel(f, info, ag, na, k, L, T + k * (PH + GAP), PW, PH);
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">control step</text>\n", L + PW / 2, H - 6);
  const char *notes[] = {"solid: executed", "dashed: first plan", "dotted: goal", NULL};
  legend(f, L + PW + 12, T + 10, ag, na, notes);
  fprintf(f, "</svg>\n");
  return sgp_atomic_commit(&af, e);
}
