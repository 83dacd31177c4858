/* Models as the planner interfaces of agents/planner.h (agents/adapters.c). */
#ifndef SGP_AGENTS_ADAPTERS_H
#define SGP_AGENTS_ADAPTERS_H

#include "agents/cost_model.h"
#include "agents/dde.h"
#include "agents/distance.h"
#include "agents/dynamics.h"
#include "agents/planner.h"
#include "agents/score.h"

#ifdef __cplusplus
extern "C" {
#endif

/* adapters: models as the planner interfaces of agents/planner.h (agents/adapters.c).
 * A view does not own the model, which must outlive it. Adapters that allocate a small holder
 * (exact score / distance, learned cost) are released with the matching adapt_*_release, which is
 * safe on any view (it frees only what this module allocated). */

/* plan_dyn over K members (kind "mlp" for K = 1, "ensemble" for K > 1); member-major rows.
 * ws_create(model, maxB, T) holds T·K cached forwards (slot t, member k), so vjp may be called
 * for any slot, in any order, after its forward; forward/vjp never allocate. */
void adapt_dyn(const dyn_model *m, plan_dyn *out);
/* Views over a learned score (single σ or NCSN levels; σ in the model's normalised units) and
 * the learned DDE. Fail for models over plain points (no (x,u) layout). path: for messages. */
int adapt_score(const score_model *m, const char *path, plan_score *out, sgp_err *e);
int adapt_dist_dde(const dde_model *m, const char *path, plan_dist *out, sgp_err *e);
/* Exact score ∇log p_σ of an index at nlevels decreasing σ (the "oracle score"; METHOD §2). */
int adapt_score_exact(const dist_index *idx, plan_zlayout layout, int nlevels, const float *sigma,
                      plan_score *out, sgp_err *e);
/* Exact d_σ and ∇d_σ = −σ² ∇log p_σ (METHOD §2). */
int adapt_dist_exact(const dist_index *idx, plan_zlayout layout, float sigma, plan_dist *out,
                     sgp_err *e);
/* plan_cost over a learned cost (terminal cost 0); owns a workspace of maxB rows (larger
 * batches are chunked), so use one adapter per thread. */
void adapt_cost(const cost_model *m, int maxB, plan_cost *out);
void adapt_cost_release(plan_cost *c);
void adapt_score_release(plan_score *s);
void adapt_dist_release(plan_dist *d);

#ifdef __cplusplus
}
#endif
#endif
