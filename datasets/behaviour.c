/* Behaviour specs (how data is collected) and behaviour policies (who acts in "episodes").
 * A new policy is one table entry below: create/destroy/reset/act in action-box coordinates. */
#include "datasets/dataset.h"
#include "datasets/policy.h"
#include "datasets/push_script.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- policy "uniform": a ~ U(action box) -------------------------------------------------- */
static int uniform_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e) {
  static const char *const keys[] = {"type", NULL};
  (void)env;
  *self = NULL;
  return sgp_cfg_check_keys(cfg, keys, e);
}
static void uniform_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a) {
  (void)self;
  (void)x;
  for (int i = 0; i < env->spec.nbu; i++)
    a[i] = env->spec.abox_lo[i] + (env->spec.abox_hi[i] - env->spec.abox_lo[i]) * sgp_rng_uniform(rng);
}

/* ---- policy "constant": a = value (default 0), e.g. with action_noise for Gaussian exploration */
typedef struct constant_pol {
  double a[ENV_MAX_BOX];
} constant_pol;
static int constant_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e) {
  static const char *const keys[] = {"type", "value", NULL};
  if (sgp_cfg_check_keys(cfg, keys, e)) return -1;
  constant_pol *p = sgp_calloc(1, sizeof *p);
  int nbu = env->spec.nbu, n = 0;
  if (sgp_cfg_has(cfg, "value")) {
    if (sgp_cfg_num_array(cfg, "value", p->a, ENV_MAX_BOX, nbu, &n, e)) {
      free(p);
      return -1;
    }
  } else {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < nbu; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(0));
    cJSON_AddItemToObject(cfg->j, "value", arr);
  }
  for (int i = 0; i < nbu; i++)
    if (!(p->a[i] >= env->spec.abox_lo[i] && p->a[i] <= env->spec.abox_hi[i])) {
      double v = p->a[i];
      free(p);
      return sgp_fail(e, "%s: %s/value/%d: %g is outside the action box [%g, %g]", cfg->file, cfg->path, i, v,
                      env->spec.abox_lo[i], env->spec.abox_hi[i]);
    }
  *self = p;
  return 0;
}
static void constant_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a) {
  (void)x;
  (void)rng;
  memcpy(a, ((constant_pol *)self)->a, sizeof(double) * env->spec.nbu);
}

/* ---- policy "expert": the environment's expert (env_ops.expert_action, the policy of its
 * ref_expert return: cart-pole's swing-up found by the true-model planner, the point's scripted
 * route), step by step from each episode's reset; with action_noise, a tube of demonstrations
 * around it (narrow coverage, the opposite of box data). */
typedef struct expert_pol {
  int t;
} expert_pol;
static int expert_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e) {
  static const char *const keys[] = {"type", NULL};
  if (sgp_cfg_check_keys(cfg, keys, e)) return -1;
  if (!env->ops->expert_action)
    return sgp_fail(e, "%s: %s/type: environment '%s' has no expert policy", cfg->file, cfg->path, env->spec.name);
  if (env->spec.nbu != env->spec.nu || env->ops->action_to_box)
    return sgp_fail(e, "%s: %s/type: environment '%s' has an action box other than its actions; the expert "
                    "acts in actions", cfg->file, cfg->path, env->spec.name);
  *self = sgp_calloc(1, sizeof(expert_pol));
  return 0;
}
static void expert_reset(void *self, const double *x0) {
  (void)x0;
  ((expert_pol *)self)->t = 0;
}
static void expert_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a) {
  (void)rng;
  expert_pol *p = self;
  env->ops->expert_action(env, p->t++, x, a);
}

static void pol_free(void *self) { free(self); }
static void pol_noreset(void *self, const double *x0) {
  (void)self;
  (void)x0;
}

static const ds_policy_vt policies[] = {
    {"uniform", "uniform random actions in the action box", uniform_create, pol_free, pol_noreset, uniform_act},
    {"constant", "a constant action (default zero); add action_noise for Gaussian exploration", constant_create,
     pol_free, pol_noreset, constant_act},
    {"linear", "a linear policy (sgp train policy): {\"policy\": NAME} committed, or {\"file\": PATH}",
     ds_linear_policy_create, ds_linear_policy_destroy, pol_noreset, ds_linear_policy_act},
    {"push_script", "randomised scripted pushes of the pusher box (datasets/push_script.c)", ds_push_script_create,
     ds_push_script_destroy, ds_push_script_reset, ds_push_script_act},
    {"expert", "the environment's expert policy (its reference expert) from each reset; add action_noise for a "
     "tube of demonstrations", expert_create, pol_free, expert_reset, expert_act},
};

int ds_policy_count(void) { return (int)(sizeof policies / sizeof policies[0]); }
const ds_policy_vt *ds_policy_at(int i) { return i >= 0 && i < ds_policy_count() ? &policies[i] : NULL; }
static const char *policy_name_at(const void *ctx, int i) {
  (void)ctx;
  return policies[i].name;
}

const ds_policy_vt *ds_policy_find(const char *name) {
  for (int i = 0; i < ds_policy_count(); i++)
    if (!strcmp(policies[i].name, name)) return &policies[i];
  return NULL;
}

/* ---- spec parsing ------------------------------------------------------------------------------ */
static int num_array_opt(sgp_cfg *c, const char *key, double *out, int n, const double *dflt, sgp_err *e) {
  if (!sgp_cfg_has(c, key)) {
    cJSON *arr = cJSON_CreateDoubleArray(dflt, n);
    cJSON_AddItemToObject(c->j, key, arr);
    memcpy(out, dflt, sizeof(double) * n);
    return 0;
  }
  int got = 0;
  if (sgp_cfg_num_array(c, key, out, ENV_MAX_BOX, n, &got, e)) return -1;
  for (int i = 0; i < n; i++)
    if (!isfinite(out[i])) return sgp_fail(e, "%s: %s/%s/%d: not a finite number", c->file, c->path, key, i);
  return 0;
}

/* "exclude": {"center": [..2], "radius": r}, the disk of box dimensions 0 and 1 that the data leaves
 * out; the env's excluded disk fills what is missing (inserted). */
static int parse_exclude(sgp_cfg *c, const env_spec *s, ds_behaviour *b, sgp_err *e) {
  sgp_cfg ex;
  if (sgp_cfg_obj_opt(c, "exclude", &ex, e)) return -1;
  static const char *const exkeys[] = {"center", "radius", NULL};
  if (sgp_cfg_check_keys(&ex, exkeys, e)) return -1;
  if (num_array_opt(&ex, "center", b->excl_center, 2, s->excluded.center, e)) return -1;
  if (sgp_cfg_num_opt(&ex, "radius", s->excluded.radius, &b->excl_radius, e)) return -1;
  if (!(b->excl_radius >= 0)) return sgp_fail(e, "%s: %s/radius: must be >= 0", ex.file, ex.path);
  if (b->excl_radius > 0 && s->nbx < 2) return sgp_fail(e, "%s: %s: the state box has fewer than 2 dimensions", ex.file, ex.path);
  return 0;
}

static int parse_box(sgp_cfg *c, const sgp_env *env, ds_behaviour *b, sgp_err *e) {
  static const char *const keys[] = {"type", "n", "state_lo", "state_hi", "action_lo", "action_hi",
                                     "exclude", "next_in_box", NULL};
  if (sgp_cfg_check_keys(c, keys, e)) return -1;
  const env_spec *s = &env->spec;
  if (!s->has_box) return sgp_fail(e, "%s: /type: environment '%s' has no data box", c->file, s->name);
  b->nbx = s->nbx;
  b->nbu = s->nbu;
  if (num_array_opt(c, "state_lo", b->lo, s->nbx, s->box_lo, e) || num_array_opt(c, "state_hi", b->hi, s->nbx, s->box_hi, e) ||
      num_array_opt(c, "action_lo", b->alo, s->nbu, s->abox_lo, e) ||
      num_array_opt(c, "action_hi", b->ahi, s->nbu, s->abox_hi, e))
    return -1;
  for (int i = 0; i < s->nbx; i++)
    if (!(b->lo[i] < b->hi[i])) return sgp_fail(e, "%s: %s/state_lo/%d: must be below state_hi (%g >= %g)", c->file, c->path, i, b->lo[i], b->hi[i]);
  for (int i = 0; i < s->nbu; i++) {
    if (!(b->alo[i] <= b->ahi[i])) return sgp_fail(e, "%s: %s/action_lo/%d: must not exceed action_hi", c->file, c->path, i);
    if (b->alo[i] < s->abox_lo[i] || b->ahi[i] > s->abox_hi[i])
      return sgp_fail(e, "%s: %s/action_lo, action_hi/%d: [%g, %g] exceeds the action bounds [%g, %g]", c->file, c->path, i,
                      b->alo[i], b->ahi[i], s->abox_lo[i], s->abox_hi[i]);
  }
  if (parse_exclude(c, s, b, e)) return -1;
  if (sgp_cfg_bool_opt(c, "next_in_box", 1, &b->next_in_box, e)) return -1;
  b->chunk = 4096;
  return 0;
}

static int parse_episodes(sgp_cfg *c, const sgp_env *env, ds_behaviour *b, sgp_err *e) {
  static const char *const keys[] = {"type", "n", "policy", "action_noise", "episode_length", "exclude", NULL};
  if (sgp_cfg_check_keys(c, keys, e)) return -1;
  const env_spec *s = &env->spec;
  b->nbx = s->nbx;
  b->nbu = s->nbu;
  sgp_cfg pc;
  if (sgp_cfg_obj_opt(c, "policy", &pc, e)) return -1;
  const char *pname;
  if (sgp_cfg_str_opt(&pc, "type", "uniform", &pname, e)) return -1;
  b->policy = ds_policy_find(pname);
  if (!b->policy) {
    sgp_fail_unknown(e, "policy", pname, ds_policy_count(), policy_name_at, NULL);
    return sgp_fail_prefix(e, "%s: %s/type", pc.file, pc.path);
  }
  void *self = NULL;
  if (b->policy->create(&pc, env, &self, e)) return -1; /* validates; workers make their own */
  b->policy->destroy(self);
  b->policy_cfg = pc.j;
  if (sgp_cfg_num_opt(c, "action_noise", 0.0, &b->action_noise, e)) return -1;
  if (!(b->action_noise >= 0 && b->action_noise <= 10))
    return sgp_fail(e, "%s: %s/action_noise: expected a number in [0, 10], got %g", c->file, c->path, b->action_noise);
  long L;
  if (sgp_cfg_int_opt(c, "episode_length", 1, 1000000, s->T, &L, e)) return -1;
  b->episode_length = (int)L;
  /* only when given: episodes exclude nothing by default, whatever the env's data box leaves out */
  if (sgp_cfg_has(c, "exclude") && parse_exclude(c, s, b, e)) return -1;
  /* a chunk holds whole episodes: ~4096 transitions */
  long per = 4096 / L;
  b->chunk = (int)((per < 1 ? 1 : per) * L);
  return 0;
}

int ds_behaviour_parse(cJSON *spec, const char *file, const sgp_env *env, ds_behaviour *out, sgp_err *e) {
  if (!cJSON_IsObject(spec)) return sgp_fail(e, "%s: expected a JSON object", file);
  ds_behaviour b;
  memset(&b, 0, sizeof b);
  sgp_cfg c = sgp_cfg_root(spec, file);
  static const char *const kinds[] = {"box", "episodes"};
  int kind;
  if (sgp_cfg_enum(&c, "type", kinds, 2, -1, &kind, e)) return -1;
  long n;
  if (sgp_cfg_int(&c, "n", 1, 2000000000L, &n, e)) return -1;
  b.kind = kind;
  b.n = n;
  if (kind == DS_BOX ? parse_box(&c, env, &b, e) : parse_episodes(&c, env, &b, e)) return -1;
  *out = b;
  return 0;
}
