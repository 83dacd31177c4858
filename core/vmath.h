/* Vectorised float math for the network's elementwise passes (core/vmath.c; private to the library
 * and its tests, not part of the core.h contract).
 *
 * Every function works on arrays of any length n (no alignment needed), is branch-free and
 * elementwise: an element's result depends on its value only, never on its position or on n, and
 * the same input gives the same bits on every x86-64 CPU (the AVX2 and the baseline builds do the
 * same IEEE operations in the same order, no FMA contraction; only NaN payloads may differ).
 * Outputs may alias inputs exactly.
 * Accuracy against double-precision libm is measured in tests/test_vmath.c (docs/nn.md). */
#ifndef SGP_VMATH_H
#define SGP_VMATH_H

#include <stddef.h>

/* y = e^x. Overflow to +inf above ~88.72, gradual underflow to subnormals and 0 below ~-87.3,
 * NaN in gives NaN out. */
void vm_exp(float *y, const float *x, size_t n);

/* Activations (forward) and their backward passes dx = dy ⊙ f'(x) (dx may alias dy). */
void vm_silu(float *y, const float *x, size_t n);                                 /* x·σ(x) */
void vm_silu_grad(float *dx, const float *dy, const float *x, size_t n);          /* σ(x)(1 + x(1 − σ(x))) */
void vm_elu(float *y, const float *x, size_t n, float alpha);                     /* x > 0 ? x : α(e^x − 1) */
void vm_elu_grad(float *dx, const float *dy, const float *x, size_t n, float alpha); /* x > 0 ? 1 : α e^x */
void vm_tanh(float *y, const float *x, size_t n);
void vm_tanh_grad(float *dx, const float *dy, const float *x, size_t n);          /* 1 − tanh² x */

/* y = expf(x) element by element, the C library's value bit for bit (core/vexpf.c): glibc's
 * algorithm in lanes of doubles where the CPU has AVX2 and FMA and the library gives the same bits
 * on a check made once per process, else the library's expf for each element. Unlike the functions
 * above, its bits are the library's, which may differ between libraries (and between glibc's
 * builds for CPUs with and without FMA). y may alias x exactly. */
void vm_expf_libm(float *y, const float *x, size_t n);
/* 1 if vm_expf_libm runs its vector path in this process. */
int vm_expf_libm_vectorised(void);

#endif
