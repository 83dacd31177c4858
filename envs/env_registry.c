/* The environment registry: the entries of envs/env_list.h, in order. Only the table and its
 * lookups live here, so that a test build can link a registry of its own instead: the same file
 * compiled with SGP_ENV_TEST_LIST defined also lists the test-only environments of
 * tests/envs/test_env_list.h (CMakeLists.txt, docs/adding-an-environment.md). */
#include "envs/env_private.h"

#include <string.h>

static const env_vt *const registry[] = {
#define ENV_ENTRY(n) &env_##n##_vt,
#include "envs/env_list.h"
#ifdef SGP_ENV_TEST_LIST
#include "tests/envs/test_env_list.h"
#endif
#undef ENV_ENTRY
};

int env_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const env_vt *env_at(int i) { return i >= 0 && i < env_count() ? registry[i] : NULL; }

const env_vt *env_find(const char *name) {
  for (int i = 0; i < env_count(); i++)
    if (!strcmp(registry[i]->name, name)) return registry[i];
  return NULL;
}
