// ctest-labels: unit core
/* SHA-256 against the FIPS 180-4 / NIST example vectors, incremental updates split at every
 * offset (the buffering edge cases), and the file helper. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

int main(void) {
  static const struct {
    const char *msg;
    const char *hex;
  } vec[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  char hex[65];
  for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
    sgp_sha256_hex(vec[i].msg, strlen(vec[i].msg), hex);
    CHECK(strcmp(hex, vec[i].hex) == 0, "sha256(\"%.20s...\") = %s, want %s", vec[i].msg, hex, vec[i].hex);
    /* every split point of the same message, fed in two updates */
    size_t n = strlen(vec[i].msg);
    int bad = 0;
    for (size_t s = 0; s <= n; s++) {
      sgp_sha256 c;
      uint8_t d[32];
      sgp_sha256_init(&c);
      sgp_sha256_update(&c, vec[i].msg, s);
      sgp_sha256_update(&c, vec[i].msg + s, n - s);
      sgp_sha256_final(&c, d);
      char h2[65];
      for (int k = 0; k < 32; k++) sprintf(h2 + 2 * k, "%02x", d[k]);
      bad += strcmp(h2, vec[i].hex) != 0;
    }
    CHECK(bad == 0, "vector %zu: %d split points disagree", i, bad);
  }
  printf("ok   FIPS 180-4 example vectors (empty, abc, 448-bit, 896-bit)\n");

  /* one million 'a', fed in odd-sized chunks */
  const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  char *a = sgp_malloc(1000000);
  memset(a, 'a', 1000000);
  sgp_sha256 c;
  sgp_sha256_init(&c);
  for (size_t off = 0; off < 1000000;) {
    size_t k = 1000000 - off < 997 ? 1000000 - off : 997;
    sgp_sha256_update(&c, a + off, k);
    off += k;
  }
  uint8_t d[32];
  sgp_sha256_final(&c, d);
  for (int k = 0; k < 32; k++) sprintf(hex + 2 * k, "%02x", d[k]);
  CHECK(strcmp(hex, want) == 0, "million a: %s, want %s", hex, want);
  printf("ok   one million 'a'\n");

  /* file helper: same digest as the in-memory one; missing file names the file */
  char *dir = tu_tmpdir("sha");
  char *path = sgp_path_join(dir, "a.bin");
  sgp_err e;
  CHECK(sgp_write_file_atomic(path, a, 1000000, &e) == 0, "write: %s", e.msg);
  char fh[65];
  CHECK(sgp_sha256_file_hex(path, fh, &e) == 0, "file hash: %s", e.msg);
  CHECK(strcmp(fh, want) == 0, "file hash %s, want %s", fh, want);
  char *nope = sgp_path_join(dir, "missing.bin");
  CHECK(sgp_sha256_file_hex(nope, fh, &e) != 0 && strstr(e.msg, "missing.bin"),
        "missing file must fail naming it: %s", e.msg);
  tu_rmtree(dir);
  free(nope);
  free(path);
  free(dir);
  free(a);
  return tu_done("test_sha256");
}
