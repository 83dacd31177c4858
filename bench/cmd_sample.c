/* sgp sample --model FILE --n N --steps K --eps E --seed S --out FILE.npy
 * Annealed Langevin samples from a score model (Song & Ermon 2019; agents/score.c), a diagnostic:
 * samples that look like the data say the score is right where it matters. */
#include "agents/score.h"
#include "bench/cli.h"
#include "core/array.h"
#include "core/err.h"
#include "core/norm.h"
#include "core/npy.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/sys.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f, "usage: sgp sample --model FILE.safetensors --out FILE.npy [--n N] [--steps K] [--eps E]\n"
             "                  [--seed S] [--threads N]\n"
             "  Annealed Langevin dynamics with a score model: for each noise level l (largest first), K steps\n"
             "    z <- z + (a_l/2) s_l(z) + sqrt(a_l) xi,   a_l = E sigma_l^2 / sigma_L^2\n"
             "  in the model's normalised coordinates, from z ~ N(0, (1 + sigma_1^2) I) there. Writes an\n"
             "  N x D float32 .npy in physical units and prints the samples' mean and spread beside the\n"
             "  data's (from the model's normaliser).\n"
             "options:\n"
             "  --n N        samples (default 1000)\n"
             "  --steps K    steps per level (default 100)\n"
             "  --eps E      step size at the smallest level, normalised units (default 0.2 sigma_L^2)\n"
             "  --seed S     (default 0)\n"
             "  --threads N  OpenBLAS threads (default 1)\n"
             "example:\n"
             "  sgp sample --model models/circle_ncsn.safetensors --n 2000 --steps 100 --out samples.npy\n");
}

static int num_opt(int argc, char **argv, const char *flag, double lo, double hi, double *v) {
  const char *s = cli_opt(argc, argv, flag);
  if (!s) return 0;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (*end || errno || !(x >= lo && x <= hi)) {
    fprintf(stderr, "sgp sample: %s: expected a number in [%g, %g], got '%s'\n", flag, lo, hi, s);
    return 2;
  }
  *v = x;
  return 0;
}

int cmd_sample(int argc, char **argv) {
  static const char *const valued[] = {"--model", "--n", "--steps", "--eps", "--seed", "--out", "--threads", NULL};
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  int rc = cli_parse("sample", argc, argv, valued, NULL, 0, 0, NULL, NULL);
  if (rc) return rc;
  const char *model = cli_opt(argc, argv, "--model"), *out = cli_opt(argc, argv, "--out");
  static const char *const required[] = {"--model", "--out", NULL};
  if ((rc = cli_require("sample", argc, argv, required))) return rc;
  double n = 1000, steps = 100, eps = -1, seed = 0, threads = 1;
  if ((rc = num_opt(argc, argv, "--n", 1, 1e8, &n)) || (rc = num_opt(argc, argv, "--steps", 1, 1e7, &steps)) ||
      (rc = num_opt(argc, argv, "--eps", 1e-30, 1e6, &eps)) ||
      (rc = num_opt(argc, argv, "--seed", 0, 9007199254740991.0, &seed)) ||
      (rc = num_opt(argc, argv, "--threads", 1, 1024, &threads)))
    return rc;
  if (n != floor(n) || steps != floor(steps) || seed != floor(seed) || threads != floor(threads)) {
    fprintf(stderr, "sgp sample: --n, --steps, --seed and --threads must be whole numbers\n");
    return 2;
  }
  sgp_blas_set_threads((int)threads);
  if ((rc = cli_prepare_out("sample", out, 0))) return rc;
  sgp_err e = {{0}};
  score_model *m = score_load(model, &e);
  if (!m) return cli_error("sample", &e);
  const int D = m->dim, L = m->cfg.nlevels, B = (int)n;
  const float sL = m->sigma[L - 1];
  if (eps < 0) eps = 0.2 * sL * sL;

  sgp_rng r;
  sgp_rng_stream(&r, (uint64_t)seed, "langevin");
  float *z = sgp_falloc((size_t)B * D);
  float sd0 = sqrtf(1.0f + m->sigma[0] * m->sigma[0]);
  sgp_rng_fill_normal(&r, z, (size_t)B * D, 0.0f, sd0);
  sgp_norm_invert(&m->norm, (size_t)B, z, z); /* start in physical units */
  score_ws *w = score_ws_create(m, B < 4096 ? B : 4096);
  double t0 = sgp_now();
  score_langevin(m, w, B, z, (int)steps, (float)eps, &r);
  double secs = sgp_now() - t0;
  if (!sgp_all_finite_f(z, (size_t)B * D)) {
    sgp_fail(&e, "%s: Langevin diverged (non-finite samples); try a smaller --eps than %g", model, eps);
    rc = cli_error("sample", &e);
  } else {
    int64_t shape[2] = {B, D};
    if (sgp_npy_write_raw(out, SGP_F32, 2, shape, z, &e)) {
      rc = cli_error("sample", &e);
    } else {
      printf("sgp sample: %d samples x %d dims, %d levels x %d steps, eps %.3g, %.1f s -> %s\n", B, D, L,
             (int)steps, eps, secs, out);
      printf("  dim   sample mean  data mean   sample std   data std\n");
      for (int k = 0; k < D && k < 12; k++) {
        double s1 = 0, s2 = 0;
        for (int b = 0; b < B; b++) s1 += z[(size_t)b * D + k];
        s1 /= B;
        for (int b = 0; b < B; b++) s2 += (z[(size_t)b * D + k] - s1) * (z[(size_t)b * D + k] - s1);
        printf("  %3d  %11.4g  %10.4g  %11.4g  %9.4g\n", k, s1, m->norm.shift[k], sqrt(s2 / B), m->norm.scale[k]);
      }
      if (D > 12) printf("  ... (%d dims)\n", D);
    }
  }
  free(z);
  score_ws_free(w);
  score_free(m);
  return rc;
}
