/* The viewer's 2-D layer over the scene (viewer/view_private.h): the information panel with its
 * legend (top left), the key help (bottom left), the plots (mjr_figure, right column), the
 * environment's image panels (top right) and the timeline (bottom). Panels are drawn over a
 * half-transparent dark backdrop with light text, so that they read on any background and the task
 * stays visible through them; each occupies a fixed rectangle (v->lay), so toggling one changes
 * only its own region of the frame. */
#include "viewer/view_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAD 5          /* pixels between text lines, as mjr_overlay */
#define MARGIN 8       /* from the frame's edges */
#define MAX_LINES 40

static const float TXT[3] = {0.96f, 0.96f, 0.96f};   /* text */
static const float DIM[3] = {0.70f, 0.75f, 0.80f};   /* labels */
static const float WARN[3] = {1.00f, 0.80f, 0.30f};  /* status, warnings */
static const float BACKDROP[4] = {0.0f, 0.0f, 0.0f, 0.5f};

typedef struct line {
  char s[200];
  const float *rgb;
  const float *swatch; /* a coloured square before the text, or NULL */
} line;

typedef struct lines {
  line l[MAX_LINES];
  int n;
  const mjrContext *con; /* with maxw > 0: lines wider than maxw pixels are wrapped at spaces */
  int maxw;
} lines;

static int text_width(const mjrContext *con, const char *s) {
  int w = 0;
  for (; *s; s++) w += con->charWidth[(unsigned char)*s & 127];
  return w;
}

static void push_line(lines *ls, const float *rgb, const float *swatch, const char *text) {
  if (ls->n >= MAX_LINES) return;
  line *l = &ls->l[ls->n++];
  snprintf(l->s, sizeof l->s, "%s", text);
  for (char *p = l->s; *p; p++) /* the font has ASCII 32..126 */
    if ((unsigned char)*p < 32 || (unsigned char)*p > 126) *p = '?';
  l->rgb = rgb;
  l->swatch = swatch;
}

/* The length of the next piece of p that fits in maxw pixels: up to a space when there is one. */
static int fit(const mjrContext *con, const char *p, int w, int maxw) {
  int cut = -1, i = 0;
  for (; p[i]; i++) {
    w += con->charWidth[(unsigned char)p[i] & 127];
    if (p[i] == ' ') cut = i;
    if (w > maxw && i > 0) break;
  }
  return !p[i] ? i : cut > 0 ? cut : i;
}

/* One line of text, word-wrapped at ls->maxw (continuation lines indented, under the text). */
static void add(lines *ls, const float *rgb, const float *swatch, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(lines *ls, const float *rgb, const float *swatch, const char *fmt, ...) {
  char buf[400], piece[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!ls->con || ls->maxw <= 0) {
    push_line(ls, rgb, swatch, buf);
    return;
  }
  const char *p = buf;
  for (int first = 1; *p && ls->n < MAX_LINES; first = 0) {
    const char *indent = first ? "" : swatch ? "      " : "  ";
    int n = fit(ls->con, p, text_width(ls->con, indent) + (swatch ? ls->con->charHeight + 6 : 0), ls->maxw);
    snprintf(piece, sizeof piece, "%s%.*s", indent, n, p);
    push_line(ls, rgb, first ? swatch : NULL, piece);
    for (p += n; *p == ' '; p++) {}
  }
}

/* Size of a panel of these lines in pixels. */
static void panel_size(const mjrContext *con, const lines *ls, int *w, int *h) {
  int mw = 0, sw = con->charHeight;
  for (int i = 0; i < ls->n; i++) {
    int lw = text_width(con, ls->l[i].s) + (ls->l[i].swatch ? sw + 6 : 0);
    if (lw > mw) mw = lw;
  }
  *w = mw + 2 * PAD + 4;
  *h = ls->n * (con->charHeight + PAD) + PAD;
}

/* Draws the lines in rect (GL coordinates, origin bottom-left) over the backdrop. */
static void draw_lines(const mjrContext *con, mjrRect rect, const lines *ls) {
  mjr_rectangle(rect, BACKDROP[0], BACKDROP[1], BACKDROP[2], BACKDROP[3]);
  int ch = con->charHeight;
  for (int i = 0; i < ls->n; i++) {
    const line *l = &ls->l[i];
    int y = rect.bottom + rect.height - (i + 1) * (ch + PAD), x = rect.left + PAD + 2;
    if (l->swatch) {
      mjrRect sq = {x, y + 1, ch - 2, ch - 2};
      mjr_rectangle(sq, l->swatch[0], l->swatch[1], l->swatch[2], 1);
      x += ch + 6;
    }
    glViewport(rect.left, rect.bottom, rect.width, rect.height);
    float fx = (float)(x - rect.left) / rect.width, fy = (float)(y - rect.bottom + 3) / rect.height;
    mjr_text(mjFONT_NORMAL, l->s, con, fx, fy, l->rgb[0], l->rgb[1], l->rgb[2]);
  }
}

/* ------------------------------------------------------------------ information */
static void fmt_vec(char *buf, size_t n, const double *v, int k) {
  size_t o = (size_t)snprintf(buf, n, "(");
  int shown = k > 6 ? 6 : k;
  for (int i = 0; i < shown && o < n; i++) o += (size_t)snprintf(buf + o, n - o, "%s%.3g", i ? ", " : "", v[i]);
  if (o < n) snprintf(buf + o, n - o, "%s)", k > shown ? ", ..." : "");
}

static const char *mode_name(const viewer *v) {
  switch (v->mode) {
  case VIEW_MODE_REPLAY: return "replay";
  case VIEW_MODE_LIVE: return "live";
  case VIEW_MODE_DATASET: return "dataset";
  default: return "environment";
  }
}

/* The return line: so far, or at the end the episode's return Σ r − c_T as RESULT.json states it. */
static void add_return(viewer *v, lines *ls) {
  const view_rollout *r = &v->tr;
  int t = v->t;
  if (r->transitions) {
    if (t < r->steps + 1) add(ls, TXT, NULL, "reward  %.4g", r->r[t]);
    return;
  }
  double so_far = r->ret[t];
  if (t == r->steps && r->ended) {
    double R = so_far - r->final_cost;
    add(ls, TXT, NULL, "return  %.4f  = rewards %.4f - terminal cost %.4g", R, so_far, r->final_cost);
    const view_opts *o = v->o;
    if (v->mode == VIEW_MODE_REPLAY && o->result_n > v->episode) {
      double want = o->result_return[v->episode];
      int same = fabs(R - want) <= 1e-6 * fmax(1, fabs(want));
      add(ls, same ? TXT : WARN, NULL, "RESULT.json return %.4f: %s", want,
          same ? "the same" : "DIFFERENT (see docs/viewer.md)");
    }
  } else {
    add(ls, TXT, NULL, "return so far  %.4f", so_far);
  }
  if (!r->rewards_exact) add(ls, DIM, NULL, "  (rewards from the task cost: no ep%d_step.npy)", r->episode);
}

static void add_step_numbers(viewer *v, lines *ls) {
  const view_rollout *r = &v->tr;
  int t = v->t;
  char buf[160];
  if (t < r->steps + (r->transitions ? 1 : 0)) {
    fmt_vec(buf, sizeof buf, r->u + (size_t)t * r->nu, r->nu);
    add(ls, TXT, v->ui.action ? VIEW_COL_ACTION : NULL, "action u  %s", buf);
  }
  if (t < r->steps && isfinite(r->obj[t]))
    add(ls, TXT, NULL, "planner  objective %.4g = cost %.4g + penalty %.4g", r->obj[t], r->pcost[t], r->pen[t]);
  if (t < r->steps && isfinite(r->dd[t])) {
    double mx = 0;
    for (int k = 0; k <= t; k++)
      if (isfinite(r->dd[k]) && r->dd[k] > mx) mx = r->dd[k];
    add(ls, TXT, NULL, "data distance of (x,u)  %.3g   (max so far %.3g)", r->dd[t], mx);
  }
  if (t < r->steps && isfinite(r->plan_ms[t])) add(ls, TXT, NULL, "plan time  %.1f ms", r->plan_ms[t]);
}

/* The legend: only what is drawn at this step. */
static void legend_lines(viewer *v, lines *ls) {
  const view_rollout *r = &v->tr;
  int t = v->t, acting = v->have_tr && t < r->steps + (r->transitions ? 1 : 0);
  if (v->env->ops->view_point && v->have_tr) {
    if (r->transitions) {
      add(ls, TXT, VIEW_COL_EXEC, "the transition's state x");
      add(ls, TXT, VIEW_COL_NEXT, "arrow to its next state x'");
    } else {
      add(ls, TXT, VIEW_COL_EXEC, "executed path%s", v->mode == VIEW_MODE_DATASET ? " (the dataset's episode)" : "");
    }
    if (v->ui.plan && r->plan_p && t < r->steps) add(ls, TXT, VIEW_COL_PLAN, "plan made at this step (H = %d)", r->H);
    if (v->ui.cand && r->cand_p && t < r->steps) {
      if (v->o->samples > 0)
        add(ls, TXT, VIEW_COL_CAND, "%d of the %d candidates sampled per iteration", r->M, v->o->samples);
      else
        add(ls, TXT, VIEW_COL_CAND, "%d candidates (best of the last iteration)", r->M);
    }
  }
  if (v->ui.action && acting)
    add(ls, TXT, VIEW_COL_ACTION, "%s", env_view_action(v->env, r->x, r->u, NULL, 0) < 0
                                           ? "action: actuator controls (share of the range)"
                                           : "action");
  if (v->ui.data && v->ncloud) add(ls, TXT, VIEW_COL_DATA, "%d of the dataset's %lld states", v->ncloud, (long long)v->o->dataset->n);
  add(ls, DIM, NULL, "F1: keys   I: these panels");
}

static void info_lines(viewer *v, lines *ls) {
  const env_spec *s = &v->env->spec;
  const view_rollout *r = &v->tr;
  char buf[400];
  int o = snprintf(buf, sizeof buf, "%s   %s", s->name, mode_name(v));
  if (v->mode == VIEW_MODE_REPLAY) o += snprintf(buf + o, sizeof buf - o, " %s", r->dir ? r->dir : "");
  if (v->mode == VIEW_MODE_LIVE) o += snprintf(buf + o, sizeof buf - o, " (%s)", v->agent->name);
  if (v->mode == VIEW_MODE_DATASET) o += snprintf(buf + o, sizeof buf - o, " %s (%lld rows%s)", v->o->dataset->dir,
                                                 (long long)v->o->dataset->n, r->transitions ? ", independent transitions" : "");
  if (v->mode != VIEW_MODE_ENV) snprintf(buf + o, sizeof buf - o, "   episode %d of %d", v->episode, v->nepisodes);
  add(ls, TXT, NULL, "%s", buf);
  if (v->have_tr) {
    add(ls, TXT, NULL, "step %d / %d   speed %gx%s", v->t, view_total(v), v->ui.speed, v->ui.paused ? "   PAUSED" : "");
    if (v->live && v->lst.planning && v->mode == VIEW_MODE_LIVE)
      add(ls, WARN, NULL, "planning step %d ... %.1f s", v->lst.step, v->lst.since);
    if (v->live && v->lst.ended && v->lst.error[0]) add(ls, WARN, NULL, "%s", v->lst.error);
    else if (v->live && v->lst.ended && v->t == r->steps) add(ls, DIM, NULL, "episode over: R again, PgDn next episode");
    add_return(v, ls);
    add_step_numbers(v, ls);
  }
  if (v->pert.select > 0) {
    const char *name = mj_id2name(v->m, mjOBJ_BODY, v->pert.select);
    add(ls, WARN, NULL, "body '%s' selected%s", name ? name : "?", v->pert.active ? ": perturbing" : "");
  }
  if (v->status[0]) add(ls, WARN, NULL, "%s", v->status);
  if (v->note[0]) add(ls, DIM, NULL, "%s", v->note);
}

/* A panel's lines, wrapped at a share of the frame's width. */
static void lines_init(lines *ls, const viewer *v, int maxw) {
  ls->n = 0;
  ls->con = &v->con;
  ls->maxw = maxw;
}

/* The information panel from the top left, the legend up from `bottom`; in a small frame the
 * information panel keeps the lines that fit above the legend (the last one says so). */
static void draw_info(viewer *v, mjrRect vp, int bottom) {
  lines ls;
  int w, h, ch = v->con.charHeight;
  lines_init(&ls, v, (int)(0.42 * vp.width));
  legend_lines(v, &ls);
  panel_size(&v->con, &ls, &w, &h);
  mjrRect leg = {vp.left + MARGIN, bottom, w, h};
  draw_lines(&v->con, leg, &ls);
  v->lay.legend = leg;
  lines_init(&ls, v, (int)(0.42 * vp.width));
  info_lines(v, &ls);
  int top = vp.bottom + vp.height - MARGIN, room = top - (leg.bottom + leg.height + 4);
  int fits = (room - PAD) / (ch + PAD);
  if (ls.n > fits && fits >= 1) {
    ls.n = fits - 1;
    add(&ls, DIM, NULL, "... (a larger window shows the rest)");
  }
  panel_size(&v->con, &ls, &w, &h);
  mjrRect rect = {vp.left + MARGIN, top - h, w, h};
  draw_lines(&v->con, rect, &ls);
  v->lay.info = rect;
}

static void draw_help(viewer *v, mjrRect vp) {
  lines ls;
  lines_init(&ls, v, 0);
  int kw = 0;
  for (int i = 0; view_keys[i].keys; i++) {
    int w = text_width(&v->con, view_keys[i].keys);
    if (w > kw) kw = w;
  }
  int sp = v->con.charWidth[' '] > 0 ? v->con.charWidth[' '] : 4;
  add(&ls, DIM, NULL, "keys and mouse (F1 closes)");
  for (int i = 0; view_keys[i].keys; i++) {
    char pad[64];
    int n = (kw - text_width(&v->con, view_keys[i].keys)) / sp + 2;
    if (n > 60) n = 60;
    memset(pad, ' ', (size_t)n);
    pad[n] = 0;
    add(&ls, TXT, NULL, "%s%s%s", view_keys[i].keys, pad, view_keys[i].what);
  }
  int w, h;
  panel_size(&v->con, &ls, &w, &h);
  mjrRect rect = {vp.left + (vp.width - w) / 2, vp.bottom + (vp.height - h) / 2, w, h}; /* centred */
  draw_lines(&v->con, rect, &ls);
  v->lay.help = rect;
}

/* ------------------------------------------------------------------ plots */
/* A line from n values y[i] at x = i (NaN skipped), at most mjMAXLINEPNT points (decimated). */
static void fig_line(mjvFigure *f, int k, const char *name, const double *y, int n, int x0) {
  int stride = (n + mjMAXLINEPNT - 1) / mjMAXLINEPNT, m = 0;
  if (stride < 1) stride = 1;
  for (int i = 0; i < n; i += stride) {
    if (!isfinite(y[i])) continue;
    f->linedata[k][2 * m] = (float)(x0 + i);
    f->linedata[k][2 * m + 1] = (float)y[i];
    m++;
  }
  f->linepnt[k] = m;
  snprintf(f->linename[k], sizeof f->linename[k], "%s", name);
}

static void fig_reset(mjvFigure *f, const char *title, int total, double t) {
  for (int k = 0; k < mjMAXLINE; k++) f->linepnt[k] = 0;
  snprintf(f->title, sizeof f->title, "%s", title);
  f->range[0][0] = 0;
  f->range[0][1] = total > 0 ? total : 1;
  f->range[1][0] = 0;
  f->range[1][1] = 0; /* min >= max: automatic */
  f->selection = (float)t;
}

void view_figures_init(viewer *v) {
  for (int i = 0; i <= VIEW_NPLOTS; i++) {
    mjvFigure *f = &v->fig[i];
    mjv_defaultFigure(f);
    f->flg_extend = 1;
    f->flg_selection = 1;
    f->linewidth = 2;
    f->gridsize[0] = 3;
    f->gridsize[1] = 3;
    f->figurergba[0] = f->figurergba[1] = f->figurergba[2] = 0, f->figurergba[3] = 0.55f;
    f->panergba[0] = f->panergba[1] = f->panergba[2] = 0.08f, f->panergba[3] = 0.6f;
    f->legendrgba[3] = 0.5f;
    f->gridrgb[0] = f->gridrgb[1] = f->gridrgb[2] = 0.45f;
    snprintf(f->xlabel, sizeof f->xlabel, "step");
    snprintf(f->yformat, sizeof f->yformat, "%%.3g");
    snprintf(f->minwidth, sizeof f->minwidth, "-0.000");
    static const float cols[6][3] = {{1, 0.35f, 0.3f}, {0.3f, 0.8f, 1}, {1, 0.8f, 0.2f}, {0.5f, 1, 0.4f}, {0.9f, 0.5f, 1}, {1, 1, 1}};
    for (int k = 0; k < 6; k++) memcpy(f->linergb[k], cols[k], sizeof cols[k]);
  }
}

/* Fills figure i (0, 1: the two panels of the return plot) from the trace. */
static void fill_figure(viewer *v, int which, mjvFigure *f) {
  const view_rollout *r = &v->tr;
  int n = r->steps, total = view_total(v);
  char title[200];
  double *tmp = NULL;
  switch (which) {
  case 0: /* running cost */
    fig_reset(f, "cost c(x,u)", total, v->t);
    tmp = sgp_malloc(sizeof(double) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) tmp[i] = -r->r[i];
    fig_line(f, 0, "cost", tmp, n, 0);
    break;
  case 1: /* return so far */
    if (r->ended && !r->transitions)
      snprintf(title, sizeof title, "return %.4g", r->ret[n] - r->final_cost);
    else
      snprintf(title, sizeof title, "return so far");
    fig_reset(f, title, total, v->t);
    fig_line(f, 0, "return", r->ret, n + 1, 0);
    break;
  case 2: { /* actions (as the environment applies them: clipped) */
    fig_reset(f, "actions u (as applied)", total, v->t);
    tmp = sgp_malloc(sizeof(double) * (size_t)(n + 1) * r->nu);
    int nl = r->nu < mjMAXLINE ? r->nu : mjMAXLINE;
    double *uc = sgp_malloc(sizeof(double) * (size_t)r->nu);
    for (int i = 0; i < n; i++) {
      memcpy(uc, r->u + (size_t)i * r->nu, sizeof(double) * r->nu);
      env_clip_action(v->env, uc);
      for (int k = 0; k < r->nu; k++) tmp[(size_t)k * (n + 1) + i] = uc[k];
    }
    free(uc);
    for (int k = 0; k < nl; k++) {
      char name[16];
      snprintf(name, sizeof name, "u%d", k);
      fig_line(f, k, name, tmp + (size_t)k * (n + 1), n, 0);
    }
    const env_spec *s = &v->env->spec;
    double lo = 0, hi = 0;
    for (int k = 0; k < s->nu; k++) lo = fmin(lo, s->u_lo[k]), hi = fmax(hi, s->u_hi[k]);
    if (hi > lo && isfinite(lo) && isfinite(hi)) f->range[1][0] = (float)lo, f->range[1][1] = (float)hi;
    break;
  }
  case 3:
    fig_reset(f, r->has_planner ? "planner objective = cost + penalty" : "planner: not recorded", total, v->t);
    fig_line(f, 0, "objective", r->obj, n, 0);
    fig_line(f, 1, "cost", r->pcost, n, 0);
    fig_line(f, 2, "penalty", r->pen, n, 0);
    break;
  case 4:
    fig_reset(f, r->has_dd ? "data distance of (x,u)" : "data distance: not recorded", total, v->t);
    fig_line(f, 0, "distance", r->dd, n, 0);
    break;
  case 5:
    fig_reset(f, r->has_time ? "plan time per step (ms)" : "time per step: not recorded", total, v->t);
    fig_line(f, 0, "plan ms", r->plan_ms, n, 0);
    break;
  }
  free(tmp);
  int any = 0, nlines = 0;
  for (int k = 0; k < mjMAXLINE; k++) nlines += f->linepnt[k] > 0;
  f->flg_legend = nlines > 1; /* one line: the title says what it is */
  any = nlines > 0;
  if (!any) f->range[1][0] = 0, f->range[1][1] = 1; /* empty axes, not a range around nothing */
  /* one point gives no line: draw it twice */
  for (int k = 0; k < mjMAXLINE; k++)
    if (f->linepnt[k] == 1) {
      f->linedata[k][2] = f->linedata[k][0] + 1e-3f;
      f->linedata[k][3] = f->linedata[k][1];
      f->linepnt[k] = 2;
    }
}

/* The plots shown, stacked from the top of the right column (below the image panels). */
static void draw_plots(viewer *v, mjrRect vp, int top) {
  int W = (int)(0.36 * vp.width), slot = (int)(0.24 * vp.height), top0 = top;
  if (W < 240) W = 240;
  if (slot < 120) slot = 120;
  int left = vp.left + vp.width - MARGIN - W;
  for (int p = 0; p < VIEW_NPLOTS; p++) {
    v->lay.plots[p] = (mjrRect){0, 0, 0, 0};
    if (!(v->ui.plots & (1u << p)) || !v->have_tr) continue;
    if (top - slot < vp.bottom + 24) { /* the column is full down to the timeline: one more to its left */
      left -= W + 4;
      top = top0;
      if (left < vp.left || top - slot < vp.bottom + 24) break;
    }
    mjrRect rect = {left, top - slot, W, slot};
    if (p == VIEW_PLOT_RETURN) { /* two panels side by side */
      mjrRect a = {left, rect.bottom, W / 2, slot}, b = {left + W / 2, rect.bottom, W - W / 2, slot};
      fill_figure(v, 0, &v->fig[0]);
      fill_figure(v, 1, &v->fig[1]);
      mjr_figure(a, &v->fig[0], &v->con);
      mjr_figure(b, &v->fig[1], &v->con);
    } else {
      fill_figure(v, p + 1, &v->fig[p + 1]);
      mjr_figure(rect, &v->fig[p + 1], &v->con);
    }
    v->lay.plots[p] = rect;
    top -= slot + 4;
  }
}

/* ------------------------------------------------------------------ image panels */
/* Side of the square panel of an image overlay: a quarter of the frame's shorter side, a whole
 * number of pixels per cell. */
static int panel_side(const viewer *v, const env_overlay *o) {
  int side = (v->o->width < v->o->height ? v->o->width : v->o->height) / 4;
  int big = o->w > o->h ? o->w : o->h, cell = side / big > 1 ? side / big : 1;
  return cell * big;
}

int view_panel_bytes(const viewer *v) {
  int most = 0;
  for (int i = 0; i < v->nov; i++)
    if (v->ov[i].kind == ENV_OVERLAY_IMAGE && panel_side(v, &v->ov[i]) > most) most = panel_side(v, &v->ov[i]);
  return 3 * most * most;
}

/* One image overlay (w×h state values, row 0 = top) upscaled into a panel whose top-right corner
 * is at (right, top). Returns the panel's height with its frame and caption. */
static int draw_image(viewer *v, const env_overlay *o, int right, int top) {
  int P = panel_side(v, o), big = o->w > o->h ? o->w : o->h, cell = P / big;
  int W = cell * o->w, H = cell * o->h;
  const double *x = v->tr.x + (size_t)v->t * v->tr.nx + o->offset;
  for (int r = 0; r < H; r++)
    for (int c = 0; c < W; c++) {
      int ir = o->h - 1 - (r / cell), ic = c / cell; /* GL rows are bottom-up */
      double val = x[ir * o->w + ic];
      val = val < 0 ? 0 : val > 1 ? 1 : val;
      unsigned char g = (unsigned char)lrint(255 * val);
      unsigned char *px = v->panel + 3 * ((size_t)r * W + c);
      px[0] = px[1] = px[2] = g;
    }
  mjrRect box = {right - W - 2, top - H - 2, W + 4, H + 4};
  mjr_rectangle(box, 0.9f, 0.9f, 0.2f, 1.0f); /* a frame around the image */
  mjrRect img = {box.left + 2, box.bottom + 2, W, H};
  mjr_drawPixels(v->panel, NULL, img, &v->con);
  int ch = v->con.charHeight + 2 * PAD;
  if (o->label[0]) {
    lines ls;
    lines_init(&ls, v, 0);
    add(&ls, TXT, NULL, "%s", o->label);
    int w, h;
    panel_size(&v->con, &ls, &w, &h);
    mjrRect lab = {right - w, box.bottom - h - 2, w, h};
    draw_lines(&v->con, lab, &ls);
    ch = h + 2;
  }
  return H + 4 + ch + 4;
}

/* The image overlays stacked down from the top-right corner; returns the top left for the plots. */
static int draw_images(viewer *v, mjrRect vp) {
  int top = vp.bottom + vp.height - MARGIN;
  if (!v->have_tr) return top;
  for (int i = 0; i < v->nov; i++)
    if (v->ov[i].kind == ENV_OVERLAY_IMAGE) top -= draw_image(v, &v->ov[i], vp.left + vp.width - MARGIN, top);
  return top;
}

/* ------------------------------------------------------------------ timeline */
static void draw_timeline(viewer *v, mjrRect vp) {
  int total = view_total(v);
  mjrRect bar = {vp.left + MARGIN, vp.bottom + MARGIN, vp.width - 2 * MARGIN, 10};
  v->lay.timeline = bar;
  if (total <= 0 || !v->have_tr) return;
  mjr_rectangle(bar, BACKDROP[0], BACKDROP[1], BACKDROP[2], 0.6f);
  double done = (double)v->tr.steps / total, at = (double)v->t / total;
  mjrRect filled = {bar.left + 1, bar.bottom + 3, (int)lrint((bar.width - 2) * done), 4};
  mjr_rectangle(filled, 0.55f, 0.6f, 0.65f, 0.9f);
  mjrRect mark = {bar.left + (int)lrint((bar.width - 4) * at), bar.bottom, 4, bar.height};
  mjr_rectangle(mark, 1, 1, 1, 1);
}

void view_panels_draw(viewer *v, mjrRect vp) {
  memset(&v->lay, 0, sizeof v->lay);
  int top = draw_images(v, vp);
  if (v->o->clean) return;
  draw_timeline(v, vp);
  /* the timeline in the input layer's coordinates (origin top-left) */
  v->ui.tl_x0 = v->lay.timeline.left - vp.left;
  v->ui.tl_x1 = v->lay.timeline.left - vp.left + v->lay.timeline.width;
  v->ui.tl_y0 = vp.height - (v->lay.timeline.bottom - vp.bottom) - v->lay.timeline.height;
  v->ui.tl_y1 = vp.height - (v->lay.timeline.bottom - vp.bottom);
  if (v->ui.info) draw_info(v, vp, vp.bottom + MARGIN + v->lay.timeline.height + MARGIN);
  draw_plots(v, vp, top);
  if (v->ui.help) draw_help(v, vp);
}
