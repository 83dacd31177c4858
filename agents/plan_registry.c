/* The planner registry: a static const table of every planner, found by name (agents/planner.h). */
#include "agents/plan_common.h"

#include <string.h>

static const plan_vt *const registry[] = {
    &plan_vt_sgp_shooting, &plan_vt_sgp_collocation, &plan_vt_grad, &plan_vt_grad_ensemble,
    &plan_vt_cem,          &plan_vt_mppi,            &plan_vt_random_shooting, &plan_vt_oracle,
};

int plan_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const plan_vt *plan_at(int i) { return i >= 0 && i < plan_count() ? registry[i] : NULL; }

const char *plan_name_at(const void *ctx, int i) {
  (void)ctx;
  const plan_vt *vt = plan_at(i);
  return vt ? vt->name : "";
}

const plan_vt *plan_find(const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < plan_count(); i++)
    if (!strcmp(registry[i]->name, name)) return registry[i];
  return NULL;
}
