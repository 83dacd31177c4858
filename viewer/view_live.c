/* The live agent (viewer/view_private.h): a worker thread plans and steps the true environment
 * while the render thread (GLFW's, the main thread) keeps drawing and answering keys.
 *
 * Hand-off: one mutex guards the commands (run / pause, one step, reset, the perturbation, the
 * speed) and a queue of published steps. The worker never touches the render thread's data: it
 * copies what the planner exposes (valid only until its next act) into a queue record, and the
 * render thread moves the records into its trace (view_live_sync), computing the scene points with
 * its own environment instance. A reset starts a new generation; a step planned across a reset is
 * dropped. The perturbation is MuJoCo's (mjvPerturb, moved by the render thread with the mouse):
 * the worker turns it into a force on the selected body (mjv_applyPerturbForce) for the duration
 * of one control step of its simulator. */
#include "viewer/view_private.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct live_rec {
  int reset;                  /* 1: a new episode starting at x (and qpos, qvel) */
  double *x, *u, *qpos, *qvel;
  double r;
  int T, ncand;
  float *plan, *cand;
  double obj, pcost, pen, dd, plan_ms;
} live_rec;

struct view_live {
  view_agent *ag;
  pthread_t th;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t cv;          /* the worker waits for work; waiters for published steps */
  /* commands */
  int quit, running, step_req, reset_req, reset_ep;
  int resetting;              /* a reset is under way (its record not yet published) */
  double speed;
  mjvPerturb pert;
  /* published */
  int gen;                    /* episode generation (resets) */
  live_rec *q;
  int nq_rec, cap_rec;
  int published;              /* steps published in this generation */
  int ended;
  char error[256];
  int planning, plan_step;
  double plan_t0;
  int nx, nu, nq, nv;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void rec_free(live_rec *r) {
  free(r->x), free(r->u), free(r->qpos), free(r->qvel), free(r->plan), free(r->cand);
  memset(r, 0, sizeof *r);
}

static double *dup_d(const double *p, int n) {
  if (!p || n <= 0) return NULL;
  double *c = sgp_malloc(sizeof(double) * (size_t)n);
  memcpy(c, p, sizeof(double) * (size_t)n);
  return c;
}

static float *dup_f(const float *p, size_t n) {
  if (!p || n == 0) return NULL;
  float *c = sgp_falloc(n);
  memcpy(c, p, sizeof(float) * n);
  return c;
}

/* Appends a record to the queue (mutex held); the queue owns its arrays. */
static void publish(view_live *l, live_rec *r) {
  if (l->nq_rec == l->cap_rec) {
    l->cap_rec = l->cap_rec ? 2 * l->cap_rec : 16;
    l->q = sgp_realloc(l->q, sizeof(live_rec) * (size_t)l->cap_rec);
  }
  l->q[l->nq_rec++] = *r;
  memset(r, 0, sizeof *r);
  pthread_cond_broadcast(&l->cv);
}

/* Clears the queue (mutex held): a reset makes every record of the old episode moot. */
static void drop_queue(view_live *l) {
  for (int i = 0; i < l->nq_rec; i++) rec_free(&l->q[i]);
  l->nq_rec = 0;
}

/* The perturbation as a force on the worker's simulator (its data current for the state). */
static void apply_perturbation(sgp_env *env, const mjvPerturb *p) {
  const mjModel *m;
  mjData *d;
  env_mj(env, &m, &d);
  if (!m || !d) return;
  mju_zero(d->xfrc_applied, 6 * m->nbody);
  if (!p->active || p->select <= 0 || p->select >= m->nbody) return;
  mj_kinematics(m, d);
  mj_comPos(m, d);
  mj_comVel(m, d);
  mjv_applyPerturbForce(m, d, p);
}

static void clear_perturbation(sgp_env *env) {
  const mjModel *m;
  mjData *d;
  env_mj(env, &m, &d);
  if (m && d) mju_zero(d->xfrc_applied, 6 * m->nbody);
}

typedef struct work {
  double *x, *u, *xn, *qpos, *qvel;
  int t, have_x;
  double next_time;
} work;

/* A reset asked for: the agent's episode start (mutex held on entry and exit). */
static void do_reset(view_live *l, work *w) {
  view_agent *ag = l->ag;
  int ep = l->reset_ep, gen = ++l->gen;
  l->reset_req = 0;
  l->resetting = 1;
  l->ended = 0;
  l->error[0] = 0;
  l->published = 0;
  drop_queue(l);
  pthread_mutex_unlock(&l->mu);
  sgp_err e;
  int rc = ag->reset(ag->self, ep, w->x, &e);
  if (!rc && l->nq > 0) env_get_sim_state(ag->env, w->qpos, w->qvel);
  pthread_mutex_lock(&l->mu);
  l->resetting = 0;
  if (gen != l->gen) return; /* another reset came meanwhile */
  w->t = 0;
  w->have_x = !rc;
  w->next_time = 0;
  if (rc) {
    l->ended = 1;
    snprintf(l->error, sizeof l->error, "%.250s", e.msg);
    pthread_cond_broadcast(&l->cv);
    return;
  }
  live_rec r = {0};
  r.reset = 1;
  r.x = dup_d(w->x, l->nx);
  r.qpos = dup_d(w->qpos, l->nq);
  r.qvel = dup_d(w->qvel, l->nv);
  publish(l, &r);
}

/* One step: plan from w->x, perturb, step the simulator, publish (mutex held on entry and exit). */
static void do_step(view_live *l, work *w) {
  view_agent *ag = l->ag;
  int gen = l->gen, t = w->t;
  l->planning = 1;
  l->plan_step = t;
  l->plan_t0 = now_s();
  pthread_mutex_unlock(&l->mu);

  sgp_err e;
  view_plan p;
  memset(&p, 0, sizeof p);
  p.obj = p.cost = p.pen = NAN;
  double t0 = now_s();
  int rc = ag->act(ag->self, t, w->x, w->u, &p, &e);
  double plan_ms = 1e3 * (now_s() - t0);
  live_rec r = {0};
  if (!rc) {
    r.T = p.T;
    r.ncand = p.x ? p.ncand : 0;
    r.plan = p.x ? dup_f(p.x, (size_t)(p.T + 1) * l->nx) : NULL;
    r.cand = p.cand && p.ncand > 0 ? dup_f(p.cand, (size_t)p.ncand * (p.T + 1) * l->nx) : NULL;
    r.obj = p.fallback ? NAN : p.obj;
    r.pcost = p.fallback ? NAN : p.cost;
    r.pen = p.fallback ? NAN : p.pen;
    r.dd = ag->distance ? ag->distance(ag->self, w->x, w->u) : NAN;
    r.plan_ms = plan_ms;
  }
  pthread_mutex_lock(&l->mu);
  mjvPerturb pert = l->pert;
  int current = gen == l->gen;
  pthread_mutex_unlock(&l->mu);

  double reward = 0;
  int term = 0;
  if (!rc && current) {
    apply_perturbation(ag->env, &pert);
    rc = env_step(ag->env, w->u, w->xn, &reward, &term, &e);
    clear_perturbation(ag->env);
    if (!rc && l->nq > 0) env_get_sim_state(ag->env, w->qpos, w->qvel);
  }

  pthread_mutex_lock(&l->mu);
  l->planning = 0;
  if (!current || gen != l->gen) { /* a reset came during the step */
    rec_free(&r);
    return;
  }
  if (rc) {
    rec_free(&r);
    l->ended = 1;
    snprintf(l->error, sizeof l->error, "step %d: %.230s", t, e.msg);
    pthread_cond_broadcast(&l->cv);
    return;
  }
  r.u = dup_d(w->u, l->nu);
  r.x = dup_d(w->xn, l->nx);
  r.qpos = dup_d(w->qpos, l->nq);
  r.qvel = dup_d(w->qvel, l->nv);
  r.r = reward;
  publish(l, &r);
  memcpy(w->x, w->xn, sizeof(double) * l->nx);
  w->t = ++l->published;
  if (term || w->t >= ag->steps) l->ended = 1;
  w->next_time = now_s() + (l->speed > 0 ? ag->env->spec.dt / l->speed : 0);
}

static void *worker(void *arg) {
  view_live *l = arg;
  work w = {0};
  w.x = sgp_calloc((size_t)l->nx, sizeof(double));
  w.xn = sgp_calloc((size_t)l->nx, sizeof(double));
  w.u = sgp_calloc((size_t)l->nu, sizeof(double));
  w.qpos = sgp_calloc((size_t)l->nq + 1, sizeof(double));
  w.qvel = sgp_calloc((size_t)l->nv + 1, sizeof(double));
  pthread_mutex_lock(&l->mu);
  while (!l->quit) {
    if (l->reset_req) {
      do_reset(l, &w);
      continue;
    }
    int want = w.have_x && !l->ended && (l->running || l->step_req > 0);
    if (!want) {
      pthread_cond_wait(&l->cv, &l->mu);
      continue;
    }
    if (l->step_req == 0 && l->speed > 0 && w.next_time > now_s()) { /* pace to the control rate */
      double at = w.next_time;
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      double wait = at - now_s();
      ts.tv_sec += (time_t)wait;
      ts.tv_nsec += (long)((wait - floor(wait)) * 1e9);
      if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
      pthread_cond_timedwait(&l->cv, &l->mu, &ts);
      continue;
    }
    if (l->step_req > 0) l->step_req--;
    do_step(l, &w);
  }
  pthread_mutex_unlock(&l->mu);
  free(w.x), free(w.xn), free(w.u), free(w.qpos), free(w.qvel);
  return NULL;
}

int view_live_start(view_live **out, view_agent *ag, int episode, int running, sgp_err *e) {
  view_live *l = sgp_calloc(1, sizeof *l);
  l->ag = ag;
  l->nx = ag->env->spec.nx;
  l->nu = ag->env->spec.nu;
  if (ag->env->spec.store_sim_state) env_sim_dims(ag->env, &l->nq, &l->nv);
  l->running = running;
  l->speed = 1;
  l->reset_req = 1;
  l->reset_ep = episode;
  mjv_defaultPerturb(&l->pert);
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  int rc = pthread_create(&l->th, NULL, worker, l);
  if (rc) {
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return sgp_fail(e, "cannot start the agent's thread: %s", strerror(rc));
  }
  l->started = 1;
  *out = l;
  return 0;
}

void view_live_stop(view_live *l) {
  if (!l) return;
  pthread_mutex_lock(&l->mu);
  l->quit = 1;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  if (l->started) pthread_join(l->th, NULL); /* a plan in progress finishes first */
  drop_queue(l);
  free(l->q);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
  free(l);
}

void view_live_set_running(view_live *l, int running) {
  pthread_mutex_lock(&l->mu);
  l->running = running;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

void view_live_set_speed(view_live *l, double speed) {
  pthread_mutex_lock(&l->mu);
  l->speed = speed;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

void view_live_step_once(view_live *l) {
  pthread_mutex_lock(&l->mu);
  l->step_req++;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

void view_live_reset(view_live *l, int episode) {
  pthread_mutex_lock(&l->mu);
  l->reset_req = 1;
  l->reset_ep = episode;
  l->step_req = 0;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

void view_live_perturb(view_live *l, const mjvPerturb *p) {
  pthread_mutex_lock(&l->mu);
  l->pert = *p;
  pthread_mutex_unlock(&l->mu);
}

int view_live_sync(view_live *l, view_rollout *tr, sgp_env *env, view_live_status *st) {
  pthread_mutex_lock(&l->mu);
  int n = l->nq_rec;
  live_rec *q = NULL;
  if (n) { /* take the records; push them without holding the lock */
    q = l->q;
    l->q = NULL;
    l->nq_rec = l->cap_rec = 0;
  }
  st->planning = l->planning;
  st->since = l->planning ? now_s() - l->plan_t0 : 0;
  st->step = l->plan_step;
  st->ended = l->ended;
  snprintf(st->error, sizeof st->error, "%s", l->error);
  int nq = l->nq, nv = l->nv, cap = l->ag->steps;
  pthread_mutex_unlock(&l->mu);
  for (int i = 0; i < n; i++) {
    live_rec *r = &q[i];
    if (r->reset) {
      view_rollout_free(tr);
      view_trace_init(tr, env, nq, nv, cap);
      memcpy(tr->x, r->x, sizeof(double) * tr->nx);
      if (nq > 0) {
        memcpy(tr->qpos, r->qpos, sizeof(double) * nq);
        memcpy(tr->qvel, r->qvel, sizeof(double) * nv);
      }
      tr->ret[0] = 0;
      sgp_err e;
      view_trace_show(tr, env, 0, &e);
      view_point(env, tr->x, tr->xp);
      tr->final_cost = env_terminal_cost(env, tr->x, NULL);
    } else {
      view_step s = {r->u, r->x, r->qpos, r->qvel, r->r, r->T, r->ncand, r->plan, r->cand,
                     r->obj, r->pcost, r->pen, r->dd, r->plan_ms};
      view_trace_push(tr, env, &s);
    }
    rec_free(r);
  }
  free(q);
  tr->ended = st->ended;
  return n > 0;
}

void view_live_wait(view_live *l, int steps) {
  pthread_mutex_lock(&l->mu);
  while (!l->quit && (l->reset_req || l->resetting || (!l->ended && l->published < steps)))
    pthread_cond_wait(&l->cv, &l->mu);
  pthread_mutex_unlock(&l->mu);
}

/* ------------------------------------------------------------------ the zero-action agent */
static int zero_reset(void *self, int episode, double *x0, sgp_err *e) {
  return env_reset(self, (uint64_t)episode, x0, e);
}

static int zero_act(void *self, int t, const double *x, double *u, view_plan *plan, sgp_err *e) {
  (void)t, (void)x, (void)e;
  const sgp_env *env = self;
  memset(u, 0, sizeof(double) * (size_t)env->spec.nu);
  memset(plan, 0, sizeof *plan);
  plan->obj = plan->cost = plan->pen = NAN;
  return 0;
}

void view_zero_agent(view_agent *ag, sgp_env *worker_env) {
  memset(ag, 0, sizeof *ag);
  ag->self = worker_env;
  ag->name = "zero action";
  ag->episodes = 1000000;
  ag->steps = worker_env->spec.T;
  ag->env = worker_env;
  ag->reset = zero_reset;
  ag->act = zero_act;
}
