/* SHA-256 of buffers and files (core/sha256.c). */
#ifndef SGP_CORE_SHA256_H
#define SGP_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SHA-256 */
typedef struct sgp_sha256 {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t nbuf;
} sgp_sha256;
void sgp_sha256_init(sgp_sha256 *c);
void sgp_sha256_update(sgp_sha256 *c, const void *data, size_t n);
void sgp_sha256_final(sgp_sha256 *c, uint8_t out[32]);
void sgp_sha256_hex(const void *data, size_t n, char out[65]);
int sgp_sha256_file_hex(const char *path, char out[65], sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
