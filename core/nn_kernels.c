/* Packed weight panels and the inference matrix product (core/nn_kernels.h).
 *
 * Every output element is one fused multiply-add chain over k in increasing order, started from
 * 0, then the bias: the AVX-512 kernel (16 columns per register, tiles of 6 rows × 64 columns:
 * 24 accumulators), the AVX2 kernel (8 columns per register, tiles of 3 rows × 32 columns) and
 * the portable C loop (fmaf) compute exactly the same thing, so a row's result depends neither on
 * the batch nor on the machine. A panel (K rows × 64 columns) is streamed once per row tile, in
 * order; at small batches that is one pass over the weights per call, which is what bounds the
 * time there, hence the bfloat16 option (half the bytes, converted exactly to float on load). */
#include "core/nn_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define NK_X86 1
#endif

enum { NK_PW = 64 }; /* panel width (columns) */

/* ============================== packing ======================================================== */

static uint16_t to_bf16(float f) { /* round to nearest even; NaN stays NaN */
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu)) return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

static size_t elem_size(nn_wtype wt) { return wt == NN_WT_BF16 ? 2 : 4; }

size_t nn_panels_bytes(const nn_panels *p) { return (size_t)p->K * p->Np * elem_size(p->wt); }

void nn_panels_pack(nn_panels *p, const float *A, int K, int N, size_t sk, size_t sn, nn_wtype wt) {
  memset(p, 0, sizeof *p);
  p->K = K, p->N = N, p->Np = (N + 15) & ~15, p->wt = wt;
  size_t bytes = nn_panels_bytes(p);
  p->data = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  if (!p->data) {
    fprintf(stderr, "sgp: out of memory (%zu bytes of weight panels)\n", bytes);
    abort();
  }
  memset(p->data, 0, bytes);
  for (int q = 0; q * NK_PW < p->Np; q++) {
    int c0 = q * NK_PW, pw = p->Np - c0 < NK_PW ? p->Np - c0 : NK_PW;
    size_t base = (size_t)K * c0; /* elements before panel q */
    for (int k = 0; k < K; k++)
      for (int c = 0; c < pw && c0 + c < N; c++) {
        float v = A[(size_t)k * sk + (size_t)(c0 + c) * sn];
        size_t at = base + (size_t)k * pw + c;
        if (wt == NN_WT_BF16) ((uint16_t *)p->data)[at] = to_bf16(v);
        else ((float *)p->data)[at] = v;
      }
  }
}

void nn_panels_free(nn_panels *p) {
  free(p->data);
  memset(p, 0, sizeof *p);
}

/* ============================== the kernels ==================================================== */
/* One panel q: columns [c0, c0 + ncol) of C from the panel's K rows of pw columns. */

static void panel_c(const unsigned char *P, int pw, int bf16, int K, int B, const float *X, int ldx,
                    const float *bias, float *C, int ldc, int ncol) {
  float acc[NK_PW];
  for (int b = 0; b < B; b++) {
    const float *x = X + (size_t)b * ldx;
    for (int c = 0; c < pw; c++) acc[c] = 0.0f;
    for (int k = 0; k < K; k++) {
      float xk = x[k];
      if (bf16) {
        const uint16_t *w = (const uint16_t *)P + (size_t)k * pw;
        for (int c = 0; c < pw; c++) {
          uint32_t u = (uint32_t)w[c] << 16;
          float f;
          memcpy(&f, &u, 4);
          acc[c] = fmaf(xk, f, acc[c]);
        }
      } else {
        const float *w = (const float *)P + (size_t)k * pw;
        for (int c = 0; c < pw; c++) acc[c] = fmaf(xk, w[c], acc[c]);
      }
    }
    float *y = C + (size_t)b * ldc;
    for (int c = 0; c < ncol; c++) y[c] = bias ? acc[c] + bias[c] : acc[c];
  }
}

#ifdef NK_X86
/* ---- AVX-512: R rows × NB blocks of 16 columns; R, NB compile-time constants after inlining */
__attribute__((target("avx512f"))) static inline __m512 ld16(const unsigned char *p, int bf16) {
  if (bf16)
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
  return _mm512_loadu_ps((const float *)p);
}

__attribute__((target("avx512f"), always_inline)) static inline void
tile16(const int R, const int NB, const unsigned char *P, int pw, int bf16, int K, const float *X,
       int ldx, const float *bias, float *C, int ldc, int ncol) {
  const size_t es = bf16 ? 2 : 4;
  __m512 acc[6][4];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++) acc[r][b] = _mm512_setzero_ps();
  for (int k = 0; k < K; k++) {
    const unsigned char *row = P + (size_t)k * pw * es;
    __m512 w[4];
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++) w[b] = ld16(row + (size_t)b * 16 * es, bf16);
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      __m512 xv = _mm512_set1_ps(X[(size_t)r * ldx + k]);
#pragma GCC unroll 4
      for (int b = 0; b < NB; b++) acc[r][b] = _mm512_fmadd_ps(xv, w[b], acc[r][b]);
    }
  }
#pragma GCC unroll 4
  for (int b = 0; b < NB; b++) {
    int cols = ncol - 16 * b;
    if (cols <= 0) break;
    __mmask16 mk = cols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1);
    __m512 bv = bias ? _mm512_maskz_loadu_ps(mk, bias + 16 * b) : _mm512_setzero_ps();
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      __m512 v = bias ? _mm512_add_ps(acc[r][b], bv) : acc[r][b];
      _mm512_mask_storeu_ps(C + (size_t)r * ldc + 16 * b, mk, v);
    }
  }
}

#define NK_T16(R)                                                                              \
  __attribute__((target("avx512f"))) static void t16_##R(int NB, const unsigned char *P, int pw, \
                                                          int bf16, int K, const float *X,       \
                                                          int ldx, const float *bias, float *C,  \
                                                          int ldc, int ncol) {                   \
    switch (NB) {                                                                              \
    case 1: tile16(R, 1, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                   \
    case 2: tile16(R, 2, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                   \
    case 3: tile16(R, 3, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                   \
    default: tile16(R, 4, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                  \
    }                                                                                          \
  }
NK_T16(1)
NK_T16(2)
NK_T16(3)
NK_T16(4)
NK_T16(5)
NK_T16(6)

typedef void (*nk_tile_fn)(int, const unsigned char *, int, int, int, const float *, int,
                           const float *, float *, int, int);

static void panel_avx512(const unsigned char *P, int pw, int bf16, int K, int B, const float *X,
                         int ldx, const float *bias, float *C, int ldc, int ncol) {
  static const nk_tile_fn t[7] = {NULL, t16_1, t16_2, t16_3, t16_4, t16_5, t16_6};
  int NB = pw / 16;
  for (int b = 0; b < B; b += 6) {
    int R = B - b < 6 ? B - b : 6;
    t[R](NB, P, pw, bf16, K, X + (size_t)b * ldx, ldx, bias, C + (size_t)b * ldc, ldc, ncol);
  }
}

/* ---- AVX2 + FMA: R rows × NB blocks of 8 columns, panels taken 32 columns at a time */
__attribute__((target("avx2,fma"))) static inline __m256 ld8(const unsigned char *p, int bf16) {
  if (bf16)
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
  return _mm256_loadu_ps((const float *)p);
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
tile8(const int R, const int NB, const unsigned char *P, int pw, int bf16, int K, const float *X,
      int ldx, const float *bias, float *C, int ldc, int ncol) {
  const size_t es = bf16 ? 2 : 4;
  __m256 acc[3][4];
#pragma GCC unroll 3
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++) acc[r][b] = _mm256_setzero_ps();
  for (int k = 0; k < K; k++) {
    const unsigned char *row = P + (size_t)k * pw * es;
    __m256 xv[3];
#pragma GCC unroll 3
    for (int r = 0; r < R; r++) xv[r] = _mm256_broadcast_ss(X + (size_t)r * ldx + k);
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++) {
      __m256 w = ld8(row + (size_t)b * 8 * es, bf16);
#pragma GCC unroll 3
      for (int r = 0; r < R; r++) acc[r][b] = _mm256_fmadd_ps(xv[r], w, acc[r][b]);
    }
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 4
  for (int b = 0; b < NB; b++) {
    int cols = ncol - 8 * b;
    if (cols <= 0) break;
    __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
    __m256 bv = bias ? _mm256_maskload_ps(bias + 8 * b, mk) : _mm256_setzero_ps();
#pragma GCC unroll 3
    for (int r = 0; r < R; r++) {
      __m256 v = bias ? _mm256_add_ps(acc[r][b], bv) : acc[r][b];
      _mm256_maskstore_ps(C + (size_t)r * ldc + 8 * b, mk, v);
    }
  }
}

#define NK_T8(R)                                                                               \
  __attribute__((target("avx2,fma"))) static void t8_##R(int NB, const unsigned char *P, int pw, \
                                                         int bf16, int K, const float *X,        \
                                                         int ldx, const float *bias, float *C,   \
                                                         int ldc, int ncol) {                    \
    switch (NB) {                                                                              \
    case 1: tile8(R, 1, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                    \
    case 2: tile8(R, 2, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                    \
    case 3: tile8(R, 3, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                    \
    default: tile8(R, 4, P, pw, bf16, K, X, ldx, bias, C, ldc, ncol); break;                   \
    }                                                                                          \
  }
NK_T8(1)
NK_T8(2)
NK_T8(3)

static void panel_avx2(const unsigned char *P, int pw, int bf16, int K, int B, const float *X,
                       int ldx, const float *bias, float *C, int ldc, int ncol) {
  static const nk_tile_fn t[4] = {NULL, t8_1, t8_2, t8_3};
  const size_t es = bf16 ? 2 : 4;
  for (int c = 0; c < pw && c < ncol; c += 32) { /* 32 columns of the panel at a time */
    int nb = (pw - c < 32 ? pw - c : 32) / 8, nc = ncol - c < 32 ? ncol - c : 32;
    for (int b = 0; b < B; b += 3) {
      int R = B - b < 3 ? B - b : 3;
      t[R](nb, P + (size_t)c * es, pw, bf16, K, X + (size_t)b * ldx, ldx, bias ? bias + c : NULL,
           C + (size_t)b * ldc + c, ldc, nc);
    }
  }
}
#endif

void nn_panels_gemm(const nn_panels *p, int B, const float *X, int ldx, const float *bias, float *C,
                    int ldc, int isa) {
  const int bf16 = p->wt == NN_WT_BF16;
  const size_t es = elem_size(p->wt);
  if (B <= 0) return;
  for (int q = 0; q * NK_PW < p->Np; q++) {
    int c0 = q * NK_PW, pw = p->Np - c0 < NK_PW ? p->Np - c0 : NK_PW;
    int ncol = p->N - c0 < pw ? p->N - c0 : pw;
    const unsigned char *P = (const unsigned char *)p->data + (size_t)p->K * c0 * es;
    const float *bq = bias ? bias + c0 : NULL;
#ifdef NK_X86
    if (isa >= NN_ISA_AVX512) {
      panel_avx512(P, pw, bf16, p->K, B, X, ldx, bq, C + c0, ldc, ncol);
      continue;
    }
    if (isa == NN_ISA_AVX2) {
      panel_avx2(P, pw, bf16, p->K, B, X, ldx, bq, C + c0, ldc, ncol);
      continue;
    }
#endif
    (void)isa;
    panel_c(P, pw, bf16, p->K, B, X, ldx, bq, C + c0, ldc, ncol);
  }
}

/* ============================== dispatch ======================================================= */

int nn_kernel_isa(void) {
  int isa = NN_ISA_C;
#ifdef NK_X86
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = NN_ISA_AVX2;
  if (isa == NN_ISA_AVX2 && __builtin_cpu_supports("avx512f")) isa = NN_ISA_AVX512;
#endif
  const char *k = getenv("SGP_NN_KERNEL"); /* diagnostic knob: never raises the level */
  if (k && !strcmp(k, "c")) isa = NN_ISA_C;
  if (k && !strcmp(k, "avx2") && isa > NN_ISA_AVX2) isa = NN_ISA_AVX2;
  return isa;
}

const char *nn_isa_name(int isa) {
  return isa == NN_ISA_AVX512 ? "avx512" : isa == NN_ISA_AVX2 ? "avx2" : "c";
}
