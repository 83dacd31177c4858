/* Multilayer perceptron on whole batches (METHOD §3):
 *
 *   h_0 = x,   h_k = g_k[level] ⊙ act( LN_k( W_k h_{k-1} + b_k ) )   (k = 1..n-1),   y = W_n h_{n-1} + b_n
 *
 * Read top to bottom: the layout of the flat parameter buffer, the workspace, then one
 * forward/backward pair per layer (linear, LayerNorm, activation, conditioning gate), then the
 * network's forward and backward which only chain those pairs.
 *
 * Speed: a batch is one cblas_sgemm per linear (forward) and two per linear (backward: dW and dX).
 * The bias is written into the output rows before a beta = 1 gemm (OpenBLAS would otherwise spend
 * the same pass zeroing C for beta = 0), so it costs nothing extra. Every elementwise layer is one
 * pass; ELU, SiLU and tanh use the vectorised exp of core/vmath.c, LayerNorm works in lanes of 8.
 * Small batches (B <= NN_SMALL_FWD, NN_SMALL_BWD) skip gemm, whose fixed cost dominates
 * there: row kernels (AVX2+FMA when the CPU has it, else plain C) instead.
 * `sgp bench nn` measures both against bare cblas_sgemm. */
#include "core/err.h"
#include "core/rng.h"
#include "core/nn.h"
#include "core/nn_kernels.h"
#include "core/vmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define NN_X86 1
#endif

/* Batches up to these sizes take the small path instead of gemm. Measured on a 2-core Zen 3 VM,
 * OpenBLAS 0.3.21, 32 -> [128]x4 -> 32: forward row kernel vs sgemm ~3 vs 20 us at B = 1, 18 vs 29
 * at B = 6, even around B = 8; backward sgemv/sger vs sgemm even around B = 4. */
#ifndef NN_SMALL_FWD
#define NN_SMALL_FWD 6
#endif
#ifndef NN_SMALL_BWD
#define NN_SMALL_BWD 4
#endif
#define NN_LN_EPS 1e-5f

/* GCC's -O2 vectorizes only loops whose trip count needs no scalar epilogue; the elementwise
 * passes below are memory-bound loops of any length, so they ask for the ordinary cost model.
 * They are also written with unconditional loads so that selects compile without branches (a
 * ReLU mask is random: branches on it mispredict half the time). */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
/* The activations' selects compute both sides (p·v and v) and pick one; GCC if-converts such a
 * loop only when it may assume that the multiplication does not trap (it only sets flags here). */
#define NN_VECTORIZE_SELECT __attribute__((optimize("vect-cost-model=dynamic", "no-trapping-math")))
#else
#define NN_VECTORIZE
#define NN_VECTORIZE_SELECT
#endif

/* ============================== architecture and layout ======================================== */

int nn_arch_check(const nn_arch *a, sgp_err *e) {
  if (a->nin < 1 || a->nin > (1 << 24)) return sgp_fail(e, "nn: input width %d out of range", a->nin);
  if (a->nout < 1 || a->nout > (1 << 24))
    return sgp_fail(e, "nn: output width %d out of range", a->nout);
  if (a->nhidden < 0 || a->nhidden > NN_MAX_HIDDEN)
    return sgp_fail(e, "nn: %d hidden layers (at most %d)", a->nhidden, NN_MAX_HIDDEN);
  for (int k = 0; k < a->nhidden; k++)
    if (a->width[k] < 1 || a->width[k] > (1 << 24))
      return sgp_fail(e, "nn: hidden width %d (layer %d) out of range", a->width[k], k);
  if ((int)a->act < 0 || a->act >= NN_NUM_ACT) return sgp_fail(e, "nn: unknown activation %d", (int)a->act);
  if (!isfinite(a->act_param)) return sgp_fail(e, "nn: act_param is not finite");
  if (a->layernorm != 0 && a->layernorm != 1) return sgp_fail(e, "nn: layernorm must be 0 or 1");
  if (a->ncond < 0 || a->ncond > (1 << 20)) return sgp_fail(e, "nn: ncond %d out of range", a->ncond);
  double n = 0;
  for (int k = 0; k <= a->nhidden; k++) {
    double in = k ? a->width[k - 1] : a->nin, out = k < a->nhidden ? a->width[k] : a->nout;
    n += in * out + out;
  }
  if (n > 4e9) return sgp_fail(e, "nn: %.3g parameters is too many", n);
  return 0;
}

static int layer_in(const nn_arch *a, int k) { return k ? a->width[k - 1] : a->nin; }
static int layer_out(const nn_arch *a, int k) { return k < a->nhidden ? a->width[k] : a->nout; }

/* Buffer order, layer by layer: W (out*in), b (out), [ln_g, ln_b (out each)], [emb (ncond*out)];
 * the output layer has W and b only (core.h). */
void nn_layout(const nn_arch *a, float *base, nn_layer *layers) {
  size_t off = 0;
  for (int k = 0; k <= a->nhidden; k++) {
    nn_layer *L = &layers[k];
    int hidden = k < a->nhidden;
    L->nin = layer_in(a, k);
    L->nout = layer_out(a, k);
    size_t in = (size_t)L->nin, out = (size_t)L->nout;
    L->W = base ? base + off : NULL;
    off += out * in;
    L->b = base ? base + off : NULL;
    off += out;
    L->ln_g = L->ln_b = L->emb = NULL;
    if (hidden && a->layernorm) {
      L->ln_g = base ? base + off : NULL;
      L->ln_b = base ? base + off + out : NULL;
      off += 2 * out;
    }
    if (hidden && a->ncond > 0) {
      L->emb = base ? base + off : NULL;
      off += (size_t)a->ncond * out;
    }
  }
}

size_t nn_arch_nparams(const nn_arch *a) {
  size_t n = 0;
  for (int k = 0; k <= a->nhidden; k++) {
    size_t in = (size_t)layer_in(a, k), out = (size_t)layer_out(a, k);
    n += out * in + out;
    if (k < a->nhidden) n += (a->layernorm ? 2 * out : 0) + (size_t)a->ncond * out;
  }
  return n;
}

nn_mlp *nn_create(const nn_arch *a) {
  if (nn_arch_check(a, NULL) != 0) return NULL;
  nn_mlp *m = sgp_calloc(1, sizeof *m);
  m->arch = *a;
  m->nparams = nn_arch_nparams(a);
  m->params = sgp_falloc(m->nparams);
  memset(m->params, 0, m->nparams * sizeof(float));
  m->nlayers = a->nhidden + 1;
  nn_layout(a, m->params, m->layer);
  return m;
}

void nn_free(nn_mlp *m) {
  if (!m) return;
  nn_thaw(m);
  free(m->params);
  free(m);
}

nn_mlp *nn_clone(const nn_mlp *m) {
  nn_mlp *c = nn_create(&m->arch);
  memcpy(c->params, m->params, m->nparams * sizeof(float));
  return c;
}

/* PyTorch defaults (nn.Linear): W, b ~ U(±1/sqrt(fan_in)); LayerNorm gain 1, bias 0; the
 * conditioning embedding U(0, 1) like NCSN's ConditionalLinear. Drawn layer by layer. */
void nn_init(nn_mlp *m, sgp_rng *r) {
  for (int k = 0; k < m->nlayers; k++) {
    nn_layer *L = &m->layer[k];
    float bound = 1.0f / sqrtf((float)L->nin);
    sgp_rng_fill_uniform(r, L->W, (size_t)L->nout * L->nin, -bound, bound);
    sgp_rng_fill_uniform(r, L->b, (size_t)L->nout, -bound, bound);
    if (L->ln_g)
      for (int j = 0; j < L->nout; j++) L->ln_g[j] = 1.0f, L->ln_b[j] = 0.0f;
    if (L->emb) sgp_rng_fill_uniform(r, L->emb, (size_t)m->arch.ncond * L->nout, 0.0f, 1.0f);
  }
}

/* ============================== workspace ====================================================== */

struct nn_ws {
  nn_arch arch;
  int maxbatch;
  int B;     /* batch of the last forward */
  int avx2;  /* the CPU runs the AVX2+FMA row kernel */
  float *x;  /* B x nin: copy of the last input (dW of the first layer needs it) */
  int *level;
  float *z[NN_MAX_HIDDEN];    /* linear outputs W h + b */
  float *a[NN_MAX_HIDDEN];    /* LayerNorm outputs = activation inputs (== z without LayerNorm) */
  float *mean[NN_MAX_HIDDEN], *rstd[NN_MAX_HIDDEN]; /* LayerNorm row statistics (B each) */
  float *s[NN_MAX_HIDDEN];    /* activation outputs (== h without conditioning) */
  float *h[NN_MAX_HIDDEN];    /* hidden layer outputs */
  float *d0, *d1;             /* backward scratch, B x widest hidden layer */
  float *mem;
};

static size_t pad16(size_t n) { return (n + 15) & ~(size_t)15; } /* keep every buffer 64-byte aligned */

nn_ws *nn_ws_create(const nn_arch *a, int maxbatch) {
  if (nn_arch_check(a, NULL) != 0 || maxbatch < 1) return NULL;
  nn_ws *w = sgp_calloc(1, sizeof *w);
  w->arch = *a;
  w->maxbatch = maxbatch;
#ifdef NN_X86
  w->avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  /* diagnostic knob (tests, benchmarks): SGP_NN_KERNEL=c selects the portable row kernels */
  const char *kern = getenv("SGP_NN_KERNEL");
  if (kern && !strcmp(kern, "c")) w->avx2 = 0;
  size_t Bm = (size_t)maxbatch, maxw = 1, total = pad16(Bm * a->nin);
  for (int k = 0; k < a->nhidden; k++) {
    size_t n = pad16(Bm * a->width[k]);
    total += 2 * n;                                    /* z, h */
    if (a->layernorm) total += n + 2 * pad16(Bm);       /* a, mean, rstd */
    if (a->ncond > 0) total += n;                       /* s */
    if ((size_t)a->width[k] > maxw) maxw = (size_t)a->width[k];
  }
  total += 2 * pad16(Bm * maxw);
  w->mem = sgp_falloc(total);
  memset(w->mem, 0, total * sizeof(float));
  float *p = w->mem;
#define TAKE(n) (p += pad16(n), p - pad16(n))
  w->x = TAKE(Bm * a->nin);
  for (int k = 0; k < a->nhidden; k++) {
    size_t n = Bm * a->width[k];
    w->z[k] = TAKE(n);
    w->h[k] = TAKE(n);
    w->a[k] = a->layernorm ? TAKE(n) : w->z[k];
    if (a->layernorm) {
      w->mean[k] = TAKE(Bm);
      w->rstd[k] = TAKE(Bm);
    }
    w->s[k] = a->ncond > 0 ? TAKE(n) : w->h[k];
  }
  w->d0 = TAKE(Bm * maxw);
  w->d1 = TAKE(Bm * maxw);
#undef TAKE
  w->level = sgp_calloc(Bm, sizeof(int));
  return w;
}

void nn_ws_free(nn_ws *w) {
  if (!w) return;
  free(w->mem);
  free(w->level);
  free(w);
}

int nn_ws_maxbatch(const nn_ws *w) { return w->maxbatch; }

/* ============================== linear: out = inp Wᵀ + b ====================================== */

/* Small-batch row kernel: y[o] = b[o] + Σ_i W[o][i] x[i] for one row. */
static void row_affine_c(float *y, const float *x, const float *W, const float *b, int nin, int nout) {
  for (int o = 0; o < nout; o++) {
    const float *w = W + (size_t)o * nin;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= nin; i += 4) {
      s0 += w[i] * x[i];
      s1 += w[i + 1] * x[i + 1];
      s2 += w[i + 2] * x[i + 2];
      s3 += w[i + 3] * x[i + 3];
    }
    for (; i < nin; i++) s0 += w[i] * x[i];
    y[o] = b[o] + ((s0 + s1) + (s2 + s3));
  }
}

#ifdef NN_X86
/* The same with AVX2+FMA: 8 outputs at a time (8 independent FMA chains hide the latency; each
 * step loads x once for 8 rows of W), then one transpose-and-add of the 8 accumulators. The input
 * tail is read with a masked load, so no byte past the end of a row is touched. */
__attribute__((target("avx2,fma"))) static inline __m256 tail_load(const float *p, __m256i mask) {
  return _mm256_maskload_ps(p, mask);
}

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *w, const float *x, int nin,
                                                          __m256i mask) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= nin; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc);
  if (i < nin) acc = _mm256_fmadd_ps(tail_load(w + i, mask), tail_load(x + i, mask), acc);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static void row_affine_avx2(float *y, const float *x,
                                                                const float *W, const float *b,
                                                                int nin, int nout) {
  int rem = nin & 7;
  __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  int o = 0;
  for (; o + 8 <= nout; o += 8) {
    const float *w0 = W + (size_t)o * nin, *w1 = w0 + nin, *w2 = w1 + nin, *w3 = w2 + nin;
    const float *w4 = w3 + nin, *w5 = w4 + nin, *w6 = w5 + nin, *w7 = w6 + nin;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int i = 0;
    for (; i + 8 <= nin; i += 8) {
      __m256 xv = _mm256_loadu_ps(x + i);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), xv, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), xv, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), xv, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), xv, a3);
      a4 = _mm256_fmadd_ps(_mm256_loadu_ps(w4 + i), xv, a4);
      a5 = _mm256_fmadd_ps(_mm256_loadu_ps(w5 + i), xv, a5);
      a6 = _mm256_fmadd_ps(_mm256_loadu_ps(w6 + i), xv, a6);
      a7 = _mm256_fmadd_ps(_mm256_loadu_ps(w7 + i), xv, a7);
    }
    if (i < nin) {
      __m256 xv = tail_load(x + i, mask);
      a0 = _mm256_fmadd_ps(tail_load(w0 + i, mask), xv, a0);
      a1 = _mm256_fmadd_ps(tail_load(w1 + i, mask), xv, a1);
      a2 = _mm256_fmadd_ps(tail_load(w2 + i, mask), xv, a2);
      a3 = _mm256_fmadd_ps(tail_load(w3 + i, mask), xv, a3);
      a4 = _mm256_fmadd_ps(tail_load(w4 + i, mask), xv, a4);
      a5 = _mm256_fmadd_ps(tail_load(w5 + i, mask), xv, a5);
      a6 = _mm256_fmadd_ps(tail_load(w6 + i, mask), xv, a6);
      a7 = _mm256_fmadd_ps(tail_load(w7 + i, mask), xv, a7);
    }
    /* hadd pairs, then fold the two 128-bit halves: lane j ends up holding Σ a_j */
    __m256 t0 = _mm256_hadd_ps(a0, a1), t1 = _mm256_hadd_ps(a2, a3);
    __m256 t2 = _mm256_hadd_ps(a4, a5), t3 = _mm256_hadd_ps(a6, a7);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    __m256 r = _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
    _mm256_storeu_ps(y + o, _mm256_add_ps(r, _mm256_loadu_ps(b + o)));
  }
  for (; o < nout; o++) y[o] = b[o] + dot_avx2(W + (size_t)o * nin, x, nin, mask);
}
#endif

static void nn_linear_forward(float *out, const float *inp, const float *W, const float *b, int B,
                              int nin, int nout, int avx2) {
  if (B <= NN_SMALL_FWD) {
    for (int r = 0; r < B; r++) {
      const float *x = inp + (size_t)r * nin;
      float *y = out + (size_t)r * nout;
#ifdef NN_X86
      if (avx2) {
        row_affine_avx2(y, x, W, b, nin, nout);
        continue;
      }
#endif
      (void)avx2;
      row_affine_c(y, x, W, b, nin, nout);
    }
    return;
  }
  for (int r = 0; r < B; r++) memcpy(out + (size_t)r * nout, b, (size_t)nout * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nout, nin, 1.0f, inp, nin, W, nin, 1.0f,
              out, nout);
}

/* Small-batch backward of one row, without BLAS (OpenBLAS threads sgemv/sger at these sizes, and
 * its thread start-up then costs more than the work):
 *   dx = Wᵀ d  (rows of W scaled and added: no reduction, so it vectorizes as written)
 *   dW (+)= d xᵀ  (add when `add`, else overwrite) */
NN_VECTORIZE static void row_vjp_c(float *dx, const float *d, const float *W, int nin, int nout) {
  memset(dx, 0, (size_t)nin * sizeof(float));
  for (int o = 0; o < nout; o++) {
    const float *w = W + (size_t)o * nin;
    float s = d[o];
    for (int i = 0; i < nin; i++) dx[i] += s * w[i];
  }
}

NN_VECTORIZE static void row_outer_c(float *dW, const float *d, const float *x, int nin, int nout, int add) {
  for (int o = 0; o < nout; o++) {
    float *g = dW + (size_t)o * nin, s = d[o];
    if (add)
      for (int i = 0; i < nin; i++) g[i] += s * x[i];
    else
      for (int i = 0; i < nin; i++) g[i] = s * x[i];
  }
}

#ifdef NN_X86
/* The same with AVX2+FMA: dx in column blocks of 32 held in four accumulators over all rows of W
 * (W read once, dx written once), then blocks of 8, the last one masked. */
__attribute__((target("avx2,fma"))) static void row_vjp_avx2(float *dx, const float *d, const float *W, int nin,
                                                             int nout) {
  int i = 0;
  for (; i + 32 <= nin; i += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int o = 0; o < nout; o++) {
      const float *w = W + (size_t)o * nin + i;
      __m256 s = _mm256_broadcast_ss(d + o);
      a0 = _mm256_fmadd_ps(s, _mm256_loadu_ps(w), a0);
      a1 = _mm256_fmadd_ps(s, _mm256_loadu_ps(w + 8), a1);
      a2 = _mm256_fmadd_ps(s, _mm256_loadu_ps(w + 16), a2);
      a3 = _mm256_fmadd_ps(s, _mm256_loadu_ps(w + 24), a3);
    }
    _mm256_storeu_ps(dx + i, a0);
    _mm256_storeu_ps(dx + i + 8, a1);
    _mm256_storeu_ps(dx + i + 16, a2);
    _mm256_storeu_ps(dx + i + 24, a3);
  }
  for (; i < nin; i += 8) {
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(nin - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 a = _mm256_setzero_ps();
    for (int o = 0; o < nout; o++)
      a = _mm256_fmadd_ps(_mm256_broadcast_ss(d + o), _mm256_maskload_ps(W + (size_t)o * nin + i, mask), a);
    _mm256_maskstore_ps(dx + i, mask, a);
  }
}

__attribute__((target("avx2,fma"))) static void row_outer_avx2(float *dW, const float *d, const float *x, int nin,
                                                               int nout, int add) {
  int rem = nin & 7, nb = nin - rem;
  __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int o = 0; o < nout; o++) {
    float *g = dW + (size_t)o * nin;
    __m256 s = _mm256_broadcast_ss(d + o);
    if (add) {
      for (int i = 0; i < nb; i += 8)
        _mm256_storeu_ps(g + i, _mm256_fmadd_ps(s, _mm256_loadu_ps(x + i), _mm256_loadu_ps(g + i)));
      if (rem)
        _mm256_maskstore_ps(g + nb, mask,
                            _mm256_fmadd_ps(s, _mm256_maskload_ps(x + nb, mask), _mm256_maskload_ps(g + nb, mask)));
    } else {
      for (int i = 0; i < nb; i += 8) _mm256_storeu_ps(g + i, _mm256_mul_ps(s, _mm256_loadu_ps(x + i)));
      if (rem) _mm256_maskstore_ps(g + nb, mask, _mm256_mul_ps(s, _mm256_maskload_ps(x + nb, mask)));
    }
  }
}
#endif

/* dinp = dout W;  dW (+)= doutᵀ inp;  db (+)= Σ_rows dout.  Any output may be NULL. */
NN_VECTORIZE static void nn_linear_backward(float *dinp, float *dW, float *db, const float *dout, const float *inp,
                               const float *W, int B, int nin, int nout, int accumulate, int avx2) {
  if (db) {
    if (!accumulate) memset(db, 0, (size_t)nout * sizeof(float));
    for (int r = 0; r < B; r++) {
      const float *d = dout + (size_t)r * nout;
      for (int j = 0; j < nout; j++) db[j] += d[j];
    }
  }
  if (B <= NN_SMALL_BWD) {
    for (int r = 0; r < B; r++) {
      const float *d = dout + (size_t)r * nout;
#ifdef NN_X86
      if (avx2) {
        if (dW) row_outer_avx2(dW, d, inp + (size_t)r * nin, nin, nout, accumulate || r > 0);
        if (dinp) row_vjp_avx2(dinp + (size_t)r * nin, d, W, nin, nout);
        continue;
      }
#endif
      if (dW) row_outer_c(dW, d, inp + (size_t)r * nin, nin, nout, accumulate || r > 0);
      if (dinp) row_vjp_c(dinp + (size_t)r * nin, d, W, nin, nout);
    }
    return;
  }
  if (dW)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nout, nin, B, 1.0f, dout, nout, inp, nin,
                accumulate ? 1.0f : 0.0f, dW, nin);
  if (dinp)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nin, nout, 1.0f, dout, nout, W, nin, 0.0f,
                dinp, nin);
}

/* ============================== LayerNorm (eps 1e-5, affine, biased variance) ================== */

/* Rows in lanes of 8 (GCC/Clang vector extensions; compiled for x86-64-v3 and the baseline and
 * picked at load time, like agents/distance.c). The row sums run in 8 (forward mean: 16) lanes
 * that are added in a fixed order, then the scalar tail: the same input gives the same bits, and
 * a row's result does not depend on the batch around it. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define NN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define NN_CLONES
#endif
typedef float nn_v8f __attribute__((vector_size(32), aligned(4), may_alias));
#define V8(p) (*(nn_v8f *)(p))
#define V8C(p) (*(const nn_v8f *)(p))
#define HSUM(acc, out)                                      \
  do {                                                      \
    out = (acc)[0];                                         \
    for (int k_ = 1; k_ < 8; k_++) out += (acc)[k_];        \
  } while (0)

NN_CLONES static void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *g,
                                           const float *beta, int B, int C) {
  for (int r = 0; r < B; r++) {
    const float *x = inp + (size_t)r * C;
    float *y = out + (size_t)r * C;
    nn_v8f a0 = {0}, a1 = {0};
    int j = 0;
    for (; j + 16 <= C; j += 16) {
      a0 += V8C(x + j);
      a1 += V8C(x + j + 8);
    }
    for (; j + 8 <= C; j += 8) a0 += V8C(x + j);
    a0 += a1;
    float m;
    HSUM(a0, m);
    for (; j < C; j++) m += x[j];
    m /= (float)C;
    nn_v8f av = {0};
    for (j = 0; j + 8 <= C; j += 8) {
      nn_v8f d = V8C(x + j) - m;
      av += d * d;
    }
    float v;
    HSUM(av, v);
    for (; j < C; j++) v += (x[j] - m) * (x[j] - m);
    v /= (float)C;
    float s = 1.0f / sqrtf(v + NN_LN_EPS);
    for (j = 0; j + 8 <= C; j += 8) V8(y + j) = (V8C(x + j) - m) * s * V8C(g + j) + V8C(beta + j);
    for (; j < C; j++) y[j] = (x[j] - m) * s * g[j] + beta[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

/* With x̂ = (x − μ)·ρ and dn = dout ⊙ g:  dx = ρ (dn − mean(dn) − x̂ mean(dn ⊙ x̂)).
 * dinp may alias dout (each row is reduced before it is overwritten, 8 lanes at a time in the same
 * places). dg, dbeta may be NULL. */
NN_CLONES static void nn_layernorm_backward(float *dinp, float *dg, float *dbeta, const float *dout,
                                            const float *inp, const float *mean, const float *rstd, const float *g,
                                            int B, int C) {
  for (int r = 0; r < B; r++) {
    const float *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
    float *dx = dinp + (size_t)r * C;
    float m = mean[r], s = rstd[r], dn_mean, dnx_mean;
    nn_v8f a0 = {0}, a1 = {0};
    int j = 0;
    for (; j + 8 <= C; j += 8) {
      nn_v8f xh = (V8C(x + j) - m) * s, dn = V8C(d + j) * V8C(g + j);
      a0 += dn;
      a1 += dn * xh;
    }
    HSUM(a0, dn_mean);
    HSUM(a1, dnx_mean);
    for (; j < C; j++) {
      float xh = (x[j] - m) * s, dn = d[j] * g[j];
      dn_mean += dn;
      dnx_mean += dn * xh;
    }
    dn_mean /= (float)C;
    dnx_mean /= (float)C;
    if (dg) {
      for (j = 0; j + 8 <= C; j += 8) {
        nn_v8f xh = (V8C(x + j) - m) * s, dj = V8C(d + j);
        V8(dg + j) += dj * xh;
        V8(dbeta + j) += dj;
        V8(dx + j) = (dj * V8C(g + j) - dn_mean - xh * dnx_mean) * s;
      }
    } else {
      for (j = 0; j + 8 <= C; j += 8) {
        nn_v8f xh = (V8C(x + j) - m) * s, dj = V8C(d + j);
        V8(dx + j) = (dj * V8C(g + j) - dn_mean - xh * dnx_mean) * s;
      }
    }
    for (; j < C; j++) {
      float xh = (x[j] - m) * s, dj = d[j];
      if (dg) {
        dg[j] += dj * xh;
        dbeta[j] += dj;
      }
      dx[j] = (dj * g[j] - dn_mean - xh * dnx_mean) * s;
    }
  }
}

/* ============================== activations ==================================================== */

/* ReLU-type selects are plain loops (vectorized by the compiler); ELU, SiLU and tanh go through the
 * vectorised exp of core/vmath.c (accuracy measured in tests/test_vmath.c). */
NN_VECTORIZE_SELECT static void nn_act_forward(float *out, const float *inp, size_t n, nn_act act, float p) {
  switch (act) {
  case NN_RELU: /* v < 0 ? 0 : v keeps a NaN visible */
    for (size_t i = 0; i < n; i++) {
      float v = inp[i];
      out[i] = v < 0.0f ? 0.0f : v;
    }
    break;
  case NN_LEAKY_RELU:
    for (size_t i = 0; i < n; i++) {
      float v = inp[i], pv = p * v; /* both sides computed: a select, not a branch */
      out[i] = v < 0.0f ? pv : v;
    }
    break;
  case NN_ELU: vm_elu(out, inp, n, p); break;
  case NN_SILU: vm_silu(out, inp, n); break;
  case NN_TANH: vm_tanh(out, inp, n); break;
  default:
    if (out != inp) memcpy(out, inp, n * sizeof(float));
    break;
  }
}

/* dinp = dout ⊙ act'(inp); dinp may alias dout. */
NN_VECTORIZE_SELECT static void nn_act_backward(float *dinp, const float *dout, const float *inp, size_t n, nn_act act, float p) {
  switch (act) {
  case NN_RELU:
    for (size_t i = 0; i < n; i++) {
      float u = inp[i], d = dout[i];
      dinp[i] = u > 0.0f ? d : 0.0f;
    }
    break;
  case NN_LEAKY_RELU:
    for (size_t i = 0; i < n; i++) {
      float u = inp[i], d = dout[i], pd = p * d;
      dinp[i] = u > 0.0f ? d : pd;
    }
    break;
  case NN_ELU: vm_elu_grad(dinp, dout, inp, n, p); break;
  case NN_SILU: vm_silu_grad(dinp, dout, inp, n); break;
  case NN_TANH: vm_tanh_grad(dinp, dout, inp, n); break;
  default:
    if (dinp != dout) memcpy(dinp, dout, n * sizeof(float));
    break;
  }
}

/* ============================== conditioning gate: out = emb[level] ⊙ inp ==================== */

NN_VECTORIZE static void nn_gate_forward(float *out, const float *inp, const float *emb, const int *level, int B, int C) {
  for (int r = 0; r < B; r++) {
    const float *g = emb + (size_t)level[r] * C, *x = inp + (size_t)r * C;
    float *y = out + (size_t)r * C;
    for (int j = 0; j < C; j++) y[j] = g[j] * x[j];
  }
}

/* dinp = dout ⊙ emb[level];  demb[level] += dout ⊙ inp (demb may be NULL; dinp may alias dout). */
NN_VECTORIZE static void nn_gate_backward(float *dinp, float *demb, const float *dout, const float *inp, const float *emb,
                             const int *level, int B, int C) {
  for (int r = 0; r < B; r++) {
    const float *g = emb + (size_t)level[r] * C, *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
    float *dg = demb ? demb + (size_t)level[r] * C : NULL;
    float *dx = dinp + (size_t)r * C;
    if (dg) /* first, while d is intact (dinp may alias dout) */
      for (int j = 0; j < C; j++) dg[j] += d[j] * x[j];
    for (int j = 0; j < C; j++) dx[j] = d[j] * g[j];
  }
}

/* ============================== the network ==================================================== */

static int same_arch(const nn_arch *a, const nn_arch *b) {
  if (a->nin != b->nin || a->nout != b->nout || a->nhidden != b->nhidden || a->layernorm != b->layernorm ||
      a->ncond != b->ncond)
    return 0;
  for (int k = 0; k < a->nhidden; k++)
    if (a->width[k] != b->width[k]) return 0;
  return 1;
}

static void check_batch(const char *fn, const nn_mlp *m, const nn_ws *ws, int B) {
  /* A programming error, not an input error: continuing would overrun the workspace. */
  if (B < 0 || B > ws->maxbatch || !same_arch(&m->arch, &ws->arch)) {
    fprintf(stderr, "sgp: %s: batch %d or architecture does not fit the workspace (maxbatch %d)\n", fn, B,
            ws->maxbatch);
    abort();
  }
}

/* The chain of layers; f != NULL: every linear through the frozen network's packed kernels. */
static void forward_chain(const nn_mlp *m, const nn_frozen *f, nn_ws *ws, int B, const float *x,
                          const int *level, float *y) {
  const nn_arch *a = &m->arch;
  ws->B = B;
  memcpy(ws->x, x, (size_t)B * a->nin * sizeof(float));
  if (a->ncond > 0) /* out-of-range levels are clamped, never read outside the table */
    for (int r = 0; r < B; r++) {
      int l = level ? level[r] : 0;
      ws->level[r] = l < 0 ? 0 : l >= a->ncond ? a->ncond - 1 : l;
    }
  const float *in = ws->x;
  for (int k = 0; k <= a->nhidden; k++) {
    const nn_layer *L = &m->layer[k];
    int C = L->nout;
    float *out = k < a->nhidden ? ws->z[k] : y;
    if (f) nn_panels_gemm(&f->fwd[k], B, in, L->nin, L->b, out, C, f->isa);
    else nn_linear_forward(out, in, L->W, L->b, B, L->nin, C, ws->avx2);
    if (k == a->nhidden) break;
    if (a->layernorm) nn_layernorm_forward(ws->a[k], ws->mean[k], ws->rstd[k], ws->z[k], L->ln_g, L->ln_b, B, C);
    nn_act_forward(ws->s[k], ws->a[k], (size_t)B * C, a->act, a->act_param);
    if (a->ncond > 0) nn_gate_forward(ws->h[k], ws->s[k], L->emb, ws->level, B, C);
    in = ws->h[k];
  }
}

void nn_forward(const nn_mlp *m, nn_ws *ws, int B, const float *x, const int *level, float *y) {
  check_batch("nn_forward", m, ws, B);
  forward_chain(m, m->frozen, ws, B, x, level, y);
}

/* One linear layer's backward: parameter gradients and input VJP by nn_linear_backward, or (f) the
 * input VJP alone through the frozen network's panels. */
static void linear_back(const nn_mlp *m, const nn_frozen *f, nn_ws *ws, int k, int B, const nn_layer *G,
                        const float *dout, float *dinp, int accumulate) {
  const nn_layer *L = &m->layer[k];
  if (f) {
    if (dinp) nn_panels_gemm(&f->vjp[k], B, dout, L->nout, NULL, dinp, L->nin, f->isa);
    return;
  }
  nn_linear_backward(dinp, G->W, G->b, dout, k ? ws->h[k - 1] : ws->x, L->W, B, L->nin, L->nout,
                     accumulate, ws->avx2);
}

static void backward_chain(const nn_mlp *m, const nn_frozen *f, nn_ws *ws, int B, const float *dy,
                           float *dparams, int accumulate, float *dx) {
  const nn_arch *a = &m->arch;
  nn_layer G[NN_MAX_HIDDEN + 1];
  nn_layout(a, dparams, G); /* all NULL views when dparams is NULL */
  int nh = a->nhidden;
  float *cur = ws->d0, *other = ws->d1;
  linear_back(m, f, ws, nh, B, &G[nh], dy, nh ? cur : dx, accumulate);
  for (int k = nh - 1; k >= 0; k--) {
    const nn_layer *L = &m->layer[k];
    int C = L->nout;
    size_t n = (size_t)B * C;
    if (a->ncond > 0) {
      if (G[k].emb && !accumulate) memset(G[k].emb, 0, (size_t)a->ncond * C * sizeof(float));
      nn_gate_backward(cur, G[k].emb, cur, ws->s[k], L->emb, ws->level, B, C);
    }
    nn_act_backward(cur, cur, ws->a[k], n, a->act, a->act_param);
    if (a->layernorm) {
      if (G[k].ln_g && !accumulate) {
        memset(G[k].ln_g, 0, (size_t)C * sizeof(float));
        memset(G[k].ln_b, 0, (size_t)C * sizeof(float));
      }
      nn_layernorm_backward(cur, G[k].ln_g, G[k].ln_b, cur, ws->z[k], ws->mean[k], ws->rstd[k], L->ln_g, B, C);
    }
    linear_back(m, f, ws, k, B, &G[k], cur, k ? other : dx, accumulate); /* first layer: only if asked */
    float *t = cur;
    cur = other;
    other = t;
  }
}

void nn_backward(const nn_mlp *m, nn_ws *ws, int B, const float *dy, float *dparams, int accumulate,
                 float *dx) {
  check_batch("nn_backward", m, ws, B);
  if (!dparams && !dx) return;
  backward_chain(m, dparams ? NULL : m->frozen, ws, B, dy, dparams, accumulate, dx);
}

/* ============================== frozen networks (core/nn_kernels.h) ============================ */

nn_frozen *nn_freeze(nn_mlp *m, nn_wtype wt) {
  nn_thaw(m);
  nn_frozen *f = sgp_calloc(1, sizeof *f);
  f->m = m;
  f->wt = wt;
  f->isa = nn_kernel_isa();
  for (int k = 0; k < m->nlayers; k++) {
    const nn_layer *L = &m->layer[k];
    /* forward P[i][o] = W[o][i] (K = in, N = out); input VJP P[o][i] = W[o][i] (K = out, N = in) */
    nn_panels_pack(&f->fwd[k], L->W, L->nin, L->nout, 1, (size_t)L->nin, wt);
    nn_panels_pack(&f->vjp[k], L->W, L->nout, L->nin, (size_t)L->nin, 1, wt);
  }
  m->frozen = f;
  return f;
}

void nn_thaw(nn_mlp *m) {
  nn_frozen *f = m->frozen;
  if (!f) return;
  for (int k = 0; k < m->nlayers; k++) nn_panels_free(&f->fwd[k]), nn_panels_free(&f->vjp[k]);
  free(f);
  m->frozen = NULL;
}

size_t nn_frozen_bytes(const nn_frozen *f) {
  size_t n = 0;
  for (int k = 0; k < f->m->nlayers; k++) n += nn_panels_bytes(&f->fwd[k]);
  return n;
}

void nn_frozen_forward(const nn_frozen *f, nn_ws *ws, int B, const float *x, const int *level,
                       float *y) {
  check_batch("nn_frozen_forward", f->m, ws, B);
  forward_chain(f->m, f, ws, B, x, level, y);
}

void nn_frozen_vjp(const nn_frozen *f, nn_ws *ws, int B, const float *dy, float *dx) {
  check_batch("nn_frozen_vjp", f->m, ws, B);
  if (dx) backward_chain(f->m, f, ws, B, dy, NULL, 0, dx);
}
