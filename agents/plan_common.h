/* Private machinery shared by the planners (agents/plan_*.c). Not a public header: evaluation and
 * the viewer use agents/planner.h only. Tests include it for the gradient hooks at the end.
 *
 *  - action bounds: projection ("clip") or squashing u = mid + half·tanh(v) ("tanh")
 *  - schedules: β (constant / linear / cosine), NCSN level annealing, learning rate
 *  - shared config groups (horizon, bounds, warm start, β, score weighting, seed offset)
 *  - index sorting without allocation, a few small vector helpers
 */
#ifndef SGP_PLAN_COMMON_H
#define SGP_PLAN_COMMON_H

#include "agents/planner.h"

/* ------------------------------------------------------------------ registry entries */
extern const plan_vt plan_vt_sgp_shooting;
extern const plan_vt plan_vt_grad;
extern const plan_vt plan_vt_grad_ensemble;
extern const plan_vt plan_vt_sgp_collocation;
extern const plan_vt plan_vt_cem;
extern const plan_vt plan_vt_mppi;
extern const plan_vt plan_vt_random_shooting;
extern const plan_vt plan_vt_oracle;

/* ------------------------------------------------------------------ bounds */
typedef enum plan_bounds_mode { PLAN_BOUNDS_CLIP = 0, PLAN_BOUNDS_TANH = 1 } plan_bounds_mode;
extern const char *const plan_bounds_names[2];

typedef struct plan_bounds {
  int nu;
  plan_bounds_mode mode;
  float *lo, *hi, *mid, *half; /* nu each; one allocation */
} plan_bounds;

/* From ctx->u_lo/u_hi (NULL: unbounded). tanh needs finite bounds with lo < hi. */
int plan_bounds_init(plan_bounds *b, const plan_ctx *ctx, plan_bounds_mode mode, const char *file,
                     const char *path, sgp_err *e);
void plan_bounds_free(plan_bounds *b);
void plan_bounds_clip(const plan_bounds *b, int rows, float *u);            /* rows×nu in place */
/* Decision variable v -> action u: identity (clip mode: v is already u) or mid + half·tanh(v). */
void plan_bounds_to_u(const plan_bounds *b, int rows, const float *v, float *u);
/* Action u -> decision variable (clip mode: clipped copy; tanh: atanh, saturated at |·| ≤ 1−1e−6). */
void plan_bounds_from_u(const plan_bounds *b, int rows, const float *u, float *v);
/* Chain rule: g_v = g_u ⊙ du/dv (clip mode: copy). May alias gu/gv. */
void plan_bounds_chain(const plan_bounds *b, int rows, const float *v, const float *gu, float *gv);

/* ------------------------------------------------------------------ schedules */
typedef enum plan_sched { PLAN_SCHED_CONSTANT = 0, PLAN_SCHED_LINEAR, PLAN_SCHED_COSINE } plan_sched;
extern const char *const plan_sched_names[3];
/* Value at iteration i of n: v0 (constant), or from v0 at i = 0 to v1 at i = n−1 (linear, or
 * cosine: v1 + (v0 − v1)(1 + cos(π i/(n−1)))/2). n = 1 gives v0. */
double plan_sched_value(plan_sched kind, double v0, double v1, int i, int n);
/* NCSN level at iteration i of n (METHOD §3: anneal from large to small σ): fixed >= 0 is used as
 * is; fixed < 0 anneals 0 → nlevels−1 in equal blocks of iterations. */
int plan_level_at(int fixed, int nlevels, int i, int n);

/* ------------------------------------------------------------------ score weighting */
typedef enum plan_weight { PLAN_WEIGHT_BETA = 0, PLAN_WEIGHT_SIGMA2_BETA = 1 } plan_weight;
extern const char *const plan_weight_names[2];
/* w = β or σ²β (METHOD §7: the convention is an explicit config field). */
double plan_weight_value(plan_weight conv, double beta, double sigma);

/* ------------------------------------------------------------------ warm start */
typedef enum plan_warm { PLAN_WARM_REPEAT = 0, PLAN_WARM_ZERO = 1 } plan_warm;
extern const char *const plan_warm_names[2];
/* Shifts a T×n sequence by one step in place: s[t] = s[t+1]; the last row repeats (REPEAT) or is
 * zero (ZERO). Callers clip actions afterwards. */
void plan_shift(float *s, int T, int n, plan_warm mode);

/* ------------------------------------------------------------------ shared config groups */
/* Each reads its fields (inserting defaults); the planner then checks for unknown keys. */
typedef struct plan_common_cfg {
  int horizon;            /* 0: the episode length ctx->T_env */
  plan_bounds_mode bounds;
  plan_warm warm;
  long seed_offset;
  int view_candidates;    /* sampling planners only */
  int learned_cost;       /* "cost": "learned" (PLAN_NEEDS_COST), else "env" */
  int termination;        /* "termination": "known" (1: honour ctx->cost.terminated) or "none" (0) */
} plan_common_cfg;

/* horizon (0), bounds ("clip"; read only when with_bounds, else always clip), warm_start
 * ("repeat"), seed_offset (0), cost ("env"), termination ("known"). */
int plan_cfg_common(sgp_cfg *c, int with_bounds, plan_common_cfg *out, sgp_err *e);
/* The config keys plan_cfg_common reads besides horizon, bounds, warm_start and seed_offset. */
#define PLAN_COMMON_TASK_KEYS "cost", "termination"
/* PLAN_NEEDS_* bits of the common group (PLAN_NEEDS_COST for a learned cost). */
int plan_common_needs(const plan_common_cfg *c);

typedef struct plan_beta_cfg {
  double beta, beta_final;
  plan_sched sched;
} plan_beta_cfg;
/* beta (beta_dflt), beta_final (= beta), beta_schedule ("constant"). */
int plan_cfg_beta(sgp_cfg *c, double beta_dflt, plan_beta_cfg *out, sgp_err *e);
/* First-order solver options: iters, lr, lr_schedule ("constant" | "cosine" to lr_final), lr_final,
 * restarts, restart_noise (std of the perturbation of restarts 1.., in units of the half range of
 * each action), grad_clip (max L2 norm of each restart's gradient, 0: off), init ("zero" | "mid" |
 * "random": the plan of the first step after reset). */
typedef enum plan_init { PLAN_INIT_ZERO = 0, PLAN_INIT_MID, PLAN_INIT_RANDOM } plan_init;
extern const char *const plan_init_names[3];
typedef struct plan_opt_cfg {
  int iters, restarts, lr_cosine;
  double lr, lr_final, restart_noise, grad_clip;
  plan_init init;
} plan_opt_cfg;
int plan_cfg_opt(sgp_cfg *c, int iters_dflt, double lr_dflt, plan_opt_cfg *out, sgp_err *e);
/* Learning rate at iteration i of n. */
double plan_opt_lr(const plan_opt_cfg *o, int i, int n);

/* Score options: score_weight ("beta" | "sigma2_beta"), score_level (-1: anneal the levels from
 * large to small σ over the iterations; k >= 0: always level k). */
int plan_cfg_score(sgp_cfg *c, plan_weight dflt, plan_weight *conv, int *level, sgp_err *e);
/* Checks a score model against the context; level must be < nlevels. */
int plan_check_score(const plan_score *s, const plan_ctx *ctx, int level, plan_weight conv,
                     sgp_err *e);

/* The initial plan (T×nu) for the first step after reset. rng used for "random". */
void plan_init_plan(const plan_bounds *b, plan_init init, int T, sgp_rng *rng, float *u);

/* The horizon for this context: cfg horizon, or T_env when 0. */
int plan_horizon(const plan_common_cfg *c, const plan_ctx *ctx, sgp_cfg *cfg, sgp_err *e);

/* ------------------------------------------------------------------ small helpers */
/* Sorts idx[0..n) (a permutation) by key ascending, ties by index; NaN keys last. No allocation. */
void plan_argsort(const float *key, int *idx, int n);
/* Global L2 norm of g[0..n) in double. */
double plan_norm(const float *g, size_t n);
int plan_finite_d(double v);
/* The action handed out by act(): u (float, nu) in double, clamped to ctx->u_lo/u_hi in double
 * (float rounding of a bound must not put it outside). */
void plan_emit_action(const plan_ctx *ctx, const float *u, double *out);
/* plan_fallback: the solve diverged (METHOD §7: never return NaN), so the plan becomes the warm
 * start, clipped, with any non-finite action replaced by the bounds' middle; the H+1 predicted
 * states all read x0, the diagnostics' objective parts NaN and fallback 1. */
void plan_fallback(const plan_bounds *b, const float *warm, int H, const float *x0, int nx,
                   float *plan_u, float *plan_x, plan_diag *d);
/* Copies a double state into float. */
void plan_x_to_float(const double *x, float *xf, int n);
/* The planner's noise stream for an episode: stream(ctx seed + offset, name), child episode_seed. */
void plan_rng_episode(sgp_rng *r, uint64_t ctx_seed, long offset, const char *name,
                      uint64_t episode_seed);
/* Checks a model's dimensions against the context (error names the model). */
int plan_check_dyn(const plan_dyn *d, const plan_ctx *ctx, const char *what, int need_vjp,
                   sgp_err *e);
/* plan_dyn.forward with xnext pre-filled with NaN, so that rows a failing model never wrote
 * (e.g. a simulator that stops at the first unstable row) read as diverged, not as stale data. */
int plan_forward(const plan_dyn *d, void *ws, int t, int B, const float *x, const float *u,
                 float *xnext);
/* The same for member k's B rows alone (d->vt->forward_member, which must be offered). */
int plan_forward_member(const plan_dyn *d, void *ws, int t, int k, int B, const float *x,
                        const float *u, float *xnext);
/* z-vector dimension for a layout. */
int plan_zdim(plan_zlayout l, int nx, int nu);

/* ------------------------------------------------------------------ one-block workspaces */
/* A planner's workspace is one allocation with views into it (as nn_mlp's parameters and MuJoCo's
 * mj_makeData): its layout function runs twice, first on a block whose base is NULL (it only adds
 * up the sizes), then on the allocated block (it sets the views). Views are 64-byte aligned. */
typedef struct plan_block {
  unsigned char *base;
  size_t used;
} plan_block;
void *plan_take(plan_block *b, size_t count, size_t size);
#define PLAN_TAKE(b, ptr, count) ((ptr) = plan_take((b), (size_t)(count), sizeof *(ptr)))
/* Runs layout(pb, b) twice as above (pb is the planner: its struct starts with the plan_base),
 * records the size in pb->bytes and returns the zeroed block (free() it). */
struct plan_base;
void *plan_block_make(void (*layout)(void *self, plan_block *b), struct plan_base *pb);

/* ------------------------------------------------------------------ lanes (lockstep episodes) */
/* What a planner keeps of one episode between steps. */
typedef struct plan_lane {
  sgp_rng rng;          /* the episode's noise stream */
  int have_warm;
  int ncand;            /* candidate rollouts in cand_x (sampling planners) */
  float *warm;          /* H×nu: the previous plan shifted by one step (u space) */
  float *warm_x;        /* H×nx: its states shifted (collocation), else NULL */
  float *plan_u, *plan_x, *cand_x; /* the view: H×nu, (H+1)×nx, cand_slots×(H+1)×nx */
} plan_lane;

/* The part every planner shares; each planner struct starts with it. During one act_lanes call
 * the lanes acted on are numbered by their slot i (their position in the lanes list); the slot
 * arrays below hold the call's per-episode bookkeeping. */
typedef struct plan_base {
  planner pub;          /* the vtable */
  plan_ctx ctx;
  plan_bounds bnd;
  plan_common_cfg com;
  const char *stream;   /* name of the noise stream */
  int nx, nu, H, L;     /* sizes; L lanes */
  int cand_slots;       /* candidate rollouts kept per lane for the view (sampling), else 0 */
  int with_warm_x;      /* lanes keep warm states (collocation) */
  plan_lane *lane;      /* L */
  int n;                /* slots of the current act_lanes call */
  const int *lanes;     /* its lanes list */
  float *x0;            /* L×nx: measured states, by slot */
  int *done, *run;      /* L: iterations done; 1 while the slot still iterates */
  long *mrows, *srows;  /* L: model and score rows pushed for the slot */
  size_t bytes;         /* the workspace block */
} plan_base;

/* The mean (into *mean) and population standard deviation over K ensemble members of one state
 * coordinate, member k's value at x[k * stride]: the per-step disagreement of the MOPO-style
 * penalty ("ensemble_step") of the shooting and sampling planners. */
double plan_member_std(const float *x, size_t stride, int K, double *mean);
/* Fills the base (vtable, context, bounds, sizes; L = ctx->lanes or 1). path: the config path
 * (its "bounds" field is named in errors), or NULL when the config has no bounds field. */
int plan_base_init(plan_base *pb, const plan_vt *vt, const plan_ctx *ctx, const plan_common_cfg *com,
                   const char *stream, int H, const char *file, const char *path, sgp_err *e);
/* Lays out the lanes and slot arrays in b (part of the planner's own layout function). */
void plan_base_layout(plan_base *pb, plan_block *b);
/* Starts an act_lanes call: checks the lanes (an error names the bad one), copies the states,
 * zeroes the slot counters and marks every slot running. */
int plan_base_begin(plan_base *pb, int n, const int *lanes, const double *x, sgp_err *e);
/* Adds model / score rows to every running slot (all = 1: to every slot). */
void plan_base_count(plan_base *pb, long mrows, long srows, int all);
/* The end of an act for slot i. ok: the lane's plan_u / plan_x hold the plan found, whose
 * objective parts fill d; else the fallback (plan_fallback). Then emits u (clamped), stores the
 * plan shifted by one step as the next warm start (and the states, with_warm_x) and fills the
 * counters and time of d. */
void plan_base_finish(plan_base *pb, int i, int ok, double objective, double cost, double penalty,
                      double *u, plan_diag *d, double time_s);
/* dst[t] = row `row` of step t of X (steps of `stride` rows of nx), t = 0..T−1. */
void plan_gather_rows(float *dst, const float *X, int T, size_t stride, size_t row, int nx);
void plan_base_free(plan_base *pb);
/* Generic vtable entries: lane reset and view; the single-episode reset/act/view are lane 0. */
void plan_reset_lane(planner *p, int lane, uint64_t episode_seed);
void plan_view_lane(const planner *p, int lane, plan_view *v);
void plan_reset_one(planner *p, uint64_t episode_seed);
int plan_act_one(planner *p, const double *x, double *u, plan_diag *d, sgp_err *e);
void plan_view_one(const planner *p, plan_view *v);

/* ------------------------------------------------------------------ first-order solvers */
/* Shared by sgp-shooting / grad / grad-ensemble and sgp-collocation: R restarts per slot, rows
 * j = i·R + r, restart-major decision variables (row j holds H steps). */

/* The solver's per-row arrays: decision variables V, their actions U and gradient G (B×H×nu,
 * restart-major), cost, penalty and objective (B), dead restarts (B). */
typedef struct plan_fo {
  float *V, *U, *G;
  double *cost_r, *pen_r, *obj_r;
  int *dead;
} plan_fo;
/* Lays them out in b for B rows of `per` = H·nu floats. */
void plan_fo_layout(plan_fo *f, plan_block *b, size_t B, size_t per);

/* Initial decision variables of every slot: the lane's warm start (or its initial plan after a
 * reset, drawn from its stream), restarts 1.. perturbed by N(0, (noise·half)²), clipped, into V
 * (and U as scratch); collocation (X != NULL): every restart's states = the lane's warm states. */
void plan_fo_start(plan_base *pb, const plan_opt_cfg *o, int R, float *V, float *U, float *X,
                   int *dead);
/* After an evaluation at iteration it: restarts with a non-finite gradient norm or objective are
 * frozen out (dead, gradient zeroed); the others' gradients are clipped to grad_clip (one norm
 * over both blocks: G (per floats) and GX (perx floats, may be NULL)). A running slot with no
 * restart left stops; done[i] = it + 1 for the others. Returns the number of running slots. */
int plan_fo_guard(plan_base *pb, const plan_opt_cfg *o, int R, int it, float *G, size_t per,
                  float *GX, size_t perx, const double *obj, int *dead);
/* The weight and NCSN level of the score term at iteration it of iters. */
double plan_score_weight(const plan_score *sc, const plan_beta_cfg *b, plan_weight conv,
                         int fixed_level, int it, int iters, int *level);
/* METHOD §4: the score term over T time-major steps of B rows: z_t = (x_t, u_t[, x_{t+1}]) from X
 * ((T+1)·B rows of nx) and U (T·B rows of nu), one call of T·B rows into S; pen[j] += ½ w Σ_k
 * (σ scale_k s_k)² (the reported proxy of −w log p); with GX and GU (gradient rows laid out as X
 * and U): −w·s added to the x, u and x' parts. Z, S: T·B·dim scratch. */
void plan_score_term(const plan_score *sc, void *ws, int T, int B, int nx, int nu, const float *X,
                     const float *U, int level, double w, float *Z, float *S, double *pen,
                     float *GX, float *GU);

/* ------------------------------------------------------------------ termination */
/* 1 if the planner honours a termination rule: ctx->cost.terminated is set and the config's
 * termination is "known". */
int plan_terminates(const plan_base *pb);
/* Stops the costs of B rollouts after their first terminal state. T time-major steps: states X
 * ((T+1)·B rows of nx), costs C ((T+1)·B: T running, then the terminal one), gradient rows GX
 * ((T+1)·B×nx) and GU (T·B×nu) (NULL: none). With alive_0 = 1 and alive_{t+1} = alive_t ·
 * (1 − done(x_{t+1})) (one call of the rule on the T·B rows x_1..x_T), C[t], GX[t] and GU[t] are
 * multiplied by alive_t, the terminal C[T], GX[T] by alive_T (a NaN stays NaN). The mask is
 * piecewise constant in the states, so the masked gradients are the gradient of the masked cost.
 * A: T·B floats of scratch (receives alive_1..alive_T). No-op unless plan_terminates(pb). */
void plan_cost_mask(const plan_base *pb, int T, int B, const float *X, float *A, float *C, float *GX,
                    float *GU);

/* ------------------------------------------------------------------ test hooks */
/* The objective gradient exactly as the planner's solver computes it, for given decision
 * variables (tests compare it with finite differences). Shooting planners (sgp-shooting, grad,
 * grad-ensemble): V is R×T×nu restart-major (actions in clip mode, tanh pre-images in tanh mode),
 * G receives dObjective/dV, obj[R] the objective per restart with the score term left out (it has
 * no value: METHOD §4), at schedule iteration `iter` of the config's iterations. */
int plan_shooting_gradient(planner *p, const double *x0, const float *V, int iter, float *G,
                           double *obj, sgp_err *e);
/* sgp-collocation: X R×T×nx (states x_1..x_T), V R×T×nu; GX, GV the gradients; obj[R] the
 * objective without the score term (task cost + defect penalty). */
int plan_collocation_gradient(planner *p, const double *x0, const float *X, const float *V,
                              int iter, float *GX, float *GV, double *obj, sgp_err *e);
/* Number of restarts R and horizon T of a shooting / a collocation planner. */
void plan_shooting_sizes(const planner *p, int *R, int *T);
void plan_collocation_sizes(const planner *p, int *R, int *T);

#endif
