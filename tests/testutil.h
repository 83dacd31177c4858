/* Minimal test harness. Every check compares against an independent reference and prints the
 * worst error it saw, so that a near-miss is visible before it becomes a failure. */
#ifndef SGP_TESTUTIL_H
#define SGP_TESTUTIL_H

#include "core/core.h"

#include <stdio.h>

extern int tu_failures;
extern int tu_checks;

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    tu_checks++;                                                              \
    if (!(cond)) {                                                            \
      tu_failures++;                                                          \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                    \
      fprintf(stderr, __VA_ARGS__);                                           \
      fprintf(stderr, "\n");                                                  \
    }                                                                         \
  } while (0)

/* Checks |got - want| <= tol, printing the value always (the "worst error" habit). */
#define CHECK_CLOSE(what, got, want, tol)                                                          \
  do {                                                                                             \
    double _g = (got), _w = (want), _t = (tol);                                                    \
    double _d = _g > _w ? _g - _w : _w - _g;                                                       \
    tu_checks++;                                                                                   \
    int _ok = (_d <= _t);                                                                          \
    if (!_ok) tu_failures++;                                                                       \
    fprintf(_ok ? stdout : stderr, "%s %s: got %.9g want %.9g (|diff| %.3g, tol %.3g)\n",       \
            _ok ? "ok  " : "FAIL", what, _g, _w, _d, _t);                                          \
  } while (0)

/* Reports a worst-case error and checks it against a tolerance. */
#define CHECK_WORST(what, worst, tol)                                                   \
  do {                                                                                  \
    double _e = (worst), _t = (tol);                                                    \
    tu_checks++;                                                                        \
    int _ok = (_e <= _t);                                                               \
    if (!_ok) tu_failures++;                                                            \
    fprintf(_ok ? stdout : stderr, "%s %s: worst error %.3g (tol %.3g)\n",              \
            _ok ? "ok  " : "FAIL", what, _e, _t);                                       \
  } while (0)

/* Prints the summary and returns the exit code for main(). */
int tu_done(const char *name);
/* A fresh empty directory under $TMPDIR (or /tmp), removed by tu_rmtree. */
char *tu_tmpdir(const char *tag);
void tu_rmtree(const char *dir);
/* Relative error |a-b| / max(|a|,|b|,floor). */
double tu_relerr(double a, double b, double floor);
/* Runs a shell command with its stderr joined to its stdout, returns its exit status (-1 if it
 * could not run). The output is discarded unless capture != NULL (then up to cap-1 bytes of it are
 * stored, NUL-terminated). */
int tu_system(const char *cmd, char *capture, size_t cap);
/* A python3 that can `import numpy`, or NULL (then the caller prints a visible SKIP). */
const char *tu_python_numpy(void);
/* Path of a file in the source tree / the sgp program (from ctest's environment). */
const char *tu_source_dir(void);
const char *tu_prog(void);

/* ---- independent references */

struct nn_mlp;
/* An nn_mlp evaluated in double (tanh hidden layers, with their LayerNorm when the net has one):
 * out = net(in), for networks whose arch.act is tanh and without a noise condition. */
void tu_ref_mlp(const struct nn_mlp *net, const double *in, double *out);

struct plan_ctx;
struct planner;
/* A registered planner made from a JSON config (*j receives the parsed config: cJSON_Delete it
 * after destroying the planner); NULL after a failed check. */
struct planner *tu_planner(const char *name, const char *json, const struct plan_ctx *ctx,
                           struct cJSON **j);

/* ---- file formats: arrays and the corruption protocol of the format tests (npy, safetensors) */

/* Fills an array with value i = f(i + seed) of its dtype (formulas the Python cross-checks repeat:
 * f32 (k·0.37 − 5), f64 (k·0.37 − 5 + 1e-12 k), u8 ((7k + 3) mod 256), i32 (7919 k − 100000),
 * i64 (3000000007 k − 7)). */
void tu_fill_array(sgp_array *a, long seed);
/* 1 if dtype, shape and bytes agree. */
int tu_same_array(const sgp_array *a, const sgp_array *b);
/* Plain write without fsync (hundreds of truncated copies would otherwise dominate the run time). */
void tu_write_plain(const char *path, const void *buf, size_t n);

/* A parser of an in-memory file image under a file name: -1 rejected (e filled), 0 accepted,
 * 1 accepted but the result is inconsistent. It frees what it parsed. */
typedef int (*tu_parse_fn)(const void *buf, size_t len, const char *name, sgp_err *e);
/* A reader of a file on disk, freeing what it read: 0 accepted, -1 rejected (e filled). */
typedef int (*tu_read_fn)(const char *path, sgp_err *e);
/* Expects buf to be rejected with a one-line message that names the file (starts with name) and
 * contains want (unless NULL); prints the message. */
void tu_expect_reject(tu_parse_fn parse, const char *name, const char *what, const void *buf, size_t len,
                      const char *want);
/* Every truncation of the good image (lengths 0 .. len−1) must be rejected by the parser (naming
 * name) and, written to dir/fname, by the reader (naming fname). */
void tu_check_truncations(tu_parse_fn parse, tu_read_fn read, const char *name, const char *dir, const char *fname,
                          const void *good, size_t len);
/* Every single-byte change (xor 1, 2, 4, ..., 128, 255) of the first npos bytes: either accepted as
 * a consistent file, or rejected with a message naming the file. Prints how many were accepted. */
void tu_check_flips(tu_parse_fn parse, const char *name, const void *good, size_t len, size_t npos);

#endif
