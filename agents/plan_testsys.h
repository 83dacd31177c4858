/* Analytic and raw-network model implementations of the planner interfaces, for tests and
 * benchmarks (no training, no files):
 *   plan_linsys    x' = A x + B u                                   (plan_dyn, K = 1, exact vjp)
 *   plan_quadcost  c = (x−g)ᵀQ(x−g) + uᵀRu,  c_T = (x−g)ᵀQ_f(x−g)    (plan_cost)
 *   plan_gauss     score of N(μ, diag(sd² + σ_l²)): the exact NCSN score of Gaussian data
 *                  perturbed at level σ_l (plan_score), and its log-density for finite differences
 *   plan_mlpdyn    K raw nn_mlp members in residual form x' = x + k ⊙ net_k([x,u]) (plan_dyn)
 *   plan_mlpscore  a raw nn_mlp as a score s(z) = net(z, level) (plan_score)
 *   plan_mlpcost   a raw nn_mlp as a learned running cost c = net([x,u]), terminal 0 (plan_cost)
 *   plan_stack     K plan_dyn models as the K members of one ensemble (plan_dyn)
 *   plan_quaddist  d(z) = Σ_k (z_k − c_k)², an analytic distance (plan_dist)
 * Matrices are row-major double on input and float inside. The wrappers borrow the networks.
 */
#ifndef SGP_PLAN_TESTSYS_H
#define SGP_PLAN_TESTSYS_H

#include "agents/planner.h"

typedef struct plan_linsys plan_linsys;
/* A: nx×nx, B: nx×nu (copied). */
plan_linsys *plan_linsys_create(int nx, int nu, const double *A, const double *B);
void plan_linsys_free(plan_linsys *s);
plan_dyn plan_linsys_dyn(const plan_linsys *s);

typedef struct plan_quadcost plan_quadcost;
/* Q: nx×nx, R: nu×nu, Qf: nx×nx (symmetric), goal: nx or NULL (zero). Copied. */
plan_quadcost *plan_quadcost_create(int nx, int nu, const double *Q, const double *R,
                                    const double *Qf, const double *goal);
void plan_quadcost_free(plan_quadcost *c);
plan_cost plan_quadcost_cost(const plan_quadcost *c);

typedef struct plan_gauss plan_gauss;
/* dim = nx+nu (PLAN_Z_XU) or 2nx+nu (PLAN_Z_XUX); mean, sd: dim values; sigma: nlevels values
 * (decreasing; may be 0 for "no perturbation" with nlevels = 1). */
plan_gauss *plan_gauss_create(int dim, plan_zlayout layout, const float *mean, const float *sd,
                              int nlevels, const float *sigma);
void plan_gauss_free(plan_gauss *g);
plan_score plan_gauss_score(const plan_gauss *g);
/* log N(z; μ, diag(sd²+σ_l²)) up to its constant: −½ Σ_k (z_k−μ_k)² / (sd_k² + σ_l²). */
double plan_gauss_logp(const plan_gauss *g, int level, const double *z);

typedef struct plan_mlpdyn plan_mlpdyn;
/* nets[K]: nin = nx+nu, nout = nx, unconditioned. kscale: nx values or NULL (ones). */
plan_mlpdyn *plan_mlpdyn_create(int nx, int nu, int K, nn_mlp *const *nets, const float *kscale);
void plan_mlpdyn_free(plan_mlpdyn *d);
plan_dyn plan_mlpdyn_dyn(const plan_mlpdyn *d);

typedef struct plan_mlpscore plan_mlpscore;
/* net: nin = nout = dim; ncond = 0 or nlevels. sigma: nlevels values (copied). */
plan_mlpscore *plan_mlpscore_create(const nn_mlp *net, plan_zlayout layout, int nlevels,
                                    const float *sigma);
void plan_mlpscore_free(plan_mlpscore *s);
plan_score plan_mlpscore_score(const plan_mlpscore *s);

typedef struct plan_mlpcost plan_mlpcost;
/* net: nin = nx+nu, nout = 1 (borrowed). Owns a workspace of maxB rows; larger calls are taken
 * maxB rows at a time (so one cost per thread). */
plan_mlpcost *plan_mlpcost_create(const nn_mlp *net, int nx, int nu, int maxB);
void plan_mlpcost_free(plan_mlpcost *c);
plan_cost plan_mlpcost_cost(const plan_mlpcost *c);

typedef struct plan_stack plan_stack;
/* members[K] (same nx, nu, K = 1 each; borrowed): member k takes rows [k·B, (k+1)·B). */
plan_stack *plan_stack_create(int K, const plan_dyn *members);
void plan_stack_free(plan_stack *s);
plan_dyn plan_stack_dyn(const plan_stack *s);

typedef struct plan_quaddist plan_quaddist;
/* center: dim values (copied); sigma: the σ the distance reports. */
plan_quaddist *plan_quaddist_create(int dim, plan_zlayout layout, const float *center, float sigma);
void plan_quaddist_free(plan_quaddist *d);
plan_dist plan_quaddist_dist(const plan_quaddist *d);
double plan_quaddist_value(const plan_quaddist *d, const double *z); /* in double */

#endif
