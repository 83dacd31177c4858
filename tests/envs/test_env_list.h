/* The test-only environments: one line each, like envs/env_list.h (a different file name, so
 * that the tests' include path never takes one for the other). They are registered only in
 * the programs of a test build (the conformance tests and sgp-testenvs, CMakeLists.txt), never in
 * the shipped sgp. */
ENV_ENTRY(sled)
