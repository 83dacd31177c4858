/* libFuzzer target: JSON parsing (line/column errors, duplicate keys) and the config getters on
 * whatever tree comes out, including the default insertion of the *_opt getters. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(sgp_cfg *c, int depth) {
  sgp_err e;
  e.msg[0] = 0;
  double d;
  long l;
  int b, k, n;
  float f;
  const char *s;
  double w[8];
  long iw[8];
  static const char *const names[] = {"a", "b", "c"};
  static const char *const allowed[] = {"a", "b", "c", "x", NULL};
  sgp_cfg_num(c, "a", &d, &e);
  sgp_cfg_num_opt(c, "b", 1.5, &d, &e);
  sgp_cfg_float_opt(c, "c", 2.5, &f, &e);
  sgp_cfg_int(c, "a", -5, 5, &l, &e);
  sgp_cfg_int_opt(c, "i", 0, 100, 7, &l, &e);
  sgp_cfg_bool_opt(c, "t", 1, &b, &e);
  sgp_cfg_str(c, "s", &s, &e);
  sgp_cfg_str_opt(c, "u", "dflt", &s, &e);
  sgp_cfg_enum(c, "k", names, 3, 1, &k, &e);
  sgp_cfg_num_array(c, "a", w, 8, 0, &n, &e);
  sgp_cfg_int_array(c, "b", iw, 8, &n, &e);
  sgp_cfg_check_keys(c, allowed, &e);
  if (strncmp(e.msg, "fuzz.json: ", 11) != 0 && e.msg[0]) abort();
  if (depth > 4 || !cJSON_IsObject(c->j)) return;
  for (cJSON *it = c->j->child; it; it = it->next) {
    sgp_cfg sub;
    if (cJSON_IsObject(it) && sgp_cfg_obj(c, it->string, &sub, &e) == 0) walk(&sub, depth + 1);
    if (cJSON_IsArray(it) && sgp_cfg_array(c, it->string, &sub, &n, &e) == 0)
      for (int i = 0; i < n && i < 4; i++) {
        sgp_cfg el;
        if (sgp_cfg_index(&sub, i, &el, &e) == 0) walk(&el, depth + 1);
      }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *j;
  sgp_err e;
  if (sgp_json_parse_len((const char *)data, size, "fuzz.json", &j, &e) != 0) {
    if (strncmp(e.msg, "fuzz.json: ", 11) != 0 || strchr(e.msg, '\n')) abort();
    return 0;
  }
  sgp_cfg root = sgp_cfg_root(j, "fuzz.json");
  walk(&root, 0);
  char *s = cJSON_Print(j);
  free(s);
  cJSON_Delete(j);
  return 0;
}
