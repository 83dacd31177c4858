/* MuJoCo plumbing shared by every environment: loading the embedded XML through a VFS, turning
 * MuJoCo errors into error values, counting warnings, and guarded stepping.
 *
 * MuJoCo reports errors through mju_user_error, which must not return. We install handlers once
 * (pthread_once) that longjmp to a thread-local jmp_buf armed around our MuJoCo calls, so that a
 * bad model or an exploding simulation becomes "cartpole: simulation unstable at t=1.23: ..." and
 * a failed episode, never a dead process. */
#include "envs/env_private.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-thread state of the handlers (the only mutable statics here; they are thread-local). */
static _Thread_local jmp_buf *tl_jmp;     /* armed around guarded calls, else NULL */
static _Thread_local env_sim *tl_sim;      /* simulator being stepped (warning texts) */
static _Thread_local char tl_msg[512];    /* text of the last MuJoCo error */

static void copy_msg(char *dst, size_t cap, const char *msg) {
  snprintf(dst, cap, "%s", msg ? msg : "");
  for (char *p = dst; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
}

static void on_error(const char *msg) {
  copy_msg(tl_msg, sizeof tl_msg, msg);
  if (tl_jmp) longjmp(*tl_jmp, 1);
  /* An error outside a guarded call (e.g. from a caller's own MuJoCo use): nothing can resume. */
  fprintf(stderr, "sgp: MuJoCo error outside a guarded call: %s\n", tl_msg);
  abort();
}

static void on_warning(const char *msg) {
  /* Counting happens through d->warning[] after each step; keep the text for messages.
   * MuJoCo's default would print and append to MUJOCO_LOG.TXT in the working directory. */
  if (tl_sim) copy_msg(tl_sim->last_warning, sizeof tl_sim->last_warning, msg);
}

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static void install_handlers(void) {
  mju_user_error = on_error;
  mju_user_warning = on_warning;
}
static void ensure_handlers(void) { pthread_once(&handlers_once, install_handlers); }

const char *env_mujoco_version(void) {
  static const char *const v = "2.2.2";
  return mj_version() == 222 ? v : "other";
}

int env_mj_load(env_sim *s, const char *xmlname, sgp_err *e) {
  ensure_handlers();
  memset(s, 0, sizeof *s);
  size_t len = 0;
  const char *text = sgp_embedded_xml(xmlname, &len);
  if (!text) return sgp_fail(e, "%s: not embedded in this build (envs/*.xml)", xmlname);
  mjVFS *vfs = sgp_malloc(sizeof *vfs); /* ~2 MB: never on the stack */
  mj_defaultVFS(vfs);
  if (mj_makeEmptyFileVFS(vfs, xmlname, (int)len) != 0) {
    free(vfs);
    return sgp_fail(e, "%s: cannot create the MuJoCo VFS file", xmlname);
  }
  int idx = mj_findFileVFS(vfs, xmlname);
  memcpy(vfs->filedata[idx], text, len);
  char err[1000] = "";
  jmp_buf jb;
  jmp_buf *volatile prev = tl_jmp;
  mjModel *volatile m = NULL;
  if (setjmp(jb) == 0) {
    tl_jmp = &jb;
    m = mj_loadXML(xmlname, vfs, err, sizeof err);
    tl_jmp = prev;
  } else {
    tl_jmp = prev;
    mj_deleteVFS(vfs);
    free(vfs);
    return sgp_fail(e, "%s: MuJoCo error while loading: %s", xmlname, tl_msg);
  }
  mj_deleteVFS(vfs);
  free(vfs);
  if (!m) {
    for (char *q = err; *q; q++)
      if (*q == '\n' || *q == '\r') *q = ' ';
    return sgp_fail(e, "%s: %s", xmlname, err[0] ? err : "MuJoCo could not load the model");
  }
  s->m = m;
  s->d = mj_makeData(m);
  if (!s->d) {
    mj_deleteModel(m);
    s->m = NULL;
    return sgp_fail(e, "%s: MuJoCo could not allocate mjData", xmlname);
  }
  env_mj_reset(s);
  return 0;
}

void env_mj_free(env_sim *s) {
  if (s->d) mj_deleteData(s->d);
  if (s->m) mj_deleteModel(s->m);
  s->d = NULL;
  s->m = NULL;
}

void env_mj_reset(env_sim *s) {
  mj_resetData(s->m, s->d);
  s->warnings = 0;
  memset(s->seen, 0, sizeof s->seen);
  s->last_warning[0] = 0;
}

void env_mj_set(env_sim *s, const double *qpos, const double *qvel, double t) {
  const mjModel *m = s->m;
  mjData *d = s->d;
  memcpy(d->qpos, qpos, sizeof(double) * m->nq);
  memcpy(d->qvel, qvel, sizeof(double) * m->nv);
  if (m->nu) memset(d->ctrl, 0, sizeof(double) * m->nu);
  if (m->na) memset(d->act, 0, sizeof(double) * m->na);
  memset(d->qacc_warmstart, 0, sizeof(double) * m->nv);
  d->time = t;
}

/* Folds new entries of d->warning[] into the count; returns the index of a "bad number" warning
 * (the simulator reset itself) or -1. */
static int scan_warnings(env_sim *s) {
  int bad = -1;
  for (int i = 0; i < mjNWARNING; i++) {
    int now = s->d->warning[i].number;
    if (now == s->seen[i]) continue;
    s->warnings += now > s->seen[i] ? now - s->seen[i] : now; /* now < seen: MuJoCo reset the data */
    s->seen[i] = now;
    if (i == mjWARN_BADQPOS || i == mjWARN_BADQVEL || i == mjWARN_BADQACC || i == mjWARN_BADCTRL)
      bad = i;
  }
  return bad;
}

static const char *warning_name(int i) {
  static const char *const names[mjNWARNING] = {
      "near-singular inertia", "too many contacts", "too many constraints", "too many visual geoms",
      "bad number in qpos", "bad number in qvel", "bad number in qacc", "bad number in ctrl"};
  return i >= 0 && i < mjNWARNING ? names[i] : "?";
}

int env_mj_step(env_sim *s, const char *name, int n, env_mj_pre pre, void *ctx, sgp_err *e) {
  ensure_handlers();
  const mjModel *m = s->m;
  mjData *d = s->d;
  jmp_buf jb;
  jmp_buf *volatile prev = tl_jmp;
  env_sim *volatile prev_sim = tl_sim;
  volatile double t_at = d->time;
  if (setjmp(jb) != 0) {
    tl_jmp = prev;
    tl_sim = prev_sim;
    env_mj_reset(s);
    return sgp_fail(e, "%s: MuJoCo error at t=%.4g: %s", name, t_at, tl_msg);
  }
  tl_jmp = &jb;
  tl_sim = s;
  for (int k = 0; k < n; k++) {
    t_at = d->time;
    if (pre) pre(ctx, m, d);
    mj_step(m, d);
    int bad = scan_warnings(s);
    if (bad >= 0) {
      tl_jmp = prev;
      tl_sim = prev_sim;
      char w[256];
      copy_msg(w, sizeof w, s->last_warning);
      env_mj_reset(s);
      return sgp_fail(e, "%s: simulation unstable at t=%.4g (%s%s%s)", name, t_at, warning_name(bad),
                      w[0] ? ": " : "", w);
    }
  }
  tl_jmp = prev;
  tl_sim = prev_sim;
  return 0;
}

int env_mj_forward(env_sim *s, const char *name, sgp_err *e) {
  ensure_handlers();
  jmp_buf jb;
  jmp_buf *volatile prev = tl_jmp;
  if (setjmp(jb) != 0) {
    tl_jmp = prev;
    env_mj_reset(s);
    return sgp_fail(e, "%s: MuJoCo error in mj_forward: %s", name, tl_msg);
  }
  tl_jmp = &jb;
  mj_forward(s->m, s->d);
  tl_jmp = prev;
  scan_warnings(s);
  return 0;
}

int env_substeps(const mjModel *m, double dt, const char *name, int *out, sgp_err *e) {
  double h = m->opt.timestep;
  long n = lround(dt / h);
  if (n < 1 || fabs(n * h - dt) > 1e-9)
    return sgp_fail(e, "%s.xml: option/timestep %g does not divide the control period %g", name, h, dt);
  *out = (int)n;
  return 0;
}
