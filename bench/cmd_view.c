/* sgp view: watch an environment or a saved rollout in a window, or record it to PPM frames
 * (docs/viewer.md). Every input is checked here, before any window opens; the window and the
 * rendering live in viewer/ (built when SGP_VIEWER=ON, which defines SGP_HAVE_VIEWER). */
#include "bench/cli.h"
#include "envs/env.h"
#ifdef SGP_HAVE_VIEWER
#include "viewer/viewer.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp view ENV [--env-config FILE.json] [--rollout DIR [--episode E]]\n"
          "                [--record OUT.ppm|OUTDIR [--frames N]] [--size WxH] [--speed X]\n"
          "                [--camera X,Y,Z,DIST,AZIMUTH,ELEVATION] [--quiet]\n"
          "Shows the environment ENV (`sgp list` names them) with MuJoCo's renderer: at its reset\n"
          "state (stepped with zero action when playing), or replaying a rollout saved by\n"
          "`sgp eval --save-rollout DIR`: the executed trajectory (red), the plan made at the current\n"
          "step (magenta) and the candidate rollouts of sampling planners (faint cyan).\n\n"
          "  --env-config F  the environment's config object ({\"hole\":\"same\"}), or a RUN.json /\n"
          "                  RESULT.json (its env config is used); default: the defaults\n"
          "  --rollout DIR   replay DIR/ep<E>_x.npy, _u.npy, _plan_x.npy, _cand_x.npy\n"
          "  --episode E     which episode of the rollout (default 0)\n"
          "  --record OUT    no window: render offscreen and write frames, to OUT.ppm (one file of\n"
          "                  concatenated PPM images) or to the directory OUT (frame_00000.ppm, ...)\n"
          "  --frames N      frames to record (default: every step of the rollout; 1 without one)\n"
          "  --size WxH      window / frame size in pixels (default 800x600)\n"
          "  --speed X       initial playback speed, 1 = the control rate (default 1)\n"
          "  --camera ...    free camera: look-at point, distance, azimuth and elevation (degrees)\n"
          "  --quiet         no progress line while recording\n\n"
          "keys: space pause/play, left/right step, +/- speed, R restart, P plan, C candidates,\n"
          "      Esc quit; mouse: left rotate, right move, middle/wheel zoom (shift: horizontal)\n"
          "examples:\n"
          "  sgp view point --env-config '{...}.json'\n"
          "  sgp view point --rollout runs/sgp/rollout --episode 2\n"
          "  xvfb-run -s '-screen 0 1280x1024x24' sgp view cartpole --rollout R --record frames/\n"
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
                  "needs libglfw3-dev and OpenGL)\n");
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

/* The environment's config: the object itself, or env.config of a RUN.json, or config.env.config
 * of a RESULT.json (whose env name must then match). */
static int env_config(const char *file, const char *envname, cJSON *root, cJSON **cfg,
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
  if (cJSON_IsString(name) && strcmp(name->valuestring, envname))
    return sgp_fail(e, "%s: %s/name: the run is for '%s', not '%s'", file, where, name->valuestring,
                    envname);
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(env, "config");
  if (c && !cJSON_IsObject(c)) return sgp_fail(e, "%s: %s/config: expected an object", file, where);
  *cfg = c ? cJSON_Duplicate(c, 1) : cJSON_CreateObject();
  return 0;
}

/* The options into o (defaults first); 0, or the exit code of a usage error. */
static int view_options(int argc, char **argv, view_opts *o, const char **rollout, long *episode) {
  o->width = 800;
  o->height = 600;
  o->speed = 1;
  o->quiet = cli_flag(argc, argv, "--quiet");
  const char *s;
  long v;
  *rollout = cli_opt(argc, argv, "--rollout");
  if ((s = cli_opt(argc, argv, "--episode"))) {
    if (!*rollout) return usage_error("--episode", "--rollout DIR with it", s);
    if (parse_long(s, 0, 1000000000, episode)) return usage_error("--episode", "a whole number >= 0", s);
  }
  o->record = cli_opt(argc, argv, "--record");
  if ((s = cli_opt(argc, argv, "--frames"))) {
    if (!o->record) return usage_error("--frames", "--record OUT with it", s);
    if (parse_long(s, 1, 1000000, &v)) return usage_error("--frames", "a whole number >= 1", s);
    o->frames = (int)v;
  }
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
  return 0;
}

/* The output must be writable where it is asked for: checked before rendering. 0 or 1. */
static int check_record(const char *record) {
  size_t n = strlen(record);
  if (n >= 4 && !strcmp(record + n - 4, ".ppm")) {
    char *dir = sgp_strdup(record), *slash = strrchr(dir, '/');
    int ok = 1;
    if (slash && slash != dir) {
      *slash = 0;
      ok = sgp_path_exists(dir);
    }
    if (!ok) fprintf(stderr, "sgp view: %s: no such directory for --record %s\n", dir, record);
    free(dir);
    if (!ok) return 1;
  } else {
    struct stat st;
    if (stat(record, &st) == 0 && !S_ISDIR(st.st_mode)) {
      fprintf(stderr, "sgp view: %s: exists and is not a directory (give OUT.ppm for a single "
                      "file of frames)\n", record);
      return 1;
    }
  }
  return 0;
}

/* Creates the environment from its config file (or the defaults), loads the rollout, runs. */
static int view_env(const char *name, const char *cfg_file, const char *rollout, int episode,
                    view_opts *o) {
  sgp_err e;
  cJSON *cfg = NULL;
  sgp_env *env = NULL;
  view_rollout ro = {0};
  int have_ro = 0;
  const char *where = NULL;
  char label[1024];
  int rc = 1;
  if (cfg_file) {
    cJSON *root = NULL;
    if (sgp_json_load(cfg_file, &root, &e)) goto fail;
    int bad = env_config(cfg_file, name, root, &cfg, &where, &e);
    cJSON_Delete(root);
    if (bad) goto fail;
  } else {
    cfg = cJSON_CreateObject();
  }
  /* errors in the config name the file, and the object inside a RUN.json / RESULT.json */
  snprintf(label, sizeof label, "%s%s%s%s", cfg_file ? cfg_file : "--env-config", where ? " (" : "",
           where ? where : "", where ? ")" : "");
  if (env_create(name, cfg, label, &env, &e)) goto fail;
  if (view_env_check(env, rollout != NULL, &e)) goto fail;
  if (rollout) {
    if (view_rollout_load(rollout, episode, env, &ro, &e)) goto fail;
    have_ro = 1;
    o->ro = &ro;
  }
  o->env = env;
  if (view_run(o, &e)) goto fail;
  rc = 0;
  goto done;
fail:
  cli_error("view", &e);
done:
  if (have_ro) view_rollout_free(&ro);
  env_destroy(env);
  cJSON_Delete(cfg);
  return rc;
}

int cmd_view(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--env-config", "--rollout", "--episode", "--record",
                                       "--frames",     "--size",    "--speed",   "--camera", NULL};
  static const char *const boolean[] = {"--quiet", NULL};
  const char *pos[1];
  int npos, rc = cli_parse("view", argc, argv, valued, boolean, 1, 1, pos, &npos);
  if (rc) return rc;
  if (!env_find(pos[0])) return cli_unknown_env("view", pos[0]);

  view_opts o = {0};
  const char *rollout = NULL;
  long episode = 0;
  if ((rc = view_options(argc, argv, &o, &rollout, &episode))) return rc;
  if (o.record && check_record(o.record)) return 1;
  return view_env(pos[0], cli_opt(argc, argv, "--env-config"), rollout, (int)episode, &o);
}
#endif
