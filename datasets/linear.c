/* Linear policies on normalised observations: acting, the policy file, observation statistics and
 * single rollouts (datasets/policy.h). */
#include "datasets/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINEAR_FORMAT "sgp-linear-policy"

void ds_linear_init(ds_linear *p, int nx, int nu) {
  memset(p, 0, sizeof *p);
  p->nx = nx;
  p->nu = nu;
  p->M = sgp_calloc((size_t)nx * nu, sizeof(double));
  p->mean = sgp_calloc((size_t)nx, sizeof(double));
  p->inv_std = sgp_malloc(sizeof(double) * nx);
  for (int i = 0; i < nx; i++) p->inv_std[i] = 1;
}

void ds_linear_free(ds_linear *p) {
  if (!p) return;
  free(p->M);
  free(p->mean);
  free(p->inv_std);
  cJSON_Delete(p->meta);
  memset(p, 0, sizeof *p);
}

void ds_linear_copy(ds_linear *dst, const ds_linear *src) {
  ds_linear_init(dst, src->nx, src->nu);
  memcpy(dst->M, src->M, sizeof(double) * src->nx * src->nu);
  memcpy(dst->mean, src->mean, sizeof(double) * src->nx);
  memcpy(dst->inv_std, src->inv_std, sizeof(double) * src->nx);
  dst->meta = src->meta ? cJSON_Duplicate(src->meta, 1) : NULL;
}

void ds_linear_act(const ds_linear *p, const double *x, const double *lo, const double *hi, double *z, double *u) {
  for (int i = 0; i < p->nx; i++) z[i] = (x[i] - p->mean[i]) * p->inv_std[i];
  for (int k = 0; k < p->nu; k++) {
    const double *m = p->M + (size_t)k * p->nx;
    double s = 0;
    for (int i = 0; i < p->nx; i++) s += m[i] * z[i];
    u[k] = s < lo[k] ? lo[k] : s > hi[k] ? hi[k] : s;
  }
}

double ds_linear_meta_num(const ds_linear *p, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->meta, key);
  if (!cJSON_IsString(v)) return NAN;
  char *end;
  double d = strtod(v->valuestring, &end);
  return end != v->valuestring && *end == 0 ? d : NAN;
}

void ds_linear_meta_set(ds_linear *p, const char *key, const char *value) {
  if (!p->meta) p->meta = cJSON_CreateObject();
  if (cJSON_GetObjectItemCaseSensitive(p->meta, key)) cJSON_DeleteItemFromObjectCaseSensitive(p->meta, key);
  cJSON_AddStringToObject(p->meta, key, value);
}

void ds_linear_meta_num_set(ds_linear *p, const char *key, double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", value);
  ds_linear_meta_set(p, key, buf);
}

int ds_linear_write(const char *path, const ds_linear *p, sgp_err *e) {
  sgp_st s;
  sgp_st_init(&s);
  int64_t sm[2] = {p->nu, p->nx}, sv[1] = {p->nx};
  int rc = sgp_st_add(&s, "M", SGP_F64, 2, sm, p->M, e) || sgp_st_add(&s, "mean", SGP_F64, 1, sv, p->mean, e) ||
           sgp_st_add(&s, "inv_std", SGP_F64, 1, sv, p->inv_std, e);
  if (rc == 0) {
    sgp_st_set_meta(&s, "format", LINEAR_FORMAT);
    for (const cJSON *it = p->meta ? p->meta->child : NULL; it; it = it->next)
      if (cJSON_IsString(it) && strcmp(it->string, "format")) sgp_st_set_meta(&s, it->string, it->valuestring);
    rc = sgp_st_write(path, &s, e);
  }
  sgp_st_free(&s);
  return rc ? -1 : 0;
}

/* The float64 tensor `name` of the given shape, copied into a new buffer. */
static int get_f64(const sgp_st *s, const char *path, const char *name, int ndim, const int64_t *shape, double **out,
                   sgp_err *e) {
  const sgp_tensor *t = sgp_st_find(s, name);
  if (!t) return sgp_fail(e, "%s: tensor '%s': missing", path, name);
  if (t->a.dtype != SGP_F64) return sgp_fail(e, "%s: tensor '%s': dtype %s, expected float64", path, name, sgp_dtype_name(t->a.dtype));
  int ok = t->a.ndim == ndim;
  for (int i = 0; ok && i < ndim; i++) ok = t->a.shape[i] == shape[i];
  if (!ok)
    return ndim == 2 ? sgp_fail(e, "%s: tensor '%s': expected shape [%lld, %lld]", path, name, (long long)shape[0], (long long)shape[1])
                     : sgp_fail(e, "%s: tensor '%s': expected shape [%lld]", path, name, (long long)shape[0]);
  size_t n = sgp_array_count(&t->a);
  if (!sgp_all_finite_d(t->a.data, n)) return sgp_fail(e, "%s: tensor '%s': non-finite values", path, name);
  *out = sgp_malloc(sizeof(double) * (n ? n : 1));
  memcpy(*out, t->a.data, sizeof(double) * n);
  return 0;
}

int ds_linear_read(const char *path, const sgp_env *env, ds_linear *out, sgp_err *e) {
  void *buf = NULL;
  size_t len = 0;
  if (sgp_read_file(path, &buf, &len, (size_t)1 << 30, e)) return -1;
  int rc = ds_linear_parse(buf, len, path, env, out, e);
  free(buf);
  return rc;
}

int ds_linear_parse(const void *buf, size_t len, const char *path, const sgp_env *env, ds_linear *out, sgp_err *e) {
  sgp_st s;
  if (sgp_st_parse(buf, len, path, &s, e)) return -1;
  ds_linear p;
  memset(&p, 0, sizeof p);
  int rc = 0;
  const char *fmt = sgp_st_get_meta(&s, "format");
  const sgp_tensor *tm = sgp_st_find(&s, "M");
  if (!fmt || strcmp(fmt, LINEAR_FORMAT)) rc = sgp_fail(e, "%s: metadata 'format': expected \"%s\"", path, LINEAR_FORMAT);
  else if (!tm) rc = sgp_fail(e, "%s: tensor 'M': missing", path);
  else if (tm->a.ndim != 2 || tm->a.shape[0] < 1 || tm->a.shape[1] < 1 || tm->a.shape[0] > 4096 || tm->a.shape[1] > 1 << 20)
    rc = sgp_fail(e, "%s: tensor 'M': expected a 2-D [nu, nx] matrix", path);
  if (rc == 0) {
    p.nu = (int)tm->a.shape[0];
    p.nx = (int)tm->a.shape[1];
    if (env && (p.nx != env->spec.nx || p.nu != env->spec.nu))
      rc = sgp_fail(e, "%s: tensor 'M': shape [%d, %d], environment '%s' needs [%d, %d]", path, p.nu, p.nx,
                    env->spec.name, env->spec.nu, env->spec.nx);
  }
  if (rc == 0) {
    const char *en = sgp_st_get_meta(&s, "env");
    if (env && en && strcmp(en, env->spec.name))
      rc = sgp_fail(e, "%s: metadata 'env': a policy for '%s', not '%s'", path, en, env->spec.name);
  }
  int64_t sm[2] = {p.nu, p.nx}, sv[1] = {p.nx};
  if (rc == 0)
    rc = get_f64(&s, path, "M", 2, sm, &p.M, e) || get_f64(&s, path, "mean", 1, sv, &p.mean, e) ||
         get_f64(&s, path, "inv_std", 1, sv, &p.inv_std, e);
  for (int i = 0; rc == 0 && i < p.nx; i++)
    if (p.inv_std[i] < 0) rc = sgp_fail(e, "%s: tensor 'inv_std': entry %d is negative", path, i);
  if (rc == 0) {
    p.meta = cJSON_CreateObject();
    for (const cJSON *it = s.meta ? s.meta->child : NULL; it; it = it->next)
      if (cJSON_IsString(it)) cJSON_AddStringToObject(p.meta, it->string, it->valuestring);
  }
  sgp_st_free(&s);
  if (rc) {
    ds_linear_free(&p);
    return -1;
  }
  *out = p;
  return 0;
}

/* ---- observation statistics ------------------------------------------------------------------- */
void ds_obs_stats_init(ds_obs_stats *s, int nx) {
  s->nx = nx;
  s->count = 0;
  s->mean = sgp_calloc((size_t)nx, sizeof(double));
  s->m2 = sgp_calloc((size_t)nx, sizeof(double));
}
void ds_obs_stats_free(ds_obs_stats *s) {
  free(s->mean);
  free(s->m2);
  memset(s, 0, sizeof *s);
}
void ds_obs_stats_clear(ds_obs_stats *s) {
  s->count = 0;
  memset(s->mean, 0, sizeof(double) * s->nx);
  memset(s->m2, 0, sizeof(double) * s->nx);
}
void ds_obs_stats_add(ds_obs_stats *s, const double *x) {
  s->count += 1;
  for (int i = 0; i < s->nx; i++) {
    double d = x[i] - s->mean[i];
    s->mean[i] += d / s->count;
    s->m2[i] += d * (x[i] - s->mean[i]);
  }
}
void ds_obs_stats_merge(ds_obs_stats *s, const ds_obs_stats *o) {
  if (o->count == 0) return;
  double n = s->count + o->count;
  for (int i = 0; i < s->nx; i++) {
    double d = o->mean[i] - s->mean[i];
    s->mean[i] += d * o->count / n;
    s->m2[i] += o->m2[i] + d * d * s->count * o->count / n;
  }
  s->count = n;
}

/* ---- rollouts ----------------------------------------------------------------------------------- */
void ds_episode_rec_free(ds_episode_rec *r) {
  if (!r) return;
  free(r->x), free(r->u), free(r->xn), free(r->r), free(r->term), free(r->qpos), free(r->qvel);
  memset(r, 0, sizeof *r);
}

static void rec_push(ds_episode_rec *r, const sgp_env *env, const double *x, const double *u, const double *xn,
                     double rew, int term, const double *qpos, const double *qvel) {
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 256;
    r->x = sgp_realloc(r->x, sizeof(float) * r->cap * r->nx);
    r->xn = sgp_realloc(r->xn, sizeof(float) * r->cap * r->nx);
    r->u = sgp_realloc(r->u, sizeof(float) * r->cap * r->nu);
    r->r = sgp_realloc(r->r, sizeof(float) * r->cap);
    r->term = sgp_realloc(r->term, (size_t)r->cap);
    r->qpos = sgp_realloc(r->qpos, sizeof(double) * r->cap * (r->nq ? r->nq : 1));
    r->qvel = sgp_realloc(r->qvel, sizeof(double) * r->cap * (r->nv ? r->nv : 1));
  }
  (void)env;
  int k = r->n++;
  for (int i = 0; i < r->nx; i++) r->x[(size_t)k * r->nx + i] = (float)x[i], r->xn[(size_t)k * r->nx + i] = (float)xn[i];
  for (int i = 0; i < r->nu; i++) r->u[(size_t)k * r->nu + i] = (float)u[i];
  r->r[k] = (float)rew;
  r->term[k] = (uint8_t)term;
  memcpy(r->qpos + (size_t)k * r->nq, qpos, sizeof(double) * r->nq);
  memcpy(r->qvel + (size_t)k * r->nv, qvel, sizeof(double) * r->nv);
}

int ds_rollout(sgp_env *env, const ds_linear *p, uint64_t seed, int T, double shift, ds_obs_stats *stats,
               ds_episode_rec *rec, double *ret, int *len, sgp_err *e) {
  int nx = env->spec.nx, nu = env->spec.nu, nq, nv;
  env_sim_dims(env, &nq, &nv);
  double x[64], xn[64], z[64], u[64], qpos[64], qvel[64];
  if (nx > 64 || nu > 64 || nq > 64 || nv > 64) return sgp_fail(e, "%s: too large for a linear-policy rollout", env->spec.name);
  if (rec) {
    memset(rec, 0, sizeof *rec);
    rec->nx = nx, rec->nu = nu, rec->nq = nq, rec->nv = nv;
  }
  if (env_reset(env, seed, x, e)) return -1;
  double R = 0;
  int t = 0;
  for (; t < T; t++) {
    if (stats) ds_obs_stats_add(stats, x);
    if (rec) env_get_sim_state(env, qpos, qvel);
    ds_linear_act(p, x, env->spec.u_lo, env->spec.u_hi, z, u);
    double r;
    int term;
    if (env_step(env, u, xn, &r, &term, e)) return -1;
    R += r - shift;
    if (rec) rec_push(rec, env, x, u, xn, r, term, qpos, qvel);
    memcpy(x, xn, sizeof(double) * nx);
    if (term) {
      t++;
      break;
    }
  }
  *ret = R;
  *len = t;
  return 0;
}

/* ---- the behaviour policy "linear" (datasets/behaviour.c's table) ------------------------------ */
/* {"type": "linear", "policy": NAME} for a committed policy (datasets/policies/NAME.safetensors,
 * embedded in the program) or {"type": "linear", "file": PATH}. The resolved config records the
 * file's SHA-256 and the policy's measured return ("return_mean", "return_std", "return_episodes");
 * given in a spec, they must match the file. */
const char *sgp_embedded_policy(const char *name, size_t *len); /* generated by cmake/embed.cmake */

int ds_policy_bytes(sgp_cfg *cfg, void **buf, size_t *len, char *label, size_t cap, sgp_err *e) {
  int has_p = sgp_cfg_has(cfg, "policy"), has_f = sgp_cfg_has(cfg, "file");
  if (has_p == has_f)
    return sgp_fail(e, "%s: %s: give exactly one of \"policy\" (a committed policy) and \"file\"", cfg->file, cfg->path);
  const char *name;
  if (has_p) {
    if (sgp_cfg_str(cfg, "policy", &name, e)) return -1;
    char fn[300];
    snprintf(fn, sizeof fn, "%s.safetensors", name);
    const char *data = strchr(name, '/') || strlen(name) > 200 ? NULL : sgp_embedded_policy(fn, len);
    if (!data) return sgp_fail(e, "%s: %s/policy: no committed policy '%s' (datasets/policies/)", cfg->file, cfg->path, name);
    *buf = sgp_malloc(*len + 1);
    memcpy(*buf, data, *len);
    snprintf(label, cap, "datasets/policies/%s", fn);
    return 0;
  }
  if (sgp_cfg_str(cfg, "file", &name, e) || sgp_read_file(name, buf, len, (size_t)1 << 30, e)) return -1;
  snprintf(label, cap, "%s", name);
  return 0;
}

typedef struct linear_pol {
  ds_linear p;
  double z[64];
} linear_pol;

static int check_meta_key(sgp_cfg *cfg, const char *key, const ds_linear *p, const char *file, sgp_err *e) {
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->meta, key));
  if (!v) v = "";
  const cJSON *have = cJSON_GetObjectItemCaseSensitive(cfg->j, key);
  if (!have) {
    cJSON_AddStringToObject(cfg->j, key, v);
    return 0;
  }
  if (!cJSON_IsString(have) || strcmp(have->valuestring, v))
    return sgp_fail(e, "%s: %s/%s: does not match the policy %s (%s)", cfg->file, cfg->path, key, file, v);
  return 0;
}

int ds_linear_policy_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e) {
  static const char *const keys[] = {"type", "policy", "file", "sha256", "return_mean", "return_std", "return_episodes",
                                     NULL};
  if (sgp_cfg_check_keys(cfg, keys, e)) return -1;
  void *buf = NULL;
  size_t len = 0;
  char label[512];
  if (ds_policy_bytes(cfg, &buf, &len, label, sizeof label, e)) return -1;
  linear_pol *lp = sgp_calloc(1, sizeof *lp);
  int rc = ds_linear_parse(buf, len, label, env, &lp->p, e);
  if (rc == 0 && lp->p.nx > 64) rc = sgp_fail(e, "%s: more than 64 observation dimensions", label);
  if (rc == 0) {
    char hex[65];
    sgp_sha256_hex(buf, len, hex);
    ds_linear_meta_set(&lp->p, "sha256", hex);
    rc = check_meta_key(cfg, "sha256", &lp->p, label, e) || check_meta_key(cfg, "return_mean", &lp->p, label, e) ||
         check_meta_key(cfg, "return_std", &lp->p, label, e) || check_meta_key(cfg, "return_episodes", &lp->p, label, e);
  }
  free(buf);
  if (rc) {
    ds_linear_free(&lp->p);
    free(lp);
    return -1;
  }
  *self = lp;
  return 0;
}

void ds_linear_policy_destroy(void *self) {
  linear_pol *lp = self;
  if (!lp) return;
  ds_linear_free(&lp->p);
  free(lp);
}

void ds_linear_policy_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a) {
  linear_pol *lp = self;
  (void)rng;
  ds_linear_act(&lp->p, x, env->spec.abox_lo, env->spec.abox_hi, lp->z, a);
}
