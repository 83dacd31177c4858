/* libFuzzer target: a dataset's manifest.json (ds_manifest_check, the manifest part of ds_load) on
 * arbitrary bytes: JSON parsing, sizes, the environment built from its config, the /files entries
 * and the structure of /stats. A rejection is one line naming the file; an accepted manifest has
 * sizes within the limits the loader promises. */
#include "datasets/dataset.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *m = NULL;
  sgp_err e;
  e.msg[0] = 0;
  const char *name = "fuzz/manifest.json";
  if (sgp_json_parse_len((const char *)data, size, name, &m, &e) != 0) {
    if (strncmp(e.msg, name, strlen(name)) != 0 || strchr(e.msg, '\n')) abort();
    return 0;
  }
  ds_data d;
  memset(&d, 0, sizeof d);
  if (ds_manifest_check(m, name, &d, &e) != 0) {
    if (strncmp(e.msg, name, strlen(name)) != 0 || strchr(e.msg, '\n')) abort();
  } else {
    if (d.n < 0 || d.nx < 1 || d.nu < 1 || !d.env || !cJSON_IsObject(d.env_cfg)) abort();
    free(d.env);
  }
  cJSON_Delete(m);
  return 0;
}
