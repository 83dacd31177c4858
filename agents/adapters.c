/* Loaded models as the planner interfaces of agents/planner.h.
 *
 *   plan_dyn    over a learned dynamics model (K = 1, kind "mlp") or an ensemble (K > 1, kind
 *               "ensemble"): rows are member-major, rows [k·B, (k+1)·B) go through member k.
 *   plan_score  over a learned score model (single σ or NCSN levels) or the exact score of a
 *               distance index (METHOD §2: ∇log p_σ = −∇d_σ/σ²), the "oracle score".
 *   plan_dist   over the exact d_σ or the learned DDE.
 *   plan_cost   over a learned cost model.
 * σ conventions: a learned score / DDE reports its own σ (normalised units: noise σ·scale_k per
 * dimension); an exact index reports the σ it is given, in the units of its metric (an index made
 * with metric w_k = 1/scale_k² therefore matches the learned models).
 *
 * Slot caching for the adjoint (plan_dyn): the workspace made by ws_create(model, maxB, T) holds
 * T·K network workspaces, one per (time slot t, member k) at index t·K + k. A forward in slot t
 * overwrites only that slot's K workspaces, so a planner can roll out t = 0..T−1 and then call
 * vjp for t = T−1..0 (or in any order) without recomputing anything. Nothing is allocated in
 * forward or vjp. Memory: T·K network workspaces of maxB rows (nn_ws_create's size: about
 * maxB·(nin + 2·Σ hidden widths + 2·widest) floats each) plus three maxB-row scratch buffers.
 */
#include "agents/adapters.h"
#include "core/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ============================== plan_dyn over dyn_model ===================================== */

typedef struct dyn_plan_ws {
  dyn_ws *w; /* T·K slots */
  int K, T, maxB;
} dyn_plan_ws;

static void *dynp_ws_create(const void *model, int maxB, int T) {
  const dyn_model *m = model;
  if (maxB < 1 || T < 1) return NULL;
  dyn_plan_ws *p = sgp_calloc(1, sizeof *p);
  p->K = m->K;
  p->T = T;
  p->maxB = maxB;
  p->w = dyn_ws_create(m, maxB, T * m->K);
  return p;
}

static void dynp_ws_free(void *ws) {
  dyn_plan_ws *p = ws;
  if (!p) return;
  dyn_ws_free(p->w);
  free(p);
}

static void dynp_check_slot(const dyn_plan_ws *p, int t, int k, const char *fn) {
  if (t < 0 || t >= p->T || k < 0 || k >= p->K) {
    fprintf(stderr, "sgp: plan_dyn %s: slot %d, member %d outside 0..%d, 0..%d\n", fn, t, k,
            p->T - 1, p->K - 1);
    abort();
  }
}

static int dynp_forward_member(const void *model, void *ws, int t, int k, int B, const float *x,
                               const float *u, float *xnext) {
  const dyn_model *m = model;
  dyn_plan_ws *p = ws;
  dynp_check_slot(p, t, k, "forward_member");
  dyn_forward(m, k, p->w, t * m->K + k, B, x, u, xnext);
  return sgp_all_finite_f(xnext, (size_t)B * m->nx) ? 0 : -1;
}

static void dynp_vjp_member(const void *model, void *ws, int t, int k, int B, const float *dxnext,
                            float *dx, float *du) {
  const dyn_model *m = model;
  dyn_plan_ws *p = ws;
  dynp_check_slot(p, t, k, "vjp_member");
  dyn_vjp(m, k, p->w, t * m->K + k, B, dxnext, dx, du);
}

static int dynp_forward(const void *model, void *ws, int t, int B, const float *x, const float *u,
                        float *xnext) {
  const dyn_model *m = model;
  int nx = m->nx, nu = m->nu, rc = 0;
  for (int k = 0; k < m->K; k++) {
    size_t r0 = (size_t)k * B;
    if (dynp_forward_member(model, ws, t, k, B, x + r0 * nx, u + r0 * nu, xnext + r0 * nx)) rc = -1;
  }
  return rc;
}

static void dynp_vjp(const void *model, void *ws, int t, int B, const float *dxnext, float *dx, float *du) {
  const dyn_model *m = model;
  int nx = m->nx, nu = m->nu;
  for (int k = 0; k < m->K; k++) {
    size_t r0 = (size_t)k * B;
    dynp_vjp_member(model, ws, t, k, B, dxnext + r0 * nx, dx + r0 * nx, du ? du + r0 * nu : NULL);
  }
}

static const plan_dyn_vt dyn_mlp_vt = {"mlp", dynp_ws_create, dynp_ws_free, dynp_forward, dynp_vjp, NULL, NULL};
static const plan_dyn_vt dyn_ens_vt = {"ensemble",          dynp_ws_create,     dynp_ws_free,
                                       dynp_forward,        dynp_vjp,           dynp_forward_member,
                                       dynp_vjp_member};

void adapt_dyn(const dyn_model *m, plan_dyn *out) {
  memset(out, 0, sizeof *out);
  out->vt = m->K > 1 ? &dyn_ens_vt : &dyn_mlp_vt;
  out->model = m;
  out->nx = m->nx;
  out->nu = m->nu;
  out->K = m->K;
}

/* ============================== plan_score over the exact score ============================= */

typedef struct exact_score {
  const dist_index *idx;
  int nlevels;
  float sigma[]; /* nlevels, decreasing */
} exact_score;

static void *xs_ws_create(const void *model, int maxB) {
  (void)maxB; /* dist_ws does not depend on the batch size */
  const exact_score *s = model;
  return dist_ws_create(s->idx);
}

static void xs_ws_free(void *ws) { dist_ws_free(ws); }

static int clamp_level(int level, int n) { return level < 0 ? 0 : level >= n ? n - 1 : level; }

static void xs_eval(const void *model, void *ws, int B, const float *z, int level, float *s) {
  const exact_score *x = model;
  /* METHOD §2: ∇log p_σ(z) = Σ_i π_i (z_i − z)/σ² (in the index's metric) */
  dist_eval(x->idx, ws, B, z, x->sigma[clamp_level(level, x->nlevels)], NULL, NULL, s);
}

static const plan_score_vt exact_score_vt = {xs_ws_create, xs_ws_free, xs_eval};

int adapt_score_exact(const dist_index *idx, plan_zlayout layout, int nlevels, const float *sigma,
                      plan_score *out, sgp_err *e) {
  if (nlevels < 1) return sgp_fail(e, "exact score: %d noise levels (expected >= 1)", nlevels);
  for (int l = 0; l < nlevels; l++) {
    if (!(sigma[l] > 0) || !isfinite(sigma[l]))
      return sgp_fail(e, "exact score: sigma[%d] = %g (expected a positive finite number)", l, sigma[l]);
    if (l && !(sigma[l] < sigma[l - 1]))
      return sgp_fail(e, "exact score: sigma must decrease (sigma[%d] = %g, sigma[%d] = %g)", l - 1,
                      sigma[l - 1], l, sigma[l]);
  }
  exact_score *x = sgp_calloc(1, sizeof *x + (size_t)nlevels * sizeof(float));
  x->idx = idx;
  x->nlevels = nlevels;
  memcpy(x->sigma, sigma, (size_t)nlevels * sizeof(float));
  memset(out, 0, sizeof *out);
  out->vt = &exact_score_vt;
  out->model = x;
  out->dim = dist_dim(idx);
  out->layout = layout;
  out->nlevels = nlevels;
  out->sigma = x->sigma;
  return 0;
}

/* ============================== plan_dist over the exact d_σ ================================ */

typedef struct exact_dist {
  const dist_index *idx;
  float sigma;
} exact_dist;

static void *xd_ws_create(const void *model, int maxB) {
  (void)maxB;
  const exact_dist *d = model;
  return dist_ws_create(d->idx);
}

static void xd_eval(const void *model, void *ws, int B, const float *z, float *d, float *grad) {
  const exact_dist *x = model;
  dist_eval(x->idx, ws, B, z, x->sigma, d, NULL, grad);
  if (grad) { /* METHOD §2: ∇d_σ = −σ² ∇log p_σ */
    float s2 = x->sigma * x->sigma;
    size_t n = (size_t)B * dist_dim(x->idx);
    for (size_t i = 0; i < n; i++) grad[i] *= -s2;
  }
}

static const plan_dist_vt exact_dist_vt = {xd_ws_create, xs_ws_free, xd_eval};

int adapt_dist_exact(const dist_index *idx, plan_zlayout layout, float sigma, plan_dist *out, sgp_err *e) {
  if (!(sigma > 0) || !isfinite(sigma))
    return sgp_fail(e, "exact distance: sigma = %g (expected a positive finite number)", sigma);
  exact_dist *x = sgp_calloc(1, sizeof *x);
  x->idx = idx;
  x->sigma = sigma;
  memset(out, 0, sizeof *out);
  out->vt = &exact_dist_vt;
  out->model = x;
  out->dim = dist_dim(idx);
  out->layout = layout;
  out->sigma = sigma;
  return 0;
}

/* ============================== plan_score over a learned score ============================= */
/* A small holder around a view of the score_model: σ levels are the model's (normalised units, the
 * σ the planners' σ²β weighting refers to); score_eval gives physical units, as plan_score wants;
 * scale[k] = normaliser scale × noise multiplier turns σ into the physical noise of dimension k. */

typedef struct learned_score {
  const score_model *m;
  float scale[]; /* dim */
} learned_score;

static void *ls_ws_create(const void *model, int maxB) {
  return score_ws_create(((const learned_score *)model)->m, maxB);
}
static void ls_ws_free(void *ws) { score_ws_free(ws); }

static void ls_eval(const void *model, void *ws, int B, const float *z, int level, float *s) {
  const score_model *m = ((const learned_score *)model)->m;
  score_eval(m, ws, B, z, clamp_level(level, m->cfg.nlevels), s);
}

static const plan_score_vt learned_score_vt = {ls_ws_create, ls_ws_free, ls_eval};

static int plan_layout_of(score_layout l, plan_zlayout *out) {
  if (l == SCORE_XU) *out = PLAN_Z_XU;
  else if (l == SCORE_XUX) *out = PLAN_Z_XUX;
  else return -1;
  return 0;
}

int adapt_score(const score_model *m, const char *path, plan_score *out, sgp_err *e) {
  plan_zlayout lay;
  if (plan_layout_of(m->cfg.layout, &lay))
    return sgp_fail(e, "%s: score model is over plain points, a planner needs z = (x,u) or (x,u,x')",
                    path ? path : "score model");
  learned_score *h = sgp_calloc(1, sizeof *h + (size_t)m->dim * sizeof(float));
  h->m = m;
  for (int k = 0; k < m->dim; k++) h->scale[k] = m->norm.scale[k] * m->noise_mul[k];
  memset(out, 0, sizeof *out);
  out->vt = &learned_score_vt;
  out->model = h;
  out->dim = m->dim;
  out->layout = lay;
  out->nlevels = m->cfg.nlevels;
  out->sigma = m->sigma;
  out->scale = h->scale;
  return 0;
}

/* ============================== plan_dist over the learned DDE ============================== */
/* dde_eval gives d̄ (normalised units) and −∇d̄/σ² in physical units; plan_dist wants ∇d, so
 * grad = −σ² · that (METHOD §2), σ the DDE's (normalised) σ. */

static void *dde_p_ws_create(const void *model, int maxB) { return dde_ws_create(model, maxB); }
static void dde_p_ws_free(void *ws) { dde_ws_free(ws); }

static void dde_p_eval(const void *model, void *ws, int B, const float *z, float *d, float *grad) {
  const dde_model *m = model;
  dde_eval(m, ws, B, z, d, grad);
  if (grad) {
    float s2 = m->cfg.sigma * m->cfg.sigma;
    size_t n = (size_t)B * m->dim;
    for (size_t i = 0; i < n; i++) grad[i] *= -s2;
  }
}

static const plan_dist_vt dde_dist_vt = {dde_p_ws_create, dde_p_ws_free, dde_p_eval};

int adapt_dist_dde(const dde_model *m, const char *path, plan_dist *out, sgp_err *e) {
  plan_zlayout lay;
  if (plan_layout_of(m->cfg.layout, &lay))
    return sgp_fail(e, "%s: DDE model is over plain points, a planner needs z = (x,u) or (x,u,x')",
                    path ? path : "DDE model");
  memset(out, 0, sizeof *out);
  out->vt = &dde_dist_vt;
  out->model = m;
  out->dim = m->dim;
  out->layout = lay;
  out->sigma = m->cfg.sigma;
  return 0;
}

/* ============================== plan_cost over a learned cost ================================ */
/* plan_cost has no workspace of its own: the holder owns one (so one adapter per thread). The
 * learned cost has no terminal part (rewards are per transition): c_T = 0. */

typedef struct learned_cost {
  const cost_model *m;
  cost_ws *w;
} learned_cost;

static void lc_running(const void *self, int B, const float *x, const float *u, float *c, float *gx,
                       float *gu) {
  const learned_cost *h = self;
  cost_eval(h->m, h->w, B, x, u, c, gx, gu);
}

static void lc_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  const learned_cost *h = self;
  (void)x;
  for (int r = 0; r < B; r++) c[r] = 0.0f;
  if (gx) memset(gx, 0, (size_t)B * h->m->nx * sizeof(float));
}

void adapt_cost(const cost_model *m, int maxB, plan_cost *out) {
  learned_cost *h = sgp_calloc(1, sizeof *h);
  h->m = m;
  h->w = cost_ws_create(m, maxB < 1 ? 1 : maxB);
  memset(out, 0, sizeof *out);
  out->self = h;
  out->running = lc_running;
  out->terminal = lc_terminal;
}

void adapt_cost_release(plan_cost *c) {
  if (!c) return;
  if (c->running == lc_running) {
    learned_cost *h = (learned_cost *)c->self;
    cost_ws_free(h->w);
    free(h);
  }
  memset(c, 0, sizeof *c);
}

/* ============================== release ===================================================== */

void adapt_score_release(plan_score *s) {
  if (!s) return;
  if (s->vt == &exact_score_vt || s->vt == &learned_score_vt) free((void *)s->model);
  memset(s, 0, sizeof *s);
}

void adapt_dist_release(plan_dist *d) {
  if (!d) return;
  if (d->vt == &exact_dist_vt) free((void *)d->model);
  memset(d, 0, sizeof *d);
}
