// ctest-labels: unit datasets
/* Dataset tiers (datasets/tiers.c):
 *  - "concat" is exactly the concatenation of its parts collected on their own with the same seed
 *    (medium-expert = medium ++ expert), simulator states included;
 *  - "replay" regenerates the training rollouts of an ARS checkpoint: as many episodes as the
 *    training ran (2N per iteration), each a rollout of M ± ν δ (the first one's actions are
 *    recomputed here), and the re-run must reproduce the checkpoint: a checkpoint whose M was
 *    changed is rejected;
 *  - bad tier specs fail with the file and field named. */
#include "datasets/dataset.h"
#include "datasets/policy.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int same_rows(const ds_data *a, int64_t ra, const ds_data *b, int64_t rb, int64_t n) {
  return !memcmp(a->x + ra * a->nx, b->x + rb * b->nx, sizeof(float) * n * a->nx) &&
         !memcmp(a->u + ra * a->nu, b->u + rb * b->nu, sizeof(float) * n * a->nu) &&
         !memcmp(a->xnext + ra * a->nx, b->xnext + rb * b->nx, sizeof(float) * n * a->nx) &&
         !memcmp(a->reward + ra, b->reward + rb, sizeof(float) * n) && !memcmp(a->terminal + ra, b->terminal + rb, n) &&
         !memcmp(a->timeout + ra, b->timeout + rb, n) &&
         !memcmp(a->qpos + ra * a->nq, b->qpos + rb * b->nq, sizeof(double) * n * a->nq) &&
         !memcmp(a->qvel + ra * a->nv, b->qvel + rb * b->nv, sizeof(double) * n * a->nv);
}

/* ds_spec_resolve (what sgp collect --reuse compares and a sweep validates) gives exactly the
 * behaviour the collection records in the manifest. */
static int resolves_as_recorded(const char *json, const ds_data *d, sgp_err *e) {
  cJSON *s = NULL;
  if (sgp_json_parse(json, "spec.json", &s, e)) return 0;
  sgp_env *env = NULL;
  int ok = env_create("hopper", NULL, "env", &env, e) == 0 && ds_spec_resolve(s, "spec.json", env, e) == 0 &&
           cJSON_Compare(s, cJSON_GetObjectItem(d->manifest, "behaviour"), 1);
  env_destroy(env);
  cJSON_Delete(s);
  return ok;
}

static int collect(const char *json, const char *name, ds_data *d, sgp_err *e) {
  cJSON *s = NULL;
  if (sgp_json_parse(json, name, &s, e)) return -1;
  ds_collect_opts o = {.seed = 9, .threads = 2, .progress = 0};
  int rc = ds_collect("hopper", NULL, NULL, s, name, &o, d, e);
  cJSON_Delete(s);
  return rc;
}

int main(void) {
  sgp_err e = {{0}};
  char *dir = tu_tmpdir("tiers");
  /* a short ARS run gives two checkpoints: "medium" (iteration 2) and "expert" (iteration 4) */
  ds_ars_cfg c;
  memset(&c, 0, sizeof c);
  c.iterations = 4, c.directions = 3, c.top = 2, c.step_size = 0.02, c.noise = 0.03, c.shift = 1;
  c.episode_length = 60, c.eval_every = 2, c.eval_episodes = 2, c.target_return = NAN, c.medium_fraction = 0.5, c.seed = 1;
  cJSON *cfg_json = NULL;
  sgp_json_parse("{\"iterations\":4,\"directions\":3,\"top\":2,\"step_size\":0.02,\"noise\":0.03,\"shift\":1,"
                 "\"episode_length\":60,\"eval_every\":2,\"eval_episodes\":2,\"medium_fraction\":0.5,\"seed\":1}",
                 "ars.json", &cfg_json, &e);
  char *med = sgp_path_join(dir, "medium.safetensors"), *exp = sgp_path_join(dir, "expert.safetensors");
  {
    /* checkpoints are what `sgp train policy` writes: run 2 and 4 iterations of the same training */
    cJSON *envc = cJSON_CreateObject();
    sgp_env *env = NULL;
    env_create("hopper", envc, "env", &env, &e); /* resolves the config the policy records */
    env_destroy(env);
    ds_ars_opts o = {.threads = 2, .stop_after = -1};
    ds_linear p;
    ds_ars_cfg c2 = c;
    c2.iterations = 4;
    CHECK(ds_ars_train("hopper", envc, &c2, cfg_json, &o, &p, &e) == 0, "ars: %s", e.msg);
    ds_linear_write(exp, &p, &e);
    ds_linear_free(&p);
    /* the iteration-2 checkpoint: the same training stopped after 2 iterations, with the metadata
     * of an evaluation at iteration 2 */
    ds_ars_opts o2 = {.threads = 1, .stop_after = 2};
    ds_episode_rec *eps = NULL;
    int neps = 0;
    o2.replay = &eps, o2.nreplay = &neps;
    CHECK(ds_ars_train("hopper", envc, &c2, cfg_json, &o2, &p, &e) == 0, "ars 2: %s", e.msg);
    char *s = cJSON_PrintUnformatted(envc);
    ds_linear_meta_set(&p, "env_config", s);
    free(s);
    ds_linear_meta_num_set(&p, "iteration", 2);
    ds_linear_write(med, &p, &e);
    CHECK(neps == 2 * 2 * 3, "2 iterations × 2N rollouts recorded: %d", neps);
    for (int i = 0; i < neps; i++) ds_episode_rec_free(&eps[i]);
    free(eps);
    ds_linear_free(&p);
    cJSON_Delete(envc);
  }

  /* ---- concat == parts */
  char js[2048], pm[700], pe[700];
  snprintf(pm, sizeof pm, "{\"type\":\"episodes\",\"n\":700,\"policy\":{\"type\":\"linear\",\"file\":\"%s\"},\"action_noise\":0.1}", med);
  snprintf(pe, sizeof pe, "{\"type\":\"episodes\",\"n\":500,\"policy\":{\"type\":\"linear\",\"file\":\"%s\"}}", exp);
  ds_data dm, de, dme;
  CHECK(collect(pm, "medium.json", &dm, &e) == 0, "medium: %s", e.msg);
  CHECK(collect(pe, "expert.json", &de, &e) == 0, "expert: %s", e.msg);
  snprintf(js, sizeof js, "{\"type\":\"concat\",\"parts\":[%s,%s]}", pm, pe);
  CHECK(collect(js, "medium-expert.json", &dme, &e) == 0, "medium-expert: %s", e.msg);
  CHECK(dme.n == dm.n + de.n && dme.nq == dm.nq && same_rows(&dme, 0, &dm, 0, dm.n) && same_rows(&dme, dm.n, &de, 0, de.n),
        "medium-expert is exactly medium ++ expert (%lld = %lld + %lld rows, bitwise, qpos/qvel included)",
        (long long)dme.n, (long long)dm.n, (long long)de.n);
  CHECK(resolves_as_recorded(js, &dme, &e), "concat: the resolved spec is the manifest's behaviour (%s)", e.msg);
  char *out = sgp_path_join(dir, "me");
  CHECK(ds_write(out, &dme, 0, &e) == 0, "write: %s", e.msg);
  ds_data back;
  CHECK(ds_load(out, &back, &e) == 0, "load: %s", e.msg);
  ds_free(&back);
  ds_free(&dm), ds_free(&de), ds_free(&dme);

  /* ---- replay */
  snprintf(js, sizeof js, "{\"type\":\"replay\",\"file\":\"%s\"}", med);
  ds_data dr;
  CHECK(collect(js, "replay.json", &dr, &e) == 0, "replay: %s", e.msg);
  CHECK(resolves_as_recorded(js, &dr, &e), "replay: the resolved spec is the manifest's behaviour (%s)", e.msg);
  if (dr.n > 0) {
    /* 12 episodes (2 iterations × 2N); the first is M_0 + ν δ_0 = ν δ_0 with identity normalisation */
    int eps = 0, bad = 0;
    for (int64_t i = 0; i < dr.n; i++) eps += dr.terminal[i] || dr.timeout[i];
    sgp_env *env = NULL;
    env_create("hopper", NULL, "env", &env, &e);
    int nx = env->spec.nx, nu = env->spec.nu;
    sgp_rng dirs, r;
    sgp_rng_stream(&dirs, c.seed, "directions");
    sgp_rng_child(&r, &dirs, 0);
    ds_linear w;
    ds_linear_init(&w, nx, nu);
    for (int q = 0; q < nx * nu; q++) w.M[q] = c.noise * sgp_rng_normal(&r);
    for (int64_t i = 0; i < dr.n && i < 60; i++) {
      double x[11], z[11], u[3];
      for (int j = 0; j < nx; j++) x[j] = dr.x[i * nx + j];
      ds_linear_act(&w, x, env->spec.u_lo, env->spec.u_hi, z, u);
      for (int j = 0; j < nu; j++) bad += fabs(u[j] - dr.u[i * nu + j]) > 1e-6;
      if (dr.terminal[i] || dr.timeout[i]) break;
    }
    CHECK(eps == 12, "replay: 12 training episodes (%d)", eps);
    CHECK(bad == 0, "replay: the first episode's actions are those of M_0 + ν δ_0 (%d mismatches)", bad);
    ds_linear_free(&w);
    env_destroy(env);
  }
  ds_free(&dr);
  /* a changed checkpoint is not reproduced */
  {
    ds_linear p;
    ds_linear_read(med, NULL, &p, &e);
    p.M[0] += 1e-12;
    char *chg = sgp_path_join(dir, "changed.safetensors");
    ds_linear_write(chg, &p, &e);
    snprintf(js, sizeof js, "{\"type\":\"replay\",\"file\":\"%s\"}", chg);
    CHECK(collect(js, "replay2.json", &dr, &e) == -1 && strstr(e.msg, "replay2.json") && strstr(e.msg, "reproduce"),
          "a checkpoint the training does not reproduce: %s", e.msg);
    ds_linear_free(&p);
    free(chg);
  }
  /* bad specs */
  CHECK(collect("{\"type\":\"concat\",\"parts\":[]}", "c.json", &dr, &e) == -1 && strstr(e.msg, "c.json: /parts"),
        "empty concat: %s", e.msg);
  CHECK(collect("{\"type\":\"concat\",\"parts\":[{\"type\":\"episodes\",\"n\":10,\"policy\":{\"type\":\"nope\"}}]}", "c.json",
                &dr, &e) == -1 &&
            strstr(e.msg, "c.json: /parts/0"),
        "a bad part names its index: %s", e.msg);
  CHECK(collect("{\"type\":\"replay\",\"policy\":\"nope\"}", "r.json", &dr, &e) == -1 && strstr(e.msg, "r.json"),
        "unknown committed policy: %s", e.msg);
  cJSON_Delete(cfg_json);
  free(med), free(exp), free(out);
  tu_rmtree(dir);
  free(dir);
  return tu_done("test_tiers");
}
