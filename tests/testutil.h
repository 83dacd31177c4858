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
/* Runs a shell command, returns its exit status (-1 if it could not run). Output discarded unless
 * capture != NULL (then up to cap-1 bytes of stdout+stderr are stored). */
int tu_system(const char *cmd, char *capture, size_t cap);
/* A python3 that can `import numpy`, or NULL (then the caller prints a visible SKIP). */
const char *tu_python_numpy(void);
/* Path of a file in the source tree / the sgp program (from ctest's environment). */
const char *tu_source_dir(void);
const char *tu_prog(void);

#endif
