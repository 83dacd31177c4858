/* sgpbench planners: the interface every planner implements and the world it sees.
 *
 * A planner never touches files or MuJoCo directly. It sees the problem through four small
 * read-only "model" interfaces, each split like mjModel/mjData into a constant model and a
 * workspace the planner creates once (hot paths never allocate):
 *   plan_dyn    batched dynamics x' = f(x,u), K members (K = 1 single model, K > 1 ensemble),
 *               with a vector-Jacobian product for first-order planners (learned MLP, ensemble,
 *               the true simulator for the oracle (forward only), analytic systems in tests)
 *   plan_cost   running and terminal cost with gradients (the environment's task cost)
 *   plan_score  ∇ log p_σ(z) of the data distribution, z = (x,u) or (x,u,x') (learned or exact)
 *   plan_dist   smoothed distance d_σ(z) to the data (zeroth-order penalty: exact or learned DDE)
 * Batches are row-major float, batch dimension first. For K members the rows are member-major:
 * rows [k·B, (k+1)·B) belong to member k.
 */
#ifndef SGP_PLANNER_H
#define SGP_PLANNER_H

#include "core/core.h"

/* ------------------------------------------------------------------ dynamics */
typedef struct plan_dyn_vt {
  const char *kind; /* "mlp", "ensemble", "sim", "linear", ... */
  /* Workspace for up to maxB rows per member and T cached time slots (for the adjoint).
   * Forward-only users (sampling planners, the oracle) create T = 1 and always pass t = 0. */
  void *(*ws_create)(const void *model, int maxB, int T);
  void (*ws_free)(void *ws);
  /* xnext[K·B×nx] = f_k(x[K·B×nx], u[K·B×nu]); caches slot t (0 <= t < T) for vjp.
   * Returns 0, or -1 if the model failed (the true simulator can go unstable); then the rows
   * that failed must be NaN or left unwritten (planners pre-fill xnext with NaN, drop non-finite
   * rows and fall back if none is left), the others valid. */
  int (*forward)(const void *model, void *ws, int t, int B, const float *x, const float *u,
                 float *xnext);
  /* Adjoint of the forward cached in slot t: dx = (∂f/∂x)ᵀ dxnext, du = (∂f/∂u)ᵀ dxnext
   * (K·B rows each; overwritten; du may be NULL). NULL when the model is not differentiable. */
  void (*vjp)(const void *model, void *ws, int t, int B, const float *dxnext, float *dx, float *du);
  /* Optional (NULL: not offered), for K > 1: forward and vjp of member k alone, on its B rows
   * (x, u, xnext, dxnext, dx, du point at the member's rows; forward returns -1 if a row of the
   * member is not finite). They compute exactly what forward and vjp compute for those rows, and
   * use the same slots, so a planner may run an ensemble member by member: one member's weights
   * then stay in cache over the horizon instead of every member's weights passing once per step. */
  int (*forward_member)(const void *model, void *ws, int t, int k, int B, const float *x,
                        const float *u, float *xnext);
  void (*vjp_member)(const void *model, void *ws, int t, int k, int B, const float *dxnext,
                     float *dx, float *du);
} plan_dyn_vt;

typedef struct plan_dyn {
  const plan_dyn_vt *vt;
  const void *model;
  int nx, nu, K;
} plan_dyn;

/* ------------------------------------------------------------------ cost */
typedef struct plan_cost {
  const void *self;
  /* c[B] = c(x,u); gx[B×nx], gu[B×nu] its gradients (NULL: skip). */
  void (*running)(const void *self, int B, const float *x, const float *u, float *c, float *gx,
                  float *gu);
  /* c[B] = c_T(x); gx[B×nx] its gradient (NULL: skip). */
  void (*terminal)(const void *self, int B, const float *x, float *c, float *gx);
  /* Optional termination rule (NULL: rollouts never end; its own self, so that a learned cost can
   * be paired with the environment's rule): done[B] = 1 where state x_b ends an episode, else 0.
   * The planners stop a rollout's costs after its first terminal state (planner option
   * "termination", docs/planners.md): the running cost of step t counts while none of x_1..x_t
   * is terminal, the terminal cost while none of x_1..x_T is. */
  const void *term_self;
  void (*terminated)(const void *term_self, int B, const float *x, float *done);
} plan_cost;

/* ------------------------------------------------------------------ data score and distance */
typedef enum plan_zlayout { PLAN_Z_XU = 0, PLAN_Z_XUX = 1 } plan_zlayout; /* z=(x,u) or (x,u,x') */

typedef struct plan_score_vt {
  void *(*ws_create)(const void *model, int maxB);
  void (*ws_free)(void *ws);
  /* s[B×dim] = ∇_z log p_σ(z) at noise level `level` (0 = largest σ), physical units. */
  void (*eval)(const void *model, void *ws, int B, const float *z, int level, float *s);
} plan_score_vt;

typedef struct plan_score {
  const plan_score_vt *vt;
  const void *model;
  int dim;
  plan_zlayout layout;
  int nlevels;         /* 1 for a single-σ model */
  const float *sigma;  /* nlevels values, decreasing */
  /* dim values or NULL (= 1): the data noise of dimension k at level l is σ_l·scale[k] in the
   * physical units of z (a learned score's σ is in its normalised units: scale = its normaliser's
   * scale, × α on the x' columns). Used for the reported penalty proxy ½ w Σ_k (σ_l scale_k s_k)²,
   * which is then −w log p + const for Gaussian data (docs/planners.md). */
  const float *scale;
} plan_score;

typedef struct plan_dist_vt {
  void *(*ws_create)(const void *model, int maxB);
  void (*ws_free)(void *ws);
  /* d[B] = d_σ(z) = −σ² log Σ_i exp(−‖z−z_i‖²/2σ²) (METHOD §2); grad[B×dim] = ∇d (NULL: skip). */
  void (*eval)(const void *model, void *ws, int B, const float *z, float *d, float *grad);
} plan_dist_vt;

typedef struct plan_dist {
  const plan_dist_vt *vt;
  const void *model;
  int dim;
  plan_zlayout layout;
  float sigma;
} plan_dist;

/* ------------------------------------------------------------------ the problem */
typedef struct plan_ctx {
  int nx, nu;
  int T_env;               /* episode length (default horizon for open-loop plans) */
  const double *u_lo, *u_hi;
  plan_cost cost;
  const plan_dyn *dyn;      /* learned single model, or NULL */
  const plan_dyn *ensemble; /* learned ensemble (K > 1), or NULL */
  const plan_dyn *truth;    /* the true simulator (oracle), or NULL */
  const plan_score *score;  /* or NULL */
  const plan_dist *dist;    /* or NULL */
  uint64_t seed;            /* planner stream seed */
  int lanes;                /* episodes planned in lockstep (act_lanes); 0 or 1: one */
} plan_ctx;

/* What a planner needs from the context, given its config (so evaluation and sweeps know which
 * models to train and load). */
enum {
  PLAN_NEEDS_DYN = 1,
  PLAN_NEEDS_ENSEMBLE = 2,
  PLAN_NEEDS_TRUTH = 4,
  PLAN_NEEDS_SCORE = 8,
  PLAN_NEEDS_DIST = 16,  /* exact d_σ against the dataset */
  PLAN_NEEDS_DDE = 32,   /* learned regressor of d_σ */
  PLAN_NEEDS_COST = 64,  /* a learned running cost (planner option "cost": "learned") as ctx->cost */
};

/* Per-step diagnostics, reported by every act(). objective/cost/penalty are NaN when fallback = 1.
 * What "penalty" holds per planner is listed in docs/planners.md (sgp: a proxy of −w Σ log p,
 * w Σ σ²‖s‖²/2, since the score has no value; ensembles: β Var or β Σ std; distance: w Σ d/σ²). */
typedef struct plan_diag {
  int iters;
  double objective;  /* final objective (cost + penalty) of the returned plan */
  double cost;       /* its task-cost part */
  double penalty;    /* its penalty part (score surrogate, ensemble variance or distance) */
  long model_rows;   /* rows pushed through dynamics forward passes */
  long score_rows;   /* rows pushed through the score / distance */
  double time_s;
  int fallback;      /* 1: the solve diverged (NaN/Inf) and the warm start was returned */
  /* First-order planners (sgp-shooting, grad, grad-ensemble), at the returned plan: the norm of
   * the gradient of the penalised objective and of its task-cost part (ensemble: mean_k J_k)
   * with respect to the decision variables (the actions under clip bounds, projected: a component
   * at a bound that points out of the box counts 0; pre-tanh variables under tanh bounds). A
   * stationary plan whose task-cost gradient is large is held there by the penalty. NaN: not
   * computed (other planners, a fallback). */
  double grad_norm, cost_grad_norm;
} plan_diag;

/* The current plan, for evaluation (saved) and the viewer (drawn). Valid until the next act.
 * x is the model rollout of u (collocation: its state decision variables); cand_x holds the
 * best-ranked candidates of the last sampling iteration. */
typedef struct plan_view {
  int T, nx, nu;
  const float *x;      /* (T+1)×nx predicted states (member 0 / nominal), x[0] = measured state */
  const float *u;      /* T×nu actions */
  int ncand;           /* sampling planners: a few candidate rollouts, else 0 */
  const float *cand_x; /* ncand×(T+1)×nx */
} plan_view;

typedef struct planner planner;

typedef struct plan_vt {
  const char *name;
  const char *summary;
  /* PLAN_NEEDS_* mask for this config (reads the config; defaults inserted). Every planner's
   * config has "horizon" (0, the default, means ctx->T_env: open-loop evaluation sets it to 0 or
   * to the episode length) and accepts "name". */
  int (*needs)(sgp_cfg *cfg, int *mask, sgp_err *e);
  /* Validates the config (unknown fields rejected, defaults inserted) and builds the planner. */
  int (*create)(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, sgp_err *e);
  void (*destroy)(planner *p);
  /* Episode start: forget the warm start, reseed the planner's noise stream. */
  void (*reset)(planner *p, uint64_t episode_seed);
  /* One MPC step from the measured state x (double, nx): writes the first action u (nu, within
   * bounds, never NaN). Warm-starts from the previous call's plan shifted by one step. */
  int (*act)(planner *p, const double *x, double *u, plan_diag *d, sgp_err *e);
  void (*view)(const planner *p, plan_view *v);
  /* Lockstep: a planner created with ctx->lanes = L plans L episodes ("lanes") together; every
   * model call of a step serves all of them. reset, act and view above are lane 0.
   * reset_lane: lane l's episode start (as reset). act_lanes: one MPC step for the n lanes
   * lanes[0..n) (distinct, < L; an episode that ended is simply left out): x n×nx, u n×nu and
   * d[n], row i for lanes[i]. Each lane's plan is the one a 1-lane planner would make for that
   * episode alone, up to the rounding of model calls whose result depends on the batch around a
   * row (docs/planners.md, "Lockstep"); d[i].time_s is the step's time divided by n.
   * view_lane: lane l's current plan (as view). */
  void (*reset_lane)(planner *p, int lane, uint64_t episode_seed);
  int (*act_lanes)(planner *p, int n, const int *lanes, const double *x, double *u, plan_diag *d,
                   sgp_err *e);
  void (*view_lane)(const planner *p, int lane, plan_view *v);
} plan_vt;

struct planner {
  const plan_vt *vt; /* every implementation embeds this first */
};

/* Bytes of the planner's own workspace (one block, linear in ctx->lanes; the models' workspaces
 * come on top): what a caller sizing the lockstep batch can go by. */
size_t plan_workspace_bytes(const planner *p);

const plan_vt *plan_find(const char *name);
int plan_count(void);
const plan_vt *plan_at(int i);
/* The name of plan_at(i), as an sgp_name_at for sgp_fail_unknown (ctx unused). */
const char *plan_name_at(const void *ctx, int i);

#endif
