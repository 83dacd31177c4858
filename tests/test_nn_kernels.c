// ctest-labels: unit nn
/* The inference kernels (core/nn_kernels.h) against float32 and double references, on random
 * shapes with odd sizes and batch 1, for every instruction-set path this CPU runs (C always; AVX2
 * and AVX-512 when present; the others are reported as skipped):
 *  - nn_panels_gemm against a double-precision X·P + b, within the rounding bound of a sequential
 *    float sum, (K + 1)·2^-24·(Σ_k |x_k p_k| + |b|); bfloat16 panels against the same product of
 *    the bf16-rounded weights (same bound) and of the float32 weights (plus 2^-8·Σ|x p|);
 *  - every path gives the same bits, and a row's result does not depend on the batch (each row
 *    computed alone equals the batched result bit for bit);
 *  - frozen networks (LayerNorm, NCSN gate, ReLU / LeakyReLU / SiLU / tanh, odd widths) against the
 *    float32 reference path nn_forward / nn_backward (input VJP) of the same weights (for bf16:
 *    a clone whose weights are rounded to bf16): relative error <= 1e-5 of the output scale;
 *    again the same bits on every path and for any batch. The deviation of bf16 from the float32
 *    weights is printed (a property of the weight type, not of the kernel: at a ReLU kink it can
 *    switch a derivative). */
#include "testutil.h"

#include "core/nn_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int isa_max;

static void fill(sgp_rng *r, float *x, size_t n, float s) {
  for (size_t i = 0; i < n; i++) x[i] = s * (float)(2 * sgp_rng_uniform(r) - 1);
}

static float bf16_round(float f) {
  nn_panels p;
  nn_panels_pack(&p, &f, 1, 1, 1, 1, NN_WT_BF16);
  uint32_t u = (uint32_t)((const uint16_t *)p.data)[0] << 16;
  nn_panels_free(&p);
  float g;
  memcpy(&g, &u, 4);
  return g;
}

/* One shape: K×N weights (stored as W[n][k], packed transposed like a forward layer), B rows. */
static void check_gemm(sgp_rng *r, int K, int N, int B, nn_wtype wt, double *worst_ref,
                       double *worst_f32, int *mism) {
  float *W = sgp_falloc((size_t)K * N), *X = sgp_falloc((size_t)B * K), *b = sgp_falloc((size_t)N);
  float *C[3], *row = sgp_falloc((size_t)N);
  fill(r, W, (size_t)K * N, 1.0f), fill(r, X, (size_t)B * K, 2.0f), fill(r, b, (size_t)N, 0.5f);
  nn_panels p;
  nn_panels_pack(&p, W, K, N, 1, (size_t)K, wt);
  for (int isa = 0; isa <= isa_max; isa++) {
    C[isa] = sgp_falloc((size_t)B * N + 1);
    C[isa][(size_t)B * N] = 12345.0f; /* guard: nothing written past the last row */
    nn_panels_gemm(&p, B, X, K, b, C[isa], N, isa);
    if (C[isa][(size_t)B * N] != 12345.0f) (*mism)++;
    if (isa && memcmp(C[isa], C[0], sizeof(float) * B * N)) (*mism)++;
    for (int q = 0; q < B; q++) { /* row alone */
      nn_panels_gemm(&p, 1, X + (size_t)q * K, K, b, row, N, isa);
      if (memcmp(row, C[isa] + (size_t)q * N, sizeof(float) * N)) (*mism)++;
    }
  }
  for (int q = 0; q < B; q++)
    for (int n = 0; n < N; n++) {
      double ref = b[n], ref32 = b[n], mag = fabs(b[n]);
      for (int k = 0; k < K; k++) {
        double w = W[(size_t)n * K + k], wr = wt == NN_WT_BF16 ? bf16_round(W[(size_t)n * K + k]) : w;
        ref += (double)X[(size_t)q * K + k] * wr;
        ref32 += (double)X[(size_t)q * K + k] * w;
        mag += fabs((double)X[(size_t)q * K + k] * w);
      }
      double bound = (K + 1) * ldexp(1.0, -24) * mag + 1e-30, got = C[0][(size_t)q * N + n];
      *worst_ref = fmax(*worst_ref, fabs(got - ref) / bound);
      double b32 = bound + (wt == NN_WT_BF16 ? ldexp(1.0, -8) * mag : 0.0);
      *worst_f32 = fmax(*worst_f32, fabs(got - ref32) / b32);
    }
  for (int isa = 0; isa <= isa_max; isa++) free(C[isa]);
  nn_panels_free(&p);
  free(W), free(X), free(b), free(row);
}

static void check_panels(sgp_rng *r) {
  static const int Ks[] = {1, 3, 17, 23, 64, 100, 130}, Ns[] = {1, 5, 16, 17, 33, 64, 65, 129};
  static const int Bs[] = {1, 2, 5, 6, 7, 13};
  for (int wt = 0; wt < 2; wt++) {
    double wr = 0, w32 = 0;
    int mism = 0, cases = 0;
    for (size_t i = 0; i < sizeof Ks / sizeof *Ks; i++)
      for (size_t j = 0; j < sizeof Ns / sizeof *Ns; j++)
        for (size_t k = 0; k < sizeof Bs / sizeof *Bs; k++, cases++)
          check_gemm(r, Ks[i], Ns[j], Bs[k], (nn_wtype)wt, &wr, &w32, &mism);
    const char *t = wt ? "bf16" : "float32";
    char what[160];
    snprintf(what, sizeof what, "panels %s, %d shapes: |C - double ref| / rounding bound", t, cases);
    CHECK_WORST(what, wr, 1.0);
    snprintf(what, sizeof what, "panels %s: |C - float32-weight ref| / (bound%s)", t,
             wt ? " + 2^-8 sum|xw|" : "");
    CHECK_WORST(what, w32, 1.0);
    CHECK(mism == 0, "panels %s: %d results differ between paths, from the row alone, or wrote "
          "past the end", t, mism);
    printf("ok   panels %s: paths c..%s identical, rows independent of the batch\n", t,
           nn_isa_name(isa_max));
  }
}

/* ------------------------------------------------------------------ frozen networks */
static nn_mlp *rand_net(sgp_rng *r, int nin, int nout, const int *w, int nh, nn_act act, int ln,
                        int ncond) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin, a.nout = nout, a.nhidden = nh, a.act = act, a.layernorm = ln, a.ncond = ncond;
  a.act_param = act == NN_LEAKY_RELU ? 0.01f : act == NN_ELU ? 1.0f : 0.0f;
  for (int k = 0; k < nh; k++) a.width[k] = w[k];
  nn_mlp *m = nn_create(&a);
  nn_init(m, r);
  if (ln) /* gains and biases away from 1 and 0 */
    for (int k = 0; k < nh; k++) fill(r, m->layer[k].ln_b, (size_t)w[k], 0.3f);
  return m;
}

static double max_abs(const float *x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
  return m;
}

static void check_frozen_net(sgp_rng *r, nn_mlp *m, int B, const char *label) {
  int nin = m->arch.nin, nout = m->arch.nout;
  nn_ws *ws = nn_ws_create(&m->arch, B), *w1 = nn_ws_create(&m->arch, 1);
  float *x = sgp_falloc((size_t)B * nin), *dy = sgp_falloc((size_t)B * nout);
  float *y = sgp_falloc((size_t)B * nout), *dx = sgp_falloc((size_t)B * nin);
  float *yr = sgp_falloc((size_t)B * nout), *dxr = sgp_falloc((size_t)B * nin);
  float *y1 = sgp_falloc((size_t)nout), *dx1 = sgp_falloc((size_t)nin);
  int *lv = sgp_calloc((size_t)B, sizeof(int));
  fill(r, x, (size_t)B * nin, 1.5f), fill(r, dy, (size_t)B * nout, 1.0f);
  for (int q = 0; q < B; q++) lv[q] = m->arch.ncond ? q % m->arch.ncond : 0;
  nn_mlp *mb = nn_clone(m); /* the bf16 reference: weights rounded, everything else float32 */
  for (int k = 0; k < mb->nlayers; k++)
    for (size_t i = 0; i < (size_t)mb->layer[k].nin * mb->layer[k].nout; i++)
      mb->layer[k].W[i] = bf16_round(mb->layer[k].W[i]);
  float *y32 = sgp_falloc((size_t)B * nout);
  nn_forward(m, ws, B, x, lv, y32);
  for (int wt = 0; wt < 2; wt++) {
    nn_forward(wt ? mb : m, ws, B, x, lv, yr);
    nn_backward(wt ? mb : m, ws, B, dy, NULL, 0, dxr);
    float *yb = NULL, *dxb = NULL;
    int mism = 0;
    double ey = 0, ex = 0;
    for (int isa = 0; isa <= isa_max; isa++) {
      nn_frozen *f = nn_freeze(m, (nn_wtype)wt);
      f->isa = isa;
      m->frozen = NULL; /* called explicitly below; the reference path stays float32 */
      nn_frozen_forward(f, ws, B, x, lv, y);
      nn_frozen_vjp(f, ws, B, dy, dx);
      if (!yb) {
        yb = sgp_falloc((size_t)B * nout), dxb = sgp_falloc((size_t)B * nin);
        memcpy(yb, y, sizeof(float) * B * nout), memcpy(dxb, dx, sizeof(float) * B * nin);
      }
      mism += memcmp(yb, y, sizeof(float) * B * nout) != 0 || memcmp(dxb, dx, sizeof(float) * B * nin) != 0;
      for (int q = 0; q < B; q++) { /* each row alone */
        nn_frozen_forward(f, w1, 1, x + (size_t)q * nin, lv + q, y1);
        nn_frozen_vjp(f, w1, 1, dy + (size_t)q * nout, dx1);
        mism += memcmp(y1, y + (size_t)q * nout, sizeof(float) * nout) != 0 ||
                memcmp(dx1, dx + (size_t)q * nin, sizeof(float) * nin) != 0;
      }
      m->frozen = f;
      nn_thaw(m);
    }
    double sy = max_abs(yr, (size_t)B * nout) + 1e-30, sx = max_abs(dxr, (size_t)B * nin) + 1e-30;
    for (size_t i = 0; i < (size_t)B * nout; i++) ey = fmax(ey, fabs(yb[i] - yr[i]) / sy);
    for (size_t i = 0; i < (size_t)B * nin; i++) ex = fmax(ex, fabs(dxb[i] - dxr[i]) / sx);
    char what[200];
    double tol = 1e-5, dev = 0;
    for (size_t i = 0; wt && i < (size_t)B * nout; i++) dev = fmax(dev, fabs(yb[i] - y32[i]) / sy);
    if (wt) printf("     frozen %s bf16 B=%d: output deviation from float32 weights %.3g of max|y|\n", label, B, dev);
    snprintf(what, sizeof what, "frozen %s %s B=%d: forward vs nn_forward, / max|y|", label,
             wt ? "bf16" : "float32", B);
    CHECK_WORST(what, ey, tol);
    snprintf(what, sizeof what, "frozen %s %s B=%d: input VJP vs nn_backward, / max|dx|", label,
             wt ? "bf16" : "float32", B);
    CHECK_WORST(what, ex, tol);
    CHECK(mism == 0, "frozen %s %s B=%d: %d results differ between paths or from the row alone",
          label, wt ? "bf16" : "float32", B, mism);
    free(yb), free(dxb);
  }
  nn_ws_free(ws), nn_ws_free(w1);
  nn_free(mb);
  free(y32);
  free(x), free(dy), free(y), free(dx), free(yr), free(dxr), free(y1), free(dx1), free(lv);
}

static void check_frozen(sgp_rng *r) {
  int w1[3] = {37, 64, 17}, w2[4] = {128, 128, 128, 128}, w3[2] = {65, 33}, w4[1] = {5};
  struct {
    nn_mlp *m;
    const char *label;
  } nets[] = {
      {rand_net(r, 5, 4, w1, 3, NN_LEAKY_RELU, 0, 0), "5->[37,64,17]->4 leaky_relu"},
      {rand_net(r, 23, 23, w2, 4, NN_SILU, 1, 10), "23->[128]x4->23 silu LN ncsn(10)"},
      {rand_net(r, 9, 3, w3, 2, NN_TANH, 1, 0), "9->[65,33]->3 tanh LN"},
      {rand_net(r, 3, 1, w4, 1, NN_RELU, 0, 3), "3->[5]->1 relu ncsn(3)"},
  };
  static const int Bs[] = {1, 7, 40};
  for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
    for (size_t k = 0; k < sizeof Bs / sizeof *Bs; k++) check_frozen_net(r, nets[i].m, Bs[k], nets[i].label);
    nn_free(nets[i].m);
  }
}

int main(void) {
  isa_max = nn_kernel_isa();
  printf("kernel paths tested: c%s%s\n", isa_max >= NN_ISA_AVX2 ? ", avx2" : "",
         isa_max >= NN_ISA_AVX512 ? ", avx512" : "");
  if (isa_max < NN_ISA_AVX512) printf("SKIP avx512 path: this CPU (or SGP_NN_KERNEL) has no AVX-512F\n");
  if (isa_max < NN_ISA_AVX2) printf("SKIP avx2 path: this CPU (or SGP_NN_KERNEL) has no AVX2+FMA\n");
  sgp_rng r;
  sgp_rng_stream(&r, 1, "nn_kernels");
  check_panels(&r);
  check_frozen(&r);
  return tu_done("test_nn_kernels");
}
