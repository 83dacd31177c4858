/* sgp view: watch an environment, a dataset, a saved rollout or an agent acting live, in a window or
 * recorded to PNG frames / a video (docs/viewer.md). Every input is checked here, before any window
 * opens; the window and the rendering live in viewer/ (built when SGP_VIEWER=ON, which defines
 * SGP_HAVE_VIEWER). The live agent is the run's planner, set up by bench/eval.c (eval_agent). */
#include "bench/cli.h"
#include "envs/env.h"
#ifdef SGP_HAVE_VIEWER
#include "bench/eval.h"
#include "datasets/dataset.h"
#include "viewer/view_ui.h"
#include "viewer/viewer.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp view ENV [--env-config FILE.json]             the environment (zero action)\n"
          "       sgp view ENV --dataset DIR                         a dataset\n"
          "       sgp view [ENV] --rollout DIR [--result RESULT.json] a rollout of sgp eval\n"
          "       sgp view --live RUN.json                           the run's agent, acting live\n"
          "  common: [--episode E] [--record OUT [--frames N] [--force] [--clean] [--events FILE]]\n"
          "          [--size WxH] [--speed X] [--camera X,Y,Z,DIST,AZIMUTH,ELEVATION] [--plots LIST] [--quiet]\n"
          "Shows the environment ENV (`sgp list` names them) with MuJoCo's renderer, with the executed\n"
          "path (red), the plan made at each step (magenta), a sampling planner's candidates (cyan),\n"
          "the action (orange), plots of the cost, return, actions, planner objective, data distance\n"
          "and planning time, and a head-up display (F1: keys).\n\n"
          "  --env-config F  the environment's config object ({\"hole\":\"same\"}), or a RUN.json /\n"
          "                  RESULT.json (its env config is used); default: the defaults\n"
          "  --rollout DIR   replay DIR/ep<E>_*.npy written by sgp eval --save-rollout\n"
          "  --result F      the run's RESULT.json: the returns to compare, the planner, its samples\n"
          "                  (and the environment and its config, so ENV may be left out)\n"
          "  --dataset DIR   a dataset (sgp collect): its states as points, its episodes to scrub\n"
          "  --live RUN.json the run's planner in the loop, in the true simulator (a worker thread)\n"
          "  --episode E     which episode (default 0; PgUp / PgDn switch)\n"
          "  --record OUT    no window: frames rendered offscreen into the directory OUT (PNG\n"
          "                  frame_00000.png, ...), OUT.mp4 (ffmpeg) or OUT.ppm (concatenated)\n"
          "  --frames N      frames to record (default: every step of the episode; 1 without one)\n"
          "  --force         replace what OUT holds (refused otherwise when it is not empty)\n"
          "  --clean         frames without the panels (head-up display, plots, timeline)\n"
          "  --events FILE   scripted keys and mouse for a recording (docs/viewer.md)\n"
          "  --size WxH      window / frame size in pixels (default 800x600)\n"
          "  --speed X       playback speed, 1 = the control rate (default 1; also the video rate)\n"
          "  --camera ...    free camera: look-at point, distance, azimuth and elevation (degrees)\n"
          "  --plots LIST    plots shown at the start: return,action,planner,distance,time or 1..5\n"
          "  --quiet         no progress while recording\n\n"
          "keys: F1 help, space pause, left/right step, PgUp/PgDn episode, 1-5 plots, I info,\n"
          "      P C A D plan/candidates/action/dataset, F T [ ] camera, S screenshot, Esc quit;\n"
          "      mouse: left rotate, right move, wheel zoom, Ctrl+drag perturb, click the timeline\n"
          "examples:\n"
          "  sgp view point\n"
          "  sgp view --rollout runs/sgp/rollout --result runs/sgp/result.json --episode 2\n"
          "  sgp view --live runs/sgp/run.json\n"
          "  xvfb-run -a sgp view cartpole --rollout R --record frames/\n"
#ifndef SGP_HAVE_VIEWER
          "\nTHIS BUILD HAS NO VIEWER (configured with -DSGP_VIEWER=OFF).\n"
#endif
  );
}

#ifndef SGP_HAVE_VIEWER
int cmd_view(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "sgp view: this build has no viewer (reconfigure with -DSGP_VIEWER=ON, which "
                  "needs libglfw3-dev, libpng-dev and OpenGL)\n");
  return 1;
}
#else

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end || errno || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_num(const char *s, double *out, char stop, const char **next) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || !(v == v) || v - v != 0) return -1;
  if (*end != stop) return -1;
  *out = v;
  if (next) *next = *end ? end + 1 : end;
  return 0;
}

static int usage_error(const char *opt, const char *what, const char *got) {
  fprintf(stderr, "sgp view: %s: expected %s, got '%s'\n", opt, what, got);
  return 2;
}

/* --plots: names or numbers separated by commas. */
static int parse_plots(const char *s, unsigned *out) {
  static const char *const names[VIEW_NPLOTS] = {"return", "action", "planner", "distance", "time"};
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  *out = 0;
  if (!strcmp(buf, "all")) {
    *out = (1u << VIEW_NPLOTS) - 1;
    return 0;
  }
  for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
    int k = -1;
    for (int i = 0; i < VIEW_NPLOTS; i++)
      if (!strcmp(p, names[i]) || (p[0] == '1' + i && !p[1])) k = i;
    if (k < 0) return -1;
    *out |= 1u << k;
  }
  return 0;
}

/* The size, speed, camera and plot options into o; 0, or the exit code of a usage error. */
static int look_options(int argc, char **argv, view_opts *o) {
  const char *s;
  o->width = 800;
  o->height = 600;
  o->speed = 1;
  if ((s = cli_opt(argc, argv, "--size"))) {
    long w, h;
    const char *x = strchr(s, 'x');
    char wbuf[32];
    if (!x || x - s >= (long)sizeof wbuf) return usage_error("--size", "WIDTHxHEIGHT, e.g. 800x600", s);
    memcpy(wbuf, s, (size_t)(x - s));
    wbuf[x - s] = 0;
    if (parse_long(wbuf, 64, 8192, &w) || parse_long(x + 1, 64, 8192, &h))
      return usage_error("--size", "WIDTHxHEIGHT with sides in [64, 8192]", s);
    o->width = (int)w;
    o->height = (int)h;
  }
  if ((s = cli_opt(argc, argv, "--speed")) &&
      (parse_num(s, &o->speed, 0, NULL) || !(o->speed >= 1.0 / 64 && o->speed <= 64)))
    return usage_error("--speed", "a number in [1/64, 64]", s);
  if ((s = cli_opt(argc, argv, "--camera"))) {
    const char *p = s;
    for (int i = 0; i < 6; i++)
      if (parse_num(p, &o->camera[i], i < 5 ? ',' : 0, &p))
        return usage_error("--camera", "six numbers X,Y,Z,DIST,AZIMUTH,ELEVATION", s);
    if (!(o->camera[3] > 0)) return usage_error("--camera", "a positive distance (4th number)", s);
    o->has_camera = 1;
  }
  if ((s = cli_opt(argc, argv, "--plots")) && parse_plots(s, &o->plots))
    return usage_error("--plots", "names return, action, planner, distance, time (or 1..5, all), comma-separated", s);
  return 0;
}

/* What is shown and where it goes; 0, or the exit code of a usage error. */
static int what_options(int argc, char **argv, view_opts *o) {
  const char *s;
  long v;
  o->quiet = cli_flag(argc, argv, "--quiet");
  o->force = cli_flag(argc, argv, "--force");
  o->clean = cli_flag(argc, argv, "--clean");
  o->rollout_dir = cli_opt(argc, argv, "--rollout");
  o->record = cli_opt(argc, argv, "--record");
  o->events = cli_opt(argc, argv, "--events");
  const char *live = cli_opt(argc, argv, "--live"), *ds = cli_opt(argc, argv, "--dataset");
  if ((o->rollout_dir != NULL) + (live != NULL) + (ds != NULL) > 1)
    return usage_error("--rollout / --dataset / --live", "one of them", o->rollout_dir ? o->rollout_dir : ds);
  if ((s = cli_opt(argc, argv, "--result")) && !o->rollout_dir) return usage_error("--result", "--rollout DIR with it", s);
  if (live && (s = cli_opt(argc, argv, "--env-config")))
    return usage_error("--env-config", "nothing with --live (the run's env config is used)", s);
  if ((s = cli_opt(argc, argv, "--episode"))) {
    if (parse_long(s, 0, 1000000000, &v)) return usage_error("--episode", "a whole number >= 0", s);
    o->episode = (int)v;
  }
  if ((s = cli_opt(argc, argv, "--frames"))) {
    if (!o->record) return usage_error("--frames", "--record OUT with it", s);
    if (parse_long(s, 1, 1000000, &v)) return usage_error("--frames", "a whole number >= 1", s);
    o->frames = (int)v;
  }
  if (!o->record && (o->force || o->clean || o->events))
    return usage_error(o->force ? "--force" : o->clean ? "--clean" : "--events", "--record OUT with it", "");
  return look_options(argc, argv, o);
}

/* ------------------------------------------------------------------ the output */
static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

/* frame_NNNNN.png / .ppm: the frames a recording writes into a directory */
static int is_frame_name(const char *n) {
  int k = 0;
  if (strncmp(n, "frame_", 6)) return 0;
  for (n += 6; *n >= '0' && *n <= '9'; n++) k++;
  return k >= 5 && (!strcmp(n, ".png") || !strcmp(n, ".ppm"));
}

/* A directory of frames: refused when it holds anything, unless --force, which removes the old
 * frames first (nothing else) so that old and new never mix. 0 or 1. */
static int check_frame_dir(const char *dir, int force) {
  DIR *d = opendir(dir);
  if (!d) return 0; /* created when the frames are written */
  int others = 0, frames = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if (!is_frame_name(de->d_name)) {
      others++;
      continue;
    }
    frames++;
    if (force) {
      char *p = sgp_path_join(dir, de->d_name);
      struct stat st;
      if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && unlink(p)) {
        fprintf(stderr, "sgp view: %s: cannot remove the old frame: %s\n", p, strerror(errno));
        free(p);
        closedir(d);
        return 1;
      }
      free(p);
    }
  }
  closedir(d);
  if ((frames || others) && !force) {
    fprintf(stderr, "sgp view: %s: not empty (%d frame%s, %d other file%s): give an empty directory, or --force "
                    "to replace its frames\n", dir, frames, frames == 1 ? "" : "s", others, others == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

/* The output must be writable where it is asked for, and new (or --force): checked before
 * anything is rendered. 0 or 1. */
static int check_record(const char *record, int force) {
  struct stat st;
  int single = ends_with(record, ".ppm") || ends_with(record, ".mp4");
  if (lstat(record, &st) == 0 && S_ISLNK(st.st_mode)) {
    fprintf(stderr, "sgp view: %s: is a symbolic link (give the path itself)\n", record);
    return 1;
  }
  if (!single) {
    if (stat(record, &st) == 0 && !S_ISDIR(st.st_mode)) {
      fprintf(stderr, "sgp view: %s: exists and is not a directory (frames go into a directory; OUT.mp4 or "
                      "OUT.ppm for one file)\n", record);
      return 1;
    }
    return check_frame_dir(record, force);
  }
  char *dir = sgp_strdup(record), *slash = strrchr(dir, '/');
  int ok = 1;
  if (slash && slash != dir) {
    *slash = 0;
    ok = sgp_path_exists(dir);
  }
  if (!ok) fprintf(stderr, "sgp view: %s: no such directory for --record %s\n", dir, record);
  free(dir);
  if (!ok) return 1;
  if (stat(record, &st) == 0 && !force) {
    fprintf(stderr, "sgp view: %s: exists (--force replaces it)\n", record);
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ configs and results */
/* The environment's config: the object itself, or env.config of a RUN.json, or config.env.config
 * of a RESULT.json (whose env name must then match, when one is asked for). */
static int env_config(const char *file, const char **envname, cJSON *root, cJSON **cfg,
                      const char **where_out, sgp_err *e) {
  if (!cJSON_IsObject(root)) return sgp_fail(e, "%s: expected a JSON object", file);
  const cJSON *run = root, *conf = cJSON_GetObjectItemCaseSensitive(root, "config");
  if (cJSON_IsObject(conf) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(conf, "env"))) run = conf;
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(run, "env");
  if (!cJSON_IsObject(env)) {
    *cfg = cJSON_Duplicate(root, 1);
    return 0;
  }
  const char *where = run == root ? "/env" : "/config/env";
  *where_out = run == root ? "/env/config" : "/config/env/config";
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(env, "name");
  if (!cJSON_IsString(name)) return sgp_fail(e, "%s: %s/name: expected a string", file, where);
  if (*envname && strcmp(name->valuestring, *envname))
    return sgp_fail(e, "%s: %s/name: the run is for '%s', not '%s'", file, where, name->valuestring, *envname);
  if (!*envname) *envname = name->valuestring; /* valid while root is */
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(env, "config");
  if (c && !cJSON_IsObject(c)) return sgp_fail(e, "%s: %s/config: expected an object", file, where);
  *cfg = c ? cJSON_Duplicate(c, 1) : cJSON_CreateObject();
  return 0;
}

/* What the viewer takes from a RESULT.json: every episode's return and final cost, the planner's
 * name and its samples per iteration. */
typedef struct result_info {
  cJSON *root;
  double *ret, *fc;
} result_info;

static int read_result(const char *file, cJSON *root, result_info *ri, view_opts *o, sgp_err *e) {
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "episodes");
  if (!cJSON_IsArray(eps)) return sgp_fail(e, "%s: /episodes: expected an array (is it a RESULT.json of sgp eval?)", file);
  int n = cJSON_GetArraySize(eps);
  ri->ret = sgp_calloc((size_t)n + 1, sizeof(double));
  ri->fc = sgp_calloc((size_t)n + 1, sizeof(double));
  for (int i = 0; i < n; i++) {
    const cJSON *ep = cJSON_GetArrayItem(eps, i), *r = cJSON_GetObjectItemCaseSensitive(ep, "return"),
                *fc = cJSON_GetObjectItemCaseSensitive(ep, "final_cost");
    if (!cJSON_IsNumber(r) || !cJSON_IsNumber(fc))
      return sgp_fail(e, "%s: /episodes/%d: expected numbers 'return' and 'final_cost'", file, i);
    ri->ret[i] = r->valuedouble;
    ri->fc[i] = fc->valuedouble;
  }
  o->result_n = n;
  o->result_return = ri->ret;
  o->result_final_cost = ri->fc;
  const cJSON *pl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "config"), "planner");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(pl, "name"), *samples = cJSON_GetObjectItemCaseSensitive(pl, "samples");
  if (cJSON_IsString(name)) o->planner = name->valuestring;
  if (cJSON_IsNumber(samples) && samples->valuedouble >= 1 && samples->valuedouble < 1e9) o->samples = samples->valueint;
  return 0;
}

/* ------------------------------------------------------------------ the environment and what is shown */
typedef struct view_job {
  eval_agent *agent;      /* --live: the run's planner */
  view_agent ag;
  const char *envname;
  char *envname_buf;      /* a copy of the name read from a config file */
  cJSON *cfg;             /* the environment's config */
  char label[1024];       /* names the config in errors */
  sgp_env *env, *worker;
  result_info ri;
  ds_data ds;
  int have_ds;
  view_dataset vds;
} view_job;

/* The environment's config from --env-config, --result or the dataset's manifest (in that order). */
static int job_config(view_job *j, int argc, char **argv, view_opts *o, sgp_err *e) {
  const char *cfg_file = cli_opt(argc, argv, "--env-config"), *res = cli_opt(argc, argv, "--result");
  const char *where = NULL;
  if (j->envname) j->envname = j->envname_buf = sgp_strdup(j->envname);
  if (res) {
    if (sgp_json_load(res, &j->ri.root, e) || read_result(res, j->ri.root, &j->ri, o, e)) return -1;
    if (!cfg_file && env_config(res, &j->envname, j->ri.root, &j->cfg, &where, e)) return -1;
    if (!cfg_file) snprintf(j->label, sizeof j->label, "%s (%s)", res, where ? where : "");
  }
  if (cfg_file) {
    cJSON *root = NULL;
    if (sgp_json_load(cfg_file, &root, e)) return -1;
    const char *name = j->envname;
    int bad = env_config(cfg_file, &name, root, &j->cfg, &where, e);
    if (!bad && !j->envname) j->envname = j->envname_buf = sgp_strdup(name);
    cJSON_Delete(root);
    if (bad) return -1;
    snprintf(j->label, sizeof j->label, "%s%s%s%s", cfg_file, where ? " (" : "", where ? where : "", where ? ")" : "");
  }
  return 0;
}

/* --dataset: loaded and checked (ds_load), its environment the one shown. */
static int job_dataset(view_job *j, const char *dir, view_opts *o, sgp_err *e) {
  if (ds_load(dir, &j->ds, e)) return -1;
  j->have_ds = 1;
  if (j->envname && strcmp(j->envname, j->ds.env))
    return sgp_fail(e, "%s: the dataset is of '%s', not '%s'", dir, j->ds.env, j->envname);
  j->envname = j->ds.env;
  if (!j->cfg) {
    j->cfg = cJSON_Duplicate(j->ds.env_cfg, 1);
    snprintf(j->label, sizeof j->label, "%s/manifest.json", dir);
  }
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(j->ds.manifest, "behaviour");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(spec, "type");
  view_dataset *v = &j->vds;
  v->dir = dir;
  v->n = j->ds.n;
  v->nx = j->ds.nx, v->nu = j->ds.nu;
  v->x = j->ds.x, v->u = j->ds.u, v->xnext = j->ds.xnext, v->reward = j->ds.reward;
  v->terminal = j->ds.terminal, v->timeout = j->ds.timeout;
  v->nq = j->ds.nq, v->nv = j->ds.nv, v->qpos = j->ds.qpos, v->qvel = j->ds.qvel;
  v->episodic = cJSON_IsString(type) && !strcmp(type->valuestring, "episodes");
  o->dataset = v;
  return 0;
}

/* ------------------------------------------------------------------ the live agent */
static int live_reset(void *self, int episode, double *x0, sgp_err *e) {
  return eval_agent_reset(self, episode, x0, e);
}

static int live_act(void *self, int t, const double *x, double *u, view_plan *p, sgp_err *e) {
  plan_view v;
  plan_diag d;
  if (eval_agent_act(self, t, x, u, &v, &d, e)) return -1;
  memset(p, 0, sizeof *p);
  p->T = v.T;
  p->x = v.x;
  p->ncand = v.ncand;
  p->cand = v.cand_x;
  p->obj = d.objective, p->cost = d.cost, p->pen = d.penalty;
  p->fallback = d.fallback;
  return 0;
}

static double live_distance(void *self, const double *x, const double *u) {
  return eval_agent_distance(self, x, u);
}

/* --live RUN.json: the run's planner and models (as sgp eval sets them up); the environment shown
 * is the run's, with the run's config. */
static int job_live(view_job *j, const char *run, view_opts *o, sgp_err *e) {
  if (eval_agent_open(run, &j->agent, e)) return -1;
  eval_agent_info info;
  eval_agent_describe(j->agent, &info);
  if (o->episode >= info.episodes)
    return sgp_fail(e, "--episode %d: the run has %ld episode%s (%s: /eval/episodes)", o->episode,
                    info.episodes, info.episodes == 1 ? "" : "s", run);
  view_agent *ag = &j->ag;
  ag->self = j->agent;
  ag->name = info.planner;
  ag->samples = info.samples;
  ag->episodes = (int)info.episodes;
  ag->steps = (int)info.steps;
  ag->env = info.env;
  ag->reset = live_reset;
  ag->act = live_act;
  ag->distance = info.has_distance ? live_distance : NULL;
  o->agent = ag;
  o->planner = info.planner;
  o->samples = info.samples;
  cJSON *root = NULL;
  const char *where = NULL;
  if (sgp_json_load(run, &root, e)) return -1;
  int rc = env_config(run, &j->envname, root, &j->cfg, &where, e);
  if (!rc && !j->envname_buf) j->envname = j->envname_buf = sgp_strdup(j->envname);
  cJSON_Delete(root);
  if (!rc) snprintf(j->label, sizeof j->label, "%s (%s)", run, where ? where : "/env/config");
  return rc;
}

static void job_free(view_job *j) {
  eval_agent_close(j->agent);
  free(j->envname_buf);
  env_destroy(j->env);
  env_destroy(j->worker);
  cJSON_Delete(j->cfg);
  cJSON_Delete(j->ri.root);
  free(j->ri.ret);
  free(j->ri.fc);
  if (j->have_ds) ds_free(&j->ds);
}

/* The rendering instance, and a second one for the worker when nothing else is stepped. */
static int job_envs(view_job *j, view_opts *o, sgp_err *e) {
  if (!j->cfg) {
    j->cfg = cJSON_CreateObject();
    snprintf(j->label, sizeof j->label, "--env-config");
  }
  if (env_create(j->envname, j->cfg, j->label, &j->env, e)) return -1;
  o->env = j->env;
  if (!o->rollout_dir && !o->dataset && !o->agent) {
    cJSON *c = cJSON_Duplicate(j->cfg, 1);
    int rc = env_create(j->envname, c, j->label, &j->worker, e);
    cJSON_Delete(c);
    if (rc) return -1;
    o->env_worker = j->worker;
  }
  return 0;
}

static int run_view(view_job *j, int argc, char **argv, view_opts *o) {
  sgp_err e;
  const char *live = cli_opt(argc, argv, "--live"), *ds = cli_opt(argc, argv, "--dataset");
  int rc = job_config(j, argc, argv, o, &e);
  if (!rc && ds) rc = job_dataset(j, ds, o, &e);
  if (!rc && live) rc = job_live(j, live, o, &e);
  if (!rc && !j->envname) {
    fprintf(stderr, "sgp view: missing ENV (or --result / --live, which name it; see sgp view --help)\n");
    return 2;
  }
  if (!rc && !env_find(j->envname)) return cli_unknown_env("view", j->envname);
  if (!rc) rc = job_envs(j, o, &e);
  if (!rc) rc = view_run(o, &e);
  return rc ? cli_error("view", &e) : 0;
}

int cmd_view(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--env-config", "--rollout", "--result", "--dataset", "--live",
                                       "--episode",    "--record",  "--frames", "--events",  "--size",
                                       "--speed",      "--camera",  "--plots",  NULL};
  static const char *const boolean[] = {"--quiet", "--force", "--clean", NULL};
  const char *pos[1] = {NULL};
  int npos, rc = cli_parse("view", argc, argv, valued, boolean, 0, 1, pos, &npos);
  if (rc) return rc;
  if (npos && !env_find(pos[0])) return cli_unknown_env("view", pos[0]);
  view_opts o;
  memset(&o, 0, sizeof o);
  if ((rc = what_options(argc, argv, &o))) return rc;
  if (o.record && check_record(o.record, o.force)) return 1;
  view_job j;
  memset(&j, 0, sizeof j);
  j.envname = npos ? pos[0] : NULL;
  rc = run_view(&j, argc, argv, &o);
  job_free(&j);
  return rc;
}
#endif
