/* sgp collect ENV --spec FILE.json --seed S --out DIR: an offline dataset from an environment
 * (docs/datasets.md). Deterministic whatever --threads; written atomically. */
#include "bench/cli.h"
#include "datasets/dataset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp collect ENV --spec SPEC.json --seed S --out DIR [--env-config CFG.json] [--force]\n"
          "                   [--threads N] [--quiet]\n"
          "  Collects the transitions described by SPEC (a behaviour spec: \"box\" or \"episodes\", with n)\n"
          "  from environment ENV (sgp list) and writes the dataset directory DIR (x.npy, u.npy, xnext.npy,\n"
          "  reward.npy, terminal.npy, timeout.npy, manifest.json). The bytes depend only on ENV, its\n"
          "  config, SPEC and S, not on --threads (default: all %d cores). DIR is written to a temporary\n"
          "  directory and renamed into place; an existing DIR is replaced only with --force.\n"
          "  example:\n"
          "    sgp collect point --spec datasets/specs/point_box.json --seed 0 --out data/point\n"
          "    sgp collect point --env-config cfg.json --spec datasets/specs/point_episodes.json --seed 1 --out data/pe\n",
          ds_ncores());
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int cmd_collect(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--spec", "--seed", "--out", "--env-config", "--threads", NULL};
  static const char *const boolean[] = {"--force", "--quiet", NULL};
  const char *pos[1];
  int npos = 0;
  int rc = cli_parse("collect", argc, argv, valued, boolean, 1, 1, pos, &npos);
  if (rc) return rc;
  const char *spec_file = cli_opt(argc, argv, "--spec"), *out = cli_opt(argc, argv, "--out");
  const char *seed_s = cli_opt(argc, argv, "--seed"), *cfg_file = cli_opt(argc, argv, "--env-config");
  const char *threads_s = cli_opt(argc, argv, "--threads");
  static const char *const required[] = {"--spec", "--seed", "--out", NULL};
  if ((rc = cli_require("collect", argc, argv, required))) return rc;
  ds_collect_opts o = {0, 0, !cli_flag(argc, argv, "--quiet")};
  if (parse_u64(seed_s, &o.seed)) {
    fprintf(stderr, "sgp collect: --seed: expected a non-negative integer, got '%s'\n", seed_s);
    return 2;
  }
  if (threads_s) {
    char *end;
    long t = strtol(threads_s, &end, 10);
    if (*end || t < 1 || t > 1024) {
      fprintf(stderr, "sgp collect: --threads: expected an integer in [1, 1024], got '%s'\n", threads_s);
      return 2;
    }
    o.threads = (int)t;
  }
  sgp_err e = {{0}};
  if (!env_find(pos[0])) return cli_unknown_env("collect", pos[0]);
  if (sgp_path_exists(out) && !cli_flag(argc, argv, "--force")) {
    sgp_fail(&e, "%s: already exists (use --force to replace it)", out);
    return cli_error("collect", &e);
  }
  if ((rc = cli_prepare_out("collect", out, 1))) return rc;
  cJSON *spec = NULL, *cfg = NULL;
  if (sgp_json_load(spec_file, &spec, &e)) return cli_error("collect", &e);
  if (cfg_file && sgp_json_load(cfg_file, &cfg, &e)) {
    cJSON_Delete(spec);
    return cli_error("collect", &e);
  }
  ds_data d;
  double t0 = sgp_now();
  rc = ds_collect(pos[0], cfg, cfg_file ? cfg_file : "--env-config", spec, spec_file, &o, &d, &e);
  if (rc == 0) {
    double t1 = sgp_now();
    rc = ds_write(out, &d, cli_flag(argc, argv, "--force"), &e);
    if (rc == 0)
      printf("sgp collect: %lld transitions of %s (nx %d, nu %d) in %.2f s -> %s\n", (long long)d.n, pos[0], d.nx,
             d.nu, t1 - t0, out);
    ds_free(&d);
  }
  cJSON_Delete(spec);
  cJSON_Delete(cfg);
  return rc ? cli_error("collect", &e) : 0;
}
