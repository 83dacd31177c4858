// ctest-labels: unit core
/* The vectorised exp and activations of core/vmath.c against double-precision libm, over a dense
 * sweep: a uniform grid on [−110, 95] (step ~2e-4), every binade from the smallest subnormal to
 * 128 of both signs (512 points each), consecutive floats around the edges of the range reduction
 * and of overflow/underflow, and ±0, ±inf, NaN.
 *
 * Errors are in float ulps of the double reference (ulp(v) = 2^(max(⌊log2|v|⌋, −126) − 23), so a
 * subnormal result is judged by the subnormal spacing). The derivatives of SiLU can cross zero,
 * where any float evaluation loses relative accuracy: they are judged in ulps of the sum of the
 * magnitudes of their terms, σ(1 + |x|(1 − σ)). Tolerances: the exp kernel is ~1 ulp (Cephes
 * polynomial, Cody–Waite reduction, no FMA); each function adds a few correctly rounded operations
 * (0.5 ulp each) on top. An exhaustive run over every float with 2^-30 <= |x| < 128 (too slow for
 * a unit test) found at worst: exp 0.99, silu 3.39, elu 1.56, tanh 2.21, silu' 4.36, elu' 1.77,
 * tanh' 4.22 ulps; so 1.5 ulps for exp, 4 for the activations and 6 for their derivatives.
 * Also: NaN in gives NaN out, the infinite limits exactly, sign of zero, bits independent of an
 * element's position and of in-place use, and dx = dy ⊙ f'(x) exactly as documented. */
#include "testutil.h"

#include "core/vmath.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOL_EXP 1.5
#define TOL_ACT 4.0
#define TOL_DER 6.0
#define ALPHA 0.7f

static double ulp_of(double v) {
  if (v == 0) return 0x1p-149;
  int e = ilogb(v);
  return ldexp(1.0, (e < -126 ? -126 : e) - 23);
}

/* ulps between a float result and a double reference; references beyond FLT_MAX must give inf */
static double ulps(float got, double want, double scale) {
  if (isnan(want)) return isnan(got) ? 0 : INFINITY;
  if (fabs(want) > FLT_MAX) return (isinf(got) && (got > 0) == (want > 0)) ? 0 : INFINITY;
  if (!isfinite(got)) return INFINITY;
  return fabs((double)got - want) / ulp_of(fmax(fabs(want), scale));
}

/* ---- double references ---- */
static double r_exp(double x) { return exp(x); }
static double r_silu(double x) { return x / (1 + exp(-x)); }
static double r_elu(double x) { return x > 0 ? x : ALPHA * expm1(x); }
static double r_tanh(double x) { return tanh(x); }
static double r_silu_grad(double x, double *scale) {
  double s = 1 / (1 + exp(-x)), c = 1 / (1 + exp(x)); /* σ and 1 − σ, each without cancellation */
  *scale = s * (1 + fabs(x) * c);
  return s * (1 + x * c);
}
static double r_elu_grad(double x) { return x > 0 ? 1 : ALPHA * exp(x); }
static double r_tanh_grad(double x) {
  double c = cosh(x);
  return 1 / (c * c);
}

static size_t build_inputs(float *x, size_t cap) {
  size_t n = 0;
#define PUSH(v)                        \
  do {                                 \
    if (n < cap) x[n++] = (float)(v);  \
  } while (0)
  const float special[] = {0.0f, -0.0f, 0x1p-149f, -0x1p-149f, FLT_MIN, -FLT_MIN, 1e-30f, -1e-30f, 1e-7f, -1e-7f,
                           1.0f, -1.0f, FLT_MAX, -FLT_MAX, 88.72283935546875f, 88.7228469848632812f, -87.33654f,
                           -103.972077f, -104.0f, -110.0f, 0.34657359f, -0.34657359f, 1e30f, -1e30f};
  for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) PUSH(special[i]);
  for (long k = 0; k <= 1025000; k++) PUSH(-110.0 + k * 2e-4); /* the grid */
  for (int e = -149; e <= 7; e++)                                 /* every binade */
    for (int j = 0; j < 512; j++) {
      double v = ldexp(1.0 + j / 512.0, e);
      PUSH(v);
      PUSH(-v);
    }
  /* consecutive floats around the edges: overflow, underflow to subnormal and to 0, the first
   * range-reduction step, the tanh/expm1 switch points, the argument doubling of tanh */
  const float edge[] = {88.7228394f, -87.3365479f, -103.278931f, -103.972077f, 0.34657359f, -0.34657359f,
                        1.03972077f, -1.03972077f, 44.3614197f, -44.3614197f, 51.9860382f, -51.9860382f};
  for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
    float v = edge[i];
    for (int k = 0; k < 1500; k++) v = nextafterf(v, -INFINITY);
    for (int k = 0; k < 3000; k++, v = nextafterf(v, INFINITY)) PUSH(v);
  }
#undef PUSH
  return n;
}

typedef struct worst {
  double err;
  float at;
} worst;

static void note(worst *w, double err, float x) {
  if (err > w->err || (isinf(err) && !isinf(w->err))) w->err = err, w->at = x;
}

static void report(const char *what, worst w, double tol) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s (ulps, worst at x = %.9g)", what, (double)w.at);
  CHECK_WORST(buf, w.err, tol);
}

static int same_bits(const float *a, const float *b, size_t n) { return !memcmp(a, b, n * sizeof(float)); }

int main(void) {
  const size_t cap = 1300000;
  float *x = sgp_falloc(cap), *y = sgp_falloc(cap), *one = sgp_falloc(cap);
  size_t n = build_inputs(x, cap);
  CHECK(n < cap, "input buffer too small");
  printf("%zu inputs\n", n);
  for (size_t i = 0; i < n; i++) one[i] = 1.0f;

  worst w[7];
  memset(w, 0, sizeof w);
  vm_exp(y, x, n);
  for (size_t i = 0; i < n; i++) note(&w[0], ulps(y[i], r_exp(x[i]), 0), x[i]);
  vm_silu(y, x, n);
  for (size_t i = 0; i < n; i++) note(&w[1], ulps(y[i], r_silu(x[i]), 0), x[i]);
  vm_elu(y, x, n, ALPHA);
  for (size_t i = 0; i < n; i++) note(&w[2], ulps(y[i], r_elu(x[i]), 0), x[i]);
  vm_tanh(y, x, n);
  for (size_t i = 0; i < n; i++) note(&w[3], ulps(y[i], r_tanh(x[i]), 0), x[i]);
  vm_silu_grad(y, one, x, n);
  for (size_t i = 0; i < n; i++) {
    double sc, g = r_silu_grad(x[i], &sc);
    note(&w[4], ulps(y[i], g, sc), x[i]);
  }
  vm_elu_grad(y, one, x, n, ALPHA);
  for (size_t i = 0; i < n; i++) note(&w[5], ulps(y[i], r_elu_grad(x[i]), 0), x[i]);
  vm_tanh_grad(y, one, x, n);
  for (size_t i = 0; i < n; i++) note(&w[6], ulps(y[i], r_tanh_grad(x[i]), 0), x[i]);
  report("exp vs libm exp (double)", w[0], TOL_EXP);
  report("silu vs x/(1+exp(-x)) (double)", w[1], TOL_ACT);
  report("elu vs alpha*expm1 (double)", w[2], TOL_ACT);
  report("tanh vs libm tanh (double)", w[3], TOL_ACT);
  report("silu' vs double (ulps of sigma(1+|x|(1-sigma)))", w[4], TOL_DER);
  report("elu' vs alpha*exp (double)", w[5], TOL_DER);
  report("tanh' vs 1/cosh^2 (double)", w[6], TOL_DER);

  /* NaN, infinities and signed zeros, exactly */
  float sx[5] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f}, sy[5], sd[5], so[5] = {1, 1, 1, 1, 1};
  vm_exp(sy, sx, 5);
  CHECK(isnan(sy[0]) && sy[1] == INFINITY && sy[2] == 0 && sy[3] == 1 && sy[4] == 1, "exp specials");
  vm_silu(sy, sx, 5);
  vm_silu_grad(sd, so, sx, 5);
  CHECK(isnan(sy[0]) && sy[1] == INFINITY && sy[2] == 0 && sy[3] == 0 && !signbit(sy[3]) && sy[4] == 0 &&
            signbit(sy[4]),
        "silu specials: %g %g %g %g %g", sy[0], sy[1], sy[2], sy[3], sy[4]);
  CHECK(isnan(sd[0]) && sd[1] == 1 && sd[2] == 0 && sd[3] == 0.5f && sd[4] == 0.5f, "silu' specials");
  vm_elu(sy, sx, 5, ALPHA);
  vm_elu_grad(sd, so, sx, 5, ALPHA);
  CHECK(isnan(sy[0]) && sy[1] == INFINITY && sy[2] == -ALPHA && sy[3] == 0 && signbit(sy[4]), "elu specials");
  CHECK(isnan(sd[0]) && sd[1] == 1 && sd[2] == 0 && sd[3] == ALPHA && sd[4] == ALPHA, "elu' specials");
  vm_tanh(sy, sx, 5);
  vm_tanh_grad(sd, so, sx, 5);
  CHECK(isnan(sy[0]) && sy[1] == 1 && sy[2] == -1 && sy[3] == 0 && !signbit(sy[3]) && signbit(sy[4]),
        "tanh specials");
  CHECK(isnan(sd[0]) && sd[1] == 0 && sd[2] == 0 && sd[3] == 1 && sd[4] == 1, "tanh' specials");

  /* position independence and in-place use: a window of the sweep evaluated at every offset and
   * length 1..19 (body and tail), in place, against the whole-array result; and dx = dy ⊙ f'(x) */
  enum { W = 4096 };
  float *xs = x + 1000000, *ref = sgp_falloc(W), *dy = sgp_falloc(W), *g1 = sgp_falloc(W), *buf = sgp_falloc(W);
  sgp_rng r;
  sgp_rng_stream(&r, 1, "vmath");
  sgp_rng_fill_normal(&r, dy, W, 0, 1);
  int pos_ok = 1, dy_ok = 1;
  for (int f = 0; f < 7; f++) {
    switch (f) {
    case 0: vm_exp(ref, xs, W); break;
    case 1: vm_silu(ref, xs, W); break;
    case 2: vm_elu(ref, xs, W, ALPHA); break;
    case 3: vm_tanh(ref, xs, W); break;
    case 4: vm_silu_grad(ref, dy, xs, W), vm_silu_grad(g1, one, xs, W); break;
    case 5: vm_elu_grad(ref, dy, xs, W, ALPHA), vm_elu_grad(g1, one, xs, W, ALPHA); break;
    default: vm_tanh_grad(ref, dy, xs, W), vm_tanh_grad(g1, one, xs, W); break;
    }
    if (f >= 4)
      for (int i = 0; i < W; i++) {
        float want = dy[i] * g1[i];
        dy_ok &= !memcmp(&want, &ref[i], sizeof want);
      }
    for (int off = 0; off + 19 <= W; off += 37) {
      size_t len = 1 + (size_t)off % 19;
      memcpy(buf, f >= 4 ? dy + off : xs + off, len * sizeof(float)); /* in place: dx over dy, y over x */
      switch (f) {
      case 0: vm_exp(buf, buf, len); break;
      case 1: vm_silu(buf, buf, len); break;
      case 2: vm_elu(buf, buf, len, ALPHA); break;
      case 3: vm_tanh(buf, buf, len); break;
      case 4: vm_silu_grad(buf, buf, xs + off, len); break;
      case 5: vm_elu_grad(buf, buf, xs + off, len, ALPHA); break;
      default: vm_tanh_grad(buf, buf, xs + off, len); break;
      }
      pos_ok &= same_bits(buf, ref + off, len);
    }
  }
  CHECK(pos_ok, "results depend on an element's position, the array length or in-place use");
  CHECK(dy_ok, "dx differs from dy * f'(x)");

  free(x), free(y), free(one), free(ref), free(dy), free(g1), free(buf);
  return tu_done("test_vmath");
}
