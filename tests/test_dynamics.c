// ctest-labels: unit agents
/* Learned dynamics: the adjoint through the normalisers and the residual form, against central
 * finite differences of an independent double-precision forward (written out below from the
 * flat parameters), for a single model and for every member of an ensemble, through the plan_dyn
 * adapter (member-major rows, several time slots cached, vjp called out of order). */
#include "testutil.h"
#include "agents/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- independent reference: the MLP in double (tu_ref_mlp: tanh, LayerNorm) -------------- */
/* x' = x + k_x ⊙ net((x − μ_x)/s_x, (u − μ_u)/s_u), all in double */
static void ref_f(const dyn_model *m, int k, const double *x, const double *u, double *xn) {
  double in[64], out[64];
  for (int j = 0; j < m->nx; j++) in[j] = (x[j] - m->xn.shift[j]) / m->xn.scale[j];
  for (int j = 0; j < m->nu; j++) in[m->nx + j] = (u[j] - m->un.shift[j]) / m->un.scale[j];
  tu_ref_mlp(m->net[k], in, out);
  for (int j = 0; j < m->nx; j++) xn[j] = x[j] + m->kx[j] * out[j];
}

/* central differences of ⟨v, f(x,u)⟩ in (x, u): g = [gx, gu] */
static void ref_vjp(const dyn_model *m, int k, const float *x, const float *u, const float *v, double *g) {
  int nx = m->nx, nu = m->nu;
  double z[64], xn[64];
  for (int j = 0; j < nx; j++) z[j] = x[j];
  for (int j = 0; j < nu; j++) z[nx + j] = u[j];
  for (int i = 0; i < nx + nu; i++) {
    double h = 1e-5 * (1.0 + fabs(z[i])), save = z[i], fp = 0, fm = 0;
    z[i] = save + h;
    ref_f(m, k, z, z + nx, xn);
    for (int j = 0; j < nx; j++) fp += v[j] * xn[j];
    z[i] = save - h;
    ref_f(m, k, z, z + nx, xn);
    for (int j = 0; j < nx; j++) fm += v[j] * xn[j];
    z[i] = save;
    g[i] = (fp - fm) / (2 * h);
  }
}

/* ---- the training loss: value and parameter gradient against a double reference ---------- */
/* The same network with parameters P (double, flat like net->params). */
static void ref_mlp_p(const nn_mlp *net, const double *P, const double *in, double *out) {
  double a[256], b[256];
  int n = net->arch.nin;
  for (int i = 0; i < n; i++) a[i] = in[i];
  for (int k = 0; k < net->nlayers; k++) {
    const nn_layer *L = &net->layer[k];
    const double *W = P + (L->W - net->params), *bb = P + (L->b - net->params);
    for (int o = 0; o < L->nout; o++) {
      double s = bb[o];
      for (int i = 0; i < L->nin; i++) s += W[(size_t)o * L->nin + i] * a[i];
      b[o] = s;
    }
    n = L->nout;
    if (k < net->nlayers - 1) {
      if (L->ln_g) {
        const double *g = P + (L->ln_g - net->params), *be = P + (L->ln_b - net->params);
        double m = 0, v = 0;
        for (int j = 0; j < n; j++) m += b[j];
        m /= n;
        for (int j = 0; j < n; j++) v += (b[j] - m) * (b[j] - m);
        v /= n;
        for (int j = 0; j < n; j++) b[j] = (b[j] - m) / sqrt(v + 1e-5) * g[j] + be[j];
      }
      for (int j = 0; j < n; j++) b[j] = tanh(b[j]);
    }
    memcpy(a, b, (size_t)n * sizeof(double));
  }
  memcpy(out, a, (size_t)n * sizeof(double));
}

/* Mean over members of the member's weighted H-step rollout MSE (e = (x̂ − x')/k_x), in double,
 * member k's parameters at P + k·nparams_member; len[b] steps from row rows[b], weight w[k][b]. */
static double ref_loss(const dyn_model *m, const double *P, const float *x, const float *u, const float *xn,
                       const int64_t *rows, const int *len, double w[][16], int B) {
  int nx = m->nx, nu = m->nu;
  double total = 0;
  for (int k = 0; k < m->K; k++) {
    double sse = 0, terms = 0;
    for (int b = 0; b < B; b++) {
      int64_t i = rows[b];
      double xh[64], in[64], out[64];
      for (int c = 0; c < nx; c++) xh[c] = x[i * nx + c];
      for (int j = 0; j < len[b]; j++) {
        for (int c = 0; c < nx; c++) in[c] = (xh[c] - m->xn.shift[c]) / m->xn.scale[c];
        for (int c = 0; c < nu; c++) in[nx + c] = (u[(i + j) * nu + c] - m->un.shift[c]) / m->un.scale[c];
        ref_mlp_p(m->net[k], P + (size_t)k * m->nparams_member, in, out);
        for (int c = 0; c < nx; c++) {
          xh[c] += m->kx[c] * out[c];
          double e = (xh[c] - xn[(i + j) * nx + c]) / m->kx[c];
          sse += w[k][b] * e * e;
        }
        terms += w[k][b] * nx;
      }
    }
    total += terms > 0 ? sse / terms : 0;
  }
  return total / m->K;
}

static void check_loss(dyn_model *m, sgp_rng *r) {
  /* four episodes: 0..5 (timeout at 5), 6..9 (terminal at 9), 10..15 (no flag: the next row starts
   * elsewhere, so the chain must break on the state), 16..23 (timeout at 23) */
  enum { N = 24, H = 3, B = 12 };
  int nx = m->nx, nu = m->nu;
  const int ep_end[N] = {5, 5, 5, 5, 5, 5, 9, 9, 9, 9, 15, 15, 15, 15, 15, 15, 23, 23, 23, 23, 23, 23, 23, 23};
  float x[N * 8], u[N * 8], xn[N * 8];
  uint8_t term[N] = {0}, tout[N] = {0};
  tout[5] = 1, term[9] = 1, tout[23] = 1;
  for (int i = 0; i < N; i++) {
    int start = i == 0 || ep_end[i - 1] == i - 1;
    for (int c = 0; c < nx; c++)
      x[i * nx + c] = start ? m->xn.shift[c] + m->xn.scale[c] * (float)sgp_rng_normal(r) : xn[(i - 1) * nx + c];
    for (int c = 0; c < nu; c++) u[i * nu + c] = m->un.shift[c] + m->un.scale[c] * (float)sgp_rng_normal(r);
    for (int c = 0; c < nx; c++)
      xn[i * nx + c] = x[i * nx + c] + m->kx[c] * (float)(0.5 * sin(x[i * nx + c] + u[i * nu]) + 0.3 * sgp_rng_normal(r));
  }
  sgp_err e;
  sgp_rng boot;
  sgp_rng_stream(&boot, 3, "bootstrap");
  dyn_task *t = dyn_task_create(m, x, u, xn, term, tout, N, H, B, &boot, &e);
  CHECK(t != NULL, "dyn_task_create: %s", e.msg);
  long want_chains = 0;
  for (int i = 0; i < N; i++) want_chains += ep_end[i] - i + 1 >= H;
  CHECK(dyn_task_chains(t) == want_chains, "consecutive chains: got %ld want %ld", dyn_task_chains(t), want_chains);
  printf("rows starting a full %d-step chain: %ld of %d (expected %ld)\n", H, dyn_task_chains(t), N, want_chains);
  int64_t rows[B];
  int len[B];
  double w1[DYN_MAX_MEMBERS][16], wb[DYN_MAX_MEMBERS][16];
  for (int b = 0; b < B; b++) {
    rows[b] = (int64_t)sgp_rng_below(r, N);
    int L = ep_end[rows[b]] - (int)rows[b] + 1;
    len[b] = L < H ? L : H;
  }
  int differ = 0;
  for (int k = 0; k < m->K; k++)
    for (int b = 0; b < B; b++) {
      w1[k][b] = 1;
      wb[k][b] = dyn_task_weights(t, k)[rows[b]];
      differ |= k && wb[k][b] != wb[0][b];
    }
  CHECK(differ, "bootstrap weights must differ between members");
  double *P = malloc(m->nparams * sizeof(double));
  double *v = malloc(m->nparams * sizeof(double)), *Pp = malloc(m->nparams * sizeof(double));
  float *grad = calloc(m->nparams, sizeof(float));
  for (size_t i = 0; i < m->nparams; i++) P[i] = m->params[i];
  for (int use_boot = 0; use_boot < 2; use_boot++) {
    for (size_t i = 0; i < m->nparams; i++) grad[i] = 12345.0f; /* overwritten, not accumulated */
    double loss = dyn_task_loss(t, B, rows, use_boot, grad);
    double (*w)[16] = use_boot ? wb : w1;
    double want = ref_loss(m, P, x, u, xn, rows, len, w, B);
    CHECK_CLOSE(use_boot ? "rollout loss with bootstrap weights vs double reference" : "rollout loss vs double reference",
                loss, want, 1e-5 * (1 + want));
    double none = dyn_task_loss(t, B, rows, use_boot, NULL);
    CHECK(none == loss, "the loss without gradient is the same value");
    /* directional derivatives along random directions */
    double worst = 0;
    for (int trial = 0; trial < 4; trial++) {
      double gv = 0, h = 1e-5;
      for (size_t i = 0; i < m->nparams; i++) v[i] = sgp_rng_normal(r), gv += grad[i] * v[i];
      for (size_t i = 0; i < m->nparams; i++) Pp[i] = P[i] + h * v[i];
      double fp = ref_loss(m, Pp, x, u, xn, rows, len, w, B);
      for (size_t i = 0; i < m->nparams; i++) Pp[i] = P[i] - h * v[i];
      double fm = ref_loss(m, Pp, x, u, xn, rows, len, w, B);
      double fd = (fp - fm) / (2 * h);
      worst = fmax(worst, fabs(gv - fd) / (1e-3 + fabs(fd)));
    }
    CHECK_WORST(use_boot ? "rollout loss (bootstrap): parameter gradient vs central differences (relative)"
                         : "rollout loss: parameter gradient vs central differences (relative)",
                worst, 1e-5);
  }
  free(grad), free(P), free(v), free(Pp);
  dyn_task_free(t);
}

/* ---- one model through the plan_dyn adapter --------------------------------------------- */
static double check_model(const dyn_model *m, const char *what, sgp_rng *r) {
  enum { T = 4, B = 5 };
  int nx = m->nx, nu = m->nu, K = m->K, R = K * B;
  plan_dyn pd;
  adapt_dyn(m, &pd);
  CHECK(pd.K == K && pd.nx == nx && pd.nu == nu, "%s: adapter dimensions", what);
  CHECK(!strcmp(pd.vt->kind, K > 1 ? "ensemble" : "mlp"), "%s: kind %s", what, pd.vt->kind);
  void *ws = pd.vt->ws_create(pd.model, B, T);
  float *x = malloc(sizeof(float) * T * R * nx), *u = malloc(sizeof(float) * T * R * nu);
  float *xn = malloc(sizeof(float) * T * R * nx), *v = malloc(sizeof(float) * R * nx);
  float *dx = malloc(sizeof(float) * R * nx), *du = malloc(sizeof(float) * R * nu);
  /* physical-unit inputs around the normalisers (a few standard deviations) */
  for (int i = 0; i < T * R; i++) {
    for (int j = 0; j < nx; j++)
      x[i * nx + j] = m->xn.shift[j] + m->xn.scale[j] * (float)(2 * sgp_rng_uniform(r) - 1);
    for (int j = 0; j < nu; j++)
      u[i * nu + j] = m->un.shift[j] + m->un.scale[j] * (float)(2 * sgp_rng_uniform(r) - 1);
  }
  double worst_f = 0, worst = 0;
  for (int t = 0; t < T; t++) {
    int rc = pd.vt->forward(pd.model, ws, t, B, x + t * R * nx, u + t * R * nu, xn + t * R * nx);
    CHECK(rc == 0, "%s: forward slot %d", what, t);
  }
  /* forward values against the double reference, member by member (member-major rows) */
  for (int t = 0; t < T; t++)
    for (int k = 0; k < K; k++)
      for (int b = 0; b < B; b++) {
        size_t row = (size_t)t * R + (size_t)k * B + b;
        double xd[64], ud[64], ref[64];
        for (int j = 0; j < nx; j++) xd[j] = x[row * nx + j];
        for (int j = 0; j < nu; j++) ud[j] = u[row * nu + j];
        ref_f(m, k, xd, ud, ref);
        for (int j = 0; j < nx; j++) {
          double err = fabs(xn[row * nx + j] - ref[j]) / (1 + fabs(ref[j]));
          if (err > worst_f) worst_f = err;
        }
      }
  /* adjoints out of order: every slot must still hold its own forward */
  const int order[T] = {2, 0, 3, 1};
  for (int oi = 0; oi < T; oi++) {
    int t = order[oi];
    for (int i = 0; i < R * nx; i++) v[i] = (float)sgp_rng_normal(r);
    pd.vt->vjp(pd.model, ws, t, B, v, dx, du);
    for (int k = 0; k < K; k++)
      for (int b = 0; b < B; b++) {
        size_t row = (size_t)t * R + (size_t)k * B + b, lr = (size_t)k * B + b;
        double g[64], scale = 0;
        ref_vjp(m, k, x + row * nx, u + row * nu, v + lr * nx, g);
        for (int i = 0; i < nx + nu; i++) scale = fmax(scale, fabs(g[i]));
        for (int i = 0; i < nx; i++) worst = fmax(worst, fabs(dx[lr * nx + i] - g[i]) / (1 + scale));
        for (int i = 0; i < nu; i++) worst = fmax(worst, fabs(du[lr * nu + i] - g[nx + i]) / (1 + scale));
      }
  }
  char buf[200];
  snprintf(buf, sizeof buf, "%s: forward vs double reference (relative)", what);
  CHECK_WORST(buf, worst_f, 1e-6);
  snprintf(buf, sizeof buf, "%s: vjp vs central differences (4 slots out of order, relative)", what);
  CHECK_WORST(buf, worst, 2e-6);
  /* du == NULL is allowed */
  pd.vt->vjp(pd.model, ws, 1, B, v, dx, NULL);
  pd.vt->ws_free(ws);
  free(x), free(u), free(xn), free(v), free(dx), free(du);
  return worst;
}

static dyn_model *make_model(int nx, int nu, int K, sgp_rng *r) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nx + nu;
  a.nout = nx;
  a.nhidden = 2;
  a.width[0] = 24;
  a.width[1] = 16;
  a.act = NN_TANH;
  a.layernorm = 1;
  sgp_err e;
  dyn_model *m = dyn_create(&a, nx, nu, K, &e);
  CHECK(m != NULL, "dyn_create: %s", e.msg);
  sgp_rng init;
  sgp_rng_stream(&init, 5, "init");
  dyn_init(m, &init);
  /* non-trivial LayerNorm affine so that its adjoint is exercised */
  for (int k = 0; k < K; k++)
    for (int l = 0; l < m->net[k]->nlayers - 1; l++)
      for (int j = 0; j < m->net[k]->layer[l].nout; j++) {
        m->net[k]->layer[l].ln_g[j] = 0.5f + (float)sgp_rng_uniform(r);
        m->net[k]->layer[l].ln_b[j] = 0.2f * (float)sgp_rng_normal(r);
      }
  /* normalisers fitted on data with very different scales per dimension */
  size_t N = 200;
  float *x = malloc(sizeof(float) * N * nx), *u = malloc(sizeof(float) * N * nu), *xn = malloc(sizeof(float) * N * nx);
  for (size_t i = 0; i < N; i++) {
    for (int j = 0; j < nx; j++) x[i * nx + j] = (float)(pow(10, j - 1) * sgp_rng_normal(r) + j);
    for (int j = 0; j < nu; j++) u[i * nu + j] = (float)(3.0 * sgp_rng_uniform(r) - 1);
    for (int j = 0; j < nx; j++) xn[i * nx + j] = x[i * nx + j] + (float)(0.05 * (j + 1) * sgp_rng_normal(r));
  }
  dyn_fit_normalizers(m, x, u, xn, N);
  free(x), free(u), free(xn);
  return m;
}

int main(void) {
  sgp_rng r;
  sgp_rng_stream(&r, 1, "test");
  dyn_model *single = make_model(4, 2, 1, &r);
  dyn_model *ens = make_model(3, 2, 3, &r);
  CHECK(fabsf(single->kx[0] - 0.05f) < 0.02f && fabsf(single->kx[3] - 0.2f) < 0.05f,
        "k_x is the std of x' - x: %g %g", single->kx[0], single->kx[3]);
  check_model(single, "single model", &r);
  check_model(ens, "ensemble (K=3)", &r);
  check_loss(ens, &r);
  /* members are independently initialised */
  CHECK(memcmp(ens->net[0]->params, ens->net[1]->params, ens->net[0]->nparams * sizeof(float)) != 0,
        "ensemble members must differ");
  dyn_free(single);
  dyn_free(ens);

  sgp_err e;
  nn_arch bad = {.nin = 5, .nout = 3, .nhidden = 0};
  CHECK(dyn_create(&bad, 3, 1, 1, &e) == NULL, "wrong network input width must be rejected");
  printf("rejected: %s\n", e.msg);
  CHECK(dyn_create(&bad, 3, 2, 0, &e) == NULL, "K = 0 must be rejected");
  printf("rejected: %s\n", e.msg);
  return tu_done("test_dynamics");
}
