/* Sweep files: validation, expansion of the grid, content addresses and the job graph.
 *
 * Content addresses (docs/sweeps.md): canonical JSON (keys sorted, no white space, shortest
 * round-trip numbers) -> SHA-256 -> first 16 hex digits.
 *   dataset  {"env":{"name","config"},"spec":..,"seed":s,"collector":v}  CACHE/datasets/<key>/
 *   model    {"dataset":<key>,"kind":..,"config":..,"seed":s}           CACHE/models/<key>.safetensors
 *   run      {"env":..,"dataset":<key>,"models":{kind:<key>},"planner":..,"eval":..,"seed":s}
 *                                                                       OUT/runs/<key>.json
 * Keys never contain paths, so moving the cache or the output directory keeps them. */
#include "agents/model_file.h"
#include "bench/eval.h"
#include "bench/sweep.h"
#include "datasets/dataset.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sweep_model_kinds[SWEEP_NMODEL] = {"dynamics", "ensemble", "score", "dde", "cost"};

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
    if (cJSON_IsNull(c)) { /* null removes the key (a field of a lower layer that must not apply) */
      cJSON_DeleteItemFromObjectCaseSensitive(r, c->string);
      continue;
    }
    cJSON *old = cJSON_GetObjectItemCaseSensitive(r, c->string);
    cJSON *nv = (old && cJSON_IsObject(old) && cJSON_IsObject(c)) ? sweep_merge(old, c)
                                                                  : cJSON_Duplicate(c, 1);
    if (old) cJSON_ReplaceItemInObjectCaseSensitive(r, c->string, nv);
    else cJSON_AddItemToObject(r, c->string, nv);
  }
  return r;
}

/* ============================== reading the sweep file ======================================== */
/* The file is read through core's config views without inserting anything: it is recorded in
 * table.json as written, and its hash names the sweep. */

static const cJSON *member(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int model_kind_index(const char *k) {
  for (int i = 0; i < SWEEP_NMODEL; i++)
    if (!strcmp(sweep_model_kinds[i], k)) return i;
  return -1;
}

/* "<file>: <path>/<key>: unknown <what> '<name>' (known: ...)" */
static int fail_unknown_at(sgp_err *e, const sgp_cfg *c, const char *key, const char *what, const char *name,
                           int n, const char *const *names) {
  sgp_fail_unknown(e, what, name, n, sgp_name_in_list, names);
  return sgp_cfg_fail(e, c, key, "%s", e->msg);
}

/* A required, non-empty string. */
static int req_name(const sgp_cfg *c, const char *key, const char **out, sgp_err *e) {
  if (sgp_cfg_str(c, key, out, e)) return -1;
  return (*out)[0] ? 0 : sgp_cfg_fail(e, c, key, "empty string");
}

/* An optional "train" object {kind: {...}} with known kinds; t->j NULL when absent. */
static int read_train(const sgp_cfg *c, sgp_cfg *t, sgp_err *e) {
  if (sgp_cfg_obj_if(c, "train", t, e) < 0) return -1;
  for (const cJSON *k = t->j ? t->j->child : NULL; k; k = k->next) {
    if (model_kind_index(k->string) < 0)
      return fail_unknown_at(e, t, k->string, "model kind", k->string, SWEEP_NMODEL, sweep_model_kinds);
    if (!cJSON_IsObject(k)) return sgp_cfg_fail(e, t, k->string, "expected an object, got %s", sgp_json_type(k));
  }
  return 0;
}

/* An optional "planner" object of defaults, which may not name the planner; p->j NULL when absent. */
static int read_planner_defaults(const sgp_cfg *c, sgp_cfg *p, const char *why, sgp_err *e) {
  if (sgp_cfg_obj_if(c, "planner", p, e) < 0) return -1;
  if (p->j && sgp_cfg_get(p, "name")) return sgp_cfg_fail(e, p, "name", "%s", why);
  return 0;
}

static const char *const metric_names[] = {"auto", "normalized_score", "success", "final_cost"};

static int read_metric(const sgp_cfg *c, const char **out, sgp_err *e) {
  const cJSON *v = sgp_cfg_get(c, "metric");
  if (!v) return 0;
  if (!cJSON_IsString(v)) return sgp_cfg_fail(e, c, "metric", "expected a string, got %s", sgp_json_type(v));
  for (int i = 0; i < 4; i++)
    if (!strcmp(metric_names[i], v->valuestring)) {
      *out = metric_names[i];
      return 0;
    }
  return fail_unknown_at(e, c, "metric", "metric", v->valuestring, 4, metric_names);
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

/* ------------------------------------------------------------------ header, seeds, shared defaults */

/* The sweep-wide defaults every environment and agent starts from. */
typedef struct shared {
  const char *metric;
  const cJSON *eval, *train, *planner; /* NULL when absent */
} shared;

int sweep_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 64 || !isalnum((unsigned char)s[0])) return 0;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("._-", *p)) return 0;
  return 1;
}

static char *name_from_file(const char *file) {
  const char *b = strrchr(file, '/');
  b = b ? b + 1 : file;
  size_t n = strlen(b);
  if (n > 5 && !strcmp(b + n - 5, ".json")) n -= 5;
  return xfmt("%.*s", (int)n, b);
}

static int read_header(sweep *sw, const sgp_cfg *root, shared *sh, sgp_err *e) {
  static const char *const top_keys[] = {"name", "description", "seeds", "metric", "confidence", "figures",
                                         "eval", "train", "planner", "envs", "agents", "tuning", "budget", NULL};
  if (sgp_cfg_check_keys(root, top_keys, e)) return -1;
  const cJSON *v;
  if ((v = sgp_cfg_get(root, "name"))) {
    if (!cJSON_IsString(v) || !v->valuestring[0]) return sgp_cfg_fail(e, root, "name", "expected a non-empty string");
    sw->name = sgp_strdup(v->valuestring);
  } else {
    sw->name = name_from_file(sw->file);
  }
  /* the name becomes a directory under results/ and a word of --list's comments */
  if (!sweep_name_ok(sw->name))
    return sgp_cfg_fail(e, root, "name",
                        "'%.64s' is not a valid sweep name (1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter "
                        "or digit: no path, no shell syntax)%s",
                        sw->name, v ? "" : " (the name comes from the file name: add a \"name\")");
  if ((v = sgp_cfg_get(root, "description")) && !cJSON_IsString(v))
    return sgp_cfg_fail(e, root, "description", "expected a string, got %s", sgp_json_type(v));
  sh->metric = "auto";
  if (read_metric(root, &sh->metric, e)) return -1;
  sw->confidence = 0.95;
  if ((v = sgp_cfg_get(root, "confidence"))) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble < 1))
      return sgp_cfg_fail(e, root, "confidence", "expected a number in (0, 1)");
    sw->confidence = v->valuedouble;
  }
  sw->figures = 1;
  if ((v = sgp_cfg_get(root, "figures"))) {
    if (!cJSON_IsBool(v) && !cJSON_IsArray(v))
      return sgp_cfg_fail(e, root, "figures", "expected a boolean or an array of figures, got %s", sgp_json_type(v));
    sw->figures = !cJSON_IsFalse(v); /* an array: the usual figures and the curves it declares (sweep_curve.c) */
  }
  return 0;
}

/* seeds: a count n (seeds 0..n-1) or a list of distinct whole numbers */
static int read_seeds(sweep *sw, const sgp_cfg *root, sgp_err *e) {
  const cJSON *v = sgp_cfg_get(root, "seeds");
  if (!v) return sgp_cfg_fail(e, root, "seeds", "missing required field");
  if (cJSON_IsNumber(v)) {
    double n = v->valuedouble;
    if (n != floor(n) || n < 1 || n > 1000)
      return sgp_cfg_fail(e, root, "seeds", "expected a whole number of seeds in 1..1000 or a list");
    sw->nseeds = (int)n;
    sw->seeds = sgp_malloc(sizeof *sw->seeds * (size_t)sw->nseeds);
    for (int i = 0; i < sw->nseeds; i++) sw->seeds[i] = i;
    return 0;
  }
  if (!cJSON_IsArray(v))
    return sgp_cfg_fail(e, root, "seeds", "expected a number or an array, got %s", sgp_json_type(v));
  sgp_cfg arr;
  if (sgp_cfg_array(root, "seeds", &arr, &sw->nseeds, e)) return -1;
  if (!sw->nseeds) return sgp_cfg_fail(e, root, "seeds", "empty list (the grid would be empty)");
  sw->seeds = sgp_malloc(sizeof *sw->seeds * (size_t)sw->nseeds);
  int i = 0;
  for (const cJSON *c = v->child; c; c = c->next, i++) {
    char k[16];
    snprintf(k, sizeof k, "%d", i);
    if (!cJSON_IsNumber(c) || c->valuedouble != floor(c->valuedouble) || c->valuedouble < 0 ||
        c->valuedouble > EVAL_MAX_SEED) /* the range of a run's seed (sgp eval) */
      return cJSON_IsNumber(c) ? sgp_cfg_fail(e, &arr, k, "expected a whole number in [0, %ld], got %.17g", EVAL_MAX_SEED, c->valuedouble)
                               : sgp_cfg_fail(e, &arr, k, "expected a whole number >= 0, got %s", sgp_json_type(c));
    sw->seeds[i] = (long)c->valuedouble;
    for (int q = 0; q < i; q++)
      if (sw->seeds[q] == sw->seeds[i]) return sgp_cfg_fail(e, &arr, k, "duplicate seed %ld", sw->seeds[i]);
  }
  return 0;
}

static int read_shared(const sgp_cfg *root, shared *sh, sgp_err *e) {
  sgp_cfg ev, tr, pl;
  if (sgp_cfg_obj_if(root, "eval", &ev, e) < 0 || read_train(root, &tr, e) ||
      read_planner_defaults(root, &pl, "the shared planner defaults cannot name a planner", e))
    return -1;
  sh->eval = ev.j, sh->train = tr.j, sh->planner = pl.j;
  return 0;
}

/* ------------------------------------------------------------------ agents and their grids */

/* One column of the table: an agent at one point of its grid. */
typedef struct variant {
  char *label;
  int agent;   /* index in /agents */
  cJSON *sets; /* array of [pointer, value] pairs from the grid */
} variant;

typedef struct agent_set {
  sgp_cfg arr; /* /agents */
  int n;
  variant *v;
  int nv, cap;
} agent_set;

static const cJSON *agent_json(const agent_set *ag, int i) { return cJSON_GetArrayItem(ag->arr.j, i); }
static const char *agent_name(const agent_set *ag, int i) { return member(agent_json(ag, i), "name")->valuestring; }

static int env_label_exists(const cJSON *envs, const char *label) {
  for (const cJSON *en = cJSON_IsArray(envs) ? envs->child : NULL; en; en = en->next) {
    const cJSON *l = member(en, "label") ? member(en, "label") : member(en, "name");
    if (cJSON_IsString(l) && !strcmp(l->valuestring, label)) return 1;
  }
  return 0;
}

/* /agents/<i>/envs/<label>: overrides of the agent for one environment */
static int read_agent_env(const sgp_cfg *ae, const char *label, const cJSON *envs, sgp_err *e) {
  static const char *const keys[] = {"planner", "train", "tune", NULL};
  sgp_cfg c, x;
  if (!env_label_exists(envs, label)) return sgp_cfg_fail(e, ae, label, "no environment labelled '%s' in /envs", label);
  if (sgp_cfg_obj(ae, label, &c, e) || sgp_cfg_check_keys(&c, keys, e)) return -1;
  if (read_planner_defaults(&c, &x, "per-environment overrides cannot change the planner", e) || read_train(&c, &x, e)) return -1;
  return 0;
}

static int read_agent(const agent_set *ag, int i, const sgp_cfg *a, const cJSON *envs, const char **name,
                      sgp_err *e) {
  static const char *const keys[] = {"name", "planner", "grid", "tune", "train", "envs", NULL};
  const char *pname;
  sgp_cfg pl, t, ae;
  if (sgp_cfg_check_keys(a, keys, e) || req_name(a, "name", name, e)) return -1;
  for (int k = 0; k < i; k++)
    if (!strcmp(agent_name(ag, k), *name)) return sgp_cfg_fail(e, a, "name", "duplicate agent name '%s'", *name);
  if (sgp_cfg_obj(a, "planner", &pl, e) || req_name(&pl, "name", &pname, e) || read_train(a, &t, e) ||
      sgp_cfg_obj_if(a, "envs", &ae, e) < 0)
    return -1;
  for (const cJSON *c = ae.j ? ae.j->child : NULL; c; c = c->next)
    if (read_agent_env(&ae, c->string, envs, e)) return -1;
  return 0;
}

/* One axis of /agents/<i>/grid (its key is a planner parameter or a pointer, shown as written). */
static int check_grid_axis(const sgp_cfg *g, const cJSON *c, sgp_err *e) {
  const char *k = c->string, *f = g->file, *p = g->path;
  if (!cJSON_IsArray(c)) return sgp_fail(e, "%s: %s/%s: expected an array of values, got %s", f, p, k, sgp_json_type(c));
  if (cJSON_GetArraySize(c) == 0) return sgp_fail(e, "%s: %s/%s: empty grid axis", f, p, k);
  if (!k[0]) return sgp_fail(e, "%s: %s/: empty parameter name", f, p);
  if (k[0] == '/' && strncmp(k, "/planner/", 9) && strncmp(k, "/train/", 7))
    return sgp_fail(e, "%s: %s/%s: a pointer must start with /planner/ or /train/<kind>/", f, p, k);
  if (!strncmp(k, "/train/", 7)) {
    const char *t = k + 7, *sl = strchr(t, '/');
    char kind[32];
    size_t n = sl ? (size_t)(sl - t) : strlen(t);
    snprintf(kind, sizeof kind, "%.*s", (int)(n < 31 ? n : 31), t);
    if (!sl || model_kind_index(kind) < 0)
      return sgp_fail(e, "%s: %s/%s: expected /train/<dynamics|ensemble|score|dde>/<field>", f, p, k);
  }
  if (!strcmp(k, "name") || !strcmp(k, "/planner/name"))
    return sgp_fail(e, "%s: %s/%s: the planner name cannot be a grid axis (add another agent)", f, p, k);
  int idx = 0;
  for (const cJSON *v = c->child; v; v = v->next, idx++) {
    if (cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsNull(v))
      return sgp_fail(e, "%s: %s/%s/%d: expected a number, string or boolean, got %s", f, p, k, idx, sgp_json_type(v));
    for (const cJSON *w = c->child; w != v; w = w->next)
      if (cJSON_Compare(v, w, 1)) return sgp_fail(e, "%s: %s/%s/%d: duplicate value", f, p, k, idx);
  }
  return 0;
}

/* value text for a grid label: numbers canonical, strings bare */
static char *value_text(const cJSON *v) {
  if (cJSON_IsString(v)) return sgp_strdup(v->valuestring);
  return sweep_canonical(v);
}

/* The variant at grid point at[] (one value index per axis): "name[k1=v1,k2=v2]". */
static void add_variant(agent_set *ag, int ai, const char *name, const cJSON *grid, const int *at) {
  if (ag->nv == ag->cap) {
    ag->cap = ag->cap ? 2 * ag->cap : 16;
    ag->v = sgp_realloc(ag->v, sizeof *ag->v * (size_t)ag->cap);
  }
  variant *v = &ag->v[ag->nv++];
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
  if (k) sb_str(&lab, "]");
  v->label = lab.s;
}

/* Advances the odometer at[] over the grid's axes (the last fastest); 0 when it wraps around. */
static int grid_next(const cJSON *grid, int *at, int nk) {
  for (int d = nk - 1; d >= 0; d--) {
    if (++at[d] < cJSON_GetArraySize(cJSON_GetArrayItem(grid, d))) return 1;
    at[d] = 0;
  }
  return 0;
}

/* Expands the grid of one agent into variants (cartesian product in the grid's key order). */
static int expand_grid(const sgp_cfg *a, int ai, const char *name, agent_set *ag, sgp_err *e) {
  sgp_cfg g;
  if (sgp_cfg_obj_if(a, "grid", &g, e) < 0) return -1;
  int nk = 0;
  for (const cJSON *c = g.j ? g.j->child : NULL; c; c = c->next, nk++)
    if (check_grid_axis(&g, c, e)) return -1;
  int *at = sgp_calloc((size_t)(nk ? nk : 1), sizeof *at);
  do add_variant(ag, ai, name, g.j, at);
  while (grid_next(g.j, at, nk));
  free(at);
  return 0;
}

/* The tuning grid of one cell: its points in the grid's order (the last axis fastest), each
 * {"setting": {axis: value}, "label": "k1=v1,k2=v2", "sets": [[pointer, value], ...]}. */
int sweep_tune_points(const sweep *sw, const cJSON *grid, const char *where, const char *row, const char *col,
                      cJSON **out, sgp_err *e) {
  if (!grid)
    return sgp_fail(e, "%s: agent '%s' has no tuning grid (\"tune\") for row %s: the tuning rule gives every "
                    "agent %d settings on every row", sw->file, col, row, sw->tuning.settings);
  if (!cJSON_IsObject(grid)) return sgp_fail(e, "%s: %s: expected an object of grid axes, got %s", sw->file, where, sgp_json_type(grid));
  sgp_cfg g = sgp_cfg_root((cJSON *)grid, sw->file);
  snprintf(g.path, sizeof g.path, "%s", where);
  int nk = 0, npts = 1;
  for (const cJSON *c = grid->child; c; c = c->next, nk++) {
    if (check_grid_axis(&g, c, e)) return -1;
    npts *= cJSON_GetArraySize(c);
  }
  if (npts != sw->tuning.settings)
    return sgp_fail(e, "%s: %s: %d setting(s) for agent '%s' on row %s; the tuning rule (/tuning/settings) gives "
                    "every agent exactly %d", sw->file, where, npts, col, row, sw->tuning.settings);
  cJSON *pts = cJSON_CreateArray();
  int *at = sgp_calloc((size_t)(nk ? nk : 1), sizeof *at);
  do {
    cJSON *pt = cJSON_CreateObject(), *set = cJSON_AddObjectToObject(pt, "setting");
    cJSON *sets = cJSON_CreateArray();
    sbuf lab = {0};
    sb_put(&lab, "", 0);
    int k = 0;
    for (const cJSON *c = grid->child; c; c = c->next, k++) {
      const cJSON *val = cJSON_GetArrayItem(c, at[k]);
      cJSON_AddItemToObject(set, c->string, cJSON_Duplicate(val, 1));
      cJSON *pair = cJSON_CreateArray();
      char *ptr = c->string[0] == '/' ? sgp_strdup(c->string) : xfmt("/planner/%s", c->string);
      cJSON_AddItemToArray(pair, cJSON_CreateString(ptr));
      cJSON_AddItemToArray(pair, cJSON_Duplicate(val, 1));
      cJSON_AddItemToArray(sets, pair);
      free(ptr);
      char *vt = value_text(val);
      if (k) sb_str(&lab, ",");
      sb_str(&lab, c->string);
      sb_str(&lab, "=");
      sb_str(&lab, vt);
      free(vt);
    }
    cJSON_AddStringToObject(pt, "label", lab.s);
    cJSON_AddItemToObject(pt, "sets", sets);
    cJSON_AddItemToArray(pts, pt);
    free(lab.s);
  } while (grid_next(grid, at, nk));
  free(at);
  *out = pts;
  return 0;
}

/* /agents: validated, expanded into the table's columns (sw->cols). */
static int read_agents(sweep *sw, const sgp_cfg *root, agent_set *ag, sgp_err *e) {
  if (sgp_cfg_array(root, "agents", &ag->arr, &ag->n, e)) return -1;
  if (!ag->n) return sgp_cfg_fail(e, root, "agents", "empty list (the grid would be empty)");
  const cJSON *envs = sgp_cfg_get(root, "envs");
  for (int i = 0; i < ag->n; i++) {
    sgp_cfg a;
    const char *name;
    if (sgp_cfg_index(&ag->arr, i, &a, e) || read_agent(ag, i, &a, envs, &name, e) ||
        expand_grid(&a, i, name, ag, e))
      return -1;
    if (!sw->tuning.on && sgp_cfg_get(&a, "tune"))
      return sgp_cfg_fail(e, &a, "tune", "a tuning grid needs the sweep's /tuning section (its seeds and rule)");
    const cJSON *aenvs = sgp_cfg_get(&a, "envs");
    for (const cJSON *x = !sw->tuning.on && cJSON_IsObject(aenvs) ? aenvs->child : NULL; x; x = x->next)
      if (member(x, "tune"))
        return sgp_fail(e, "%s: %s/envs/%s/tune: a tuning grid needs the sweep's /tuning section (its seeds and rule)",
                        sw->file, a.path, x->string);
  }
  for (int i = 0; i < ag->nv; i++)
    for (int k = 0; k < i; k++)
      if (!strcmp(ag->v[i].label, ag->v[k].label))
        return sgp_fail(e, "%s: /agents/%d: agent label '%s' occurs twice", sw->file, ag->v[i].agent, ag->v[i].label);
  sw->ncols = ag->nv;
  sw->cols = sgp_malloc(sizeof *sw->cols * (size_t)ag->nv);
  for (int i = 0; i < ag->nv; i++) sw->cols[i] = sgp_strdup(ag->v[i].label);
  return 0;
}

static void agents_free(agent_set *ag) {
  for (int i = 0; i < ag->nv; i++) {
    free(ag->v[i].label);
    cJSON_Delete(ag->v[i].sets);
  }
  free(ag->v);
}

/* ------------------------------------------------------------------ environments */

/* One entry of /envs, validated and described by the registry. */
typedef struct env_entry {
  sgp_cfg c;                           /* /envs/<i> */
  const char *name, *label, *metric;
  sgp_cfg cfg, eval, train, planner;   /* optional objects (j NULL when absent) */
  const cJSON *subset;                 /* "agents": the agents it runs, or NULL for all */
  sgp_cfg datasets;
  int ndatasets;
  sweep_env_info info;
  int trajectories;
  cJSON *resolved_eval;                /* shared < environment */
  cJSON *envobj;                       /* {"name", "config"}: what dataset and run keys record */
} env_entry;

static void env_entry_free(env_entry *en) {
  cJSON_Delete(en->resolved_eval);
  cJSON_Delete(en->envobj);
}

static int check_env_label(const sgp_cfg *envs, int i, const env_entry *en, sgp_err *e) {
  for (int k = 0; k < i; k++) {
    const cJSON *o = cJSON_GetArrayItem(envs->j, k);
    const cJSON *l = member(o, "label") ? member(o, "label") : member(o, "name");
    if (!strcmp(l->valuestring, en->label))
      return sgp_cfg_fail(e, &en->c, sgp_cfg_get(&en->c, "label") ? "label" : "name",
                          "duplicate environment label '%s' (give one a different \"label\")", en->label);
  }
  return 0;
}

/* The registry validates the name and the config (on a copy: keys use the file's config). */
static int describe_env(const sweep *sw, env_entry *en, sgp_err *e) {
  cJSON *copy = en->cfg.j ? cJSON_Duplicate(en->cfg.j, 1) : cJSON_CreateObject();
  char path[600];
  snprintf(path, sizeof path, "%s/%s", en->c.path, en->cfg.j ? "config" : "name");
  memset(&en->info, 0, sizeof en->info);
  int rc = sw->reg->env_info(en->name, copy, sw->file, path, &en->info, e);
  cJSON_Delete(copy);
  return rc;
}

/* Whether the row gets the trajectory figure and its rollouts are saved. */
static int read_trajectories(env_entry *en, sgp_err *e) {
  const cJSON *v;
  int traj = en->info.fig.kind != ENV_FIG_NONE && en->info.fig.by_default; /* the env's own choice */
  if ((v = sgp_cfg_get(&en->c, "trajectories"))) {
    if (!cJSON_IsBool(v))
      return sgp_cfg_fail(e, &en->c, "trajectories", "expected a boolean, got %s", sgp_json_type(v));
    if (cJSON_IsTrue(v) && en->info.fig.kind == ENV_FIG_NONE)
      return sgp_cfg_fail(e, &en->c, "trajectories", "environment '%s' declares no trajectory figure (spec.figure)",
                          en->name);
    traj = cJSON_IsTrue(v);
  }
  en->trajectories = traj;
  return 0;
}

/* "agents": the names of the agents this environment runs (default: all). */
static int read_env_agents(env_entry *en, const agent_set *ag, sgp_err *e) {
  const cJSON *s = en->subset = sgp_cfg_get(&en->c, "agents");
  if (!s) return 0;
  if (!cJSON_IsArray(s))
    return sgp_cfg_fail(e, &en->c, "agents", "expected an array of agent names, got %s", sgp_json_type(s));
  if (!cJSON_GetArraySize(s)) return sgp_cfg_fail(e, &en->c, "agents", "empty list (the grid would be empty)");
  sgp_cfg arr;
  if (sgp_cfg_array(&en->c, "agents", &arr, NULL, e)) return -1;
  int k = 0;
  for (const cJSON *c = s->child; c; c = c->next, k++) {
    int ok = 0;
    for (int i = 0; i < ag->n && cJSON_IsString(c) && !ok; i++) ok = !strcmp(agent_name(ag, i), c->valuestring);
    char key[16];
    snprintf(key, sizeof key, "%d", k);
    if (!ok)
      return sgp_cfg_fail(e, &arr, key, "unknown agent '%s' (not in /agents)",
                          cJSON_IsString(c) ? c->valuestring : sgp_json_type(c));
  }
  return 0;
}

/* "auto": the normalised score where references exist and episodes have the reference length. */
static void resolve_metric(env_entry *en) {
  if (strcmp(en->metric, "auto")) return;
  const cJSON *st = member(en->resolved_eval, "steps");
  int full = !cJSON_IsNumber(st) || st->valuedouble == en->info.T;
  en->metric = en->info.has_ref && full ? "normalized_score" : "success";
}

static int read_env(const sweep *sw, const sgp_cfg *envs, int i, const shared *sh, const agent_set *ag,
                    env_entry *en, sgp_err *e) {
  static const char *const keys[] = {"name", "label", "config", "datasets", "eval", "train",
                                     "planner", "agents", "metric", "trajectories", NULL};
  memset(en, 0, sizeof *en);
  if (sgp_cfg_index(envs, i, &en->c, e) || sgp_cfg_check_keys(&en->c, keys, e) ||
      req_name(&en->c, "name", &en->name, e))
    return -1;
  en->label = en->name;
  if (sgp_cfg_get(&en->c, "label") && req_name(&en->c, "label", &en->label, e)) return -1;
  if (check_env_label(envs, i, en, e)) return -1;
  if (sgp_cfg_obj_if(&en->c, "config", &en->cfg, e) < 0 || sgp_cfg_obj_if(&en->c, "eval", &en->eval, e) < 0 ||
      read_train(&en->c, &en->train, e) ||
      read_planner_defaults(&en->c, &en->planner, "environment planner defaults cannot name a planner", e))
    return -1;
  en->metric = sh->metric;
  if (read_metric(&en->c, &en->metric, e) || describe_env(sw, en, e) || read_trajectories(en, e) ||
      read_env_agents(en, ag, e))
    return -1;
  if (sgp_cfg_array(&en->c, "datasets", &en->datasets, &en->ndatasets, e)) return -1;
  if (!en->ndatasets) return sgp_cfg_fail(e, &en->c, "datasets", "empty list (the grid would be empty)");
  en->resolved_eval = sweep_merge(sh->eval, en->eval.j);
  resolve_metric(en);
  en->envobj = cJSON_CreateObject();
  cJSON_AddStringToObject(en->envobj, "name", en->name);
  cJSON_AddItemToObject(en->envobj, "config", en->cfg.j ? cJSON_Duplicate(en->cfg.j, 1) : cJSON_CreateObject());
  return 0;
}

/* /envs/<i>/datasets/<k> */
typedef struct dataset_entry {
  const char *name;
  const cJSON *spec;
} dataset_entry;

static int read_dataset(const env_entry *en, int k, dataset_entry *d, sgp_err *e) {
  static const char *const keys[] = {"name", "spec", NULL};
  sgp_cfg ds, spec;
  if (sgp_cfg_index(&en->datasets, k, &ds, e) || sgp_cfg_check_keys(&ds, keys, e) ||
      req_name(&ds, "name", &d->name, e))
    return -1;
  int f = sgp_cfg_obj_if(&ds, "spec", &spec, e);
  if (f < 0) return -1;
  if (!f) return sgp_cfg_fail(e, &ds, "spec", "missing required field");
  d->spec = spec.j;
  for (int o = 0; o < k; o++)
    if (!strcmp(member(cJSON_GetArrayItem(en->datasets.j, o), "name")->valuestring, d->name))
      return sgp_cfg_fail(e, &ds, "name", "duplicate dataset name '%s'", d->name);
  return 0;
}

/* ============================== the job graph ================================================= */

typedef struct builder {
  sweep *sw;
  int capjobs, capruns, caprows;
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

static char *cache_path(const sweep *sw, const char *sub, const char *key, const char *ext) {
  return xfmt("%s/%s/%s%s", sw->cache, sub, key, ext);
}

/* One cell of the table: an environment's dataset (a row) and an agent variant (a column). */
typedef struct cell {
  const env_entry *en;
  const dataset_entry *d;
  int row, col;
  const variant *v;
  cJSON *holder; /* {"planner": resolved, "train": {kind: resolved}} */
  int mask;      /* PLAN_NEEDS_* of the resolved planner */
  const cJSON *eval; /* the runs' eval (the row's; merged with tuning.eval for tuning runs) */
  int setting;   /* the tuning grid point of a tuning run, -1 for a report run */
} cell;

/* The jobs of one cell and seed, as they are made. */
typedef struct seed_jobs {
  long seed;
  char sstr[32];
  char dkey[17];
  char *ddir;            /* the dataset's directory in the cache */
  int dj;                /* its job */
  cJSON *mkeys, *mpaths; /* kind -> model key, kind -> model file */
  int mjobs[SWEEP_NMODEL], nm;
} seed_jobs;

static int add_data_job(builder *b, const cell *c, seed_jobs *s) {
  sweep *sw = b->sw;
  const env_entry *en = c->en;
  cJSON *dk = cJSON_CreateObject();
  cJSON_AddItemToObject(dk, "env", cJSON_Duplicate(en->envobj, 1));
  cJSON_AddItemToObject(dk, "spec", cJSON_Duplicate(c->d->spec, 1));
  cJSON_AddNumberToObject(dk, "seed", (double)s->seed);
  cJSON_AddNumberToObject(dk, "collector", DS_COLLECTOR_VERSION);
  sweep_key(dk, s->dkey);
  cJSON_Delete(dk);
  int isnew, dj = add_job(b, SWEEP_DATA, s->dkey, &isnew);
  if (!isnew) return dj;
  sweep_job *j = &sw->jobs[dj];
  j->what = xfmt("collect %s/%s seed %ld", en->label, c->d->name, s->seed);
  j->config = cJSON_Duplicate(c->d->spec, 1);
  j->config_path = xfmt("%s/configs/data-%s.json", sw->out, s->dkey);
  char *dir = cache_path(sw, "datasets", s->dkey, "");
  j->done_path = xfmt("%s/manifest.json", dir);
  j->log_path = xfmt("%s/logs/collect-%s.log", sw->out, s->dkey);
  /* collect is deterministic whatever its thread count: one thread, like every job. --reuse: of
   * several sweeps (or --list lines) building this key at once, one builds and the others wait
   * and reuse it (docs/sweeps.md, "Shared caches") */
  const char *args[] = {"collect", en->name, "--spec", j->config_path, "--seed", s->sstr, "--out", dir,
                        "--threads", "1", "--reuse", NULL, NULL, NULL};
  if (en->cfg.j && en->cfg.j->child) {
    j->config2 = cJSON_Duplicate(en->cfg.j, 1);
    j->config2_path = xfmt("%s/configs/env-%s.json", sw->out, s->dkey);
    args[11] = "--env-config";
    args[12] = j->config2_path;
  }
  set_argv(j, sw, args);
  free(dir);
  return dj;
}

/* PLAN_NEEDS_* bits (agents/planner.h) of the model kinds of sweep_model_kinds */
static const int model_bits[SWEEP_NMODEL] = {1, 2, 8, 32, 64};

static void add_model_jobs(builder *b, const cell *c, seed_jobs *s) {
  sweep *sw = b->sw;
  for (int k = 0; k < SWEEP_NMODEL; k++) {
    if (!(c->mask & model_bits[k])) continue;
    const char *kind = sweep_model_kinds[k];
    const cJSON *tcfg = member(member(c->holder, "train"), kind);
    cJSON *mk = cJSON_CreateObject();
    cJSON_AddStringToObject(mk, "dataset", s->dkey);
    cJSON_AddStringToObject(mk, "kind", kind);
    cJSON_AddItemToObject(mk, "config", cJSON_Duplicate(tcfg, 1));
    cJSON_AddNumberToObject(mk, "seed", (double)s->seed);
    char mkey[17];
    sweep_key(mk, mkey);
    cJSON_Delete(mk);
    int isnew, mj = add_job(b, SWEEP_MODEL, mkey, &isnew);
    char *mfile = cache_path(sw, "models", mkey, ".safetensors");
    if (isnew) {
      sweep_job *j = &sw->jobs[mj];
      j->what = xfmt("train %s %s/%s seed %ld", kind, c->en->label, c->d->name, s->seed);
      j->config = cJSON_Duplicate(tcfg, 1);
      j->config_path = xfmt("%s/configs/model-%s.json", sw->out, mkey);
      j->done_path = sgp_strdup(mfile);
      j->log_path = xfmt("%s/logs/train-%s.log", sw->out, mkey);
      const char *args[] = {"train", kind, "--data", s->ddir, "--config", j->config_path,
                            "--out", mfile, "--seed", s->sstr, "--reuse", NULL};
      set_argv(j, sw, args);
      add_dep(j, s->dj);
    }
    cJSON_AddStringToObject(s->mkeys, kind, mkey);
    cJSON_AddStringToObject(s->mpaths, kind, mfile);
    free(mfile);
    s->mjobs[s->nm++] = mj;
  }
}

/* A run's content: its key holds the dataset and models as keys, its config as paths. */
static cJSON *run_json(const cell *c, const seed_jobs *s, const char *dataset, const cJSON *models) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "env", cJSON_Duplicate(c->en->envobj, 1));
  cJSON_AddStringToObject(r, "dataset", dataset);
  cJSON_AddItemToObject(r, "models", cJSON_Duplicate(models, 1));
  cJSON_AddItemToObject(r, "planner", cJSON_Duplicate(member(c->holder, "planner"), 1));
  cJSON_AddItemToObject(r, "eval", cJSON_Duplicate(c->eval, 1));
  cJSON_AddNumberToObject(r, "seed", (double)s->seed);
  return r;
}

static int add_run_job(builder *b, const cell *c, const seed_jobs *s) {
  sweep *sw = b->sw;
  cJSON *rk = run_json(c, s, s->dkey, s->mkeys);
  char rkey[17];
  sweep_key(rk, rkey);
  cJSON_Delete(rk);
  int isnew, rj = add_job(b, SWEEP_RUN, rkey, &isnew);
  if (!isnew) return rj;
  sweep_job *j = &sw->jobs[rj];
  j->what = xfmt("%s %s/%s %s seed %ld", c->setting >= 0 ? "tune" : "eval", c->en->label, c->d->name,
                 c->v->label, s->seed);
  j->config = run_json(c, s, s->ddir, s->mpaths);
  j->config_path = xfmt("%s/configs/run-%s.json", sw->out, rkey);
  j->done_path = xfmt("%s/runs/%s.json", sw->out, rkey);
  j->log_path = xfmt("%s/logs/eval-%s.log", sw->out, rkey);
  char *roll = xfmt("%s/rollouts/%s", sw->out, rkey);
  const char *args[] = {"eval", "--config", j->config_path, "--out", j->done_path,
                        c->en->trajectories ? "--save-rollout" : NULL, roll, NULL};
  set_argv(j, sw, args);
  free(roll);
  add_dep(j, s->dj);
  for (int m = 0; m < s->nm; m++) add_dep(j, s->mjobs[m]);
  return rj;
}

/* A tuning run of cell c at its grid point c->setting and tuning seed si. */
static void add_tuning_run(builder *b, const cell *c, int si, int rj) {
  sweep_tuning *t = &b->sw->tuning;
  t->runs = sgp_realloc(t->runs, sizeof *t->runs * (size_t)(t->nruns + 1));
  sweep_trun *r = &t->runs[t->nruns++];
  r->row = c->row, r->col = c->col, r->setting = c->setting, r->seed_index = si;
  r->seed = t->seeds[si];
  r->job = rj;
}

/* Two cells may resolve to the same run (identical configs): they share it. */
static void add_run(builder *b, const cell *c, int si, int rj, int dj) {
  sweep *sw = b->sw;
  if (c->setting >= 0) {
    add_tuning_run(b, c, si, rj);
    return;
  }
  if (sw->nruns == b->capruns) {
    b->capruns = b->capruns ? 2 * b->capruns : 64;
    sw->runs = sgp_realloc(sw->runs, sizeof *sw->runs * (size_t)b->capruns);
  }
  sweep_run *run = &sw->runs[sw->nruns++];
  run->row = c->row;
  run->col = c->col;
  run->seed_index = si;
  run->seed = sw->seeds[si];
  run->job = rj;
  run->data_job = dj;
}

/* dataset -> models -> run for one cell and seed (a tuning seed for a tuning run) */
static void add_seed(builder *b, const cell *c, int si) {
  seed_jobs s;
  memset(&s, 0, sizeof s);
  s.seed = c->setting >= 0 ? b->sw->tuning.seeds[si] : b->sw->seeds[si];
  snprintf(s.sstr, sizeof s.sstr, "%ld", s.seed);
  s.dj = add_data_job(b, c, &s);
  s.ddir = cache_path(b->sw, "datasets", s.dkey, "");
  s.mkeys = cJSON_CreateObject();
  s.mpaths = cJSON_CreateObject();
  add_model_jobs(b, c, &s);
  int rj = add_run_job(b, c, &s);
  add_run(b, c, si, rj, s.dj);
  cJSON_Delete(s.mkeys);
  cJSON_Delete(s.mpaths);
  free(s.ddir);
}

/* deep merge of layers[0] < layers[1] < ... (NULL layers change nothing) */
static cJSON *merge_layers(const cJSON *const *layers, int n) {
  cJSON *r = sweep_merge(layers[0], layers[1]);
  for (int i = 2; i < n; i++) {
    cJSON *t = sweep_merge(r, layers[i]);
    cJSON_Delete(r);
    r = t;
  }
  return r;
}

/* planner and train configs of a cell: shared < environment < agent < agent-for-this-environment
 * < grid point */
static cJSON *resolve_cell(const shared *sh, const env_entry *en, const cJSON *agent, const variant *v) {
  const cJSON *ov = member(member(agent, "envs"), en->label);
  const cJSON *pl[4] = {sh->planner, en->planner.j, member(agent, "planner"), member(ov, "planner")};
  cJSON *train = cJSON_CreateObject();
  for (int k = 0; k < SWEEP_NMODEL; k++) {
    const char *kind = sweep_model_kinds[k];
    const cJSON *tl[4] = {member(sh->train, kind), member(en->train.j, kind),
                          member(member(agent, "train"), kind), member(member(ov, "train"), kind)};
    cJSON_AddItemToObject(train, kind, merge_layers(tl, 4));
  }
  cJSON *holder = cJSON_CreateObject();
  cJSON_AddItemToObject(holder, "planner", merge_layers(pl, 4));
  cJSON_AddItemToObject(holder, "train", train);
  for (const cJSON *s = v->sets->child; s; s = s->next)
    pointer_set(holder, cJSON_GetArrayItem(s, 0)->valuestring, cJSON_GetArrayItem(s, 1));
  return holder;
}

/* The registry validates the cell's resolved planner and says which models it needs. */
static int cell_needs(const sweep *sw, cell *c, sgp_err *e) {
  char path[96];
  snprintf(path, sizeof path, "/agents/%d/planner", c->v->agent);
  cJSON *copy = cJSON_Duplicate(member(c->holder, "planner"), 1);
  int rc = sw->reg->planner_needs(copy, sw->file, path, &c->mask, e);
  cJSON_Delete(copy);
  return rc;
}

/* [[pointer, value], ...] applied to a cell's {"planner", "train"} */
static void apply_sets(cJSON *holder, const cJSON *sets) {
  for (const cJSON *s = sets ? sets->child : NULL; s; s = s->next)
    pointer_set(holder, cJSON_GetArrayItem(s, 0)->valuestring, cJSON_GetArrayItem(s, 1));
}

/* The tuning stage of a cell: every point of its tuning grid on every tuning seed. */
static int expand_cell_tuning(builder *b, cell *c, const cJSON *agent, sgp_err *e) {
  sweep *sw = b->sw;
  const cJSON *ov = member(member(agent, "envs"), c->en->label);
  const cJSON *grid = member(ov, "tune") ? member(ov, "tune") : member(agent, "tune");
  char where[256];
  if (member(ov, "tune")) snprintf(where, sizeof where, "/agents/%d/envs/%s/tune", c->v->agent, c->en->label);
  else snprintf(where, sizeof where, "/agents/%d/tune", c->v->agent);
  char rowname[512];
  snprintf(rowname, sizeof rowname, "%s/%s", c->en->label, c->d->name);
  cJSON *points;
  if (sweep_tune_points(sw, grid, where, rowname, c->v->label, &points, e)) return -1;
  cJSON *entry = cJSON_CreateObject();
  cJSON_AddNumberToObject(entry, "row", c->row);
  cJSON_AddNumberToObject(entry, "col", c->col);
  cJSON_AddItemToObject(entry, "grid", cJSON_Duplicate(grid, 1));
  cJSON_AddItemToObject(entry, "points", points);
  cJSON_AddItemToArray(sw->tuning.points, entry);
  cJSON *eval = sweep_merge(c->en->resolved_eval, sw->tuning.eval);
  cJSON *base = c->holder;
  int rc = 0, k = 0;
  for (const cJSON *p = points->child; p && !rc; p = p->next, k++) {
    c->holder = cJSON_Duplicate(base, 1);
    apply_sets(c->holder, member(p, "sets"));
    c->eval = eval;
    c->setting = k;
    rc = cell_needs(sw, c, e);
    for (int si = 0; si < sw->tuning.nseeds && !rc; si++) add_seed(b, c, si);
    cJSON_Delete(c->holder);
  }
  c->holder = base;
  cJSON_Delete(eval);
  return rc;
}

/* pass 0: the tuning runs of the cell (a sweep with a tuning stage); pass 1: its report runs, at the
 * chosen tuning setting. */
static int expand_cell(builder *b, const env_entry *en, const dataset_entry *d, const shared *sh,
                       const agent_set *ag, int row, int col, int pass, sgp_err *e) {
  sweep *sw = b->sw;
  cell c = {en, d, row, col, &ag->v[col], NULL, 0, en->resolved_eval, -1};
  const cJSON *agent = agent_json(ag, c.v->agent);
  const cJSON *neps = member(en->resolved_eval, "episodes");
  sw->rows[row].episodes = cJSON_IsNumber(neps) ? (int)neps->valuedouble : 5; /* sgp eval's default */
  c.holder = resolve_cell(sh, en, agent, c.v);
  int rc;
  if (pass == 0) {
    rc = expand_cell_tuning(b, &c, agent, e);
  } else {
    if (sw->tuning.on) apply_sets(c.holder, sweep_tune_chosen(sw, row, col));
    double bv = sweep_budget_value(sw, row, col); /* matched planning time: the measured count */
    if (isfinite(bv)) {
      char ptr[160];
      snprintf(ptr, sizeof ptr, "/planner/%s", member(sw->budget, "parameter")->valuestring);
      cJSON *num = cJSON_CreateNumber(bv);
      pointer_set(c.holder, ptr, num);
      cJSON_Delete(num);
    }
    rc = cell_needs(sw, &c, e);
    for (int si = 0; si < sw->nseeds && !rc; si++) add_seed(b, &c, si);
  }
  cJSON_Delete(c.holder);
  return rc;
}

static int runs_agent(const env_entry *en, const agent_set *ag, int col) {
  const char *name = agent_name(ag, ag->v[col].agent);
  if (!en->subset) return 1;
  for (const cJSON *c = en->subset->child; c; c = c->next)
    if (cJSON_IsString(c) && !strcmp(c->valuestring, name)) return 1;
  return 0;
}

static int add_row(builder *b, const env_entry *en, const char *dataset) {
  sweep *sw = b->sw;
  if (sw->nrows == b->caprows) {
    b->caprows = b->caprows ? 2 * b->caprows : 8;
    sw->rows = sgp_realloc(sw->rows, sizeof *sw->rows * (size_t)b->caprows);
  }
  sweep_row *r = &sw->rows[sw->nrows];
  r->env = sgp_strdup(en->label);
  r->env_name = sgp_strdup(en->name);
  r->dataset = sgp_strdup(dataset);
  r->metric = sgp_strdup(en->metric);
  r->info = en->info;
  r->trajectories = en->trajectories;
  r->config = cJSON_Duplicate(member(en->envobj, "config"), 1);
  return sw->nrows++;
}

/* Every row of one environment (one per dataset) and its cells; the rows are made by the first
 * pass, *row counts them. */
static int expand_env(builder *b, const env_entry *en, const shared *sh, const agent_set *ag, int pass,
                      int first, int *row, sgp_err *e) {
  for (int k = 0; k < en->ndatasets; k++, (*row)++) {
    dataset_entry d;
    if (read_dataset(en, k, &d, e)) return -1;
    if (first) add_row(b, en, d.name);
    for (int col = 0; col < ag->nv; col++)
      if (runs_agent(en, ag, col) && expand_cell(b, en, &d, sh, ag, *row, col, pass, e)) return -1;
  }
  return 0;
}

static void job_free(sweep_job *j);

/* Once the tuning result is known, the tuning jobs leave the graph (their runs are in the result). */
static void drop_tuning_jobs(sweep *sw) {
  for (int i = 0; i < sw->njobs; i++) job_free(&sw->jobs[i]);
  sw->njobs = 0;
  free(sw->tuning.runs);
  sw->tuning.runs = NULL;
  sw->tuning.nruns = 0;
}

/* Pass 0 (a sweep with a tuning stage): the tuning runs. Then, when a tuning result matches them,
 * pass 1: the report runs at the chosen settings; otherwise the tuning runs are the whole graph. */
static int expand_envs(sweep *sw, const sgp_cfg *root, const shared *sh, const agent_set *ag,
                       const sweep_load_opts *o, sgp_err *e) {
  sgp_cfg envs;
  int n;
  if (sgp_cfg_array(root, "envs", &envs, &n, e)) return -1;
  if (!n) return sgp_cfg_fail(e, root, "envs", "empty list (the grid would be empty)");
  builder b = {sw, 0, 0, 0};
  for (int pass = sw->tuning.on ? 0 : 1; pass < 2; pass++) {
    if (pass == 1 && sw->tuning.on) {
      if (sweep_tune_find(sw, o->retune, e)) return -1;
      if (sw->tuning.pending) return 0;
      drop_tuning_jobs(sw);
    }
    int row = 0;
    for (int i = 0; i < n; i++) {
      env_entry en;
      int first = pass == 0 || !sw->tuning.on;
      int rc = read_env(sw, &envs, i, sh, ag, &en, e) || expand_env(&b, &en, sh, ag, pass, first, &row, e);
      env_entry_free(&en);
      if (rc) return -1;
    }
  }
  if (!sw->nruns) return sgp_cfg_fail(e, root, "envs", "the grid is empty (no environment runs any agent)");
  return 0;
}

/* The sweep file -> validated header and defaults -> agent columns -> rows, cells and their jobs. */
static int load_impl(sweep *sw, const sweep_load_opts *o, sgp_err *e) {
  sgp_cfg root = sgp_cfg_root(sw->root, sw->file);
  shared sh;
  agent_set ag;
  memset(&ag, 0, sizeof ag);
  int rc = read_header(sw, &root, &sh, e) || read_seeds(sw, &root, e) ||
           sweep_tune_read(sw, sgp_cfg_get(&root, "tuning"), e) || sweep_budget_read(sw, sgp_cfg_get(&root, "budget"), e) ||
           read_shared(&root, &sh, e) ||
           read_agents(sw, &root, &ag, e) || expand_envs(sw, &root, &sh, &ag, o, e) ||
           sweep_curves_read(sw, e);
  agents_free(&ag);
  return rc ? -1 : 0;
}

static void free_all(void *const *p, size_t n) {
  for (size_t i = 0; i < n; i++) free(p[i]);
}

static void job_free(sweep_job *j) {
  cJSON_Delete(j->config);
  cJSON_Delete(j->config2);
  for (int k = 0; k < j->argc; k++) free(j->argv[k]);
  void *bufs[] = {j->what, j->config_path, j->config2_path, j->done_path, j->log_path, j->argv, j->deps};
  free_all(bufs, sizeof bufs / sizeof bufs[0]);
}

void sweep_free(sweep *sw) {
  if (!sw) return;
  for (int i = 0; i < sw->njobs; i++) job_free(&sw->jobs[i]);
  sweep_tune_free(&sw->tuning);
  sweep_curves_free(sw);
  cJSON_Delete(sw->budget);
  for (int i = 0; i < sw->nrows; i++) {
    void *row[] = {sw->rows[i].env, sw->rows[i].env_name, sw->rows[i].dataset, sw->rows[i].metric};
    free_all(row, 4);
    cJSON_Delete(sw->rows[i].config);
  }
  for (int i = 0; i < sw->ncols; i++) free(sw->cols[i]);
  cJSON_Delete(sw->root);
  void *bufs[] = {sw->jobs, sw->rows, sw->cols, sw->runs, sw->seeds, sw->file,
                  sw->name, sw->sha256, sw->out, sw->cache, sw->prog, sw};
  free_all(bufs, sizeof bufs / sizeof bufs[0]);
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
  for (int r = 0; r < sw->tuning.nruns; r++) sw->tuning.runs[r].job = newidx[sw->tuning.runs[r].job];
  free(sw->jobs);
  sw->jobs = jobs;
  free(order);
  free(newidx);
}

static int from_json(cJSON *root, const char *file, const char *out, const char *cache, const char *prog,
                     const sweep_registry *reg, const sweep_load_opts *o, sweep **swp, sgp_err *e);

int sweep_load(const char *file, const char *out, const char *cache, const char *prog,
               const sweep_registry *reg, sweep **swp, sgp_err *e) {
  sweep_load_opts o = {0};
  return sweep_load_ex(file, out, cache, prog, reg, &o, swp, e);
}

int sweep_load_ex(const char *file, const char *out, const char *cache, const char *prog,
                  const sweep_registry *reg, const sweep_load_opts *o, sweep **swp, sgp_err *e) {
  cJSON *root;
  if (sgp_json_load(file, &root, e)) return -1;
  return from_json(root, file, out, cache, prog, reg, o, swp, e);
}

/* sweep_load_ex on a parsed file (takes ownership of root). */
static int from_json(cJSON *root, const char *file, const char *out, const char *cache, const char *prog,
                     const sweep_registry *reg, const sweep_load_opts *o, sweep **swp, sgp_err *e) {
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
  if (load_impl(sw, o, e)) {
    sweep_free(sw);
    return -1;
  }
  order_jobs(sw);
  /* every job's config checked by the code the job will run, before anything is written */
  if (sw->reg->check_jobs && sw->reg->check_jobs(sw->jobs, sw->njobs, sw->file, e)) {
    sweep_free(sw);
    return -1;
  }
  *swp = sw;
  return 0;
}

int sweep_from_json(cJSON *root, const char *file, const char *out, const char *cache, const char *prog,
                    const sweep_registry *reg, sweep **swp, sgp_err *e) {
  sweep_load_opts o = {0};
  return from_json(root, file, out, cache, prog, reg, &o, swp, e);
}

static int is_fake(const sweep_job *j) { return j->argc > 2 && !strcmp(j->argv[2], "--fake-job"); }

/* A run config with its cache paths ("dataset" and every "models" entry) cut to their last two
 * components (datasets/<key>, models/<key>.safetensors). The keys name the artefacts; the directory
 * above them is how this invocation spells --cache, so a result recorded with another spelling of the
 * same cache (relative, absolute, moved) is still the result of its key. */
static void strip_cache_dir(cJSON *item) {
  if (!cJSON_IsString(item)) return;
  const char *v = item->valuestring, *a = strrchr(v, '/');
  if (!a) return;
  const char *b = a;
  while (b > v && b[-1] != '/') b--;
  char *tail = sgp_strdup(b); /* a copy: cJSON copies in place, and b points into the old value */
  cJSON_SetValuestring(item, tail);
  free(tail);
}

static cJSON *config_keys_only(const cJSON *config) {
  cJSON *c = cJSON_Duplicate(config, 1);
  if (!cJSON_IsObject(c)) return c;
  strip_cache_dir(cJSON_GetObjectItemCaseSensitive(c, "dataset"));
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "models")) strip_cache_dir((cJSON *)m);
  return c;
}

static int same_job_config(const cJSON *want, const cJSON *got) {
  cJSON *w = config_keys_only(want), *g = config_keys_only(got);
  int same = sgp_json_subset(w, g);
  cJSON_Delete(w);
  cJSON_Delete(g);
  return same;
}

/* A run result: JSON, an object with a summary, recording the seed and the config of its job. */
static int check_result(const sweep_job *j, sgp_err *why) {
  cJSON *r = NULL;
  if (sgp_json_load(j->done_path, &r, why)) return -1;
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j->config, "seed");
  int rc = 0;
  if (!cJSON_IsObject(r)) rc = sgp_fail(why, "%s: not a run result (expected an object)", j->done_path);
  else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "summary")))
    rc = sgp_fail(why, "%s: /summary: missing (an incomplete result)", j->done_path);
  else if (!sgp_json_subset(seed, cJSON_GetObjectItemCaseSensitive(r, "seed")))
    rc = sgp_fail(why, "%s: /seed: not the seed of its key (%g)", j->done_path, seed->valuedouble);
  else if (!same_job_config(j->config, cJSON_GetObjectItemCaseSensitive(r, "config")))
    rc = sgp_fail(why, "%s: /config: not the config of its key (%s)", j->done_path, j->config_path);
  cJSON_Delete(r);
  return rc;
}

int sweep_job_check(const sweep_job *j, sgp_err *why) {
  if (!sgp_path_exists(j->done_path)) return 0;
  if (j->kind == SWEEP_RUN) return check_result(j, why) ? -1 : 1;
  if (is_fake(j)) { /* test-only artefacts: readable JSON */
    cJSON *m = NULL;
    if (sgp_json_load(j->done_path, &m, why)) return -1;
    cJSON_Delete(m);
    return 1;
  }
  if (j->kind == SWEEP_MODEL) {
    sgp_st st; /* parsed, an sgpbench model, its tensors' recorded hash verified */
    if (mf_open(j->done_path, NULL, &st, why)) return -1;
    sgp_st_free(&st);
    return 1;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", j->done_path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  ds_data d;
  if (ds_load(dir, &d, why)) return -1; /* every file, shape, value and hash */
  ds_free(&d);
  return 1;
}

int sweep_job_done(const sweep_job *j) {
  sgp_err why;
  return sweep_job_check(j, &why) == 1;
}

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
  /* temporaries of jobs killed earlier (kill -9, power loss) whose processes are gone */
  const char *clean[][2] = {{sw->out, "configs"}, {sw->out, "runs"}, {sw->out, "logs"}, {sw->out, "rollouts"},
                            {sw->cache, "datasets"}, {sw->cache, "models"}, {sw->out, "."}};
  for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++) {
    snprintf(dir, sizeof dir, "%s/%s", clean[i][0], clean[i][1]);
    sgp_clean_stale(dir, NULL);
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
    /* a link planted where the job writes its rollouts is removed, never written through */
    for (int a = 0; a + 1 < j->argc; a++) {
      struct stat st;
      if (!strcmp(j->argv[a], "--save-rollout") && lstat(j->argv[a + 1], &st) == 0 && S_ISLNK(st.st_mode))
        unlink(j->argv[a + 1]);
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ shell form */
static void shell_word(sbuf *b, const char *w);
char *sweep_shell_word(const char *w) {
  sbuf b = {0};
  shell_word(&b, w);
  return b.s;
}

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
