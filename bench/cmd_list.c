/* sgp list: the registered environments, behaviour policies and planners. */
#include "agents/planner.h"
#include "bench/cli.h"
#include "datasets/dataset.h"

#include <string.h>

/* The planners of agents/ (the registry of agents/plan_registry.c). */
static void list_agents(FILE *f) {
  fprintf(f, "  %-18s %s\n", "name", "summary");
  for (int i = 0; i < plan_count(); i++)
    fprintf(f, "  %-18s %s\n", plan_at(i)->name, plan_at(i)->summary);
}

int cmd_list(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: sgp list\n  Prints the registered environments (name, nx, nu, dt, T, summary), the\n"
           "  behaviour policies for data collection, and the planners.\n  example: sgp list\n");
    return 0;
  }
  int rc = cli_parse("list", argc, argv, NULL, NULL, 0, 0, NULL, NULL);
  if (rc) return rc;
  printf("environments:\n  %-10s %5s %5s %6s %4s  %s\n", "name", "nx", "nu", "dt", "T", "summary");
  for (int i = 0; i < env_count(); i++) {
    const env_vt *vt = env_at(i);
    sgp_env *env = NULL;
    sgp_err e = {{0}};
    if (env_create(vt->name, NULL, "defaults", &env, &e)) {
      printf("  %-10s (cannot create: %s)\n", vt->name, e.msg);
      continue;
    }
    printf("  %-10s %5d %5d %6g %4d  %s\n", vt->name, env->spec.nx, env->spec.nu, env->spec.dt, env->spec.T, vt->summary);
    env_destroy(env);
  }
  printf("\nbehaviour policies (datasets, \"episodes\" specs):\n");
  for (int i = 0; i < ds_policy_count(); i++) printf("  %-10s %s\n", ds_policy_at(i)->name, ds_policy_at(i)->summary);
  printf("\nagents:\n");
  list_agents(stdout);
  return 0;
}
