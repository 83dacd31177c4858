// ctest-labels: unit bench
/* Sweep expansion (bench/sweep_expand.c): canonical JSON and content addresses against
 * hand-written canonical texts hashed independently, deep merge, the expansion of the fake
 * fixture (counted by hand), keys independent of the output and cache paths, shared artefacts,
 * waves, and the rejection of malformed sweep files with the JSON path of the problem, both with
 * the test-only registry and with the real environment and planner registries. */
#include "testutil.h"

#include "bench/sweep_expand.c"
#include "bench/sweep_tune.c"
#include "bench/sweep_budget.c"
#include "bench/sweep_curve.c"
#include "bench/sweep_fake.c"
#include "bench/sweep_registry.c"
#include "bench/run_check.c"

#include <stdlib.h>
#include <string.h>

static cJSON *parse(const char *s) {
  cJSON *j;
  sgp_err e;
  if (sgp_json_parse(s, "inline", &j, &e)) {
    fprintf(stderr, "bad test JSON: %s\n", e.msg);
    exit(1);
  }
  return j;
}

static void check_canon(const char *in, const char *want) {
  cJSON *j = parse(in);
  char *c = sweep_canonical(j);
  CHECK(!strcmp(c, want), "canonical(%s) = %s, want %s", in, c, want);
  /* the key is the first 16 hex digits of sha256 of exactly that text */
  char key[17], hex[65];
  sweep_key(j, key);
  sgp_sha256_hex(want, strlen(want), hex);
  CHECK(!strncmp(key, hex, 16) && strlen(key) == 16, "key of %s", in);
  free(c);
  cJSON_Delete(j);
}

static char *write_tmp(const char *dir, const char *name, const char *text) {
  char *p = sgp_path_join(dir, name);
  sgp_err e;
  if (sgp_write_file_atomic(p, text, strlen(text), &e)) {
    fprintf(stderr, "%s\n", e.msg);
    exit(1);
  }
  return p;
}

/* loads `text` as a sweep and expects failure with `want` in the message */
static void expect_error(const char *dir, const sweep_registry *reg, const char *text, const char *want) {
  char *p = write_tmp(dir, "bad.json", text);
  sweep *sw = NULL;
  sgp_err e = {{0}};
  int rc = sweep_load(p, "out-x", "cache-x", "/bin/sgp", reg, &sw, &e);
  CHECK(rc == -1 && strstr(e.msg, want) != NULL, "expected an error containing '%s', got rc %d: %s", want, rc, e.msg);
  if (rc == -1) printf("ok   rejected: %s\n", e.msg);
  if (!rc) sweep_free(sw);
  free(p);
}

#define BASE_AGENTS "\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"}}]"
#define BASE_ENVS "\"envs\":[{\"name\":\"fake-2d\",\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}]"

int main(void) {
  /* ---- canonical JSON: sorted keys (bytewise), no white space, integers without a fraction,
   *      shortest round-trip doubles, escapes */
  check_canon("{\"b\": 1, \"a\": [1.0, 2.5, -0.0, 1e3], \"B\": {\"y\": true, \"x\": null}}",
              "{\"B\":{\"x\":null,\"y\":true},\"a\":[1,2.5,0,1000],\"b\":1}");
  check_canon("{\"s\": \"q\\\"\\\\\\n\\u0001é\", \"f\": 0.1, \"g\": 1e-7, \"h\": 123456789012345678}",
              "{\"f\":0.1,\"g\":1e-07,\"h\":1.2345678901234568e+17,\"s\":\"q\\\"\\\\\\n\\u0001é\"}");
  {
    /* numbers read back to the same double */
    cJSON *j = parse("[1e-7, 0.30000000000000004, 3.141592653589793]");
    char *c = sweep_canonical(j);
    cJSON *back = parse(c);
    int same = 1;
    for (int i = 0; i < 3; i++)
      same &= cJSON_GetArrayItem(j, i)->valuedouble == cJSON_GetArrayItem(back, i)->valuedouble;
    CHECK(same, "canonical numbers read back exactly: %s", c);
    printf("ok   canonical numbers: %s\n", c);
    free(c);
    cJSON_Delete(j);
    cJSON_Delete(back);
  }
  /* ---- deep merge */
  {
    cJSON *a = parse("{\"x\":1,\"o\":{\"p\":1,\"q\":2},\"l\":[1,2]}");
    cJSON *b = parse("{\"o\":{\"q\":3,\"r\":4},\"l\":[9],\"y\":\"s\"}");
    cJSON *m = sweep_merge(a, b);
    char *c = sweep_canonical(m);
    CHECK(!strcmp(c, "{\"l\":[9],\"o\":{\"p\":1,\"q\":3,\"r\":4},\"x\":1,\"y\":\"s\"}"), "merge: %s", c);
    free(c);
    cJSON_Delete(m);
    cJSON *n = parse("{\"o\":{\"p\":null,\"s\":null},\"x\":null}");
    m = sweep_merge(a, n);
    c = sweep_canonical(m);
    CHECK(!strcmp(c, "{\"l\":[1,2],\"o\":{\"q\":2}}"), "null removes a key: %s", c);
    free(c);
    cJSON_Delete(m);
    cJSON_Delete(n);
    m = sweep_merge(NULL, NULL);
    CHECK(cJSON_IsObject(m) && !m->child, "merge of nothing is {}");
    cJSON_Delete(m);
    cJSON_Delete(a);
    cJSON_Delete(b);
  }

  /* ---- the fake fixture, counted by hand:
   * rows: fake-2d-mud/uniform, fake-4d/small, fake-4d/large = 3; columns: sgp, grad,
   * ens[beta=0.1], ens[beta=1], sample = 5; cells: 5 + 2 + 2 = 9; runs: 9 x 3 seeds = 27.
   * datasets: 3 rows x 3 seeds = 9. models per (row, seed): fake-2d: dynamics + score (sgp, beta>0),
   * dynamics shared with grad, one ensemble shared by both ens grid points = 3; fake-4d rows:
   * dynamics + score (sgp), sample needs none = 2 -> (3 + 2 + 2) x 3 = 21. jobs = 9 + 21 + 27 = 57.
   * waves: datasets 1; models and the model-free "sample" runs 2; the other runs 3. */
  char fixture[4096];
  snprintf(fixture, sizeof fixture, "%s/tests/fixtures/sweep/fake.json", tu_source_dir());
  sweep *sw = NULL, *sw2 = NULL;
  sgp_err e = {{0}};
  int rc = sweep_load(fixture, "/tmp/out-a", "/tmp/cache-a", "/bin/sgp", sweep_registry_fake(), &sw, &e);
  CHECK(rc == 0, "load fake fixture: %s", e.msg);
  if (rc) return tu_done("test_sweep");
  CHECK(sw->nrows == 3 && sw->ncols == 5 && sw->nruns == 27, "rows %d cols %d runs %d", sw->nrows, sw->ncols, sw->nruns);
  int nk[3] = {0, 0, 0};
  for (int i = 0; i < sw->njobs; i++) nk[sw->jobs[i].kind]++;
  CHECK(nk[0] == 9 && nk[1] == 21 && nk[2] == 27 && sw->njobs == 57, "jobs: %d datasets, %d models, %d runs", nk[0], nk[1], nk[2]);
  CHECK(sw->nwaves == 3, "waves %d", sw->nwaves);
  CHECK(!strcmp(sw->cols[2], "ens[beta=0.1]") && !strcmp(sw->cols[3], "ens[beta=1]"), "grid labels %s %s", sw->cols[2], sw->cols[3]);
  CHECK(!strcmp(sw->rows[0].metric, "success") && !strcmp(sw->rows[1].metric, "normalized_score"),
        "main metrics %s %s", sw->rows[0].metric, sw->rows[1].metric);
  CHECK(sw->rows[0].trajectories && !sw->rows[1].trajectories, "trajectories only for nx == 2");
  int order_ok = 1, deps_ok = 1;
  for (int i = 1; i < sw->njobs; i++) order_ok &= sw->jobs[i - 1].wave <= sw->jobs[i].wave;
  for (int i = 0; i < sw->njobs; i++)
    for (int k = 0; k < sw->jobs[i].ndeps; k++) deps_ok &= sw->jobs[i].deps[k] < i && sw->jobs[sw->jobs[i].deps[k]].wave < sw->jobs[i].wave;
  CHECK(order_ok && deps_ok, "jobs sorted by wave, dependencies earlier");
  /* every job: argv is the fake verb, paths under out / cache */
  const sweep_job *r0 = &sw->jobs[sw->runs[0].job];
  CHECK(!strcmp(r0->argv[1], "sweep") && !strcmp(r0->argv[2], "--fake-job") && !strcmp(r0->argv[3], "eval"), "fake eval argv");
  CHECK(!strncmp(r0->done_path, "/tmp/out-a/runs/", 16), "run result under out: %s", r0->done_path);
  char *sh = sweep_job_shell(r0, 1);
  CHECK(!strncmp(sh, "OPENBLAS_NUM_THREADS=1 /bin/sgp sweep --fake-job eval --config /tmp/out-a/configs/run-", 86), "shell: %s", sh);
  printf("     %s\n", sh);
  free(sh);
  /* keys do not depend on where the output and the cache are */
  rc = sweep_load(fixture, "elsewhere/out", "other cache", "/usr/bin/sgp", sweep_registry_fake(), &sw2, &e);
  CHECK(rc == 0, "second load: %s", e.msg);
  int same_keys = rc == 0 && sw2->njobs == sw->njobs;
  for (int i = 0; same_keys && i < sw->njobs; i++) same_keys = !strcmp(sw->jobs[i].key, sw2->jobs[i].key);
  CHECK(same_keys, "content addresses independent of output/cache paths");
  if (!rc) {
    char *s2 = sweep_job_shell(&sw2->jobs[0], 1);
    CHECK(strstr(s2, "'other cache/datasets/") != NULL, "paths with spaces are quoted: %s", s2);
    free(s2);
    sweep_free(sw2);
  }
  sweep_free(sw);

  /* ---- malformed files: rejected with the JSON path, before anything is written */
  char *dir = tu_tmpdir("sweep");
  const sweep_registry *F = sweep_registry_fake();
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS "," BASE_AGENTS ",\"bogus\":1}", "bad.json: /bogus: unknown field");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS "}", "/agents: missing required field");
  expect_error(dir, F, "{\"seeds\":1," BASE_AGENTS "}", "/envs: missing required field");
  expect_error(dir, F, "{\"seeds\":[]," BASE_ENVS "," BASE_AGENTS "}", "/seeds: empty list");
  expect_error(dir, F, "{\"seeds\":\"3\"," BASE_ENVS "," BASE_AGENTS "}", "/seeds: expected a number or an array, got a string");
  expect_error(dir, F, "{\"seeds\":[0,1.5]," BASE_ENVS "," BASE_AGENTS "}", "/seeds/1: expected a whole number");
  expect_error(dir, F, "{\"seeds\":[2,2]," BASE_ENVS "," BASE_AGENTS "}", "/seeds/1: duplicate seed 2");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[]," BASE_AGENTS "}", "/envs: empty list");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[]}", "/agents: empty list");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-3d\",\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}]," BASE_AGENTS "}",
               "/envs/0/name: unknown environment 'fake-3d' (known: fake-2d, fake-4d)");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-2d\",\"config\":{\"holes\":1},\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}]," BASE_AGENTS "}",
               "/envs/0/config/holes: unknown field");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-2d\",\"datasets\":[]}]," BASE_AGENTS "}", "/envs/0/datasets: empty list");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-2d\",\"datasets\":[{\"name\":\"d\",\"spec\":{}},{\"name\":\"d\",\"spec\":{}}]}]," BASE_AGENTS "}",
               "/envs/0/datasets/1/name: duplicate dataset name 'd'");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-2d\",\"datasets\":[{\"name\":\"d\"}]}]," BASE_AGENTS "}",
               "/envs/0/datasets/0/spec: missing required field");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-2d\",\"datasets\":[{\"name\":\"d\",\"spec\":{}}]},{\"name\":\"fake-2d\",\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}]," BASE_AGENTS "}",
               "/envs/1/name: duplicate environment label 'fake-2d'");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"}},{\"name\":\"a\",\"planner\":{\"name\":\"fake-ens\"}}]}",
               "/agents/1/name: duplicate agent name 'a'");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-gard\"}}]}",
               "/agents/0/planner/name: unknown planner 'fake-gard' (known: fake-grad, fake-ens, fake-sample)");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\",\"bta\":1}}]}",
               "/agents/0/planner/bta: unknown field");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\",\"beta\":\"big\"}}]}",
               "/agents/0/planner/beta: expected a number, got a string");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":\"fake-grad\"}]}",
               "/agents/0/planner: expected an object, got a string");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"},\"grid\":{\"beta\":[]}}]}",
               "/agents/0/grid/beta: empty grid axis");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"},\"grid\":{\"beta\":[1,1]}}]}",
               "/agents/0/grid/beta/1: duplicate value");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"},\"grid\":{\"/eval/x\":[1]}}]}",
               "/agents/0/grid//eval/x: a pointer must start with /planner/ or /train/");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"},\"train\":{\"scroe\":{}}}]}",
               "/agents/0/train/scroe: unknown model kind");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS ",\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"fake-grad\"},\"envs\":{\"nowhere\":{}}}]}",
               "/agents/0/envs/nowhere: no environment labelled 'nowhere'");
  expect_error(dir, F, "{\"seeds\":1,\"envs\":[{\"name\":\"fake-2d\",\"agents\":[\"b\"],\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}]," BASE_AGENTS "}",
               "/envs/0/agents/0: unknown agent 'b'");
  expect_error(dir, F, "{\"seeds\":1,\"metric\":\"score\"," BASE_ENVS "," BASE_AGENTS "}", "/metric: unknown metric 'score'");
  expect_error(dir, F, "{\"seeds\":1," BASE_ENVS "," BASE_AGENTS, "invalid JSON at line 1");

  /* the same checks against the real registries: environment names and configs, planner names
   * and parameters (each planner's needs() validates its fields) */
  const sweep_registry *R = sweep_registry_builtin();
  const char *envs_ok = "\"envs\":[{\"name\":\"point\",\"datasets\":[{\"name\":\"d\",\"spec\":{\"type\":\"box\",\"n\":100}}]}]";
  char buf[2048];
  snprintf(buf, sizeof buf, "{\"seeds\":1,\"envs\":[{\"name\":\"pointt\",\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}],"
                            "\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"cem\"}}]}");
  expect_error(dir, R, buf, "bad.json: /envs/0/name: unknown environment 'pointt' (known: point, cartpole, pixels");
  snprintf(buf, sizeof buf, "{\"seeds\":1,%s,\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"cem\"}},"
                            "{\"name\":\"b\",\"planner\":{\"name\":\"cme\"}}]}", envs_ok);
  expect_error(dir, R, buf, "bad.json: /agents/1/planner/name: unknown planner 'cme' (known: sgp-shooting,");
  snprintf(buf, sizeof buf, "{\"seeds\":1,%s,\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"sgp-shooting\",\"bta\":1}}]}", envs_ok);
  expect_error(dir, R, buf, "/agents/0/planner/bta: unknown field");
  snprintf(buf, sizeof buf, "{\"seeds\":1,\"envs\":[{\"name\":\"point\",\"config\":{\"hole\":\"lava\"},\"datasets\":[{\"name\":\"d\",\"spec\":{}}]}],"
                            "\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"cem\"}}]}");
  expect_error(dir, R, buf, "bad.json: /envs/0/config");
  /* every job's config through the code the job runs: the collector's spec parser */
  snprintf(buf, sizeof buf, "{\"seeds\":1,\"envs\":[{\"name\":\"point\",\"datasets\":[{\"name\":\"d\",\"spec\":{\"type\":\"box\",\"n\":0}}]}],"
                            "\"agents\":[{\"name\":\"a\",\"planner\":{\"name\":\"cem\"}}]}");
  expect_error(dir, R, buf, "bad.json: collect point/d seed 0: /n: 0 is out of range");
  /* ---- curve figures (sweep_curve.c): tests/fixtures/sweep/curve.json, three fake-4d rows at
   *      horizons 5, 10, 20 (nu = 1) and a fake-2d row left out */
  {
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/sweep/curve.json", tu_source_dir());
    rc = sweep_load(fixture, "/tmp/out-c", "/tmp/cache-c", "/bin/sgp", sweep_registry_fake(), &sw, &e);
    CHECK(rc == 0, "load curve fixture: %s", e.msg);
    if (!rc) {
      CHECK(sw->ncurves == 2 && sw->figures, "curves %d", sw->ncurves);
      const double want[3] = {5, 10, 20};
      for (int k = 0; k < sw->ncurves && k < 2; k++) {
        const sweep_curve *cv = &sw->curves[k];
        CHECK(cv->nrows == 3 && cv->dv == (k == 0) && cv->log_x == (k == 0), "curve %d: %d rows", k, cv->nrows);
        for (int q = 0; q < cv->nrows && q < 3; q++)
          for (int c = 0; c < sw->ncols; c++) {
            double x = sweep_curve_x(sw, cv, q, c);
            CHECK(x == want[q], "curve %s row %d col %d: x %g, expected %g", cv->name, q, c, x, want[q]);
          }
      }
      printf("ok   curves: x = nu x horizon and /planner/horizon = 5, 10, 20 on every column\n");
      sweep_free(sw);
    }
    cJSON *j = parse("{\"a/b\":[{\"c~d\":7}],\"n\":[1,2]}");
    const cJSON *v = pointer_get(j, "/a~1b/0/c~0d");
    CHECK(cJSON_IsNumber(v) && v->valuedouble == 7, "pointer with escapes");
    CHECK(pointer_get(j, "/n/01") == NULL && pointer_get(j, "/n/2") == NULL && pointer_get(j, "/n/-1") == NULL &&
              pointer_get(j, "n") == NULL && pointer_get(j, "/a~2b") == NULL && pointer_get(j, "/x/y") == NULL,
          "bad pointers give NULL");
    v = pointer_get(j, "/n/1");
    CHECK(cJSON_IsNumber(v) && v->valuedouble == 2, "pointer into an array");
    cJSON_Delete(j);
  }
  /* and a valid file with the real registries: which models each planner needs */
  snprintf(buf, sizeof buf, "{\"seeds\":2,%s,\"agents\":[{\"name\":\"sgp\",\"planner\":{\"name\":\"sgp-shooting\",\"beta\":1}},"
                            "{\"name\":\"grad\",\"planner\":{\"name\":\"grad\"}},{\"name\":\"ens\",\"planner\":{\"name\":\"grad-ensemble\"}}]}", envs_ok);
  char *p = write_tmp(dir, "ok.json", buf);
  rc = sweep_load(p, "o", "c", "/bin/sgp", R, &sw, &e);
  CHECK(rc == 0, "real registries: %s", e.msg);
  if (!rc) {
    /* per seed: 1 dataset, dynamics (shared by sgp and grad) + score + ensemble = 3 models, 3 runs */
    int m[3] = {0, 0, 0};
    for (int i = 0; i < sw->njobs; i++) m[sw->jobs[i].kind]++;
    CHECK(m[0] == 2 && m[1] == 6 && m[2] == 6, "real registries: %d datasets, %d models, %d runs", m[0], m[1], m[2]);
    CHECK(!strcmp(sw->jobs[0].argv[1], "collect") && !strcmp(sw->jobs[0].argv[2], "point"), "real collect argv");
    CHECK(sw->rows[0].trajectories && sw->rows[0].info.hole_r > 0, "point: 2-D with a hole (r = %g)", sw->rows[0].info.hole_r);
    sweep_free(sw);
  }
  free(p);
  tu_rmtree(dir);
  free(dir);
  return tu_done("test_sweep");
}
