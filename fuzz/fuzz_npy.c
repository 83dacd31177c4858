/* libFuzzer target: the .npy parser on arbitrary bytes. Any crash, leak, out-of-bounds read or
 * undefined behaviour is a finding; a rejected input must leave a one-line message naming the file,
 * and an accepted one must describe exactly the bytes it was given. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sgp_array a;
  sgp_err e;
  e.msg[0] = 0;
  if (sgp_npy_parse(data, size, "fuzz.npy", &a, &e) != 0) {
    if (strncmp(e.msg, "fuzz.npy: ", 10) != 0 || strchr(e.msg, '\n')) abort();
    return 0;
  }
  if (a.ndim < 0 || a.ndim > SGP_MAX_DIMS) abort();
  if (sgp_array_count(&a) * sgp_dtype_size(a.dtype) != a.nbytes) abort();
  if (a.nbytes > size || memcmp(a.data, data + size - a.nbytes, a.nbytes) != 0) abort();
  sgp_array_free(&a);
  return 0;
}
