// ctest-labels: unit core
/* Build locks (core/lock.c): of several processes building one artefact at once exactly one
 * builds and the others reuse it; a lock left by a dead process of this host is taken over at
 * once; a lock of another host is taken over when its heartbeat has not moved for stale_s; a
 * live holder is waited for, never taken over. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct art {
  const char *path;  /* the artefact: complete iff it exists */
  const char *count; /* one byte appended per build */
} art;

static int ready(void *ctx) { return sgp_path_exists(((const art *)ctx)->path); }

/* Builds the artefact under the lock (slowly, so that others have to wait); returns 0 built,
 * 1 reused, -1 error. */
static int build(const art *a, double hold_s, double stale_s) {
  sgp_err e;
  sgp_lock *l = NULL;
  int rc = sgp_lock_build(a->path, stale_s, ready, (void *)a, NULL, &l, &e);
  if (rc < 0) {
    fprintf(stderr, "lock: %s\n", e.msg);
    return -1;
  }
  if (rc == 0) return 1;
  int fd = open(a->count, O_WRONLY | O_CREAT | O_APPEND, 0666);
  if (fd >= 0) {
    (void)write(fd, "b", 1);
    close(fd);
  }
  usleep((useconds_t)(hold_s * 1e6));
  int w = sgp_write_file_atomic(a->path, "done", 4, &e);
  sgp_lock_release(l);
  return w ? -1 : 0;
}

static long file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long)st.st_size : 0;
}

int main(void) {
  char *dir = tu_tmpdir("lock");
  char *path = sgp_path_join(dir, "artefact"), *count = sgp_path_join(dir, "builds"), *lock = NULL;
  art a = {path, count};
  alarm(120); /* a wait that never ends (a lock never taken over) fails the test */
  lock = malloc(strlen(path) + 8);
  sprintf(lock, "%s.lock", path);

  /* 1. eight processes at once: one builds, seven reuse */
  enum { N = 8 };
  pid_t kids[N];
  for (int i = 0; i < N; i++)
    if ((kids[i] = fork()) == 0) _exit(build(&a, 0.3, 60) == -1 ? 2 : 0);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    int st;
    waitpid(kids[i], &st, 0);
    bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  printf("  %d processes: %ld build(s), %d failure(s)\n", N, file_size(count), bad);
  CHECK(bad == 0, "every process succeeds");
  CHECK(file_size(count) == 1, "exactly one process built the artefact (%ld did)", file_size(count));
  CHECK(!sgp_path_exists(lock), "the lock is released");

  /* 2. a lock whose holder was killed (same host): taken over at once, then built */
  unlink(path);
  unlink(count);
  pid_t k = fork();
  if (k == 0) {
    sgp_err e;
    sgp_lock *l;
    if (sgp_lock_build(path, 60, ready, &a, NULL, &l, &e) == 1) kill(getpid(), SIGKILL); /* dies holding it */
    _exit(3);
  }
  int st;
  waitpid(k, &st, 0);
  CHECK(WIFSIGNALED(st) && sgp_path_exists(lock), "the killed holder left its lock");
  double t0 = sgp_now();
  CHECK(build(&a, 0, 600) == 0, "the lock of a dead process is taken over and the artefact built");
  printf("  taken over after %.2f s (stale_s 600: the holder's pid was checked, not waited for)\n", sgp_now() - t0);

  /* 3. a lock of another host whose heartbeat never moves: taken over after stale_s */
  unlink(path);
  tu_write_plain(lock, "elsewhere 12345\n", 16);
  t0 = sgp_now();
  CHECK(build(&a, 0, 0.5) == 0, "a lock of another host without heartbeat is taken over");
  double waited = sgp_now() - t0;
  printf("  another host's silent lock taken over after %.2f s (stale_s 0.5)\n", waited);
  CHECK(waited >= 0.5, "not before stale_s");

  /* 4. a live holder is waited for and its artefact reused, whatever the wait */
  unlink(path);
  unlink(count);
  k = fork();
  if (k == 0) _exit(build(&a, 1.5, 60) == 0 ? 0 : 2);
  while (!sgp_path_exists(lock)) usleep(10000);
  t0 = sgp_now();
  int r = build(&a, 0, 60);
  waitpid(k, &st, 0);
  printf("  waited %.2f s for a live holder, then %s\n", sgp_now() - t0, r == 1 ? "reused" : "built");
  CHECK(r == 1 && file_size(count) == 1, "a live holder's artefact is reused, not built twice");
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the holder succeeded");

  /* 5. nothing left behind: no lock, no temporaries */
  int left = 0;
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c -e '\\.lock' -e '\\.tmp\\.'", dir);
  char out[64] = "";
  tu_system(cmd, out, sizeof out);
  left = atoi(out);
  CHECK(left == 0, "no lock or temporary left (%d)", left);

  tu_rmtree(dir);
  free(lock), free(path), free(count), free(dir);
  return tu_done("test_lock");
}
