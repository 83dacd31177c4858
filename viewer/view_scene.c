/* What the viewer adds to MuJoCo's abstract scene (viewer/view_private.h): the executed path, the
 * plan and the candidates of the step shown, the action, a dataset's points, and the
 * environment's overlays, as decor geoms appended after mjv_updateScene (capsules and arrows made
 * by mjv_makeConnector, spheres, boxes, flat cylinders). */
#include "viewer/view_private.h"

#include <math.h>
#include <string.h>

/* colours (docs/viewer.md): saturated and nearly self-lit, so that they read the same on the light
 * floors and on the dark sky */
const float VIEW_COL_EXEC[4] = {0.95f, 0.10f, 0.08f, 1.0f};   /* executed trajectory: red */
const float VIEW_COL_PLAN[4] = {0.85f, 0.05f, 0.90f, 1.0f};   /* current plan: magenta */
const float VIEW_COL_CAND[4] = {0.10f, 0.65f, 0.95f, 0.35f};  /* candidate rollouts: faint cyan */
const float VIEW_COL_ACTION[4] = {1.00f, 0.55f, 0.00f, 1.0f}; /* the action: orange */
const float VIEW_COL_DATA[4] = {0.25f, 0.30f, 0.50f, 0.55f};  /* dataset states: slate */
const float VIEW_COL_NEXT[4] = {0.10f, 0.60f, 0.20f, 1.0f};   /* a transition's next state: green */

static int geom_ok(const mjvScene *scn, const double *a) {
  return scn->ngeom < scn->maxgeom && isfinite(a[0]) && isfinite(a[1]) && isfinite(a[2]);
}

static void finish_geom(mjvScene *scn, mjvGeom *g, float emission) {
  g->category = mjCAT_DECOR;
  g->objtype = mjOBJ_UNKNOWN;
  g->objid = -1;
  g->segid = scn->ngeom;
  g->emission = emission;
  g->specular = 0;
  g->shininess = 0;
  g->reflectance = 0;
  scn->ngeom++;
}

static void add_connector(mjvScene *scn, int type, const double *a, const double *b, double width,
                          const float rgba[4]) {
  if (!geom_ok(scn, a) || !geom_ok(scn, b)) return;
  double dx = b[0] - a[0], dy = b[1] - a[1], dz = b[2] - a[2];
  if (dx * dx + dy * dy + dz * dz < 1e-14) return;
  mjvGeom *g = scn->geoms + scn->ngeom;
  mjv_initGeom(g, type, NULL, NULL, NULL, rgba);
  mjv_makeConnector(g, type, width, a[0], a[1], a[2], b[0], b[1], b[2]);
  finish_geom(scn, g, 0.7f);
}

/* An arrow from a to b. MuJoCo 2.2.2 draws a connector arrow over half the connector's length
 * (shaft to 2/6, cone to 3/6 of size[2]: src/render/render_gl3.c), so the connector goes twice as far. */
static void add_arrow(mjvScene *scn, const double *a, const double *b, double width, const float rgba[4]) {
  double b2[3] = {2 * b[0] - a[0], 2 * b[1] - a[1], 2 * b[2] - a[2]};
  add_connector(scn, mjGEOM_ARROW, a, b2, width, rgba);
}

static void add_blob(mjvScene *scn, int type, const double *p, double radius, const float rgba[4]) {
  if (!geom_ok(scn, p)) return;
  mjvGeom *g = scn->geoms + scn->ngeom;
  mjtNum size[3] = {radius, radius, radius};
  mjv_initGeom(g, type, size, p, NULL, rgba);
  finish_geom(scn, g, 0.7f);
}

static void add_polyline(mjvScene *scn, const double *p, int n, double width, const float rgba[4]) {
  for (int i = 0; i + 1 < n; i++) add_connector(scn, mjGEOM_CAPSULE, p + 3 * i, p + 3 * (i + 1), width, rgba);
}

/* Line radius in scene units: proportional to the camera distance, so lines keep their width on
 * screen (about 2 pixels at 800x600) whatever the zoom. */
static double line_width(const viewer *v) { return 0.0024 * v->cam.distance; }

static void add_paths(viewer *v, double w) {
  mjvScene *scn = &v->scn;
  const view_rollout *r = &v->tr;
  int t = v->t;
  if (r->transitions) { /* independent transitions: x_t → x'_t only */
    add_blob(scn, mjGEOM_SPHERE, r->xp + 3 * t, 1.3 * w, VIEW_COL_EXEC);
    add_arrow(scn, r->xp + 3 * t, r->xnp + 3 * t, 0.8 * w, VIEW_COL_NEXT);
    return;
  }
  /* the executed path first, then the plan, then the candidates: when there are more candidates
   * than the scene holds, the last ones are dropped, never the rest */
  add_polyline(scn, r->xp, t + 1, w, VIEW_COL_EXEC);
  add_blob(scn, mjGEOM_SPHERE, r->xp + 3 * t, 1.3 * w, VIEW_COL_EXEC);
  if (v->ui.plan && r->plan_p && t < r->steps) {
    const double *p = r->plan_p + (size_t)t * (r->H + 1) * 3;
    add_polyline(scn, p, r->H + 1, 0.8 * w, VIEW_COL_PLAN);
    for (int k = 1; k <= r->H; k++) add_blob(scn, mjGEOM_SPHERE, p + 3 * k, 1.4 * w, VIEW_COL_PLAN);
    if (r->plan_m) /* the marks of every planned state (a box's keypoints): the plan's shape */
      for (int k = 1; k <= r->H; k++)
        for (int j = 0; j < r->K; j++)
          add_blob(scn, mjGEOM_SPHERE, r->plan_m + (((size_t)t * (r->H + 1) + k) * r->K + j) * 3,
                   (k == r->H ? 1.6 : 0.9) * w, VIEW_COL_PLAN);
  }
  if (v->ui.cand && r->cand_p && t < r->steps) {
    size_t stride = (size_t)(r->HC + 1) * 3;
    for (int c = 0; c < r->M; c++)
      add_polyline(scn, r->cand_p + ((size_t)t * r->M + c) * stride, r->HC + 1, 0.4 * w, VIEW_COL_CAND);
  }
}

/* The model's actuators: for each actuator on a joint, an arrow as long as its control is a
 * fraction of the control range (scaled to the bodies' size: twice MuJoCo's mean body size, at most
 * a quarter of the model's extent, which the floor makes large): along a slide joint's axis, and
 * across a hinge, tangent to the rotation the torque drives, at a point beside the joint. */
static void add_actuators(viewer *v, const double *u, double w) {
  const mjModel *m = v->m;
  const mjData *d = v->d;
  double L = fmin(0.25 * m->stat.extent, 2 * m->stat.meansize);
  for (int i = 0; i < m->nu && i < v->env->spec.nu; i++) {
    if (m->actuator_trntype[i] != mjTRN_JOINT) continue;
    int j = m->actuator_trnid[2 * i], type = m->jnt_type[j];
    if (type != mjJNT_SLIDE && type != mjJNT_HINGE) continue;
    double lo = m->actuator_ctrlrange[2 * i], hi = m->actuator_ctrlrange[2 * i + 1];
    double range = m->actuator_ctrllimited[i] ? fmax(fabs(lo), fabs(hi)) : 1;
    double c = u[i];
    if (m->actuator_ctrllimited[i]) c = c < lo ? lo : c > hi ? hi : c;
    double f = range > 0 ? c / range : 0, gear = m->actuator_gear[6 * i] < 0 ? -1 : 1;
    /* a slide joint's anchor stays where the body started (MuJoCo's xanchor): use the body */
    const double *a = type == mjJNT_SLIDE ? d->xpos + 3 * m->jnt_bodyid[j] : d->xanchor + 3 * j, *ax = d->xaxis + 3 * j;
    double from[3], to[3];
    if (type == mjJNT_SLIDE) { /* above the body, which would hide it */
      for (int k = 0; k < 3; k++) from[k] = a[k], to[k] = a[k] + gear * f * L * ax[k];
      from[2] += 0.1 * L, to[2] += 0.1 * L;
    } else {
      /* e1: the world's vertical made perpendicular to the axis (or x when the axis is vertical) */
      double e1[3] = {0, 0, 1}, dot = ax[2];
      if (fabs(dot) > 0.9) e1[0] = 1, e1[2] = 0, dot = ax[0];
      for (int k = 0; k < 3; k++) e1[k] -= dot * ax[k];
      double n = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
      double tan[3] = {ax[1] * e1[2] - ax[2] * e1[1], ax[2] * e1[0] - ax[0] * e1[2], ax[0] * e1[1] - ax[1] * e1[0]};
      double rad = 0.3 * L;
      for (int k = 0; k < 3; k++) {
        from[k] = a[k] + rad * e1[k] / n;
        to[k] = from[k] + gear * f * 0.6 * L * tan[k] / n;
      }
    }
    add_arrow(&v->scn, from, to, 1.2 * w, VIEW_COL_ACTION);
  }
}

static void add_action(viewer *v, double w) {
  const view_rollout *r = &v->tr;
  int t = v->t;
  if (!v->ui.action || t >= r->steps + (r->transitions ? 1 : 0)) return;
  const double *x = r->x + (size_t)t * r->nx, *u = r->u + (size_t)t * r->nu;
  env_arrow ar[ENV_MAX_ARROWS];
  int n = env_view_action(v->env, x, u, ar, ENV_MAX_ARROWS);
  if (n < 0) {
    add_actuators(v, u, w);
    return;
  }
  for (int i = 0; i < n; i++) add_arrow(&v->scn, ar[i].from, ar[i].to, 1.2 * w, VIEW_COL_ACTION);
}

/* The environment's spheres and disks (flat cylinders). */
static void add_env_overlays(viewer *v) {
  mjvScene *scn = &v->scn;
  for (int i = 0; i < v->nov; i++) {
    const env_overlay *o = &v->ov[i];
    if (o->kind == ENV_OVERLAY_SPHERE) {
      add_blob(scn, mjGEOM_SPHERE, o->pos, o->size, o->rgba);
    } else if (o->kind == ENV_OVERLAY_DISK && geom_ok(scn, o->pos)) {
      mjvGeom *g = scn->geoms + scn->ngeom;
      mjtNum size[3] = {o->size, o->size, 0.001};
      mjv_initGeom(g, mjGEOM_CYLINDER, size, o->pos, NULL, o->rgba);
      finish_geom(scn, g, 0.7f);
    }
  }
}

void view_scene_add(viewer *v) {
  double w = line_width(v);
  if (v->have_tr && v->env->ops->view_point) add_paths(v, w);
  if (v->have_tr) add_action(v, w);
  if (v->ui.data)
    for (int i = 0; i < v->ncloud; i++) add_blob(&v->scn, mjGEOM_BOX, v->cloud + 3 * i, 0.9 * w, VIEW_COL_DATA);
  add_env_overlays(v);
}
