// ctest-labels: unit agents
/* The planner-interface adapters of agents/adapters.c against direct calls of the modules they
 * wrap and against independent double-precision references:
 *  - exact score (plan_score over a distance index, several σ levels) = dist_eval's score, and
 *    = a brute-force double softmax sum;
 *  - exact distance (plan_dist) = dist_eval's d, its gradient = −σ²·score = central differences of
 *    a brute-force double d_σ;
 *  - learned score (single σ and NCSN levels) = score_eval; learned DDE = dde_eval, its gradient =
 *    central differences of the DDE's value computed in double;
 *  - learned cost (plan_cost) = cost_eval, gradients = central differences in double, chunking of
 *    batches larger than the adapter's workspace, zero terminal cost;
 *  - bad arguments rejected with a message. */
#include "testutil.h"
#include "agents/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- double references ---------------------------------------------------------------- */
/* d_σ(q) = −σ² log Σ_i exp(−Σ_k w_k (q_k − z_ik)²/(2σ²)), and the score Σ_i π_i w ⊙ (z_i − q)/σ² */
static double ref_d(const float *Z, int N, int D, const float *w, const double *q, double sigma, double *score) {
  double mx = -INFINITY, *a = malloc(sizeof(double) * N);
  for (int i = 0; i < N; i++) {
    double r = 0;
    for (int k = 0; k < D; k++) r += w[k] * (q[k] - Z[i * D + k]) * (q[k] - Z[i * D + k]);
    a[i] = -r / (2 * sigma * sigma);
    if (a[i] > mx) mx = a[i];
  }
  double S = 0;
  for (int i = 0; i < N; i++) S += exp(a[i] - mx);
  if (score) {
    for (int k = 0; k < D; k++) score[k] = 0;
    for (int i = 0; i < N; i++) {
      double p = exp(a[i] - mx) / S;
      for (int k = 0; k < D; k++) score[k] += p * w[k] * (Z[i * D + k] - q[k]) / (sigma * sigma);
    }
  }
  free(a);
  return -sigma * sigma * (mx + log(S));
}

static nn_arch tanh_arch(int nin, int nout, int ncond) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin;
  a.nout = nout;
  a.nhidden = 2;
  a.width[0] = 16;
  a.width[1] = 12;
  a.act = NN_TANH;
  a.ncond = ncond;
  return a;
}

static double dde_value(const dde_model *m, const double *z) {
  double in[64], out[1];
  for (int k = 0; k < m->dim; k++) in[k] = (z[k] - m->norm.shift[k]) / m->norm.scale[k];
  tu_ref_mlp(m->net, in, out);
  return m->out_shift + m->out_scale * out[0];
}

static double cost_value(const cost_model *m, const double *z) {
  double in[64], out[1];
  for (int k = 0; k < m->nx; k++) in[k] = (z[k] - m->xn.shift[k]) / m->xn.scale[k];
  for (int k = 0; k < m->nu; k++) in[m->nx + k] = (z[m->nx + k] - m->un.shift[k]) / m->un.scale[k];
  tu_ref_mlp(m->net, in, out);
  return m->c_shift + m->c_scale * out[0];
}

/* ---- exact score and distance ----------------------------------------------------------- */
static void test_exact(sgp_rng *r) {
  enum { N = 300, NX = 2, NU = 1, D = NX + NU, B = 7, L = 3 };
  float *Z = malloc(sizeof(float) * N * D), w[D] = {1.0f, 4.0f, 0.25f}, q[B * D];
  for (int i = 0; i < N * D; i++) Z[i] = (float)sgp_rng_normal(r);
  for (int i = 0; i < B * D; i++) q[i] = (float)(1.5 * sgp_rng_normal(r));
  sgp_err e;
  dist_index *idx = dist_create(Z, N, D, w, &e);
  CHECK(idx != NULL, "dist_create: %s", e.msg);
  const float sig[L] = {1.0f, 0.5f, 0.25f};
  plan_score ps;
  CHECK(adapt_score_exact(idx, PLAN_Z_XU, L, sig, &ps, &e) == 0, "adapt_score_exact: %s", e.msg);
  CHECK(ps.dim == D && ps.nlevels == L && ps.layout == PLAN_Z_XU && ps.sigma[2] == 0.25f, "exact score fields");
  void *ws = ps.vt->ws_create(ps.model, B);
  dist_ws *dw = dist_ws_create(idx);
  float s[B * D], sd[B * D], d[B], dd[B], g[B * D];
  double worst_ref = 0;
  int same = 1;
  for (int l = 0; l < L; l++) {
    ps.vt->eval(ps.model, ws, B, q, l, s);
    dist_eval(idx, dw, B, q, sig[l], NULL, NULL, sd);
    same &= !memcmp(s, sd, sizeof s);
    for (int b = 0; b < B; b++) {
      double qd[D], sr[D], scale = 0;
      for (int k = 0; k < D; k++) qd[k] = q[b * D + k];
      ref_d(Z, N, D, w, qd, sig[l], sr);
      for (int k = 0; k < D; k++) scale = fmax(scale, fabs(sr[k]));
      for (int k = 0; k < D; k++) worst_ref = fmax(worst_ref, fabs(s[b * D + k] - sr[k]) / (1 + scale));
    }
  }
  CHECK(same, "exact score adapter must equal dist_eval's score at every level");
  CHECK_WORST("exact score adapter vs double brute force (3 levels, metric)", worst_ref, 2e-5);
  ps.vt->ws_free(ws);

  /* the distance */
  plan_dist pd;
  CHECK(adapt_dist_exact(idx, PLAN_Z_XU, 0.5f, &pd, &e) == 0, "adapt_dist_exact: %s", e.msg);
  CHECK(pd.dim == D && pd.sigma == 0.5f, "exact dist fields");
  ws = pd.vt->ws_create(pd.model, B);
  pd.vt->eval(pd.model, ws, B, q, d, g);
  dist_eval(idx, dw, B, q, 0.5f, dd, NULL, sd);
  int same_d = !memcmp(d, dd, sizeof d), same_g = 1;
  for (int i = 0; i < B * D; i++) same_g &= g[i] == -0.25f * sd[i];
  CHECK(same_d, "exact distance adapter: d equals dist_eval's d");
  CHECK(same_g, "exact distance adapter: grad equals -sigma^2 * score");
  double worst_d = 0, worst_g = 0;
  for (int b = 0; b < B; b++) {
    double qd[D];
    for (int k = 0; k < D; k++) qd[k] = q[b * D + k];
    double dr = ref_d(Z, N, D, w, qd, 0.5, NULL);
    worst_d = fmax(worst_d, fabs(d[b] - dr) / (1 + fabs(dr)));
    for (int k = 0; k < D; k++) {
      double h = 1e-5, keep = qd[k];
      qd[k] = keep + h;
      double fp = ref_d(Z, N, D, w, qd, 0.5, NULL);
      qd[k] = keep - h;
      double fm = ref_d(Z, N, D, w, qd, 0.5, NULL);
      qd[k] = keep;
      worst_g = fmax(worst_g, fabs(g[b * D + k] - (fp - fm) / (2 * h)) / (1 + fabs((fp - fm) / (2 * h))));
    }
  }
  CHECK_WORST("exact distance adapter: d vs double brute force", worst_d, 1e-5);
  CHECK_WORST("exact distance adapter: grad vs central differences of the double d", worst_g, 1e-5);
  /* d may be evaluated without the gradient */
  pd.vt->eval(pd.model, ws, B, q, d, NULL);
  CHECK(!memcmp(d, dd, sizeof d), "d without gradient is the same");
  pd.vt->ws_free(ws);
  dist_ws_free(dw);

  /* bad arguments */
  const float bad[2] = {0.5f, 1.0f};
  CHECK(adapt_score_exact(idx, PLAN_Z_XU, 2, bad, &ps, &e) != 0, "increasing sigma must be rejected");
  printf("rejected: %s\n", e.msg);
  plan_dist pbad;
  CHECK(adapt_dist_exact(idx, PLAN_Z_XU, -1.0f, &pbad, &e) != 0, "negative sigma must be rejected");
  printf("rejected: %s\n", e.msg);
  adapt_score_release(&ps);
  adapt_dist_release(&pd);
  CHECK(ps.vt == NULL && pd.vt == NULL, "release clears the view");
  dist_free(idx);
  free(Z);
}

/* ---- learned score and DDE -------------------------------------------------------------- */
static void test_learned_score(sgp_rng *r) {
  enum { NX = 2, NU = 1, B = 6 };
  sgp_err e;
  for (int levels = 1; levels <= 4; levels += 3) {
    score_cfg c;
    memset(&c, 0, sizeof c);
    c.layout = SCORE_XUX;
    c.nlevels = levels;
    c.sigma_max = 0.5f;
    c.sigma_min = levels > 1 ? 0.05f : 0.5f;
    c.schedule = SCORE_GEOMETRIC;
    c.alpha = 0.5f; /* x' columns get noise α σ: the adapter's scale must carry it */
    c.scaled_output = 1;
    int D = 2 * NX + NU;
    nn_arch a = tanh_arch(D, D, levels > 1 ? levels : 0);
    score_model *m = score_create(&c, &a, NX, NU, &e);
    CHECK(m != NULL, "score_create: %s", e.msg);
    if (!m) continue;
    sgp_rng init;
    sgp_rng_stream(&init, 11, "init");
    nn_init(m->net, &init);
    for (int k = 0; k < D; k++) m->norm.shift[k] = 0.1f * k, m->norm.scale[k] = 0.5f + 0.3f * k;
    plan_score ps;
    CHECK(adapt_score(m, "s.safetensors", &ps, &e) == 0, "adapt_score: %s", e.msg);
    CHECK(ps.dim == D && ps.layout == PLAN_Z_XUX && ps.nlevels == levels && ps.sigma == m->sigma,
          "learned score view: dim %d layout %d levels %d", ps.dim, ps.layout, ps.nlevels);
    float z[B * 8], s1[B * 8], s2[B * 8];
    for (int i = 0; i < B * D; i++) z[i] = (float)sgp_rng_normal(r);
    void *ws = ps.vt->ws_create(ps.model, B);
    score_ws *sw = score_ws_create(m, B);
    int same = 1;
    for (int l = 0; l < levels; l++) {
      ps.vt->eval(ps.model, ws, B, z, l, s1);
      score_eval(m, sw, B, z, l, s2);
      same &= !memcmp(s1, s2, sizeof(float) * B * D);
    }
    CHECK(same, "learned score adapter (%d levels) must equal score_eval at every level", levels);
    /* σ is in the model's normalised units: the physical noise of dimension k is σ·scale_k
     * (normaliser scale × α on the x' columns), which the planners' penalty proxy needs */
    int scale_ok = ps.scale != NULL;
    for (int k = 0; k < D && scale_ok; k++)
      scale_ok = ps.scale[k] == m->norm.scale[k] * (k >= NX + NU ? c.alpha : 1.0f);
    CHECK(scale_ok, "learned score adapter: scale = normaliser scale (x alpha on x')");
    ps.vt->ws_free(ws);
    score_ws_free(sw);
    adapt_score_release(&ps);
    score_free(m);
  }
  /* a score over plain points has no (x,u) layout */
  score_cfg c;
  memset(&c, 0, sizeof c);
  c.layout = SCORE_POINTS;
  c.nlevels = 1;
  c.sigma_max = c.sigma_min = 0.1f;
  c.alpha = 1.0f;
  nn_arch a = tanh_arch(2, 2, 0);
  score_model *m = score_create(&c, &a, 2, 0, &e);
  plan_score ps;
  CHECK(m && adapt_score(m, "points.safetensors", &ps, &e) != 0, "a points score must be rejected");
  printf("rejected: %s\n", e.msg);
  score_free(m);
}

static void test_dde(sgp_rng *r) {
  enum { NX = 2, NU = 2, D = NX + NU, B = 5 };
  sgp_err e;
  dde_cfg c;
  memset(&c, 0, sizeof c);
  c.layout = SCORE_XU;
  c.sigma = 0.3f;
  nn_arch a = tanh_arch(D, 1, 0);
  dde_model *m = dde_create(&c, &a, NX, NU, &e);
  CHECK(m != NULL, "dde_create: %s", e.msg);
  sgp_rng init;
  sgp_rng_stream(&init, 12, "init");
  nn_init(m->net, &init);
  for (int k = 0; k < D; k++) m->norm.shift[k] = -0.2f * k, m->norm.scale[k] = 0.7f + 0.4f * k;
  m->out_shift = 0.3f;
  m->out_scale = 1.7f;
  plan_dist pd;
  CHECK(adapt_dist_dde(m, "d.safetensors", &pd, &e) == 0, "adapt_dist_dde: %s", e.msg);
  CHECK(pd.dim == D && pd.layout == PLAN_Z_XU && pd.sigma == 0.3f, "DDE view fields");
  float z[B * D], d1[B], d2[B], g[B * D], s[B * D];
  for (int i = 0; i < B * D; i++) z[i] = (float)sgp_rng_normal(r);
  void *ws = pd.vt->ws_create(pd.model, B);
  dde_ws *dw = dde_ws_create(m, B);
  pd.vt->eval(pd.model, ws, B, z, d1, g);
  dde_eval(m, dw, B, z, d2, s);
  int same_g = 1;
  for (int i = 0; i < B * D; i++) same_g &= g[i] == -(0.3f * 0.3f) * s[i];
  CHECK(!memcmp(d1, d2, sizeof d1), "DDE adapter: d equals dde_eval's d");
  CHECK(same_g, "DDE adapter: grad equals -sigma^2 * dde_eval's score");
  double worst_d = 0, worst_g = 0;
  for (int b = 0; b < B; b++) {
    double q[D];
    for (int k = 0; k < D; k++) q[k] = z[b * D + k];
    double dr = dde_value(m, q);
    worst_d = fmax(worst_d, fabs(d1[b] - dr) / (1 + fabs(dr)));
    for (int k = 0; k < D; k++) {
      double h = 1e-5, keep = q[k];
      q[k] = keep + h;
      double fp = dde_value(m, q);
      q[k] = keep - h;
      double fm = dde_value(m, q);
      q[k] = keep;
      double fd = (fp - fm) / (2 * h);
      worst_g = fmax(worst_g, fabs(g[b * D + k] - fd) / (1 + fabs(fd)));
    }
  }
  CHECK_WORST("DDE adapter: d vs the double-precision network", worst_d, 1e-6);
  CHECK_WORST("DDE adapter: grad vs central differences in double", worst_g, 1e-5);
  pd.vt->ws_free(ws);
  dde_ws_free(dw);
  adapt_dist_release(&pd);
  dde_free(m);
}

/* ---- learned cost ----------------------------------------------------------------------- */
static void test_cost(sgp_rng *r) {
  enum { NX = 3, NU = 2, B = 9, MAXB = 4 };
  sgp_err e;
  nn_arch a = tanh_arch(NX + NU, 1, 0);
  cost_model *m = cost_create(&a, NX, NU, &e);
  CHECK(m != NULL, "cost_create: %s", e.msg);
  sgp_rng init;
  sgp_rng_stream(&init, 13, "init");
  nn_init(m->net, &init);
  for (int k = 0; k < NX; k++) m->xn.shift[k] = 0.5f * k, m->xn.scale[k] = 0.2f + k;
  for (int k = 0; k < NU; k++) m->un.shift[k] = -0.1f, m->un.scale[k] = 2.0f + k;
  m->c_shift = 4.0f;
  m->c_scale = 2.5f;
  plan_cost pc;
  adapt_cost(m, MAXB, &pc); /* B = 9 > 4: chunked */
  float x[B * NX], u[B * NU], c1[B], c2[B], gx[B * NX], gu[B * NU], gx2[B * NX], gu2[B * NU];
  for (int i = 0; i < B * NX; i++) x[i] = (float)(2 * sgp_rng_normal(r));
  for (int i = 0; i < B * NU; i++) u[i] = (float)(2 * sgp_rng_normal(r));
  pc.running(pc.self, B, x, u, c1, gx, gu);
  cost_ws *w = cost_ws_create(m, MAXB);
  cost_eval(m, w, B, x, u, c2, gx2, gu2);
  CHECK(!memcmp(c1, c2, sizeof c1) && !memcmp(gx, gx2, sizeof gx) && !memcmp(gu, gu2, sizeof gu),
        "cost adapter equals cost_eval");
  double worst_c = 0, worst_g = 0;
  for (int b = 0; b < B; b++) {
    double z[NX + NU];
    for (int k = 0; k < NX; k++) z[k] = x[b * NX + k];
    for (int k = 0; k < NU; k++) z[NX + k] = u[b * NU + k];
    double cr = cost_value(m, z);
    worst_c = fmax(worst_c, fabs(c1[b] - cr) / (1 + fabs(cr)));
    for (int k = 0; k < NX + NU; k++) {
      double h = 1e-5, keep = z[k];
      z[k] = keep + h;
      double fp = cost_value(m, z);
      z[k] = keep - h;
      double fm = cost_value(m, z);
      z[k] = keep;
      double fd = (fp - fm) / (2 * h), got = k < NX ? gx[b * NX + k] : gu[b * NU + k - NX];
      worst_g = fmax(worst_g, fabs(got - fd) / (1 + fabs(fd)));
    }
  }
  CHECK_WORST("cost adapter: c vs the double-precision network", worst_c, 1e-6);
  CHECK_WORST("cost adapter: gradients vs central differences in double", worst_g, 1e-5);
  float ct[B], gt[B * NX];
  for (int i = 0; i < B * NX; i++) gt[i] = 1.0f;
  pc.terminal(pc.self, B, x, ct, gt);
  int zero = 1;
  for (int i = 0; i < B; i++) zero &= ct[i] == 0.0f;
  for (int i = 0; i < B * NX; i++) zero &= gt[i] == 0.0f;
  CHECK(zero, "learned cost: terminal cost and its gradient are zero");
  /* values only */
  pc.running(pc.self, B, x, u, c2, NULL, NULL);
  CHECK(!memcmp(c1, c2, sizeof c1), "cost without gradients is the same");
  cost_ws_free(w);
  adapt_cost_release(&pc);
  cost_free(m);
}

int main(void) {
  sgp_rng r;
  sgp_rng_stream(&r, 2, "test");
  test_exact(&r);
  test_learned_score(&r);
  test_dde(&r);
  test_cost(&r);
  return tu_done("test_adapters");
}
