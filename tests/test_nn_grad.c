// ctest-labels: unit core
/* MLP backward against central finite differences of an independent double-precision forward
 * pass written here (its own parameter layout, activations, LayerNorm and gate), for every
 * activation, with/without LayerNorm and conditioning, several architectures and batch sizes 1, 3
 * (the small path) and 9 (the gemm path). Checks parameter gradients, input VJPs, accumulate,
 * NULL outputs, small path == gemm path, and determinism.
 *
 * Tolerance: the double FD (h = 1e-5) is exact to ~1e-9 relative, so the error measured is the
 * float forward/backward's own rounding: ~1e-7 per operation grown over sums of at most a few
 * hundred terms. Errors are relative to max(|g|, 1e-2 · max|g| of the configuration (a
 * coordinate's rounding error scales with the largest terms of its sums, not with its own size)). Coordinates
 * whose perturbation moves a ReLU/LeakyReLU/ELU input across its kink are skipped (counted). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXW 32
#define TOL_GRAD 1e-4 /* float rounding of the network, see above */

/* ---------------- the independent double reference ---------------- */

static int r_in(const nn_arch *a, int k) { return k ? a->width[k - 1] : a->nin; }
static int r_out(const nn_arch *a, int k) { return k < a->nhidden ? a->width[k] : a->nout; }

/* offsets of W, b, g, beta, emb of layer k in the flat buffer (core.h's documented order) */
typedef struct { size_t W, b, g, beta, emb; } roff;
static size_t ref_layout(const nn_arch *a, roff *o) {
  size_t off = 0;
  for (int k = 0; k <= a->nhidden; k++) {
    size_t in = r_in(a, k), out = r_out(a, k);
    o[k].W = off, off += in * out;
    o[k].b = off, off += out;
    o[k].g = o[k].beta = o[k].emb = (size_t)-1;
    if (k < a->nhidden && a->layernorm) o[k].g = off, o[k].beta = off + out, off += 2 * out;
    if (k < a->nhidden && a->ncond) o[k].emb = off, off += (size_t)a->ncond * out;
  }
  return off;
}

static double ref_act(nn_act act, double p, double u) {
  switch (act) {
  case NN_RELU: return u > 0 ? u : 0;
  case NN_LEAKY_RELU: return u > 0 ? u : p * u;
  case NN_ELU: return u > 0 ? u : p * (exp(u) - 1);
  case NN_SILU: return u / (1 + exp(-u));
  case NN_TANH: return tanh(u);
  default: return u;
  }
}

/* L = Σ c ⊙ y. signs (B × Σ widths) records u > 0 at each activation input, to detect kinks. */
static double ref_loss(const nn_arch *a, const double *th, int B, const double *x, const int *lev,
                       const double *c, double *y, unsigned char *signs) {
  roff o[NN_MAX_HIDDEN + 1];
  ref_layout(a, o);
  double L = 0;
  int si = 0;
  for (int r = 0; r < B; r++) {
    double h[MAXW], z[MAXW];
    int n = a->nin;
    for (int i = 0; i < n; i++) h[i] = x[r * a->nin + i];
    for (int k = 0; k <= a->nhidden; k++) {
      int out = r_out(a, k);
      for (int j = 0; j < out; j++) {
        double s = th[o[k].b + j];
        for (int i = 0; i < n; i++) s += th[o[k].W + (size_t)j * n + i] * h[i];
        z[j] = s;
      }
      if (k == a->nhidden) {
        for (int j = 0; j < out; j++) {
          if (y) y[r * out + j] = z[j];
          L += c[r * out + j] * z[j];
        }
        break;
      }
      if (a->layernorm) {
        double mu = 0, var = 0;
        for (int j = 0; j < out; j++) mu += z[j];
        mu /= out;
        for (int j = 0; j < out; j++) var += (z[j] - mu) * (z[j] - mu);
        var /= out;
        for (int j = 0; j < out; j++)
          z[j] = (z[j] - mu) / sqrt(var + 1e-5) * th[o[k].g + j] + th[o[k].beta + j];
      }
      for (int j = 0; j < out; j++) {
        if (signs) signs[si++] = z[j] > 0;
        double v = ref_act(a->act, a->act_param, z[j]);
        if (a->ncond) v *= th[o[k].emb + (size_t)lev[r] * out + j];
        h[j] = v;
      }
      n = out;
    }
  }
  return L;
}

/* ---------------- one configuration ---------------- */

typedef struct stats {
  double worst_fwd, worst_param, worst_dx, worst_small, worst_acc;
  long checked, skipped;
} stats;

static int kinked(nn_act a) { return a == NN_RELU || a == NN_LEAKY_RELU || a == NN_ELU; }

/* FD of ref_loss along one coordinate p of (th or xd); returns 0 if a kink was crossed. */
static int fd(const nn_arch *a, double *th, int B, double *xd, const int *lev, const double *c,
              double *p, const unsigned char *s0, unsigned char *s1, int nsign, double *out) {
  const double h = 1e-5;
  double keep = *p;
  *p = keep + h;
  double Lp = ref_loss(a, th, B, xd, lev, c, NULL, s1);
  int same = !kinked(a->act) || !memcmp(s0, s1, nsign);
  *p = keep - h;
  double Lm = ref_loss(a, th, B, xd, lev, c, NULL, s1);
  same = same && (!kinked(a->act) || !memcmp(s0, s1, nsign));
  *p = keep;
  *out = (Lp - Lm) / (2 * h);
  return same;
}

static double rel(double got, double want, double scale) {
  return fabs(got - want) / fmax(fabs(want), 1e-2 * scale);
}

static void run_config(const nn_arch *a, int B, uint64_t seed, stats *st, int check_fd) {
  sgp_rng r;
  sgp_rng_stream(&r, seed, "grad");
  nn_mlp *m = nn_create(a);
  CHECK(m != NULL, "nn_create");
  nn_init(m, &r);
  size_t np = m->nparams;
  /* layout: nn_layout must agree with the reference's own offsets */
  roff o[NN_MAX_HIDDEN + 1];
  CHECK(ref_layout(a, o) == np && nn_arch_nparams(a) == np, "nparams");
  for (int k = 0; k <= a->nhidden; k++) {
    nn_layer *L = &m->layer[k];
    CHECK((size_t)(L->W - m->params) == o[k].W && (size_t)(L->b - m->params) == o[k].b, "layout W/b");
    if (L->ln_g) {
      CHECK((size_t)(L->ln_g - m->params) == o[k].g && (size_t)(L->ln_b - m->params) == o[k].beta, "ln");
      /* move LayerNorm off its (1, 0) init so its gradients are generic */
      for (int j = 0; j < L->nout; j++) {
        L->ln_g[j] = (float)(0.5 + sgp_rng_uniform(&r));
        L->ln_b[j] = (float)(0.4 * sgp_rng_uniform(&r) - 0.2);
      }
    }
    if (L->emb) CHECK((size_t)(L->emb - m->params) == o[k].emb, "layout emb");
  }
  int nin = a->nin, nout = a->nout;
  float *x = sgp_falloc((size_t)B * nin), *y = sgp_falloc((size_t)B * nout), *dy = sgp_falloc((size_t)B * nout);
  float *dp = sgp_falloc(np), *dx = sgp_falloc((size_t)B * nin);
  int *lev = sgp_calloc((size_t)B, sizeof(int));
  sgp_rng_fill_normal(&r, x, (size_t)B * nin, 0, 1);
  sgp_rng_fill_normal(&r, dy, (size_t)B * nout, 0, 1);
  for (int i = 0; i < B; i++) lev[i] = a->ncond ? (int)sgp_rng_below(&r, (uint64_t)a->ncond) : 0;

  nn_ws *ws = nn_ws_create(a, B);
  nn_forward(m, ws, B, x, a->ncond ? lev : NULL, y);
  nn_backward(m, ws, B, dy, dp, 0, dx);

  double *th = sgp_malloc(np * sizeof(double)), *xd = sgp_malloc((size_t)B * nin * sizeof(double));
  double *c = sgp_malloc((size_t)B * nout * sizeof(double)), *yd = sgp_malloc((size_t)B * nout * sizeof(double));
  for (size_t i = 0; i < np; i++) th[i] = m->params[i];
  for (int i = 0; i < B * nin; i++) xd[i] = x[i];
  for (int i = 0; i < B * nout; i++) c[i] = dy[i];
  int nsign = 0;
  for (int k = 0; k < a->nhidden; k++) nsign += B * a->width[k];
  unsigned char *s0 = sgp_calloc((size_t)nsign + 1, 1), *s1 = sgp_calloc((size_t)nsign + 1, 1);
  ref_loss(a, th, B, xd, lev, c, yd, s0);
  /* forward itself: float against double */
  double ymax = 0;
  for (int i = 0; i < B * nout; i++) ymax = fmax(ymax, fabs(yd[i]));
  for (int i = 0; i < B * nout; i++) st->worst_fwd = fmax(st->worst_fwd, fabs(y[i] - yd[i]) / (ymax + 1e-30));

  /* parameter gradients: every coordinate when there are few, else a random subset of 300 */
  size_t ncheck = !check_fd ? 0 : np <= 300 ? np : 300;
  double *gd = sgp_malloc(ncheck * sizeof(double));
  size_t *idx = sgp_malloc(ncheck * sizeof(size_t));
  unsigned char *ok = sgp_calloc(ncheck, 1);
  double gmax = 0;
  for (size_t t = 0; t < ncheck; t++) {
    idx[t] = np <= 300 ? t : (size_t)sgp_rng_below(&r, np);
    ok[t] = (unsigned char)fd(a, th, B, xd, lev, c, &th[idx[t]], s0, s1, nsign, &gd[t]);
    if (ok[t]) gmax = fmax(gmax, fabs(gd[t]));
  }
  for (size_t t = 0; t < ncheck; t++) {
    if (!ok[t]) {
      st->skipped++;
      continue;
    }
    double e = rel(dp[idx[t]], gd[t], gmax);
    if (e > TOL_GRAD)
      fprintf(stderr, "  %s ln=%d ncond=%d B=%d param %zu: got %.9g want %.9g\n", nn_act_name(a->act),
              a->layernorm, a->ncond, B, idx[t], dp[idx[t]], gd[t]);
    st->worst_param = fmax(st->worst_param, e);
    st->checked++;
  }
  /* input VJP */
  double *gx = sgp_malloc((size_t)B * nin * sizeof(double));
  unsigned char *okx = sgp_calloc((size_t)B * nin, 1);
  double gxmax = 0;
  for (int i = 0; i < B * nin && check_fd; i++) {
    okx[i] = (unsigned char)fd(a, th, B, xd, lev, c, &xd[i], s0, s1, nsign, &gx[i]);
    if (okx[i]) gxmax = fmax(gxmax, fabs(gx[i]));
  }
  for (int i = 0; i < B * nin && check_fd; i++) {
    if (!okx[i]) {
      st->skipped++;
      continue;
    }
    st->worst_dx = fmax(st->worst_dx, rel(dx[i], gx[i], gxmax));
    st->checked++;
  }

  /* accumulate adds; NULL outputs do not change the others */
  float *dp2 = sgp_falloc(np), *dx2 = sgp_falloc((size_t)B * nin);
  for (size_t i = 0; i < np; i++) dp2[i] = (float)(i % 7) - 3.0f;
  nn_backward(m, ws, B, dy, dp2, 1, NULL);
  for (size_t i = 0; i < np; i++)
    st->worst_acc = fmax(st->worst_acc, fabs(dp2[i] - ((float)(i % 7) - 3.0f) - dp[i]) /
                                           (fabs((float)(i % 7) - 3.0f) + fabs(dp[i]) + 1e-30));
  nn_backward(m, ws, B, dy, NULL, 0, dx2);
  CHECK(!memcmp(dx, dx2, (size_t)B * nin * sizeof(float)), "dx with dparams NULL differs");
  /* determinism: a second forward in a fresh workspace is bit-identical */
  nn_ws *ws2 = nn_ws_create(a, B + 5);
  float *y2 = sgp_falloc((size_t)B * nout);
  nn_forward(m, ws2, B, x, a->ncond ? lev : NULL, y2);
  CHECK(!memcmp(y, y2, (size_t)B * nout * sizeof(float)), "forward not deterministic");
  nn_forward(m, ws, B, x, a->ncond ? lev : NULL, y2);
  CHECK(!memcmp(y, y2, (size_t)B * nout * sizeof(float)), "forward not deterministic (same ws)");

  /* small path == gemm path: the batch row by row (B = 1, small path) against the whole batch
   * (gemm when B > 6); gradients accumulated over the rows. */
  for (size_t i = 0; i < np; i++) dp2[i] = 1e30f; /* row 0 must overwrite all of it */
  double ys = 0;
  for (int i = 0; i < B * nout; i++) ys = fmax(ys, fabs(y[i]));
  double dps = 0, dxs = 0;
  for (size_t i = 0; i < np; i++) dps = fmax(dps, fabs(dp[i]));
  for (int i = 0; i < B * nin; i++) dxs = fmax(dxs, fabs(dx[i]));
  for (int row = 0; row < B; row++) {
    nn_forward(m, ws2, 1, x + (size_t)row * nin, a->ncond ? lev + row : NULL, y2);
    for (int j = 0; j < nout; j++)
      st->worst_small = fmax(st->worst_small, fabs(y2[j] - y[row * nout + j]) / (ys + 1e-30));
    nn_backward(m, ws2, 1, dy + (size_t)row * nout, dp2, row > 0, dx2); /* row 0 overwrites */
    for (int i = 0; i < nin; i++)
      st->worst_small = fmax(st->worst_small, fabs(dx2[i] - dx[row * nin + i]) / (dxs + 1e-30));
  }
  for (size_t i = 0; i < np; i++) st->worst_small = fmax(st->worst_small, fabs(dp2[i] - dp[i]) / (dps + 1e-30));

  free(gx), free(okx), free(gd), free(idx), free(ok), free(s0), free(s1);
  free(th), free(xd), free(c), free(yd), free(x), free(y), free(y2), free(dy), free(dp), free(dx), free(dp2),
      free(dx2), free(lev);
  nn_ws_free(ws);
  nn_ws_free(ws2);
  nn_free(m);
}

int main(void) {
  /* architectures: tiny, one that crosses the AVX2 kernel's 8-wide blocks and tails, no hidden */
  struct { int nin, nout, nh, w[3]; } archs[] = {
      {5, 3, 2, {7, 6, 0}},
      {19, 11, 3, {24, 17, 9}},
      {4, 2, 0, {0, 0, 0}},
  };
  const int batches[] = {1, 3, 9};
  stats all;
  memset(&all, 0, sizeof all);
  uint64_t seed = 1;
  for (int act = 0; act < NN_NUM_ACT; act++) {
    stats st;
    memset(&st, 0, sizeof st);
    for (size_t ai = 0; ai < sizeof archs / sizeof archs[0]; ai++)
      for (int ln = 0; ln < 2; ln++)
        for (int nc = 0; nc < 2; nc++)
          for (int bi = 0; bi < 3; bi++) {
            nn_arch a;
            memset(&a, 0, sizeof a);
            a.nin = archs[ai].nin;
            a.nout = archs[ai].nout;
            a.nhidden = archs[ai].nh;
            for (int k = 0; k < a.nhidden; k++) a.width[k] = archs[ai].w[k];
            a.act = (nn_act)act;
            a.act_param = act == NN_LEAKY_RELU ? 0.1f : act == NN_ELU ? 0.7f : 0.0f;
            a.layernorm = ln;
            a.ncond = nc ? 3 : 0;
            /* the larger architecture only at B = 9 (FD on the gemm path); its small path (the AVX2
             * kernel's blocks and tails) is compared row by row against that gemm path */
            if (ai == 1 && batches[bi] != 9) continue;
            run_config(&a, batches[bi], seed++, &st, 1);
          }
    char what[96];
    printf("%s: %ld coordinates checked, %ld skipped at kinks\n", nn_act_name((nn_act)act), st.checked,
           st.skipped);
    snprintf(what, sizeof what, "%s forward vs double (relative to max)", nn_act_name((nn_act)act));
    CHECK_WORST(what, st.worst_fwd, 1e-5);
    snprintf(what, sizeof what, "%s parameter gradients vs double FD", nn_act_name((nn_act)act));
    CHECK_WORST(what, st.worst_param, TOL_GRAD);
    snprintf(what, sizeof what, "%s input VJP vs double FD", nn_act_name((nn_act)act));
    CHECK_WORST(what, st.worst_dx, TOL_GRAD);
    snprintf(what, sizeof what, "%s small path vs gemm path (relative to max)", nn_act_name((nn_act)act));
    CHECK_WORST(what, st.worst_small, 1e-5);
    snprintf(what, sizeof what, "%s accumulate", nn_act_name((nn_act)act));
    CHECK_WORST(what, st.worst_acc, 1e-5);
    CHECK(st.skipped * 20 < st.checked, "too many kink skips (%ld of %ld)", st.skipped, st.checked);
  }

  /* the portable C row kernels (the AVX2 ones are used above when the CPU has them): small path
   * against gemm path, row by row, for every activation and option */
  if (setenv("SGP_NN_KERNEL", "c", 1) != 0) CHECK(0, "setenv");
  stats sc;
  memset(&sc, 0, sizeof sc);
  for (int act = 0; act < NN_NUM_ACT; act++)
    for (size_t ai = 0; ai < 2; ai++)
      for (int opt = 0; opt < 4; opt++) {
        nn_arch a;
        memset(&a, 0, sizeof a);
        a.nin = archs[ai].nin, a.nout = archs[ai].nout, a.nhidden = archs[ai].nh;
        for (int k = 0; k < a.nhidden; k++) a.width[k] = archs[ai].w[k];
        a.act = (nn_act)act, a.act_param = 0.2f, a.layernorm = opt & 1, a.ncond = opt & 2 ? 3 : 0;
        run_config(&a, 9, seed++, &sc, 0);
      }
  unsetenv("SGP_NN_KERNEL");
  CHECK_WORST("portable C kernels: small path vs gemm path (relative to max)", sc.worst_small, 1e-5);
  CHECK_WORST("portable C kernels: accumulate", sc.worst_acc, 1e-5);

  /* architecture checks */
  nn_arch bad;
  memset(&bad, 0, sizeof bad);
  bad.nin = 3, bad.nout = 2, bad.nhidden = 1, bad.width[0] = 0;
  sgp_err e;
  CHECK(nn_arch_check(&bad, &e) != 0 && nn_create(&bad) == NULL && nn_ws_create(&bad, 4) == NULL,
        "zero width must be rejected");
  bad.width[0] = 4, bad.act = NN_NUM_ACT;
  CHECK(nn_arch_check(&bad, &e) != 0, "bad activation must be rejected");
  return tu_done("test_nn_grad");
}
