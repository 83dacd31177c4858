/* libFuzzer target: the .safetensors parser on arbitrary bytes. An accepted file must round-trip:
 * every tensor's bytes lie inside the input, and the tensors add up to exactly the data region. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sgp_st s;
  sgp_err e;
  e.msg[0] = 0;
  if (sgp_st_parse(data, size, "fuzz.safetensors", &s, &e) != 0) {
    if (strncmp(e.msg, "fuzz.safetensors: ", 18) != 0 || strchr(e.msg, '\n')) abort();
    return 0;
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)data[i] << (8 * i);
  size_t total = 0;
  for (int i = 0; i < s.n; i++) {
    const sgp_array *a = &s.t[i].a;
    if (sgp_array_count(a) * sgp_dtype_size(a->dtype) != a->nbytes) abort();
    total += a->nbytes;
    if (i && strcmp(s.t[i - 1].name, s.t[i].name) >= 0) abort(); /* sorted, unique */
  }
  if (total != size - 8 - n) abort();
  if (s.meta)
    for (const cJSON *m = s.meta->child; m; m = m->next)
      if (!cJSON_IsString(m)) abort();
  sgp_st_free(&s);
  return 0;
}
