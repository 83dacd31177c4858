/* Learned dynamics: residual MLPs and ensembles of them (METHOD §1, §5).
 *
 *   x' = f_k(x,u) = x + k_x ⊙ net_k(x̄, ū),   x̄ = (x − μ_x)/s_x,  ū = (u − μ_u)/s_u
 *
 * k_x is the per-dimension standard deviation of x' − x, so the network predicts the state change
 * in units of its own spread ("normalised delta coordinates"); every member of an ensemble shares
 * the normalisers, k_x and the architecture and differs only in its weights.
 *
 * Read top to bottom: creation and normalisers, the forward / adjoint pair (what planners call),
 * then training (agents/train.c drives it through the callbacks at the end of the file).
 *
 * Adjoint of the residual form (what planners backpropagate through):
 *   dy  = k_x ⊙ dx'                              (gradient at the network output)
 *   [dx̄, dū] = net_kᵀ-VJP(dy)
 *   dx  = dx' + dx̄ / s_x,   du = dū / s_u
 */
#include "agents/dynamics.h"
#include "agents/model_common.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/rng.h"
#include "core/safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DYN_MIN_SCALE 1e-6f

/* ============================== the model =================================================== */

dyn_model *dyn_create(const nn_arch *a, int nx, int nu, int K, sgp_err *e) {
  if (nx < 1 || nu < 1) {
    sgp_fail(e, "dynamics: nx = %d, nu = %d: both must be >= 1", nx, nu);
    return NULL;
  }
  if (K < 1 || K > DYN_MAX_MEMBERS) {
    sgp_fail(e, "dynamics: %d members (expected 1..%d)", K, DYN_MAX_MEMBERS);
    return NULL;
  }
  if (a->nin != nx + nu || a->nout != nx) {
    sgp_fail(e, "dynamics: network maps %d -> %d, expected nx + nu = %d -> nx = %d", a->nin, a->nout,
             nx + nu, nx);
    return NULL;
  }
  if (a->ncond != 0) {
    sgp_fail(e, "dynamics: network has ncond = %d, expected 0 (unconditioned)", a->ncond);
    return NULL;
  }
  if (nn_arch_check(a, e) != 0) return NULL;
  dyn_model *m = sgp_calloc(1, sizeof *m);
  m->nx = nx;
  m->nu = nu;
  m->K = K;
  /* one flat parameter buffer, member after member; each member is a view into it (so Adam,
   * checkpoints and gradients treat the whole ensemble as one array) */
  m->nparams_member = nn_arch_nparams(a);
  m->nparams = m->nparams_member * (size_t)K;
  m->params = sgp_falloc(m->nparams);
  memset(m->params, 0, m->nparams * sizeof(float));
  for (int k = 0; k < K; k++) {
    nn_mlp *n = &m->member[k];
    n->arch = *a;
    n->nparams = m->nparams_member;
    n->params = m->params + (size_t)k * m->nparams_member;
    n->nlayers = a->nhidden + 1;
    nn_layout(a, n->params, n->layer);
    m->net[k] = n;
  }
  sgp_norm_init(&m->xn, nx);
  sgp_norm_init(&m->un, nu);
  m->kx = sgp_falloc((size_t)nx);
  for (int j = 0; j < nx; j++) m->kx[j] = 1.0f;
  return m;
}

void dyn_free(dyn_model *m) {
  if (!m) return;
  free(m->params);
  sgp_norm_free(&m->xn);
  sgp_norm_free(&m->un);
  free(m->kx);
  free(m);
}

void dyn_init(dyn_model *m, const sgp_rng *init) {
  for (int k = 0; k < m->K; k++) {
    sgp_rng r;
    sgp_rng_child(&r, init, (uint64_t)k);
    nn_init(m->net[k], &r);
  }
}

void dyn_fit_normalizers(dyn_model *m, const float *x, const float *u, const float *xnext, size_t N) {
  int nx = m->nx;
  sgp_norm_fit(&m->xn, x, N, nx, DYN_MIN_SCALE);
  sgp_norm_fit(&m->un, u, N, m->nu, DYN_MIN_SCALE);
  /* METHOD §1: k_x = std(x' − x), population std in double like sgp_norm_fit */
  for (int j = 0; j < nx; j++) {
    double s = 0, q = 0;
    for (size_t r = 0; r < N; r++) s += (double)xnext[r * nx + j] - x[r * nx + j];
    double mu = N ? s / (double)N : 0;
    for (size_t r = 0; r < N; r++) {
      double d = (double)xnext[r * nx + j] - x[r * nx + j] - mu;
      q += d * d;
    }
    double sd = N ? sqrt(q / (double)N) : 1.0;
    m->kx[j] = (float)(sd > DYN_MIN_SCALE ? sd : DYN_MIN_SCALE);
  }
}

/* ============================== forward and adjoint ========================================= */

struct dyn_ws {
  int maxB, nslots, nin, nx, nu;
  nn_ws **slot; /* nslots network workspaces (each keeps its own copy of the input) */
  float *in;    /* maxB × (nx+nu): normalised inputs */
  float *out;   /* maxB × nx: network outputs / output gradients */
  float *din;   /* maxB × (nx+nu): input VJP of the network */
};

dyn_ws *dyn_ws_create(const dyn_model *m, int maxB, int nslots) {
  if (maxB < 1 || nslots < 1) return NULL;
  dyn_ws *w = sgp_calloc(1, sizeof *w);
  w->maxB = maxB;
  w->nslots = nslots;
  w->nx = m->nx;
  w->nu = m->nu;
  w->nin = m->nx + m->nu;
  w->slot = sgp_calloc((size_t)nslots, sizeof *w->slot);
  for (int s = 0; s < nslots; s++) w->slot[s] = nn_ws_create(&m->net[0]->arch, maxB);
  w->in = sgp_falloc((size_t)maxB * w->nin);
  w->out = sgp_falloc((size_t)maxB * w->nx);
  w->din = sgp_falloc((size_t)maxB * w->nin);
  return w;
}

void dyn_ws_free(dyn_ws *w) {
  if (!w) return;
  for (int s = 0; s < w->nslots; s++) nn_ws_free(w->slot[s]);
  free(w->slot);
  free(w->in);
  free(w->out);
  free(w->din);
  free(w);
}

static void check_call(const char *fn, const dyn_model *m, int k, const dyn_ws *w, int slot, int B) {
  /* programming errors (the caller sized the workspace), not input errors */
  if (k < 0 || k >= m->K || slot < 0 || slot >= w->nslots || B < 0 || B > w->maxB || w->nx != m->nx ||
      w->nu != m->nu) {
    fprintf(stderr, "sgp: %s: member %d / slot %d / batch %d do not fit (K %d, slots %d, maxB %d)\n", fn,
            k, slot, B, m->K, w->nslots, w->maxB);
    abort();
  }
}

/* Network output (normalised delta) of member k for B rows into w->out; cached in `slot`. */
static void net_forward(const dyn_model *m, int k, dyn_ws *w, int slot, int B, const float *x,
                        const float *u) {
  mc_xu_inputs(&m->xn, &m->un, B, x, u, w->in); /* in = [x̄, ū] rows */
  nn_forward(m->net[k], w->slot[slot], B, w->in, NULL, w->out);
}

void dyn_forward(const dyn_model *m, int k, dyn_ws *w, int slot, int B, const float *x, const float *u,
                 float *xnext) {
  check_call("dyn_forward", m, k, w, slot, B);
  net_forward(m, k, w, slot, B, x, u);
  int nx = m->nx;
  for (int r = 0; r < B; r++) /* METHOD §1: x' = x + k_x ⊙ net */
    for (int j = 0; j < nx; j++) xnext[(size_t)r * nx + j] = x[(size_t)r * nx + j] + m->kx[j] * w->out[(size_t)r * nx + j];
}

void dyn_vjp(const dyn_model *m, int k, dyn_ws *w, int slot, int B, const float *dxnext, float *dx,
             float *du) {
  check_call("dyn_vjp", m, k, w, slot, B);
  int nx = m->nx, nu = m->nu, nin = nx + nu;
  for (int r = 0; r < B; r++) /* dy = k_x ⊙ dx' */
    for (int j = 0; j < nx; j++) w->out[(size_t)r * nx + j] = m->kx[j] * dxnext[(size_t)r * nx + j];
  nn_backward(m->net[k], w->slot[slot], B, w->out, NULL, 0, w->din);
  for (int r = 0; r < B; r++) {
    const float *d = w->din + (size_t)r * nin;
    for (int j = 0; j < nx; j++) dx[(size_t)r * nx + j] = dxnext[(size_t)r * nx + j] + d[j] / m->xn.scale[j];
    if (du)
      for (int j = 0; j < nu; j++) du[(size_t)r * nu + j] = d[nx + j] / m->un.scale[j];
  }
}

/* ============================== training loss ================================================ */
/* One-step loss (H = 1) and multi-step rollout loss (H > 1), in normalised delta coordinates.
 *
 * Consecutive transitions: row i continues into row i+1 when neither terminal[i] nor timeout[i]
 * is set and xnext[i] == x[i+1] exactly (datasets store each episode's states in order, so the
 * next row's x is bit for bit the previous row's x'). run[i] = the number of consecutive
 * transitions starting at row i, capped at H. A batch row i rolls member k out over its own
 * L_i = run[i] steps from the data state x_i with the data actions u_i..u_{i+L_i−1}:
 *
 *   x̂_0 = x_i,   x̂_{j+1} = f_k(x̂_j, u_{i+j}),   e_j = (x̂_{j+1} − x'_{i+j}) / k_x
 *   loss_k = Σ_b w_kb Σ_{j<L_b} ‖e_bj‖² / (nx · Σ_b w_kb L_b)     (H = 1: the one-step MSE)
 *   loss   = (1/K) Σ_k loss_k
 *
 * w_kb is member k's bootstrap count of row b (Poisson(1) per row and member, drawn once from
 * child stream k of "bootstrap": the online form of the bootstrap) when bootstrapping, else 1;
 * validation (no gradient) always uses w = 1, so every member is scored on the same rows.
 *
 * For precision the deviation from the data D_j = x̂_j − x_{i+j} is tracked instead of x̂_j
 * (D_0 = 0, e_j = D_j/k_x + net − (x'_{i+j} − x_{i+j})/k_x, D_{j+1} = k_x ⊙ e_j), so a state
 * change much smaller than the state never cancels. Rows whose chain is shorter than the step are
 * fed their start row and masked (zero gradient). The backward pass runs the adjoint of the
 * residual form from j = L−1 down to 0, one network workspace per step. */

struct dyn_task {
  dyn_model *m;
  size_t N;
  const float *x, *u, *xnext;
  uint8_t *run;  /* N: chain length from each row, 1..H */
  uint8_t *wts;  /* K × N bootstrap counts, or NULL */
  int H, maxB;
  dyn_ws *w;     /* H slots */
  float *D;      /* (H+1) × maxB × nx: deviations from the data */
  float *e;      /* H × maxB × nx: normalised errors (0 on masked rows) */
  float *xin;    /* maxB × nx, maxB × nu: gathered network inputs */
  float *uin;
  float *a;      /* maxB × nx: adjoint of D_{j+1} */
  float *wb;     /* maxB: weights of the batch rows */
  int *len;      /* maxB */
  long chains;   /* rows with run == H */
};

/* Poisson(1) by inversion (counts above 255 are impossible in practice; capped) */
static uint8_t poisson1(sgp_rng *r) {
  double u = sgp_rng_uniform(r), p = exp(-1.0), c = p;
  int k = 0;
  while (u >= c && k < 255) {
    k++;
    p /= k;
    c += p;
  }
  return (uint8_t)k;
}

dyn_task *dyn_task_create(dyn_model *m, const float *x, const float *u, const float *xnext,
                          const uint8_t *terminal, const uint8_t *timeout, size_t N, int H, int maxB,
                          const sgp_rng *bootstrap, sgp_err *e) {
  if (H < 1 || H > 255) {
    sgp_fail(e, "dynamics: rollout_steps = %d (expected 1..255)", H);
    return NULL;
  }
  if (maxB < 1 || N < 1) {
    sgp_fail(e, "dynamics: %zu rows, batch %d: both must be >= 1", N, maxB);
    return NULL;
  }
  int nx = m->nx;
  dyn_task *t = sgp_calloc(1, sizeof *t);
  t->m = m;
  t->N = N;
  t->x = x;
  t->u = u;
  t->xnext = xnext;
  t->H = H;
  t->maxB = maxB;
  t->run = sgp_malloc(N);
  for (size_t i = N; i-- > 0;) {
    int cont = i + 1 < N && !(terminal && terminal[i]) && !(timeout && timeout[i]) &&
               !memcmp(xnext + i * nx, x + (i + 1) * nx, (size_t)nx * sizeof(float));
    int r = 1 + (cont ? t->run[i + 1] : 0);
    t->run[i] = (uint8_t)(r < H ? r : H);
    t->chains += t->run[i] == H;
  }
  if (bootstrap) {
    t->wts = sgp_malloc((size_t)m->K * N);
    for (int k = 0; k < m->K; k++) {
      sgp_rng r;
      sgp_rng_child(&r, bootstrap, (uint64_t)k);
      for (size_t i = 0; i < N; i++) t->wts[(size_t)k * N + i] = poisson1(&r);
    }
  }
  t->w = dyn_ws_create(m, maxB, H);
  t->D = sgp_falloc((size_t)(H + 1) * maxB * nx);
  t->e = sgp_falloc((size_t)H * maxB * nx);
  t->xin = sgp_falloc((size_t)maxB * nx);
  t->uin = sgp_falloc((size_t)maxB * m->nu);
  t->a = sgp_falloc((size_t)maxB * nx);
  t->wb = sgp_falloc((size_t)maxB);
  t->len = sgp_calloc((size_t)maxB, sizeof(int));
  return t;
}

void dyn_task_free(dyn_task *t) {
  if (!t) return;
  dyn_ws_free(t->w);
  void *bufs[] = {t->run, t->wts, t->D, t->e, t->xin, t->uin, t->a, t->wb, t->len, t};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

long dyn_task_chains(const dyn_task *t) { return t->chains; }

const uint8_t *dyn_task_weights(const dyn_task *t, int k) {
  return t->wts ? t->wts + (size_t)k * t->N : NULL;
}

/* Member k on B rows with weights t->wb: returns loss_k; when grad != NULL, writes gscale times
 * its gradient into grad (member k's nparams_member floats, overwritten). */
static double member_loss(dyn_task *t, int k, const int64_t *rows, int B, float *grad, float gscale) {
  dyn_model *m = t->m;
  dyn_ws *w = t->w;
  int nx = m->nx, nu = m->nu, nin = nx + nu, Lmax = 0;
  size_t bx = (size_t)t->maxB * nx;
  double wterms = 0;
  for (int b = 0; b < B; b++) {
    t->len[b] = t->run[rows[b]];
    if (t->wb[b] > 0 && t->len[b] > Lmax) Lmax = t->len[b];
    wterms += (double)t->wb[b] * t->len[b];
  }
  if (grad) memset(grad, 0, m->nparams_member * sizeof(float));
  if (!(wterms > 0)) return 0.0; /* every row of the batch has bootstrap count 0 */
  memset(t->D, 0, (size_t)B * nx * sizeof(float)); /* D_0 = 0 */
  double sse = 0;
  for (int j = 0; j < Lmax; j++) {
    float *Dj = t->D + (size_t)j * bx, *Dn = t->D + (size_t)(j + 1) * bx, *ej = t->e + (size_t)j * bx;
    for (int b = 0; b < B; b++) {
      int act = j < t->len[b];
      size_t i = (size_t)rows[b] + (act ? (size_t)j : 0);
      for (int c = 0; c < nx; c++)
        t->xin[(size_t)b * nx + c] = t->x[i * nx + c] + (act ? Dj[(size_t)b * nx + c] : 0.0f);
      memcpy(t->uin + (size_t)b * nu, t->u + i * nu, (size_t)nu * sizeof(float));
    }
    net_forward(m, k, w, j, B, t->xin, t->uin);
    for (int b = 0; b < B; b++) {
      int act = j < t->len[b] && t->wb[b] > 0;
      size_t i = (size_t)rows[b] + (size_t)j;
      double rs = 0;
      for (int c = 0; c < nx; c++) {
        size_t q = (size_t)b * nx + c;
        float err = 0.0f;
        if (act) { /* e_j = D_j/k_x + net − (x' − x)/k_x */
          float tdelta = (t->xnext[i * nx + c] - t->x[i * nx + c]) / m->kx[c];
          err = Dj[q] / m->kx[c] + w->out[q] - tdelta;
          rs += (double)err * err;
        }
        ej[q] = err;
        Dn[q] = m->kx[c] * err;
      }
      sse += t->wb[b] * rs;
    }
  }
  double loss = sse / (wterms * nx);
  if (!grad) return loss;
  /* adjoint: a = ∂loss/∂D_{j+1}; dy = k_x ⊙ a (∂/∂net); then a ← a + dx̄/s_x for D_j */
  float gs = (float)(2.0 * gscale / (wterms * nx));
  memset(t->a, 0, (size_t)B * nx * sizeof(float));
  for (int j = Lmax - 1; j >= 0; j--) {
    const float *ej = t->e + (size_t)j * bx;
    for (int b = 0; b < B; b++)
      for (int c = 0; c < nx; c++) {
        size_t q = (size_t)b * nx + c;
        t->a[q] += gs * t->wb[b] * ej[q] / m->kx[c]; /* masked rows have e = 0 */
        w->out[q] = m->kx[c] * t->a[q];
      }
    nn_backward(m->net[k], w->slot[j], B, w->out, grad, 1, j ? w->din : NULL);
    if (j)
      for (int b = 0; b < B; b++)
        for (int c = 0; c < nx; c++) t->a[(size_t)b * nx + c] += w->din[(size_t)b * nin + c] / m->xn.scale[c];
  }
  return loss;
}

double dyn_task_loss(dyn_task *t, int B, const int64_t *rows, int bootstrap, float *grad) {
  dyn_model *m = t->m;
  if (B > t->maxB || B < 1) {
    fprintf(stderr, "sgp: dyn_task_loss: batch %d outside 1..%d\n", B, t->maxB);
    abort();
  }
  double total = 0;
  for (int k = 0; k < m->K; k++) {
    const uint8_t *w = bootstrap && t->wts ? t->wts + (size_t)k * t->N : NULL;
    for (int b = 0; b < B; b++) t->wb[b] = w ? (float)w[rows[b]] : 1.0f;
    total += member_loss(t, k, rows, B, grad ? grad + (size_t)k * m->nparams_member : NULL,
                         1.0f / (float)m->K);
  }
  return total / m->K;
}

/* ============================== training ===================================================== */

/* train_loss_fn: bootstrap weights while training, plain rows for validation. */
static double dyn_train_loss(void *self, int B, const int64_t *rows, sgp_rng *noise, float *grad) {
  (void)noise; /* the loss is deterministic given the rows */
  return dyn_task_loss(self, B, rows, grad != NULL, grad);
}

int dyn_train(dyn_model *m, const dyn_data *d, const dyn_train_cfg *dc, const train_cfg *tc,
              train_result *res, sgp_err *e) {
  if (d->N < 2) return sgp_fail(e, "dynamics: %zu rows (need at least 2)", d->N);
  if (!sgp_all_finite_f(d->x, d->N * m->nx) || !sgp_all_finite_f(d->u, d->N * m->nu) ||
      !sgp_all_finite_f(d->xnext, d->N * m->nx))
    return sgp_fail(e, "dynamics: the data hold non-finite values");
  dyn_fit_normalizers(m, d->x, d->u, d->xnext, d->N);
  sgp_rng init, boot;
  sgp_rng_stream(&init, tc->seed, "init");
  sgp_rng_stream(&boot, tc->seed, "bootstrap");
  dyn_init(m, &init);
  int maxB = tc->batch < (int64_t)d->N ? tc->batch : (int)d->N;
  dyn_task *t = dyn_task_create(m, d->x, d->u, d->xnext, d->terminal, d->timeout, d->N, dc->rollout_steps,
                                maxB, dc->bootstrap ? &boot : NULL, e);
  if (!t) return -1;
  if (dc->rollout_steps > 1 && dyn_task_chains(t) == 0) {
    dyn_task_free(t);
    return sgp_fail(e, "dynamics: rollout_steps = %d but the data hold no %d consecutive transitions "
                       "(x' of a row equal to x of the next, without terminal/timeout)",
                    dc->rollout_steps, dc->rollout_steps);
  }
  train_task tt = {m->K > 1 ? "ensemble" : "dynamics", (int64_t)d->N, m->nparams, m->params, t,
                   dyn_train_loss};
  int rc = train_run(&tt, tc, res, e);
  dyn_task_free(t);
  return rc;
}

/* ============================== model files ================================================== */
/* kind "dynamics" (K = 1; network "net") or "ensemble" (networks "members.0" .. "members.K-1", all
 * in one file); normalisers "x_norm", "u_norm"; vector "k_x"; sgp.model = {"nx","nu","members",
 * "rollout_steps","bootstrap"}. */

static const char *dyn_kind(const dyn_model *m) { return m->K > 1 ? "ensemble" : "dynamics"; }

static void member_prefix(const dyn_model *m, int k, char *buf, size_t cap) {
  if (m->K > 1)
    snprintf(buf, cap, "members.%d", k);
  else
    snprintf(buf, cap, "net");
}

int dyn_save(const dyn_model *m, const dyn_train_cfg *dc, const char *path, const cJSON *config,
             const cJSON *dataset, const train_result *r, sgp_err *e) {
  cJSON *mj = cJSON_CreateObject();
  cJSON_AddNumberToObject(mj, "nx", m->nx);
  cJSON_AddNumberToObject(mj, "nu", m->nu);
  cJSON_AddNumberToObject(mj, "members", m->K);
  cJSON_AddNumberToObject(mj, "rollout_steps", dc ? dc->rollout_steps : 1);
  cJSON_AddBoolToObject(mj, "bootstrap", dc && dc->bootstrap);
  sgp_st st;
  mc_begin(&st, dyn_kind(m), mj, config, dataset, r);
  int rc = 0;
  char prefix[64];
  for (int k = 0; k < m->K && !rc; k++) {
    member_prefix(m, k, prefix, sizeof prefix);
    rc = mf_put_mlp(&st, prefix, m->net[k], e);
  }
  if (!rc) rc = mc_put_xu_norms(&st, &m->xn, &m->un, e);
  if (!rc) rc = mf_put_vec(&st, "k_x", m->kx, m->nx, e);
  if (!rc) rc = mf_write(path, &st, e);
  sgp_st_free(&st);
  return rc;
}

static int same_arch(const nn_arch *a, const nn_arch *b) {
  if (a->nin != b->nin || a->nout != b->nout || a->nhidden != b->nhidden || a->act != b->act ||
      a->act_param != b->act_param || a->layernorm != b->layernorm || a->ncond != b->ncond)
    return 0;
  for (int k = 0; k < a->nhidden; k++)
    if (a->width[k] != b->width[k]) return 0;
  return 1;
}

dyn_model *dyn_load(const char *path, const char *kind, sgp_err *e) {
  mc_file f;
  if (mc_open(&f, path, NULL, e)) return NULL;
  dyn_model *m = NULL;
  const char *k = mf_kind(&f.st);
  if (strcmp(k, "dynamics") && strcmp(k, "ensemble")) {
    sgp_fail(e, "%s: model kind is '%s', expected %s", path, k, kind ? kind : "'dynamics' or 'ensemble'");
    goto fail;
  }
  if (kind && strcmp(k, kind)) {
    sgp_fail(e, "%s: model kind is '%s', expected '%s'", path, k, kind);
    goto fail;
  }
  int ens = !strcmp(k, "ensemble");
  long nx, nu, K;
  if (sgp_cfg_int(&f.c, "nx", 1, 1 << 20, &nx, e) || sgp_cfg_int(&f.c, "nu", 1, 1 << 20, &nu, e) ||
      sgp_cfg_int(&f.c, "members", 1, DYN_MAX_MEMBERS, &K, e))
    goto fail;
  if (ens ? K < 2 : K != 1) {
    sgp_fail(e, "%s: metadata sgp.model/members: %ld members in a model of kind '%s'", path, K, k);
    goto fail;
  }
  char prefix[64];
  for (int i = 0; i < K; i++) {
    snprintf(prefix, sizeof prefix, ens ? "members.%d" : "net", i);
    if (!(f.net = mf_get_mlp(&f.st, path, prefix, (int)(nx + nu), (int)nx, e))) goto fail;
    if (!m) {
      if (!(m = dyn_create(&f.net->arch, (int)nx, (int)nu, (int)K, e))) {
        sgp_fail_prefix(e, "%s", path);
        goto fail;
      }
    } else if (!same_arch(&f.net->arch, &m->net[0]->arch)) {
      sgp_fail(e, "%s: network '%s' has another architecture than member 0", path, prefix);
      goto fail;
    }
    mc_take_params(m->net[i], &f.net);
  }
  if (mc_get_xu_norms(&f.st, path, (int)nx, (int)nu, &m->xn, &m->un, e)) goto fail;
  if (mf_get_vec(&f.st, path, "k_x", (int)nx, m->kx, e)) goto fail;
  for (int i = 0; i < nx; i++)
    if (!(m->kx[i] > 0)) {
      sgp_fail(e, "%s: tensor 'k_x': entry %d is %g, must be positive", path, i, m->kx[i]);
      goto fail;
    }
  mc_close(&f);
  return m;
fail:
  dyn_free(m);
  mc_close(&f);
  return NULL;
}

int dyn_check_dims(const dyn_model *m, const char *path, const char *env, int nx, int nu, sgp_err *e) {
  return mc_check_env_dims(dyn_kind(m), m->nx, m->nu, path, env, nx, nu, e);
}
