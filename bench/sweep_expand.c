/* Sweep files: validation, expansion of the grid, content addresses and the job graph.
 *
 * Content addresses (docs/sweeps.md): canonical JSON (keys sorted, no white space, shortest
 * round-trip numbers) -> SHA-256 -> first 16 hex digits.
 *   dataset  {"env":{"name","config"},"spec":..,"seed":s,"collector":v}  CACHE/datasets/<key>/
 *   model    {"dataset":<key>,"kind":..,"config":..,"seed":s}           CACHE/models/<key>.safetensors
 *   run      {"env":..,"dataset":<key>,"models":{kind:<key>},"planner":..,"eval":..,"seed":s}
 *                                                                       OUT/runs/<key>.json
 * Keys never contain paths, so moving the cache or the output directory keeps them. */
#include "bench/sweep.h"
#include "datasets/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const sweep_model_kinds[SWEEP_NMODEL] = {"dynamics", "ensemble", "score", "dde"};
/* PLAN_NEEDS_* bits (agents/planner.h) of the model kinds above */
static const int model_bits[SWEEP_NMODEL] = {1, 2, 8, 32};

static char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xfmt(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = sgp_malloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* ============================== canonical JSON ================================================ */

typedef struct sbuf {
  char *s;
  size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = sgp_realloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void canon_string(sbuf *b, const char *s) {
  sb_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    if (*p == '"') sb_put(b, "\\\"", 2);
    else if (*p == '\\') sb_put(b, "\\\\", 2);
    else if (*p == '\n') sb_put(b, "\\n", 2);
    else if (*p == '\t') sb_put(b, "\\t", 2);
    else if (*p == '\r') sb_put(b, "\\r", 2);
    else if (*p < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      sb_str(b, esc);
    } else sb_put(b, (const char *)p, 1);
  }
  sb_put(b, "\"", 1);
}

/* Integers print as integers (10 and 10.0 are the same number), others with the fewest digits
 * that read back to the same double. */
static void canon_number(sbuf *b, double v) {
  char t[64];
  if (!isfinite(v)) {
    sb_str(b, "null");
    return;
  }
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(t, sizeof t, "%.0f", v == 0 ? 0.0 : v);
  } else {
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(t, sizeof t, "%.*g", prec, v);
      if (strtod(t, NULL) == v) break;
    }
  }
  sb_str(b, t);
}

static int cmp_keys(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string, y->string);
}

static void canon(sbuf *b, const cJSON *j) {
  if (cJSON_IsObject(j)) {
    int n = 0;
    for (const cJSON *c = j->child; c; c = c->next) n++;
    const cJSON **v = sgp_malloc(sizeof *v * (size_t)(n ? n : 1));
    n = 0;
    for (const cJSON *c = j->child; c; c = c->next) v[n++] = c;
    qsort(v, (size_t)n, sizeof *v, cmp_keys);
    sb_put(b, "{", 1);
    for (int i = 0; i < n; i++) {
      if (i) sb_put(b, ",", 1);
      canon_string(b, v[i]->string);
      sb_put(b, ":", 1);
      canon(b, v[i]);
    }
    sb_put(b, "}", 1);
    free(v);
  } else if (cJSON_IsArray(j)) {
    sb_put(b, "[", 1);
    for (const cJSON *c = j->child; c; c = c->next) {
      if (c != j->child) sb_put(b, ",", 1);
      canon(b, c);
    }
    sb_put(b, "]", 1);
  } else if (cJSON_IsString(j)) {
    canon_string(b, j->valuestring);
  } else if (cJSON_IsNumber(j)) {
    canon_number(b, j->valuedouble);
  } else if (cJSON_IsTrue(j)) {
    sb_str(b, "true");
  } else if (cJSON_IsFalse(j)) {
    sb_str(b, "false");
  } else {
    sb_str(b, "null");
  }
}

char *sweep_canonical(const cJSON *j) {
  sbuf b = {0};
  sb_put(&b, "", 0);
  canon(&b, j);
  return b.s;
}

void sweep_key(const cJSON *j, char key[17]) {
  char *s = sweep_canonical(j);
  char hex[65];
  sgp_sha256_hex(s, strlen(s), hex);
  memcpy(key, hex, 16);
  key[16] = 0;
  free(s);
}

cJSON *sweep_merge(const cJSON *base, const cJSON *over) {
  cJSON *r = base ? cJSON_Duplicate(base, 1) : cJSON_CreateObject();
  if (!over) return r;
  if (!cJSON_IsObject(r) || !cJSON_IsObject(over)) {
    cJSON_Delete(r);
    return cJSON_Duplicate(over, 1);
  }
  for (const cJSON *c = over->child; c; c = c->next) {
    cJSON *old = cJSON_GetObjectItemCaseSensitive(r, c->string);
    cJSON *nv = (old && cJSON_IsObject(old) && cJSON_IsObject(c)) ? sweep_merge(old, c)
                                                                  : cJSON_Duplicate(c, 1);
    if (old) cJSON_ReplaceItemInObjectCaseSensitive(r, c->string, nv);
    else cJSON_AddItemToObject(r, c->string, nv);
  }
  return r;
}

/* ============================== validation helpers ============================================ */

static const cJSON *get(const cJSON *o, const char *k) {
  return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static const char *tname(const cJSON *j) {
  if (cJSON_IsNumber(j)) return "a number";
  if (cJSON_IsString(j)) return "a string";
  if (cJSON_IsBool(j)) return "a boolean";
  if (cJSON_IsNull(j)) return "null";
  if (cJSON_IsArray(j)) return "an array";
  if (cJSON_IsObject(j)) return "an object";
  return "an invalid value";
}

/* optional field of a given type: 0 absent, 1 present and right, -1 error */
static int opt_obj(const char *file, const char *path, const cJSON *o, const char *k,
                   const cJSON **out, sgp_err *e) {
  const cJSON *v = get(o, k);
  *out = NULL;
  if (!v) return 0;
  if (!cJSON_IsObject(v)) return sgp_fail(e, "%s: %s/%s: expected an object, got %s", file, path, k, tname(v));
  *out = v;
  return 1;
}

static int req_str(const char *file, const char *path, const cJSON *o, const char *k,
                   const char **out, sgp_err *e) {
  const cJSON *v = get(o, k);
  if (!v) return sgp_fail(e, "%s: %s/%s: missing required field", file, path, k);
  if (!cJSON_IsString(v)) return sgp_fail(e, "%s: %s/%s: expected a string, got %s", file, path, k, tname(v));
  if (!v->valuestring[0]) return sgp_fail(e, "%s: %s/%s: empty string", file, path, k);
  *out = v->valuestring;
  return 0;
}

static int check_keys(const char *file, const char *path, const cJSON *o, const char *const *allowed,
                      sgp_err *e) {
  if (!cJSON_IsObject(o)) return sgp_fail(e, "%s: %s: expected an object, got %s", file, path[0] ? path : "/", tname(o));
  for (const cJSON *c = o->child; c; c = c->next) {
    int ok = 0;
    for (int i = 0; allowed[i] && !ok; i++) ok = !strcmp(allowed[i], c->string);
    if (ok) continue;
    char list[512] = "";
    for (int i = 0; allowed[i]; i++) {
      if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
      strncat(list, allowed[i], sizeof list - strlen(list) - 1);
    }
    return sgp_fail(e, "%s: %s/%s: unknown field (allowed: %s)", file, path, c->string, list);
  }
  return 0;
}

static int model_kind_index(const char *k) {
  for (int i = 0; i < SWEEP_NMODEL; i++)
    if (!strcmp(sweep_model_kinds[i], k)) return i;
  return -1;
}

/* a "train" object: {kind: {...}} with known kinds */
static int check_train(const char *file, const char *path, const cJSON *t, sgp_err *e) {
  for (const cJSON *c = t->child; c; c = c->next) {
    if (model_kind_index(c->string) < 0)
      return sgp_fail(e, "%s: %s/%s: unknown model kind (known: dynamics, ensemble, score, dde)", file,
                      path, c->string);
    if (!cJSON_IsObject(c))
      return sgp_fail(e, "%s: %s/%s: expected an object, got %s", file, path, c->string, tname(c));
  }
  return 0;
}

static const char *const metric_names[] = {"auto", "normalized_score", "success", "final_cost", NULL};

static int check_metric(const char *file, const char *path, const cJSON *o, const char **out, sgp_err *e) {
  const cJSON *v = get(o, "metric");
  if (!v) return 0;
  if (!cJSON_IsString(v)) return sgp_fail(e, "%s: %s/metric: expected a string, got %s", file, path, tname(v));
  for (int i = 0; metric_names[i]; i++)
    if (!strcmp(metric_names[i], v->valuestring)) {
      *out = metric_names[i];
      return 0;
    }
  return sgp_fail(e, "%s: %s/metric: unknown metric '%s' (auto, normalized_score, success, final_cost)",
                  file, path, v->valuestring);
}

/* JSON pointer set on an object tree (creating objects on the way); "~1" and "~0" unescaped. */
static int pointer_set(cJSON *root, const char *ptr, const cJSON *value) {
  cJSON *cur = root;
  const char *p = ptr;
  while (*p == '/') {
    p++;
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char tok[256];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof tok; i++) {
      if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
        tok[k++] = p[i + 1] == '0' ? '~' : '/';
        i++;
      } else tok[k++] = p[i];
    }
    tok[k] = 0;
    if (!cJSON_IsObject(cur) || !k) return -1;
    cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, tok);
    if (!end) {
      if (next) cJSON_ReplaceItemInObjectCaseSensitive(cur, tok, cJSON_Duplicate(value, 1));
      else cJSON_AddItemToObject(cur, tok, cJSON_Duplicate(value, 1));
      return 0;
    }
    if (!next) next = cJSON_AddObjectToObject(cur, tok);
    cur = next;
    p = end;
  }
  return -1;
}

/* ============================== the expansion ================================================= */

typedef struct variant {
  char *label;
  int agent;       /* index in /agents */
  cJSON *sets;     /* array of [pointer, value] pairs from the grid */
} variant;

typedef struct builder {
  sweep *sw;
  int capjobs, capruns;
} builder;

static int find_job(const sweep *sw, sweep_kind kind, const char *key) {
  for (int i = 0; i < sw->njobs; i++)
    if (sw->jobs[i].kind == kind && !strcmp(sw->jobs[i].key, key)) return i;
  return -1;
}

static int add_job(builder *b, sweep_kind kind, const char *key, int *is_new) {
  sweep *sw = b->sw;
  int i = find_job(sw, kind, key);
  *is_new = i < 0;
  if (i >= 0) return i;
  if (sw->njobs == b->capjobs) {
    b->capjobs = b->capjobs ? 2 * b->capjobs : 64;
    sw->jobs = sgp_realloc(sw->jobs, sizeof *sw->jobs * (size_t)b->capjobs);
  }
  sweep_job *j = &sw->jobs[sw->njobs];
  memset(j, 0, sizeof *j);
  j->kind = kind;
  memcpy(j->key, key, 17);
  return sw->njobs++;
}

static void set_argv(sweep_job *j, const sweep *sw, const char *const *args) {
  int n = 0;
  while (args[n]) n++;
  int pre = sw->reg->fake ? 3 : 1;
  j->argc = n + pre;
  j->argv = sgp_calloc((size_t)j->argc + 1, sizeof *j->argv);
  j->argv[0] = sgp_strdup(sw->prog);
  if (sw->reg->fake) {
    j->argv[1] = sgp_strdup("sweep");
    j->argv[2] = sgp_strdup("--fake-job");
  }
  for (int i = 0; i < n; i++) j->argv[pre + i] = sgp_strdup(args[i]);
}

static void add_dep(sweep_job *j, int d) {
  for (int i = 0; i < j->ndeps; i++)
    if (j->deps[i] == d) return;
  j->deps = sgp_realloc(j->deps, sizeof *j->deps * (size_t)(j->ndeps + 1));
  j->deps[j->ndeps++] = d;
}

static char *seed_str(long s) { return xfmt("%ld", s); }

void sweep_free(sweep *sw) {
  if (!sw) return;
  for (int i = 0; i < sw->njobs; i++) {
    sweep_job *j = &sw->jobs[i];
    free(j->what);
    free(j->config_path);
    cJSON_Delete(j->config);
    free(j->config2_path);
    cJSON_Delete(j->config2);
    free(j->done_path);
    free(j->log_path);
    for (int k = 0; k < j->argc; k++) free(j->argv[k]);
    free(j->argv);
    free(j->deps);
  }
  free(sw->jobs);
  for (int i = 0; i < sw->nrows; i++) {
    free(sw->rows[i].env);
    free(sw->rows[i].env_name);
    free(sw->rows[i].dataset);
    free(sw->rows[i].metric);
  }
  free(sw->rows);
  for (int i = 0; i < sw->ncols; i++) free(sw->cols[i]);
  free(sw->cols);
  free(sw->runs);
  free(sw->seeds);
  cJSON_Delete(sw->root);
  free(sw->file);
  free(sw->name);
  free(sw->sha256);
  free(sw->out);
  free(sw->cache);
  free(sw->prog);
  free(sw);
}

/* value text for a grid label: numbers canonical, strings bare */
static char *value_text(const cJSON *v) {
  if (cJSON_IsString(v)) return sgp_strdup(v->valuestring);
  return sweep_canonical(v);
}

/* Expands the grid of one agent into variants (cartesian product in the grid's key order). */
static int expand_agent(const char *file, int ai, const cJSON *agent, const char *name, variant **vs,
                        int *nv, int *cap, sgp_err *e) {
  const cJSON *grid = get(agent, "grid");
  char path[128];
  snprintf(path, sizeof path, "/agents/%d/grid", ai);
  int nk = 0;
  if (grid) {
    if (!cJSON_IsObject(grid)) return sgp_fail(e, "%s: %s: expected an object, got %s", file, path, tname(grid));
    for (const cJSON *c = grid->child; c; c = c->next, nk++) {
      if (!cJSON_IsArray(c)) return sgp_fail(e, "%s: %s/%s: expected an array of values, got %s", file, path, c->string, tname(c));
      if (cJSON_GetArraySize(c) == 0) return sgp_fail(e, "%s: %s/%s: empty grid axis", file, path, c->string);
      if (!c->string[0]) return sgp_fail(e, "%s: %s/: empty parameter name", file, path);
      if (c->string[0] == '/' && strncmp(c->string, "/planner/", 9) && strncmp(c->string, "/train/", 7))
        return sgp_fail(e, "%s: %s/%s: a pointer must start with /planner/ or /train/<kind>/", file, path, c->string);
      if (!strncmp(c->string, "/train/", 7)) {
        const char *k = c->string + 7, *sl = strchr(k, '/');
        char kind[32];
        size_t n = sl ? (size_t)(sl - k) : strlen(k);
        snprintf(kind, sizeof kind, "%.*s", (int)(n < 31 ? n : 31), k);
        if (!sl || model_kind_index(kind) < 0)
          return sgp_fail(e, "%s: %s/%s: expected /train/<dynamics|ensemble|score|dde>/<field>", file, path, c->string);
      }
      if (!strcmp(c->string, "name") || !strcmp(c->string, "/planner/name"))
        return sgp_fail(e, "%s: %s/%s: the planner name cannot be a grid axis (add another agent)", file, path, c->string);
      int idx = 0;
      for (const cJSON *v = c->child; v; v = v->next, idx++) {
        if (cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsNull(v))
          return sgp_fail(e, "%s: %s/%s/%d: expected a number, string or boolean, got %s", file, path, c->string, idx, tname(v));
        for (const cJSON *w = c->child; w != v; w = w->next)
          if (cJSON_Compare(v, w, 1)) return sgp_fail(e, "%s: %s/%s/%d: duplicate value", file, path, c->string, idx);
      }
    }
  }
  /* odometer over the axes */
  int *at = sgp_calloc((size_t)(nk ? nk : 1), sizeof *at);
  for (;;) {
    if (*nv == *cap) {
      *cap = *cap ? 2 * *cap : 16;
      *vs = sgp_realloc(*vs, sizeof **vs * (size_t)*cap);
    }
    variant *v = &(*vs)[(*nv)++];
    v->agent = ai;
    v->sets = cJSON_CreateArray();
    sbuf lab = {0};
    sb_str(&lab, name);
    int k = 0;
    for (const cJSON *c = grid ? grid->child : NULL; c; c = c->next, k++) {
      const cJSON *val = cJSON_GetArrayItem(c, at[k]);
      cJSON *pair = cJSON_CreateArray();
      char *ptr = c->string[0] == '/' ? sgp_strdup(c->string) : xfmt("/planner/%s", c->string);
      cJSON_AddItemToArray(pair, cJSON_CreateString(ptr));
      cJSON_AddItemToArray(pair, cJSON_Duplicate(val, 1));
      cJSON_AddItemToArray(v->sets, pair);
      free(ptr);
      char *vt = value_text(val);
      sb_str(&lab, k == 0 ? "[" : ",");
      sb_str(&lab, c->string);
      sb_str(&lab, "=");
      sb_str(&lab, vt);
      free(vt);
    }
    if (nk) sb_str(&lab, "]");
    v->label = lab.s;
    int d = nk - 1;
    while (d >= 0) {
      if (++at[d] < cJSON_GetArraySize(cJSON_GetArrayItem(grid, d))) break;
      at[d--] = 0;
    }
    if (d < 0) break;
  }
  free(at);
  return 0;
}

static int in_str_array(const cJSON *arr, const char *s) {
  for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next)
    if (cJSON_IsString(c) && !strcmp(c->valuestring, s)) return 1;
  return 0;
}

static char *cache_path(const sweep *sw, const char *sub, const char *key, const char *ext) {
  return xfmt("%s/%s/%s%s", sw->cache, sub, key, ext);
}

static int load_impl(sweep *sw, sgp_err *e) {
  const char *file = sw->file;
  cJSON *root = sw->root;
  static const char *const top_keys[] = {"name", "description", "seeds", "metric", "confidence", "figures",
                                         "eval", "train", "planner", "envs", "agents", NULL};
  if (check_keys(file, "", root, top_keys, e)) return -1;
  const cJSON *v;
  if ((v = get(root, "name"))) {
    if (!cJSON_IsString(v) || !v->valuestring[0]) return sgp_fail(e, "%s: /name: expected a non-empty string", file);
    sw->name = sgp_strdup(v->valuestring);
  } else {
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".json")) n -= 5;
    sw->name = xfmt("%.*s", (int)n, b);
  }
  if ((v = get(root, "description")) && !cJSON_IsString(v))
    return sgp_fail(e, "%s: /description: expected a string, got %s", file, tname(v));
  const char *top_metric = "auto";
  if (check_metric(file, "", root, &top_metric, e)) return -1;
  sw->confidence = 0.95;
  if ((v = get(root, "confidence"))) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble < 1))
      return sgp_fail(e, "%s: /confidence: expected a number in (0, 1)", file);
    sw->confidence = v->valuedouble;
  }
  sw->figures = 1;
  if ((v = get(root, "figures"))) {
    if (!cJSON_IsBool(v)) return sgp_fail(e, "%s: /figures: expected a boolean, got %s", file, tname(v));
    sw->figures = cJSON_IsTrue(v);
  }
  /* seeds: a count n (seeds 0..n-1) or a list of distinct whole numbers */
  v = get(root, "seeds");
  if (!v) return sgp_fail(e, "%s: /seeds: missing required field", file);
  if (cJSON_IsNumber(v)) {
    double n = v->valuedouble;
    if (n != floor(n) || n < 1 || n > 1000) return sgp_fail(e, "%s: /seeds: expected a whole number of seeds in 1..1000 or a list", file);
    sw->nseeds = (int)n;
    sw->seeds = sgp_malloc(sizeof *sw->seeds * (size_t)sw->nseeds);
    for (int i = 0; i < sw->nseeds; i++) sw->seeds[i] = i;
  } else if (cJSON_IsArray(v)) {
    sw->nseeds = cJSON_GetArraySize(v);
    if (!sw->nseeds) return sgp_fail(e, "%s: /seeds: empty list (the grid would be empty)", file);
    sw->seeds = sgp_malloc(sizeof *sw->seeds * (size_t)sw->nseeds);
    int i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
      if (!cJSON_IsNumber(c) || c->valuedouble != floor(c->valuedouble) || c->valuedouble < 0 || c->valuedouble > 4e18)
        return sgp_fail(e, "%s: /seeds/%d: expected a whole number >= 0, got %s", file, i, tname(c));
      sw->seeds[i] = (long)c->valuedouble;
      for (int k = 0; k < i; k++)
        if (sw->seeds[k] == sw->seeds[i]) return sgp_fail(e, "%s: /seeds/%d: duplicate seed %ld", file, i, sw->seeds[i]);
    }
  } else {
    return sgp_fail(e, "%s: /seeds: expected a number or an array, got %s", file, tname(v));
  }
  const cJSON *top_eval, *top_train, *top_planner;
  if (opt_obj(file, "", root, "eval", &top_eval, e) < 0) return -1;
  if (opt_obj(file, "", root, "train", &top_train, e) < 0) return -1;
  if (top_train && check_train(file, "/train", top_train, e)) return -1;
  if (opt_obj(file, "", root, "planner", &top_planner, e) < 0) return -1;
  if (top_planner && get(top_planner, "name"))
    return sgp_fail(e, "%s: /planner/name: the shared planner defaults cannot name a planner", file);

  /* ---- agents */
  const cJSON *agents = get(root, "agents");
  if (!agents) return sgp_fail(e, "%s: /agents: missing required field", file);
  if (!cJSON_IsArray(agents)) return sgp_fail(e, "%s: /agents: expected an array, got %s", file, tname(agents));
  int nagents = cJSON_GetArraySize(agents);
  if (!nagents) return sgp_fail(e, "%s: /agents: empty list (the grid would be empty)", file);
  static const char *const agent_keys[] = {"name", "planner", "grid", "train", "envs", NULL};
  variant *vs = NULL;
  int nv = 0, capv = 0, rc = -1;
  int ai = 0;
  const cJSON *envs = get(root, "envs");
  for (const cJSON *a = agents->child; a; a = a->next, ai++) {
    char path[64];
    snprintf(path, sizeof path, "/agents/%d", ai);
    if (check_keys(file, path, a, agent_keys, e)) goto done;
    const char *name, *pname;
    if (req_str(file, path, a, "name", &name, e)) goto done;
    for (const cJSON *b = agents->child; b != a; b = b->next)
      if (!strcmp(get(b, "name")->valuestring, name)) {
        sgp_fail(e, "%s: %s/name: duplicate agent name '%s'", file, path, name);
        goto done;
      }
    const cJSON *pl = get(a, "planner");
    if (!pl) {
      sgp_fail(e, "%s: %s/planner: missing required field", file, path);
      goto done;
    }
    if (!cJSON_IsObject(pl)) {
      sgp_fail(e, "%s: %s/planner: expected an object, got %s", file, path, tname(pl));
      goto done;
    }
    char ppath[96];
    snprintf(ppath, sizeof ppath, "%s/planner", path);
    if (req_str(file, ppath, pl, "name", &pname, e)) goto done;
    const cJSON *t, *ae;
    char tpath[96];
    snprintf(tpath, sizeof tpath, "%s/train", path);
    if (opt_obj(file, path, a, "train", &t, e) < 0 || (t && check_train(file, tpath, t, e))) goto done;
    if (opt_obj(file, path, a, "envs", &ae, e) < 0) goto done;
    for (const cJSON *c = ae ? ae->child : NULL; c; c = c->next) {
      char epath[256];
      snprintf(epath, sizeof epath, "%s/envs/%s", path, c->string);
      int found = 0;
      for (const cJSON *en = cJSON_IsArray(envs) ? envs->child : NULL; en && !found; en = en->next) {
        const cJSON *l = get(en, "label"), *n = get(en, "name");
        const cJSON *lab = l ? l : n;
        found = cJSON_IsString(lab) && !strcmp(lab->valuestring, c->string);
      }
      if (!found) {
        sgp_fail(e, "%s: %s: no environment labelled '%s' in /envs", file, epath, c->string);
        goto done;
      }
      static const char *const ae_keys[] = {"planner", "train", NULL};
      if (check_keys(file, epath, c, ae_keys, e)) goto done;
      const cJSON *x;
      char p2[300];
      snprintf(p2, sizeof p2, "%s/train", epath);
      if (opt_obj(file, epath, c, "planner", &x, e) < 0) goto done;
      if (x && get(x, "name")) {
        sgp_fail(e, "%s: %s/planner/name: per-environment overrides cannot change the planner", file, epath);
        goto done;
      }
      if (opt_obj(file, epath, c, "train", &x, e) < 0 || (x && check_train(file, p2, x, e))) goto done;
    }
    if (expand_agent(file, ai, a, name, &vs, &nv, &capv, e)) goto done;
  }
  for (int i = 0; i < nv; i++)
    for (int k = 0; k < i; k++)
      if (!strcmp(vs[i].label, vs[k].label)) {
        sgp_fail(e, "%s: /agents/%d: agent label '%s' occurs twice", file, vs[i].agent, vs[i].label);
        goto done;
      }
  sw->ncols = nv;
  sw->cols = sgp_malloc(sizeof *sw->cols * (size_t)nv);
  for (int i = 0; i < nv; i++) sw->cols[i] = sgp_strdup(vs[i].label);

  /* ---- environments */
  if (!envs) {
    sgp_fail(e, "%s: /envs: missing required field", file);
    goto done;
  }
  if (!cJSON_IsArray(envs)) {
    sgp_fail(e, "%s: /envs: expected an array, got %s", file, tname(envs));
    goto done;
  }
  if (!cJSON_GetArraySize(envs)) {
    sgp_fail(e, "%s: /envs: empty list (the grid would be empty)", file);
    goto done;
  }
  static const char *const env_keys[] = {"name", "label", "config", "datasets", "eval", "train",
                                         "planner", "agents", "metric", "trajectories", NULL};
  builder b = {sw, 0, 0};
  int caprows = 0, ei = 0;
  for (const cJSON *en = envs->child; en; en = en->next, ei++) {
    char path[64];
    snprintf(path, sizeof path, "/envs/%d", ei);
    if (check_keys(file, path, en, env_keys, e)) goto done;
    const char *ename, *label;
    if (req_str(file, path, en, "name", &ename, e)) goto done;
    label = ename;
    if (get(en, "label") && req_str(file, path, en, "label", &label, e)) goto done;
    for (const cJSON *o = envs->child; o != en; o = o->next) {
      const cJSON *l = get(o, "label") ? get(o, "label") : get(o, "name");
      if (!strcmp(l->valuestring, label)) {
        sgp_fail(e, "%s: %s/%s: duplicate environment label '%s' (give one a different \"label\")", file, path,
                 get(en, "label") ? "label" : "name", label);
        goto done;
      }
    }
    const cJSON *cfg, *ev, *tr, *pl;
    if (opt_obj(file, path, en, "config", &cfg, e) < 0) goto done;
    if (opt_obj(file, path, en, "eval", &ev, e) < 0) goto done;
    char tpath[96];
    snprintf(tpath, sizeof tpath, "%s/train", path);
    if (opt_obj(file, path, en, "train", &tr, e) < 0 || (tr && check_train(file, tpath, tr, e))) goto done;
    if (opt_obj(file, path, en, "planner", &pl, e) < 0) goto done;
    if (pl && get(pl, "name")) {
      sgp_fail(e, "%s: %s/planner/name: environment planner defaults cannot name a planner", file, path);
      goto done;
    }
    const char *metric = top_metric;
    if (check_metric(file, path, en, &metric, e)) goto done;
    /* the registry validates the name and the config (on a copy: keys use the file's config) */
    sweep_env_info info;
    memset(&info, 0, sizeof info);
    cJSON *cfgcopy = cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject();
    char cpath[96];
    snprintf(cpath, sizeof cpath, "%s/%s", path, cfg ? "config" : "name");
    int erc = sw->reg->env_info(ename, cfgcopy, file, cpath, &info, e);
    cJSON_Delete(cfgcopy);
    if (erc) goto done;
    int traj = info.fig.kind != ENV_FIG_NONE && info.fig.by_default; /* the env's own choice */
    if ((v = get(en, "trajectories"))) {
      if (!cJSON_IsBool(v)) {
        sgp_fail(e, "%s: %s/trajectories: expected a boolean, got %s", file, path, tname(v));
        goto done;
      }
      if (cJSON_IsTrue(v) && info.fig.kind == ENV_FIG_NONE) {
        sgp_fail(e, "%s: %s/trajectories: environment '%s' declares no trajectory figure (spec.figure)", file, path, ename);
        goto done;
      }
      traj = cJSON_IsTrue(v);
    }
    const cJSON *subset = get(en, "agents");
    if (subset) {
      if (!cJSON_IsArray(subset)) {
        sgp_fail(e, "%s: %s/agents: expected an array of agent names, got %s", file, path, tname(subset));
        goto done;
      }
      if (!cJSON_GetArraySize(subset)) {
        sgp_fail(e, "%s: %s/agents: empty list (the grid would be empty)", file, path);
        goto done;
      }
      int k = 0;
      for (const cJSON *s = subset->child; s; s = s->next, k++) {
        int ok = 0;
        for (const cJSON *a = agents->child; a && cJSON_IsString(s) && !ok; a = a->next)
          ok = !strcmp(get(a, "name")->valuestring, s->valuestring);
        if (!ok) {
          sgp_fail(e, "%s: %s/agents/%d: unknown agent '%s' (not in /agents)", file, path, k,
                   cJSON_IsString(s) ? s->valuestring : tname(s));
          goto done;
        }
      }
    }
    const cJSON *dss = get(en, "datasets");
    if (!dss) {
      sgp_fail(e, "%s: %s/datasets: missing required field", file, path);
      goto done;
    }
    if (!cJSON_IsArray(dss)) {
      sgp_fail(e, "%s: %s/datasets: expected an array, got %s", file, path, tname(dss));
      goto done;
    }
    if (!cJSON_GetArraySize(dss)) {
      sgp_fail(e, "%s: %s/datasets: empty list (the grid would be empty)", file, path);
      goto done;
    }
    cJSON *eval = sweep_merge(top_eval, ev);
    if (!strcmp(metric, "auto")) {
      /* normalised scores exist only for full-length episodes (the references are) */
      const cJSON *st = cJSON_GetObjectItemCaseSensitive(eval, "steps");
      int full = !cJSON_IsNumber(st) || st->valuedouble == info.T;
      metric = info.has_ref && full ? "normalized_score" : "success";
    }
    cJSON *envobj = cJSON_CreateObject();
    cJSON_AddStringToObject(envobj, "name", ename);
    cJSON_AddItemToObject(envobj, "config", cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject());
    int di = 0;
    for (const cJSON *ds = dss->child; ds; ds = ds->next, di++) {
      char dpath[96];
      snprintf(dpath, sizeof dpath, "%s/datasets/%d", path, di);
      static const char *const ds_keys[] = {"name", "spec", NULL};
      const char *dname;
      const cJSON *spec;
      int bad = check_keys(file, dpath, ds, ds_keys, e) || req_str(file, dpath, ds, "name", &dname, e);
      if (!bad && opt_obj(file, dpath, ds, "spec", &spec, e) <= 0) {
        if (!get(ds, "spec")) sgp_fail(e, "%s: %s/spec: missing required field", file, dpath);
        bad = 1;
      }
      for (const cJSON *o = dss->child; !bad && o != ds; o = o->next)
        if (!strcmp(get(o, "name")->valuestring, dname)) {
          sgp_fail(e, "%s: %s/name: duplicate dataset name '%s'", file, dpath, dname);
          bad = 1;
        }
      if (bad) {
        cJSON_Delete(eval);
        cJSON_Delete(envobj);
        goto done;
      }
      if (sw->nrows == caprows) {
        caprows = caprows ? 2 * caprows : 8;
        sw->rows = sgp_realloc(sw->rows, sizeof *sw->rows * (size_t)caprows);
      }
      int row = sw->nrows++;
      sweep_row *r = &sw->rows[row];
      r->env = sgp_strdup(label);
      r->env_name = sgp_strdup(ename);
      r->dataset = sgp_strdup(dname);
      r->metric = sgp_strdup(metric);
      r->info = info;
      r->trajectories = traj;
      for (int col = 0; col < nv; col++) {
        const cJSON *agent = cJSON_GetArrayItem(agents, vs[col].agent);
        const char *aname = get(agent, "name")->valuestring;
        if (subset && !in_str_array(subset, aname)) continue;
        const cJSON *ov = get(get(agent, "envs"), label);
        /* planner: shared < environment < agent < agent-for-this-environment < grid point */
        cJSON *p1 = sweep_merge(top_planner, pl);
        cJSON *p2 = sweep_merge(p1, get(agent, "planner"));
        cJSON *planner = sweep_merge(p2, get(ov, "planner"));
        cJSON_Delete(p1);
        cJSON_Delete(p2);
        cJSON *train = cJSON_CreateObject();
        for (int k = 0; k < SWEEP_NMODEL; k++) {
          const char *kind = sweep_model_kinds[k];
          cJSON *t1 = sweep_merge(get(top_train, kind), get(tr, kind));
          cJSON *t2 = sweep_merge(t1, get(get(agent, "train"), kind));
          cJSON *t3 = sweep_merge(t2, get(get(ov, "train"), kind));
          cJSON_AddItemToObject(train, kind, t3);
          cJSON_Delete(t1);
          cJSON_Delete(t2);
        }
        cJSON *holder = cJSON_CreateObject();
        cJSON_AddItemToObject(holder, "planner", planner);
        cJSON_AddItemToObject(holder, "train", train);
        for (const cJSON *s = vs[col].sets->child; s; s = s->next)
          pointer_set(holder, cJSON_GetArrayItem(s, 0)->valuestring, cJSON_GetArrayItem(s, 1));
        char appath[96];
        snprintf(appath, sizeof appath, "/agents/%d/planner", vs[col].agent);
        cJSON *pcopy = cJSON_Duplicate(planner, 1);
        int mask = 0;
        int prc = sw->reg->planner_needs(pcopy, file, appath, &mask, e);
        cJSON_Delete(pcopy);
        if (prc) {
          cJSON_Delete(holder);
          cJSON_Delete(eval);
          cJSON_Delete(envobj);
          goto done;
        }
        for (int si = 0; si < sw->nseeds; si++) {
          long seed = sw->seeds[si];
          char *sstr = seed_str(seed);
          /* dataset */
          cJSON *dk = cJSON_CreateObject();
          cJSON_AddItemToObject(dk, "env", cJSON_Duplicate(envobj, 1));
          cJSON_AddItemToObject(dk, "spec", cJSON_Duplicate(spec, 1));
          cJSON_AddNumberToObject(dk, "seed", (double)seed);
          cJSON_AddNumberToObject(dk, "collector", DS_COLLECTOR_VERSION);
          char dkey[17];
          sweep_key(dk, dkey);
          int isnew;
          int dj = add_job(&b, SWEEP_DATA, dkey, &isnew);
          if (isnew) {
            sweep_job *j = &sw->jobs[dj];
            j->what = xfmt("collect %s/%s seed %ld", label, dname, seed);
            j->config = cJSON_Duplicate(spec, 1);
            j->config_path = xfmt("%s/configs/data-%s.json", sw->out, dkey);
            char *dir = cache_path(sw, "datasets", dkey, "");
            j->done_path = xfmt("%s/manifest.json", dir);
            j->log_path = xfmt("%s/logs/collect-%s.log", sw->out, dkey);
            /* collect is deterministic whatever its thread count: one thread, like every job */
            const char *args[] = {"collect", ename, "--spec", j->config_path, "--seed", sstr, "--out", dir,
                                  "--threads", "1", NULL, NULL, NULL};
            if (cfg && cfg->child) {
              j->config2 = cJSON_Duplicate(cfg, 1);
              j->config2_path = xfmt("%s/configs/env-%s.json", sw->out, dkey);
              args[10] = "--env-config";
              args[11] = j->config2_path;
            }
            set_argv(j, sw, args);
            free(dir);
          }
          cJSON_Delete(dk);
          char *ddir = cache_path(sw, "datasets", dkey, "");
          /* models */
          cJSON *mkeys = cJSON_CreateObject(), *mpaths = cJSON_CreateObject();
          int mjobs[SWEEP_NMODEL], nm = 0;
          for (int k = 0; k < SWEEP_NMODEL; k++) {
            if (!(mask & model_bits[k])) continue;
            const char *kind = sweep_model_kinds[k];
            const cJSON *tcfg = get(get(holder, "train"), kind);
            cJSON *mk = cJSON_CreateObject();
            cJSON_AddStringToObject(mk, "dataset", dkey);
            cJSON_AddStringToObject(mk, "kind", kind);
            cJSON_AddItemToObject(mk, "config", cJSON_Duplicate(tcfg, 1));
            cJSON_AddNumberToObject(mk, "seed", (double)seed);
            char mkey[17];
            sweep_key(mk, mkey);
            cJSON_Delete(mk);
            int mj = add_job(&b, SWEEP_MODEL, mkey, &isnew);
            char *mfile = cache_path(sw, "models", mkey, ".safetensors");
            if (isnew) {
              sweep_job *j = &sw->jobs[mj];
              j->what = xfmt("train %s %s/%s seed %ld", kind, label, dname, seed);
              j->config = cJSON_Duplicate(tcfg, 1);
              j->config_path = xfmt("%s/configs/model-%s.json", sw->out, mkey);
              j->done_path = sgp_strdup(mfile);
              j->log_path = xfmt("%s/logs/train-%s.log", sw->out, mkey);
              const char *args[] = {"train", kind, "--data", ddir, "--config", j->config_path, "--out", mfile, "--seed", sstr, NULL};
              set_argv(j, sw, args);
              add_dep(j, dj);
            }
            cJSON_AddStringToObject(mkeys, kind, mkey);
            cJSON_AddStringToObject(mpaths, kind, mfile);
            free(mfile);
            mjobs[nm++] = mj;
          }
          /* the run */
          cJSON *rk = cJSON_CreateObject();
          cJSON_AddItemToObject(rk, "env", cJSON_Duplicate(envobj, 1));
          cJSON_AddStringToObject(rk, "dataset", dkey);
          cJSON_AddItemToObject(rk, "models", mkeys);
          cJSON_AddItemToObject(rk, "planner", cJSON_Duplicate(get(holder, "planner"), 1));
          cJSON_AddItemToObject(rk, "eval", cJSON_Duplicate(eval, 1));
          cJSON_AddNumberToObject(rk, "seed", (double)seed);
          char rkey[17];
          sweep_key(rk, rkey);
          cJSON_Delete(rk);
          int rj = add_job(&b, SWEEP_RUN, rkey, &isnew);
          if (isnew) {
            sweep_job *j = &sw->jobs[rj];
            j->what = xfmt("eval %s/%s %s seed %ld", label, dname, vs[col].label, seed);
            cJSON *rc2 = cJSON_CreateObject();
            cJSON_AddItemToObject(rc2, "env", cJSON_Duplicate(envobj, 1));
            cJSON_AddStringToObject(rc2, "dataset", ddir);
            cJSON_AddItemToObject(rc2, "models", cJSON_Duplicate(mpaths, 1));
            cJSON_AddItemToObject(rc2, "planner", cJSON_Duplicate(get(holder, "planner"), 1));
            cJSON_AddItemToObject(rc2, "eval", cJSON_Duplicate(eval, 1));
            cJSON_AddNumberToObject(rc2, "seed", (double)seed);
            j->config = rc2;
            j->config_path = xfmt("%s/configs/run-%s.json", sw->out, rkey);
            j->done_path = xfmt("%s/runs/%s.json", sw->out, rkey);
            j->log_path = xfmt("%s/logs/eval-%s.log", sw->out, rkey);
            char *roll = xfmt("%s/rollouts/%s", sw->out, rkey);
            const char *args[] = {"eval", "--config", j->config_path, "--out", j->done_path,
                                  traj ? "--save-rollout" : NULL, roll, NULL};
            set_argv(j, sw, args);
            free(roll);
            add_dep(j, dj);
            for (int m = 0; m < nm; m++) add_dep(j, mjobs[m]);
          }
          cJSON_Delete(mpaths);
          free(ddir);
          free(sstr);
          if (sw->nruns == b.capruns) {
            b.capruns = b.capruns ? 2 * b.capruns : 64;
            sw->runs = sgp_realloc(sw->runs, sizeof *sw->runs * (size_t)b.capruns);
          }
          /* two cells may resolve to the same run (identical configs): they share it */
          sweep_run *run = &sw->runs[sw->nruns++];
          run->row = row;
          run->col = col;
          run->seed_index = si;
          run->seed = seed;
          run->job = rj;
          run->data_job = dj;
        }
        cJSON_Delete(holder);
      }
    }
    cJSON_Delete(eval);
    cJSON_Delete(envobj);
  }
  if (!sw->nruns) {
    sgp_fail(e, "%s: /envs: the grid is empty (no environment runs any agent)", file);
    goto done;
  }
  rc = 0;
done:
  for (int i = 0; i < nv; i++) {
    free(vs[i].label);
    cJSON_Delete(vs[i].sets);
  }
  free(vs);
  return rc;
}

/* Waves (1 + the deepest dependency) and a stable order by wave then kind. */
static void order_jobs(sweep *sw) {
  int n = sw->njobs;
  for (int i = 0; i < n; i++) sw->jobs[i].wave = 0;
  /* dependencies always point to jobs created earlier, so one pass in creation order suffices */
  sw->nwaves = 0;
  for (int i = 0; i < n; i++) {
    int w = 1;
    for (int k = 0; k < sw->jobs[i].ndeps; k++) {
      int d = sw->jobs[sw->jobs[i].deps[k]].wave + 1;
      if (d > w) w = d;
    }
    sw->jobs[i].wave = w;
    if (w > sw->nwaves) sw->nwaves = w;
  }
  int *order = sgp_malloc(sizeof *order * (size_t)(n ? n : 1)), m = 0;
  for (int w = 1; w <= sw->nwaves; w++)
    for (int kind = 0; kind <= SWEEP_RUN; kind++)
      for (int i = 0; i < n; i++)
        if (sw->jobs[i].wave == w && (int)sw->jobs[i].kind == kind) order[m++] = i;
  int *newidx = sgp_malloc(sizeof *newidx * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) newidx[order[i]] = i;
  sweep_job *jobs = sgp_malloc(sizeof *jobs * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) {
    jobs[i] = sw->jobs[order[i]];
    for (int k = 0; k < jobs[i].ndeps; k++) jobs[i].deps[k] = newidx[jobs[i].deps[k]];
  }
  for (int r = 0; r < sw->nruns; r++) {
    sw->runs[r].job = newidx[sw->runs[r].job];
    sw->runs[r].data_job = newidx[sw->runs[r].data_job];
  }
  free(sw->jobs);
  sw->jobs = jobs;
  free(order);
  free(newidx);
}

int sweep_load(const char *file, const char *out, const char *cache, const char *prog,
               const sweep_registry *reg, sweep **swp, sgp_err *e) {
  cJSON *root;
  if (sgp_json_load(file, &root, e)) return -1;
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return sgp_fail(e, "%s: /: expected an object", file);
  }
  sweep *sw = sgp_calloc(1, sizeof *sw);
  sw->reg = reg;
  sw->file = sgp_strdup(file);
  sw->root = root;
  sw->out = sgp_strdup(out);
  sw->cache = sgp_strdup(cache);
  sw->prog = sgp_strdup(prog);
  char *c = sweep_canonical(root);
  char hex[65];
  sgp_sha256_hex(c, strlen(c), hex);
  free(c);
  sw->sha256 = sgp_strdup(hex);
  if (load_impl(sw, e)) {
    sweep_free(sw);
    return -1;
  }
  order_jobs(sw);
  *swp = sw;
  return 0;
}

int sweep_job_done(const sweep_job *j) { return sgp_path_exists(j->done_path); }

static void dirname_of(const char *path, char *out, size_t cap) {
  snprintf(out, cap, "%s", path);
  char *s = strrchr(out, '/');
  if (s) *s = 0;
  else snprintf(out, cap, ".");
}

int sweep_prepare(const sweep *sw, sgp_err *e) {
  char dir[4096];
  const char *subs[] = {"configs", "runs", "logs", NULL};
  for (int i = 0; subs[i]; i++) {
    snprintf(dir, sizeof dir, "%s/%s", sw->out, subs[i]);
    if (sgp_mkdirs(dir, e)) return -1;
  }
  for (int i = 0; i < 2; i++) {
    snprintf(dir, sizeof dir, "%s/%s", sw->cache, i ? "models" : "datasets");
    if (sgp_mkdirs(dir, e)) return -1;
  }
  for (int i = 0; i < sw->njobs; i++) {
    const sweep_job *j = &sw->jobs[i];
    if (sweep_job_done(j)) continue;
    /* the config file: rewritten only when absent or different (it is a pure function of the key) */
    char *txt = cJSON_Print(j->config);
    size_t n = strlen(txt);
    void *old = NULL;
    size_t oldn = 0;
    sgp_err ignore;
    int same = sgp_read_file(j->config_path, &old, &oldn, 64u << 20, &ignore) == 0 && oldn == n + 1 &&
               !memcmp(old, txt, n);
    free(old);
    cJSON_free(txt);
    if (!same && sgp_json_write(j->config_path, j->config, e)) return -1;
    if (j->config2_path && !sgp_path_exists(j->config2_path) && sgp_json_write(j->config2_path, j->config2, e))
      return -1;
    dirname_of(j->done_path, dir, sizeof dir);
    if (j->kind != SWEEP_DATA && sgp_mkdirs(dir, e)) return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ shell form */
static void shell_word(sbuf *b, const char *w) {
  int plain = *w != 0;
  for (const char *p = w; *p && plain; p++)
    plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", *p) != NULL;
  if (plain) {
    sb_str(b, w);
    return;
  }
  sb_put(b, "'", 1);
  for (const char *p = w; *p; p++) {
    if (*p == '\'') sb_str(b, "'\\''");
    else sb_put(b, p, 1);
  }
  sb_put(b, "'", 1);
}

char *sweep_job_shell(const sweep_job *j, int blas_threads) {
  sbuf b = {0};
  char t[64];
  snprintf(t, sizeof t, "OPENBLAS_NUM_THREADS=%d ", blas_threads);
  sb_str(&b, t);
  for (int i = 0; i < j->argc; i++) {
    if (i) sb_put(&b, " ", 1);
    shell_word(&b, j->argv[i]);
  }
  return b.s;
}
