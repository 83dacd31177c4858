/* Inference kernels for networks whose weights no longer change (planning, evaluation): packed
 * weight panels and one matrix-product kernel, dispatched at run time to AVX-512, AVX2+FMA or
 * portable C (docs/nn.md, "Inference kernels").
 *
 * The contract that makes lockstep planning exact: in C = X·P (+ bias), every element is ONE
 * fused multiply-add chain over k in increasing order, started from 0, with the bias added last.
 * So a row's result does not depend on how many rows are in the batch, which rows surround it, or
 * which instruction set ran it (AVX-512, AVX2 and C give the same bits).
 *
 * Panels: P (K×N) is stored as ceil(N/64) panels of K rows × (up to) 64 columns, each row of a
 * panel contiguous, N padded with zero columns to a multiple of 16, so that the kernel streams the
 * weights once in order. Weight types: float32, or bfloat16 (the upper 16 bits of the float32,
 * rounded to nearest even; converted back exactly on load): half the bytes for memory-bound
 * small batches, at a relative weight error of at most 2^-9. */
#ifndef SGP_NN_KERNELS_H
#define SGP_NN_KERNELS_H

#include "core/nn.h"

#include <stdint.h>

typedef enum nn_wtype { NN_WT_F32 = 0, NN_WT_BF16 = 1 } nn_wtype;

enum { NN_ISA_C = 0, NN_ISA_AVX2 = 1, NN_ISA_AVX512 = 2 };

typedef struct nn_panels {
  int K, N, Np;   /* Np: N rounded up to a multiple of 16 */
  nn_wtype wt;
  void *data;     /* float or uint16_t, 64-byte aligned */
} nn_panels;

/* P[k][n] = A[k·sk + n·sn] for k < K, n < N (sk, sn: strides, so that W or Wᵀ can be packed). */
void nn_panels_pack(nn_panels *p, const float *A, int K, int N, size_t sk, size_t sn, nn_wtype wt);
void nn_panels_free(nn_panels *p);
size_t nn_panels_bytes(const nn_panels *p);

/* C[b·ldc + n] = Σ_k X[b·ldx + k] P[k][n] (+ bias[n] when bias != NULL) for b < B, n < N, by the
 * kernel of `isa` (a value of nn_kernel_isa() or lower). */
void nn_panels_gemm(const nn_panels *p, int B, const float *X, int ldx, const float *bias, float *C,
                    int ldc, int isa);

/* The best kernel this CPU runs: NN_ISA_AVX512 (avx512f), NN_ISA_AVX2 (avx2 + fma) or NN_ISA_C.
 * SGP_NN_KERNEL=c|avx2|avx512 in the environment lowers it (tests run every path). */
int nn_kernel_isa(void);
const char *nn_isa_name(int isa);

/* ------------------------------------------------------------------ frozen networks */
/* A network packed for inference: every linear layer as forward panels (Wᵀ: K = in, N = out) and
 * input-VJP panels (W: K = out, N = in); LayerNorm, activations and the conditioning gate are the
 * nn_mlp's own. */
typedef struct nn_frozen {
  const nn_mlp *m;
  nn_wtype wt;
  int isa;  /* kernel path (nn_kernel_isa() at freezing; tests lower it) */
  nn_panels fwd[NN_MAX_HIDDEN + 1], vjp[NN_MAX_HIDDEN + 1];
} nn_frozen;

/* Attaches packed inference weights to m (replacing any): from then on nn_forward, and
 * nn_backward's input VJP when it is asked for no parameter gradient, run the inference kernels,
 * whose rows do not depend on the batch. Parameter gradients still use the float32 path. The
 * weights must not change while frozen: nn_thaw first (nn_free thaws too). Returns the frozen
 * copy, owned by m. */
nn_frozen *nn_freeze(nn_mlp *m, nn_wtype wt);
void nn_thaw(nn_mlp *m);
/* Weight bytes one pass streams. */
size_t nn_frozen_bytes(const nn_frozen *f);
/* The frozen network's forward and input VJP (what nn_forward / nn_backward dispatch to). */
void nn_frozen_forward(const nn_frozen *f, nn_ws *ws, int B, const float *x, const int *level,
                       float *y);
void nn_frozen_vjp(const nn_frozen *f, nn_ws *ws, int B, const float *dy, float *dx);

#endif
