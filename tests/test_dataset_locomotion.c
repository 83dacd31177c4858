// ctest-labels: unit datasets
/* Datasets of the locomotion environments store MuJoCo's qpos and qvel beside x:
 *  - every row's (qpos, qvel) restores the state exactly: the observation equals x, and one step
 *    with u reproduces x' and the reward;
 *  - episodes continue the simulation (x' of a row is x of the next row within an episode);
 *  - the arrays survive ds_write/ds_load, and a changed qpos.npy is caught by its hash;
 *  - the "linear" behaviour policy acts as ds_linear_act and the manifest records its hash. */
#include "datasets/dataset.h"
#include "datasets/policy.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  sgp_err e = {{0}};
  cJSON *spec = NULL;
  sgp_json_parse("{\"type\":\"episodes\",\"n\":1500,\"policy\":{\"type\":\"uniform\"}}", "spec", &spec, &e);
  ds_collect_opts o = {.seed = 4, .threads = 2, .progress = 0};
  ds_data d;
  CHECK(ds_collect("hopper", NULL, NULL, spec, "spec", &o, &d, &e) == 0, "collect: %s", e.msg);
  CHECK(d.qpos && d.qvel && d.nq == 6 && d.nv == 6, "qpos, qvel stored (nq %d, nv %d)", d.nq, d.nv);
  sgp_env *env = NULL;
  env_create("hopper", NULL, "cfg", &env, &e);
  int nx = d.nx, nu = d.nu, bad_x = 0, bad_step = 0, bad_chain = 0, nterm = 0;
  for (int64_t i = 0; i < d.n; i++) {
    double x[11], xn[11], u[3], r;
    int term;
    env_set_sim_state(env, d.qpos + i * d.nq, d.qvel + i * d.nv, &e);
    env_get_state(env, x);
    for (int j = 0; j < nx; j++) bad_x += (float)x[j] != d.x[i * nx + j];
    for (int j = 0; j < nu; j++) u[j] = d.u[i * nu + j];
    env_step(env, u, xn, &r, &term, &e);
    for (int j = 0; j < nx; j++) bad_step += (float)xn[j] != d.xnext[i * nx + j];
    bad_step += (float)r != d.reward[i] || term != d.terminal[i];
    nterm += term;
    if (i + 1 < d.n && !d.terminal[i] && !d.timeout[i])
      for (int j = 0; j < nx; j++) bad_chain += d.xnext[i * nx + j] != d.x[(i + 1) * nx + j];
  }
  printf("  %lld rows, %d terminal\n", (long long)d.n, nterm);
  CHECK(bad_x == 0, "observation of the stored qpos, qvel = x: %d mismatches", bad_x);
  CHECK(bad_step == 0, "step from the stored state reproduces x', reward, terminal: %d mismatches", bad_step);
  CHECK(bad_chain == 0, "x' of a row is x of the next within an episode: %d mismatches", bad_chain);
  CHECK(nterm > 10, "episodes end by falling");

  char *dir = tu_tmpdir("dsloco"), *out = sgp_path_join(dir, "d");
  CHECK(ds_write(out, &d, 0, &e) == 0, "write: %s", e.msg);
  ds_data l;
  CHECK(ds_load(out, &l, &e) == 0, "load: %s", e.msg);
  CHECK(l.qpos && l.nq == d.nq && !memcmp(l.qpos, d.qpos, sizeof(double) * d.n * d.nq) &&
            !memcmp(l.qvel, d.qvel, sizeof(double) * d.n * d.nv),
        "qpos, qvel round trip");
  ds_free(&l);
  /* tamper with one value of qpos.npy: the hash catches it */
  char *qp = sgp_path_join(out, "qpos.npy");
  sgp_array a;
  sgp_npy_read(qp, &a, &e);
  ((double *)a.data)[7] += 1e-9;
  sgp_npy_write(qp, &a, &e);
  sgp_array_free(&a);
  CHECK(ds_load(out, &l, &e) == -1 && strstr(e.msg, "qpos.npy") && strstr(e.msg, "SHA-256"), "changed qpos.npy: %s", e.msg);
  free(qp);

  /* the linear behaviour policy: a policy file of ours, acting through the collector */
  ds_linear p;
  ds_linear_init(&p, nx, nu);
  for (int i = 0; i < nx * nu; i++) p.M[i] = 0.3 * sin(1.0 + i);
  for (int i = 0; i < nx; i++) p.mean[i] = 0.01 * i, p.inv_std[i] = 1 + 0.1 * i;
  ds_linear_meta_num_set(&p, "return_mean", 12.5);
  char *pp = sgp_path_join(dir, "pol.safetensors");
  ds_linear_write(pp, &p, &e);
  char js[1024];
  snprintf(js, sizeof js, "{\"type\":\"episodes\",\"n\":300,\"policy\":{\"type\":\"linear\",\"file\":\"%s\"}}", pp);
  cJSON *s2 = NULL;
  sgp_json_parse(js, "spec2", &s2, &e);
  ds_data d2;
  CHECK(ds_collect("hopper", NULL, NULL, s2, "spec2", &o, &d2, &e) == 0, "collect linear: %s", e.msg);
  int bad_u = 0;
  for (int64_t i = 0; i < d2.n; i++) {
    double x[11], z[11], u[3];
    for (int j = 0; j < nx; j++) x[j] = d2.x[i * nx + j];
    ds_linear_act(&p, x, env->spec.u_lo, env->spec.u_hi, z, u);
    for (int j = 0; j < nu; j++) bad_u += (float)u[j] != d2.u[i * nu + j];
  }
  CHECK(bad_u == 0, "collected actions = the linear policy's: %d mismatches", bad_u);
  const cJSON *pol = cJSON_GetObjectItem(cJSON_GetObjectItem(d2.manifest, "behaviour"), "policy");
  char hex[65];
  sgp_sha256_file_hex(pp, hex, &e);
  CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(pol, "sha256")), hex) &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(pol, "return_mean")), "12.5"),
        "the manifest records the policy file's hash and return");
  /* a pinned hash that does not match */
  snprintf(js, sizeof js, "{\"type\":\"episodes\",\"n\":300,\"policy\":{\"type\":\"linear\",\"file\":\"%s\",\"sha256\":\"00\"}}", pp);
  cJSON *s3 = NULL;
  sgp_json_parse(js, "spec3.json", &s3, &e);
  ds_data d3;
  CHECK(ds_collect("hopper", NULL, NULL, s3, "spec3.json", &o, &d3, &e) == -1 && strstr(e.msg, "spec3.json") &&
            strstr(e.msg, "sha256"),
        "a pinned hash that does not match: %s", e.msg);
  cJSON *s4 = NULL;
  sgp_json_parse("{\"type\":\"episodes\",\"n\":300,\"policy\":{\"type\":\"linear\",\"policy\":\"nope\"}}", "spec4.json", &s4, &e);
  CHECK(ds_collect("hopper", NULL, NULL, s4, "spec4.json", &o, &d3, &e) == -1 && strstr(e.msg, "spec4.json: /policy/policy"),
        "unknown committed policy: %s", e.msg);
  cJSON_Delete(s2), cJSON_Delete(s3), cJSON_Delete(s4);
  ds_free(&d2);
  ds_linear_free(&p);
  free(pp);
  tu_rmtree(dir);
  free(dir);
  free(out);
  ds_free(&d);
  env_destroy(env);
  cJSON_Delete(spec);
  return tu_done("test_dataset_locomotion");
}
