/* Analytic systems and raw-network wrappers behind the planner interfaces (agents/plan_testsys.h). */
#include "agents/plan_testsys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ============================== linear dynamics ================================================ */

struct plan_linsys {
  int nx, nu;
  float *A, *B; /* nx×nx, nx×nu */
};

plan_linsys *plan_linsys_create(int nx, int nu, const double *A, const double *B) {
  plan_linsys *s = sgp_calloc(1, sizeof *s);
  s->nx = nx;
  s->nu = nu;
  s->A = sgp_falloc((size_t)nx * nx + (size_t)nx * nu);
  s->B = s->A + (size_t)nx * nx;
  for (int i = 0; i < nx * nx; i++) s->A[i] = (float)A[i];
  for (int i = 0; i < nx * nu; i++) s->B[i] = (float)B[i];
  return s;
}

void plan_linsys_free(plan_linsys *s) {
  if (!s) return;
  free(s->A);
  free(s);
}

static void *lin_ws_create(const void *model, int maxB, int T) {
  (void)model, (void)maxB, (void)T;
  return sgp_malloc(1); /* stateless: the Jacobians are constant */
}

static void lin_ws_free(void *ws) { free(ws); }

static int lin_forward(const void *model, void *ws, int t, int B, const float *x, const float *u,
                       float *xn) {
  (void)ws, (void)t;
  const plan_linsys *s = model;
  int nx = s->nx, nu = s->nu;
  for (int r = 0; r < B; r++) {
    const float *xr = x + (size_t)r * nx, *ur = u + (size_t)r * nu;
    float *o = xn + (size_t)r * nx;
    for (int i = 0; i < nx; i++) {
      float a = 0;
      for (int j = 0; j < nx; j++) a += s->A[i * nx + j] * xr[j];
      for (int j = 0; j < nu; j++) a += s->B[i * nu + j] * ur[j];
      o[i] = a;
    }
  }
  return 0;
}

static void lin_vjp(const void *model, void *ws, int t, int B, const float *dxn, float *dx,
                    float *du) {
  (void)ws, (void)t;
  const plan_linsys *s = model;
  int nx = s->nx, nu = s->nu;
  for (int r = 0; r < B; r++) {
    const float *g = dxn + (size_t)r * nx;
    for (int j = 0; j < nx; j++) {
      float a = 0;
      for (int i = 0; i < nx; i++) a += s->A[i * nx + j] * g[i];
      dx[(size_t)r * nx + j] = a;
    }
    if (du)
      for (int j = 0; j < nu; j++) {
        float a = 0;
        for (int i = 0; i < nx; i++) a += s->B[i * nu + j] * g[i];
        du[(size_t)r * nu + j] = a;
      }
  }
}

static const plan_dyn_vt lin_vt = {"linear", lin_ws_create, lin_ws_free, lin_forward, lin_vjp, NULL, NULL};

plan_dyn plan_linsys_dyn(const plan_linsys *s) {
  plan_dyn d = {&lin_vt, s, s->nx, s->nu, 1};
  return d;
}

/* ============================== quadratic cost ================================================= */

struct plan_quadcost {
  int nx, nu;
  float *Q, *R, *Qf, *goal;
};

plan_quadcost *plan_quadcost_create(int nx, int nu, const double *Q, const double *R,
                                    const double *Qf, const double *goal) {
  plan_quadcost *c = sgp_calloc(1, sizeof *c);
  c->nx = nx;
  c->nu = nu;
  c->Q = sgp_falloc((size_t)2 * nx * nx + (size_t)nu * nu + nx);
  c->Qf = c->Q + (size_t)nx * nx;
  c->R = c->Qf + (size_t)nx * nx;
  c->goal = c->R + (size_t)nu * nu;
  for (int i = 0; i < nx * nx; i++) c->Q[i] = (float)Q[i], c->Qf[i] = (float)Qf[i];
  for (int i = 0; i < nu * nu; i++) c->R[i] = (float)R[i];
  for (int i = 0; i < nx; i++) c->goal[i] = goal ? (float)goal[i] : 0.0f;
  return c;
}

void plan_quadcost_free(plan_quadcost *c) {
  if (!c) return;
  free(c->Q);
  free(c);
}

/* v = Mᵀ... M symmetric: value yᵀMy, gradient 2My (accumulated in double). */
static double quad(const float *M, int n, const float *y, float *g) {
  double v = 0;
  for (int i = 0; i < n; i++) {
    double a = 0;
    for (int j = 0; j < n; j++) a += (double)M[i * n + j] * y[j];
    v += a * y[i];
    if (g) g[i] = (float)(2 * a);
  }
  return v;
}

static void qc_running(const void *self, int B, const float *x, const float *u, float *c, float *gx,
                       float *gu) {
  const plan_quadcost *q = self;
  int nx = q->nx, nu = q->nu;
  float dx[64];
  float *d = nx <= 64 ? dx : sgp_falloc((size_t)nx); /* tests only use small nx */
  for (int r = 0; r < B; r++) {
    for (int i = 0; i < nx; i++) d[i] = x[(size_t)r * nx + i] - q->goal[i];
    double v = quad(q->Q, nx, d, gx ? gx + (size_t)r * nx : NULL);
    v += quad(q->R, nu, u + (size_t)r * nu, gu ? gu + (size_t)r * nu : NULL);
    c[r] = (float)v;
  }
  if (d != dx) free(d);
}

static void qc_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  const plan_quadcost *q = self;
  int nx = q->nx;
  float dx[64];
  float *d = nx <= 64 ? dx : sgp_falloc((size_t)nx);
  for (int r = 0; r < B; r++) {
    for (int i = 0; i < nx; i++) d[i] = x[(size_t)r * nx + i] - q->goal[i];
    c[r] = (float)quad(q->Qf, nx, d, gx ? gx + (size_t)r * nx : NULL);
  }
  if (d != dx) free(d);
}

plan_cost plan_quadcost_cost(const plan_quadcost *c) {
  plan_cost pc = {.self = c, .running = qc_running, .terminal = qc_terminal};
  return pc;
}

/* ============================== Gaussian score ================================================= */

struct plan_gauss {
  int dim, nlevels;
  plan_zlayout layout;
  float *mean, *sd, *sigma;
};

plan_gauss *plan_gauss_create(int dim, plan_zlayout layout, const float *mean, const float *sd,
                              int nlevels, const float *sigma) {
  plan_gauss *g = sgp_calloc(1, sizeof *g);
  g->dim = dim;
  g->nlevels = nlevels;
  g->layout = layout;
  g->mean = sgp_falloc((size_t)2 * dim + nlevels);
  g->sd = g->mean + dim;
  g->sigma = g->sd + dim;
  memcpy(g->mean, mean, sizeof(float) * dim);
  memcpy(g->sd, sd, sizeof(float) * dim);
  memcpy(g->sigma, sigma, sizeof(float) * nlevels);
  return g;
}

void plan_gauss_free(plan_gauss *g) {
  if (!g) return;
  free(g->mean);
  free(g);
}

static void *gs_ws_create(const void *model, int maxB) {
  (void)model, (void)maxB;
  return sgp_malloc(1);
}

static void gs_ws_free(void *ws) { free(ws); }

static void gs_eval(const void *model, void *ws, int B, const float *z, int level, float *s) {
  (void)ws;
  const plan_gauss *g = model;
  double s2 = (double)g->sigma[level] * g->sigma[level];
  for (int r = 0; r < B; r++)
    for (int k = 0; k < g->dim; k++) {
      size_t i = (size_t)r * g->dim + k;
      /* ∇ log N(z; μ, diag(sd²+σ²)) = −(z − μ)/(sd² + σ²) */
      s[i] = (float)(-((double)z[i] - g->mean[k]) / ((double)g->sd[k] * g->sd[k] + s2));
    }
}

static const plan_score_vt gauss_vt = {gs_ws_create, gs_ws_free, gs_eval};

plan_score plan_gauss_score(const plan_gauss *g) {
  plan_score s = {&gauss_vt, g, g->dim, g->layout, g->nlevels, g->sigma, NULL};
  return s;
}

double plan_gauss_logp(const plan_gauss *g, int level, const double *z) {
  double s2 = (double)g->sigma[level] * g->sigma[level], v = 0;
  for (int k = 0; k < g->dim; k++) {
    double d = z[k] - g->mean[k];
    v -= 0.5 * d * d / ((double)g->sd[k] * g->sd[k] + s2);
  }
  return v;
}

/* ============================== MLP dynamics members ========================================== */

struct plan_mlpdyn {
  int nx, nu, K;
  nn_mlp **nets;
  float *kscale;
};

typedef struct mlpdyn_ws {
  int maxB, T, K;
  nn_ws **ws;   /* T×K */
  float *in;    /* T×K×maxB×(nx+nu): inputs kept per slot */
  float *y;     /* maxB×nx */
  float *din;   /* maxB×(nx+nu) */
} mlpdyn_ws;

plan_mlpdyn *plan_mlpdyn_create(int nx, int nu, int K, nn_mlp *const *nets, const float *kscale) {
  plan_mlpdyn *d = sgp_calloc(1, sizeof *d);
  d->nx = nx;
  d->nu = nu;
  d->K = K;
  d->nets = sgp_calloc((size_t)K, sizeof *d->nets);
  for (int k = 0; k < K; k++) d->nets[k] = nets[k];
  d->kscale = sgp_falloc((size_t)nx);
  for (int i = 0; i < nx; i++) d->kscale[i] = kscale ? kscale[i] : 1.0f;
  return d;
}

void plan_mlpdyn_free(plan_mlpdyn *d) {
  if (!d) return;
  free(d->nets);
  free(d->kscale);
  free(d);
}

static void *md_ws_create(const void *model, int maxB, int T) {
  const plan_mlpdyn *d = model;
  mlpdyn_ws *w = sgp_calloc(1, sizeof *w);
  int nin = d->nx + d->nu;
  w->maxB = maxB;
  w->T = T;
  w->K = d->K;
  w->ws = sgp_calloc((size_t)T * d->K, sizeof *w->ws);
  for (int i = 0; i < T * d->K; i++) w->ws[i] = nn_ws_create(&d->nets[i % d->K]->arch, maxB);
  w->in = sgp_falloc((size_t)T * d->K * maxB * nin);
  w->y = sgp_falloc((size_t)maxB * d->nx);
  w->din = sgp_falloc((size_t)maxB * nin);
  return w;
}

static void md_ws_free(void *ws) {
  mlpdyn_ws *w = ws;
  if (!w) return;
  for (int i = 0; i < w->T * w->K; i++) nn_ws_free(w->ws[i]);
  free(w->ws);
  free(w->in);
  free(w->y);
  free(w->din);
  free(w);
}

/* Member k's B rows (x, u, xn point at them). */
static int md_forward_member(const void *model, void *ws, int t, int k, int B, const float *xk,
                             const float *uk, float *o) {
  const plan_mlpdyn *d = model;
  mlpdyn_ws *w = ws;
  int nx = d->nx, nu = d->nu, nin = nx + nu;
  float *in = w->in + ((size_t)t * d->K + k) * w->maxB * nin;
  for (int r = 0; r < B; r++) {
    memcpy(in + (size_t)r * nin, xk + (size_t)r * nx, sizeof(float) * nx);
    memcpy(in + (size_t)r * nin + nx, uk + (size_t)r * nu, sizeof(float) * nu);
  }
  nn_forward(d->nets[k], w->ws[(size_t)t * d->K + k], B, in, NULL, w->y);
  for (int r = 0; r < B; r++)
    for (int i = 0; i < nx; i++) /* METHOD §1: x' = x + k ⊙ net(x,u) */
      o[(size_t)r * nx + i] = xk[(size_t)r * nx + i] + d->kscale[i] * w->y[(size_t)r * nx + i];
  return 0;
}

static int md_forward(const void *model, void *ws, int t, int B, const float *x, const float *u,
                      float *xn) {
  const plan_mlpdyn *d = model;
  for (int k = 0; k < d->K; k++) {
    size_t r0 = (size_t)k * B;
    md_forward_member(model, ws, t, k, B, x + r0 * d->nx, u + r0 * d->nu, xn + r0 * d->nx);
  }
  return 0;
}

static void md_vjp_member(const void *model, void *ws, int t, int k, int B, const float *g,
                          float *dxk, float *duk) {
  const plan_mlpdyn *d = model;
  mlpdyn_ws *w = ws;
  int nx = d->nx, nu = d->nu, nin = nx + nu;
  for (int r = 0; r < B; r++)
    for (int i = 0; i < nx; i++) w->y[(size_t)r * nx + i] = d->kscale[i] * g[(size_t)r * nx + i];
  nn_backward(d->nets[k], w->ws[(size_t)t * d->K + k], B, w->y, NULL, 0, w->din);
  for (int r = 0; r < B; r++) {
    for (int i = 0; i < nx; i++)
      dxk[(size_t)r * nx + i] = g[(size_t)r * nx + i] + w->din[(size_t)r * nin + i];
    if (duk) memcpy(duk + (size_t)r * nu, w->din + (size_t)r * nin + nx, sizeof(float) * nu);
  }
}

static void md_vjp(const void *model, void *ws, int t, int B, const float *dxn, float *dx,
                   float *du) {
  const plan_mlpdyn *d = model;
  for (int k = 0; k < d->K; k++) {
    size_t r0 = (size_t)k * B;
    md_vjp_member(model, ws, t, k, B, dxn + r0 * d->nx, dx + r0 * d->nx, du ? du + r0 * d->nu : NULL);
  }
}

static const plan_dyn_vt mlpdyn_vt = {"mlp",  md_ws_create, md_ws_free,       md_forward,
                                      md_vjp, md_forward_member, md_vjp_member};

plan_dyn plan_mlpdyn_dyn(const plan_mlpdyn *d) {
  plan_dyn p = {&mlpdyn_vt, d, d->nx, d->nu, d->K};
  return p;
}

/* ============================== MLP score ====================================================== */

struct plan_mlpscore {
  const nn_mlp *net;
  plan_zlayout layout;
  int nlevels;
  float *sigma;
};

typedef struct mlpscore_ws {
  nn_ws *ws;
  int *level;
  int maxB;
} mlpscore_ws;

plan_mlpscore *plan_mlpscore_create(const nn_mlp *net, plan_zlayout layout, int nlevels,
                                    const float *sigma) {
  plan_mlpscore *s = sgp_calloc(1, sizeof *s);
  s->net = net;
  s->layout = layout;
  s->nlevels = nlevels;
  s->sigma = sgp_falloc((size_t)nlevels);
  memcpy(s->sigma, sigma, sizeof(float) * nlevels);
  return s;
}

void plan_mlpscore_free(plan_mlpscore *s) {
  if (!s) return;
  free(s->sigma);
  free(s);
}

static void *ms_ws_create(const void *model, int maxB) {
  const plan_mlpscore *s = model;
  mlpscore_ws *w = sgp_calloc(1, sizeof *w);
  w->ws = nn_ws_create(&s->net->arch, maxB);
  w->level = sgp_calloc((size_t)maxB, sizeof(int));
  w->maxB = maxB;
  return w;
}

static void ms_ws_free(void *ws) {
  mlpscore_ws *w = ws;
  if (!w) return;
  nn_ws_free(w->ws);
  free(w->level);
  free(w);
}

static void ms_eval(const void *model, void *ws, int B, const float *z, int level, float *out) {
  const plan_mlpscore *s = model;
  mlpscore_ws *w = ws;
  const int *lv = NULL;
  if (s->net->arch.ncond > 0) {
    for (int r = 0; r < B; r++) w->level[r] = level;
    lv = w->level;
  }
  nn_forward(s->net, w->ws, B, z, lv, out);
}

static const plan_score_vt mlpscore_vt = {ms_ws_create, ms_ws_free, ms_eval};

plan_score plan_mlpscore_score(const plan_mlpscore *s) {
  plan_score p = {&mlpscore_vt, s, s->net->arch.nin, s->layout, s->nlevels, s->sigma, NULL};
  return p;
}

/* ============================== stacked members ================================================ */

struct plan_stack {
  int K;
  plan_dyn m[8];
};

typedef struct stack_ws {
  int K;
  void *ws[8];
  const plan_dyn_vt *vt[8]; /* to free the member workspaces */
} stack_ws;

plan_stack *plan_stack_create(int K, const plan_dyn *members) {
  plan_stack *s = sgp_calloc(1, sizeof *s);
  s->K = K < 8 ? K : 8;
  for (int k = 0; k < s->K; k++) s->m[k] = members[k];
  return s;
}

void plan_stack_free(plan_stack *s) { free(s); }

static void *st_ws_create(const void *model, int maxB, int T) {
  const plan_stack *s = model;
  stack_ws *w = sgp_calloc(1, sizeof *w);
  w->K = s->K;
  for (int k = 0; k < s->K; k++) {
    w->vt[k] = s->m[k].vt;
    w->ws[k] = s->m[k].vt->ws_create(s->m[k].model, maxB, T);
  }
  return w;
}

static void st_ws_free(void *ws) {
  stack_ws *w = ws;
  if (!w) return;
  for (int k = 0; k < w->K; k++) w->vt[k]->ws_free(w->ws[k]);
  free(w);
}

static int st_forward_member(const void *model, void *ws, int t, int k, int B, const float *x,
                             const float *u, float *xn) {
  const plan_stack *s = model;
  stack_ws *w = ws;
  return s->m[k].vt->forward(s->m[k].model, w->ws[k], t, B, x, u, xn);
}

static void st_vjp_member(const void *model, void *ws, int t, int k, int B, const float *g, float *dx,
                          float *du) {
  const plan_stack *s = model;
  stack_ws *w = ws;
  s->m[k].vt->vjp(s->m[k].model, w->ws[k], t, B, g, dx, du);
}

static int st_forward(const void *model, void *ws, int t, int B, const float *x, const float *u,
                      float *xn) {
  const plan_stack *s = model;
  int nx = s->m[0].nx, nu = s->m[0].nu, rc = 0;
  for (int k = 0; k < s->K; k++) {
    size_t r0 = (size_t)k * B;
    if (st_forward_member(model, ws, t, k, B, x + r0 * nx, u + r0 * nu, xn + r0 * nx)) rc = -1;
  }
  return rc;
}

static void st_vjp(const void *model, void *ws, int t, int B, const float *g, float *dx, float *du) {
  const plan_stack *s = model;
  int nx = s->m[0].nx, nu = s->m[0].nu;
  for (int k = 0; k < s->K; k++) {
    size_t r0 = (size_t)k * B;
    st_vjp_member(model, ws, t, k, B, g + r0 * nx, dx + r0 * nx, du ? du + r0 * nu : NULL);
  }
}

static const plan_dyn_vt stack_vt = {"ensemble", st_ws_create,      st_ws_free,   st_forward,
                                     st_vjp,     st_forward_member, st_vjp_member};

plan_dyn plan_stack_dyn(const plan_stack *s) {
  plan_dyn p = {&stack_vt, s, s->m[0].nx, s->m[0].nu, s->K};
  return p;
}

/* ============================== analytic distance ============================================== */

struct plan_quaddist {
  int dim;
  plan_zlayout layout;
  float sigma;
  float c[];
};

plan_quaddist *plan_quaddist_create(int dim, plan_zlayout layout, const float *center, float sigma) {
  plan_quaddist *d = sgp_calloc(1, sizeof *d + sizeof(float) * (size_t)dim);
  d->dim = dim, d->layout = layout, d->sigma = sigma;
  memcpy(d->c, center, sizeof(float) * dim);
  return d;
}

void plan_quaddist_free(plan_quaddist *d) { free(d); }

static void *qd_ws_create(const void *model, int maxB) {
  (void)model, (void)maxB;
  return sgp_malloc(1);
}

static void qd_eval(const void *model, void *ws, int B, const float *z, float *d, float *g) {
  const plan_quaddist *q = model;
  (void)ws;
  for (int r = 0; r < B; r++) {
    double s = 0;
    for (int k = 0; k < q->dim; k++) {
      double v = (double)z[(size_t)r * q->dim + k] - q->c[k];
      s += v * v;
      if (g) g[(size_t)r * q->dim + k] = (float)(2 * v);
    }
    d[r] = (float)s;
  }
}

static const plan_dist_vt quaddist_vt = {qd_ws_create, gs_ws_free, qd_eval};

plan_dist plan_quaddist_dist(const plan_quaddist *d) {
  plan_dist p = {&quaddist_vt, d, d->dim, d->layout, d->sigma};
  return p;
}

double plan_quaddist_value(const plan_quaddist *d, const double *z) {
  double s = 0;
  for (int k = 0; k < d->dim; k++) s += (z[k] - d->c[k]) * (z[k] - d->c[k]);
  return s;
}

/* ============================== MLP cost =================================================== */

struct plan_mlpcost {
  const nn_mlp *net;
  int nx, nu, maxB;
  nn_ws *ws;
  float *in, *c, *one, *din; /* maxB×(nx+nu), maxB, maxB, maxB×(nx+nu) */
};

plan_mlpcost *plan_mlpcost_create(const nn_mlp *net, int nx, int nu, int maxB) {
  plan_mlpcost *c = sgp_calloc(1, sizeof *c);
  int nin = nx + nu;
  c->net = net, c->nx = nx, c->nu = nu, c->maxB = maxB;
  c->ws = nn_ws_create(&net->arch, maxB);
  c->in = sgp_falloc((size_t)maxB * (2 * nin + 2));
  c->din = c->in + (size_t)maxB * nin;
  c->c = c->din + (size_t)maxB * nin;
  c->one = c->c + maxB;
  for (int r = 0; r < maxB; r++) c->one[r] = 1.0f;
  return c;
}

void plan_mlpcost_free(plan_mlpcost *c) {
  if (!c) return;
  nn_ws_free(c->ws);
  free(c->in);
  free(c);
}

static void mc_running(const void *self, int B, const float *x, const float *u, float *cost,
                       float *gx, float *gu) {
  plan_mlpcost *c = (plan_mlpcost *)self; /* owns its scratch: one cost per thread */
  int nx = c->nx, nu = c->nu, nin = nx + nu;
  for (int r0 = 0; r0 < B; r0 += c->maxB) {
    int n = B - r0 < c->maxB ? B - r0 : c->maxB;
    for (int r = 0; r < n; r++) {
      memcpy(c->in + (size_t)r * nin, x + (size_t)(r0 + r) * nx, sizeof(float) * nx);
      memcpy(c->in + (size_t)r * nin + nx, u + (size_t)(r0 + r) * nu, sizeof(float) * nu);
    }
    nn_forward(c->net, c->ws, n, c->in, NULL, cost + r0);
    if (!gx && !gu) continue;
    nn_backward(c->net, c->ws, n, c->one, NULL, 0, c->din); /* ∂c/∂[x,u] */
    for (int r = 0; r < n; r++) {
      if (gx) memcpy(gx + (size_t)(r0 + r) * nx, c->din + (size_t)r * nin, sizeof(float) * nx);
      if (gu) memcpy(gu + (size_t)(r0 + r) * nu, c->din + (size_t)r * nin + nx, sizeof(float) * nu);
    }
  }
}

static void mc_terminal(const void *self, int B, const float *x, float *cost, float *gx) {
  const plan_mlpcost *c = self;
  (void)x;
  for (int r = 0; r < B; r++) cost[r] = 0.0f;
  if (gx) memset(gx, 0, sizeof(float) * (size_t)B * c->nx);
}

plan_cost plan_mlpcost_cost(const plan_mlpcost *c) {
  plan_cost p = {.self = c, .running = mc_running, .terminal = mc_terminal};
  return p;
}
