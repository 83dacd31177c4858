// ctest-labels: unit datasets
/* Datasets of every environment: cartpole's box [−5,5]×[−π,1.5π]×[−8,8]×[−12,12] holds for x and
 * x' on every row; pixels' box data decode outside the disk and inside the box; image actions
 * decode to the sampled displacement range; numpy.load reads a dataset as is (SKIP without numpy). */
#include "datasets/dataset.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int collect(const char *env, const char *cfg_json, const char *spec_json, int threads, ds_data *out,
                   sgp_err *e) {
  cJSON *spec = NULL, *cfg = NULL;
  if (sgp_json_parse(spec_json, "spec.json", &spec, e)) return -1;
  if (cfg_json && sgp_json_parse(cfg_json, "cfg.json", &cfg, e)) return -1;
  ds_collect_opts o = {7, threads, 0};
  int rc = ds_collect(env, cfg, "cfg.json", spec, "spec.json", &o, out, e);
  cJSON_Delete(spec);
  cJSON_Delete(cfg);
  return rc;
}

int main(void) {
  sgp_err e = {{0}};
  /* ---- cartpole */
  {
    ds_data d;
    CHECK(collect("cartpole", NULL, "{\"type\":\"box\",\"n\":3000}", 2, &d, &e) == 0, "cartpole: %s", e.msg);
    const double lo[4] = {-5, -M_PI, -8, -12}, hi[4] = {5, 1.5 * M_PI, 8, 12};
    long bad = 0;
    for (int64_t i = 0; i < d.n; i++) {
      for (int k = 0; k < 4; k++) {
        /* bounds compared in float, as stored */
        bad += !(d.x[4 * i + k] >= (float)lo[k] && d.x[4 * i + k] <= (float)hi[k]);
        bad += !(d.xnext[4 * i + k] >= (float)lo[k] && d.xnext[4 * i + k] <= (float)hi[k]);
      }
      bad += !(fabsf(d.u[i]) <= 80);
    }
    CHECK(bad == 0, "cartpole: x, x' in the box and |u| <= 80 on every row (%ld violations)", bad);
    cJSON *jc = cJSON_GetObjectItem(d.manifest, "collection");
    printf("  cartpole: %g attempts for %lld rows (x' left the box %g times)\n",
           cJSON_GetObjectItem(jc, "attempts")->valuedouble, (long long)d.n,
           cJSON_GetObjectItem(jc, "rejected_next_outside_box")->valuedouble);
    CHECK(cJSON_GetObjectItem(jc, "rejected_next_outside_box")->valuedouble > 0, "some x' left the box");
    ds_free(&d);
  }
  /* ---- pixels (image actions) */
  {
    ds_data d;
    const char *cfg = "{\"resolution\":8,\"image_action\":true}";
    CHECK(collect("pixels", cfg, "{\"type\":\"box\",\"n\":600}", 2, &d, &e) == 0, "pixels: %s", e.msg);
    CHECK(d.nx == 64 && d.nu == 64, "pixels dims");
    sgp_env *env = NULL;
    cJSON *j = NULL;
    sgp_json_parse(cfg, "cfg", &j, &e);
    env_create("pixels", j, "cfg", &env, &e);
    cJSON_Delete(j);
    long bad = 0;
    double xs[64], p[2], a[2], worst_replay = 0, xr[64], r;
    int term;
    for (int64_t i = 0; i < d.n; i++) {
      for (int k = 0; k < 64; k++) xs[k] = d.x[64 * i + k];
      env_state_to_box(env, xs, p);
      bad += hypot(p[0], p[1]) < 0.4 || fabs(p[0]) > 1 + 1e-6 || fabs(p[1]) > 1 + 1e-6;
      for (int k = 0; k < 64; k++) xs[k] = d.xnext[64 * i + k];
      env_state_to_box(env, xs, p);
      bad += fabs(p[0]) > 1 + 1e-6 || fabs(p[1]) > 1 + 1e-6;
      for (int k = 0; k < 64; k++) xs[k] = d.u[64 * i + k];
      env_action_to_box(env, xs, a);
      bad += fabs(a[0]) > 0.1 + 1e-6 || fabs(a[1]) > 0.1 + 1e-6;
      if (i % 10 == 0) {
        double xx[64], uu[64];
        for (int k = 0; k < 64; k++) {
          xx[k] = d.x[64 * i + k];
          uu[k] = d.u[64 * i + k];
        }
        env_set_state(env, xx, &e);
        env_step(env, uu, xr, &r, &term, &e);
        for (int k = 0; k < 64; k++) worst_replay = fmax(worst_replay, fabs((float)xr[k] - d.xnext[64 * i + k]));
      }
    }
    CHECK(bad == 0, "pixels: decoded x outside the disk, x and x' in the box, actions in bounds (%ld violations)", bad);
    CHECK_WORST("pixels: replaying stored (x, u) gives the stored x'", worst_replay, 0);
    env_destroy(env);

    /* numpy reads the directory as is */
    const char *py = tu_python_numpy();
    if (!py) {
      printf("SKIP numpy.load check: no python3 with numpy\n");
    } else {
      char *tmp = tu_tmpdir("dsnp"), *dir = sgp_path_join(tmp, "px"), cmd[4096], outb[4096];
      CHECK(ds_write(dir, &d, 0, &e) == 0, "write: %s", e.msg);
      snprintf(cmd, sizeof cmd,
               "%s -c \"import numpy as np, json, sys; d=sys.argv[1]; m=json.load(open(d+'/manifest.json'));"
               "x=np.load(d+'/x.npy'); u=np.load(d+'/u.npy'); t=np.load(d+'/timeout.npy');"
               "assert x.shape==(m['n'],m['nx']) and x.dtype==np.float32 and u.shape==(m['n'],m['nu']) and t.dtype==np.uint8;"
               "assert abs(float(x.mean(0)[5])-m['stats']['x']['mean'][5])<1e-5; print('numpy ok', x.shape)\" %s",
               py, dir);
      int rc = tu_system(cmd, outb, sizeof outb);
      printf("  %s", outb);
      CHECK(rc == 0, "numpy.load reads the dataset: %s", outb);
      tu_rmtree(tmp);
      free(dir);
      free(tmp);
    }
    ds_free(&d);
  }
  /* ---- the verbs: sgp collect (threads, refusal, --force), sgp check */
  {
    const char *prog = tu_prog();
    if (!prog || !sgp_path_exists(prog)) {
      printf("SKIP sgp collect/check: the program is not built\n");
    } else {
      char *tmp = tu_tmpdir("dscli"), cmd[4096], outb[4096];
      char *spec = sgp_path_join(tmp, "spec.json");
      const char *st = "{\"type\":\"box\",\"n\":5000}";
      sgp_write_file_atomic(spec, st, strlen(st), &e);
      snprintf(cmd, sizeof cmd, "%s collect point --spec %s --seed 3 --out %s/a --threads 1 --quiet 2>&1 && "
               "%s collect point --spec %s --seed 3 --out %s/b --threads 2 --quiet 2>&1 && "
               "cmp %s/a/x.npy %s/b/x.npy && cmp %s/a/manifest.json %s/b/manifest.json 2>&1",
               prog, spec, tmp, prog, spec, tmp, tmp, tmp, tmp, tmp);
      CHECK(tu_system(cmd, outb, sizeof outb) == 0, "sgp collect: same files with 1 and 2 threads: %s", outb);
      snprintf(cmd, sizeof cmd, "%s collect point --spec %s --seed 4 --out %s/a --quiet 2>&1", prog, spec, tmp);
      int rc = tu_system(cmd, outb, sizeof outb);
      printf("  existing output: rc %d: %s", rc, outb);
      CHECK(rc != 0 && strstr(outb, "already exists"), "sgp collect refuses to overwrite");
      snprintf(cmd, sizeof cmd, "%s collect point --spec %s --seed 4 --out %s/a --quiet --force 2>&1 && %s check %s/a 2>&1", prog,
               spec, tmp, prog, tmp);
      rc = tu_system(cmd, outb, sizeof outb);
      CHECK(rc == 0 && strstr(outb, "valid dataset") && strstr(outb, "seed 4"), "--force replaces; check: %s", outb);
      snprintf(cmd, sizeof cmd, "%s collect point --spec %s --seed 4 --out %s/c --bogus 2>&1", prog, spec, tmp);
      CHECK(tu_system(cmd, outb, sizeof outb) == 2 && strstr(outb, "unknown option"), "unknown option: %s", outb);
      snprintf(cmd, sizeof cmd, "%s check %s/a/x.npy 2>&1", prog, tmp);
      CHECK(tu_system(cmd, outb, sizeof outb) == 0 && strstr(outb, "float32 (5000, 2)"), "check x.npy: %s", outb);
      tu_rmtree(tmp);
      free(spec);
      free(tmp);
    }
  }
  return tu_done("test_dataset_envs");
}
