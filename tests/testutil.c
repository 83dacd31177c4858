#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int tu_failures = 0;
int tu_checks = 0;

int tu_done(const char *name) {
  if (tu_failures) {
    fprintf(stderr, "%s: %d of %d checks FAILED\n", name, tu_failures, tu_checks);
    return 1;
  }
  printf("%s: all %d checks passed\n", name, tu_checks);
  return 0;
}

char *tu_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  char *path = sgp_malloc(strlen(base) + strlen(tag) + 32);
  sprintf(path, "%s/sgp-%s-XXXXXX", base, tag);
  if (!mkdtemp(path)) {
    perror("mkdtemp");
    exit(1);
  }
  return path;
}

void tu_rmtree(const char *dir) {
  char *cmd = sgp_malloc(strlen(dir) + 16);
  sprintf(cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
  free(cmd);
}

double tu_relerr(double a, double b, double floor) {
  double m = fmax(fmax(fabs(a), fabs(b)), floor);
  return fabs(a - b) / m;
}

int tu_system(const char *cmd, char *capture, size_t cap) {
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = 0;
  char buf[4096];
  size_t r;
  while ((r = fread(buf, 1, sizeof buf, p)) > 0) {
    if (capture && n + 1 < cap) {
      size_t k = r < cap - 1 - n ? r : cap - 1 - n;
      memcpy(capture + n, buf, k);
      n += k;
    }
  }
  if (capture && cap) capture[n] = 0;
  int st = pclose(p);
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *tu_python_numpy(void) {
  static const char *cands[] = {"/usr/bin/python3", "python3", NULL};
  for (int i = 0; cands[i]; i++) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", cands[i]);
    if (tu_system(cmd, NULL, 0) == 0) return cands[i];
  }
  return NULL;
}

const char *tu_source_dir(void) {
  const char *s = getenv("SGP_SOURCE_DIR");
  return s && *s ? s : ".";
}

const char *tu_prog(void) {
  const char *s = getenv("SGP_PROG");
  return s && *s ? s : "build/sgp";
}
