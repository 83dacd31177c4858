// ctest-labels: slow agents
/* sgp train dynamics | ensemble | cost end to end on small cartpole datasets collected with
 * sgp collect: deterministic files for a seed (byte comparison), other seeds differ, the ensemble
 * is one file loaded as K members, the rollout loss uses the episode data and is refused on box
 * data, the loaded models fit the environment (cartpole) and are rejected for another (point), and
 * bad configs / data give one-line errors naming the file and field. */
#include "testutil.h"
#include "agents/models.h"
#include "datasets/dataset.h"
#include "envs/env.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char outb[8192];

static int run(const char *fmt, const char *a, const char *b, const char *c, const char *d) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, fmt, a, b, c, d);
  return tu_system(cmd, outb, sizeof outb);
}

static void put(const char *dir, const char *name, const char *text) {
  sgp_err e;
  char *p = sgp_path_join(dir, name);
  if (sgp_write_file_atomic(p, text, strlen(text), &e)) fprintf(stderr, "%s\n", e.msg);
  free(p);
}

int main(void) {
  const char *prog = tu_prog();
  if (!prog || !sgp_path_exists(prog)) {
    printf("SKIP: the sgp program is not built (%s)\n", prog ? prog : "?");
    return tu_done("test_dynamics_cli");
  }
  char *t = tu_tmpdir("dyncli");
  put(t, "ep.json", "{\"type\":\"episodes\",\"n\":3000,\"policy\":{\"type\":\"uniform\"},\"episode_length\":30}");
  put(t, "box.json", "{\"type\":\"box\",\"n\":3000}");
  put(t, "dyn.json", "{\"net\":{\"hidden\":[64,64],\"act\":\"silu\"},\"train\":{\"epochs\":30,\"batch\":64,\"lr\":0.003}}");
  put(t, "ens.json",
      "{\"kind\":\"ensemble\",\"net\":{\"hidden\":[32,32],\"act\":\"silu\"},"
      "\"train\":{\"epochs\":4,\"batch\":64,\"lr\":0.003},\"members\":3,\"rollout_steps\":3,\"bootstrap\":true}");
  put(t, "bad_field.json", "{\"net\":{},\"epochs\":3}");
  put(t, "bad_net.json", "{\"net\":{\"hidden\":[32],\"act\":\"swish\"}}");
  put(t, "bad_members.json", "{\"members\":1}");
  char *dyn1 = sgp_path_join(t, "d1.safetensors"), *dyn2 = sgp_path_join(t, "d2.safetensors");
  char *dyn3 = sgp_path_join(t, "d3.safetensors"), *ens = sgp_path_join(t, "e.safetensors");
  char *cost = sgp_path_join(t, "c.safetensors");
  int rc;

  rc = run("cd %s && %s collect cartpole --spec ep.json --seed 0 --out ep --quiet 2>&1 && "
           "%s collect cartpole --spec box.json --seed 0 --out box --quiet 2>&1%s",
           t, prog, prog, "");
  CHECK(rc == 0, "sgp collect: %s", outb);

  /* same seed, same bytes; another seed, other bytes */
  rc = run("cd %s && %s train dynamics --data box --config dyn.json --out d1.safetensors --seed 5 --quiet 2>&1 && "
           "%s train dynamics --data box --config dyn.json --out d2.safetensors --seed 5 --quiet 2>&1 && "
           "cmp d1.safetensors d2.safetensors 2>&1%s",
           t, prog, prog, "");
  printf("%s", outb);
  CHECK(rc == 0, "sgp train dynamics twice with one seed: identical files (%s)", outb);
  rc = run("cd %s && %s train dynamics --data box --config dyn.json --out d3.safetensors --seed 6 --quiet 2>&1 && "
           "cmp -s d1.safetensors d3.safetensors%s%s",
           t, prog, "", "");
  CHECK(rc != 0, "another seed gives another file");

  /* ensemble with rollout loss on episode data; cost */
  rc = run("cd %s && %s train ensemble --data ep --config ens.json --out e.safetensors --seed 1 --quiet 2>&1 && "
           "%s train cost --data box --config dyn.json --out c.safetensors --quiet 2>&1%s",
           t, prog, prog, "");
  printf("%s", outb);
  CHECK(rc == 0, "sgp train ensemble / cost: %s", outb);

  /* load, dimensions against the environments */
  sgp_err e;
  sgp_env *cp = NULL, *pt = NULL;
  CHECK(env_create("cartpole", NULL, "test", &cp, &e) == 0, "env cartpole: %s", e.msg);
  CHECK(env_create("point", NULL, "test", &pt, &e) == 0, "env point: %s", e.msg);
  dyn_model *m = dyn_load(dyn1, "dynamics", &e), *me = dyn_load(ens, "ensemble", &e);
  cost_model *mc = cost_load(cost, &e);
  CHECK(m && me && mc, "load: %s", e.msg);
  if (m && me && mc && cp && pt) {
    CHECK(me->K == 3, "ensemble has %d members", me->K);
    CHECK(dyn_check_dims(m, dyn1, "cartpole", cp->spec.nx, cp->spec.nu, &e) == 0, "cartpole dims: %s", e.msg);
    CHECK(dyn_check_dims(me, ens, "point", pt->spec.nx, pt->spec.nu, &e) != 0, "point dims rejected");
    printf("rejected: %s\n", e.msg);
    CHECK(strstr(e.msg, "ensemble model has nx=4, nu=1; environment point has nx=2, nu=2") != NULL, "message: %s", e.msg);
    CHECK(cost_check_dims(mc, cost, "cartpole", cp->spec.nx, cp->spec.nu, &e) == 0, "cost dims: %s", e.msg);
    /* the trained model's one-step error on its own data is well below the spread of x' − x */
    ds_data d;
    char *box = sgp_path_join(t, "box");
    if (ds_load(box, &d, &e) == 0) {
      dyn_ws *w = dyn_ws_create(m, (int)d.n, 1);
      float *xp = malloc(sizeof(float) * d.n * d.nx);
      dyn_forward(m, 0, w, 0, (int)d.n, d.x, d.u, xp);
      /* per state dimension: RMS error / standard deviation of x' − x (the loss's units) */
      double worst = 0;
      for (int j = 0; j < d.nx; j++) {
        double se = 0, s1 = 0, s2 = 0;
        for (int64_t i = 0; i < d.n; i++) {
          double a = xp[i * d.nx + j] - d.xnext[i * d.nx + j], b = d.xnext[i * d.nx + j] - d.x[i * d.nx + j];
          se += a * a, s1 += b, s2 += b * b;
        }
        double var = s2 / d.n - (s1 / d.n) * (s1 / d.n), rel = sqrt(se / d.n / var);
        printf("cartpole box data, dimension %d: one-step RMS error / std(x' - x) = %.4f\n", j, rel);
        if (rel > worst) worst = rel;
      }
      CHECK_WORST("CLI-trained cartpole model (30 epochs, 2700 rows): relative one-step error, worst dimension", worst, 0.3);
      free(xp);
      dyn_ws_free(w);
      ds_free(&d);
    }
    free(box);
  }
  dyn_free(m), dyn_free(me), cost_free(mc);
  if (cp) cp->ops->destroy(cp);
  if (pt) pt->ops->destroy(pt);

  /* errors: one line naming the file and field, exit status 1 */
  struct {
    const char *args, *want;
  } bad[] = {
      {"dynamics --data box --config bad_field.json", "bad_field.json: /epochs: unknown field"},
      {"dynamics --data box --config bad_net.json", "bad_net.json: /net/act"},
      {"ensemble --data box --config bad_members.json", "bad_members.json: /members"},
      {"dynamics --data box --config ens.json", "this is 'sgp train dynamics'"},
      {"ensemble --data box --config ens.json", "rollout_steps = 3 but the data hold no 3 consecutive transitions"},
      {"dynamics --data box/x.npy --config dyn.json", "needs a dataset directory"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rc = run("cd %s && %s train %s --out never.safetensors --quiet 2>&1%s", t, prog, bad[i].args, "");
    printf("  rc %d: %s", rc, outb);
    int lines = 0;
    for (const char *p = outb; *p; p++) lines += *p == '\n';
    CHECK(rc == 1 && strstr(outb, bad[i].want) && lines == 1, "sgp train %s: want one line with '%s', got: %s",
          bad[i].args, bad[i].want, outb);
  }
  char *never = sgp_path_join(t, "never.safetensors");
  CHECK(!sgp_path_exists(never), "no output file after an error");
  free(never);

  free(dyn1), free(dyn2), free(dyn3), free(ens), free(cost);
  tu_rmtree(t);
  free(t);
  return tu_done("test_dynamics_cli");
}
