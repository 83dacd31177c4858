/* Build locks: one builder per artefact among processes on one machine or on several machines
 * sharing a file system (docs/sweeps.md, "Shared caches").
 *
 * The lock is "<path>.lock", holding "<host> <pid>". It is created by link(2) of a complete
 * temporary file (atomic on local file systems and over NFS; a link whose reply was lost is
 * recognised by the temporary's link count of 2). While the builder works a thread touches the
 * lock's mtime every SGP_LOCK_BEAT seconds. A waiter takes the lock over when its holder is a
 * process of this host that no longer runs, or when the lock's mtime and inode have not changed for
 * `stale_s` seconds of the waiter's own clock (no clocks are compared across machines). A
 * take-over renames the old lock to a temporary name first, so of several waiters only one
 * succeeds. */
#include "core/err.h"
#include "core/files.h"
#include "core/lock.h"
#include "core/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SGP_LOCK_BEAT 5.0 /* seconds between heartbeats */

struct sgp_lock {
  char *path; /* the lock file */
  int fd;     /* the lock's inode (our temporary, linked) */
  pthread_t beat;
  int beating;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
};

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

static void *beat_main(void *arg) {
  sgp_lock *l = arg;
  pthread_mutex_lock(&l->mu);
  while (!l->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)SGP_LOCK_BEAT;
    pthread_cond_timedwait(&l->cv, &l->mu, &until);
    if (!l->stop) (void)futimens(l->fd, NULL);
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

/* Tries to create the lock: 1 acquired (*fd the lock's inode), 0 it exists, -1 error. */
static int try_create(const char *lock, int *fd, sgp_err *e) {
  char host[40], *tmp = NULL;
  sgp_host_tag(host, sizeof host);
  int f = -1;
  for (int tries = 0; tries < 100 && f < 0; tries++) {
    uint8_t r[4] = {0};
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) r[0] = (uint8_t)tries;
    free(tmp);
    size_t k = strlen(lock) + 96;
    tmp = sgp_malloc(k);
    snprintf(tmp, k, "%s.tmp.%s.%ld.%02x%02x%02x%02x", lock, host, (long)getpid(), r[0], r[1], r[2], r[3]);
    f = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f < 0 && errno != EEXIST) break;
  }
  if (f < 0) {
    int err = errno;
    free(tmp);
    return sgp_fail(e, "%s: cannot create: %s", lock, strerror(err));
  }
  char text[96];
  int n = snprintf(text, sizeof text, "%s %ld\n", host, (long)getpid());
  int ok = write(f, text, (size_t)n) == n && fsync(f) == 0;
  int rc = 0;
  if (ok) {
    int lr = link(tmp, lock), lerr = errno;
    struct stat st;
    if (lr == 0 || (fstat(f, &st) == 0 && st.st_nlink == 2)) rc = 1; /* NFS: a lost reply */
    else if (lerr != EEXIST) rc = sgp_fail(e, "%s: cannot create: %s", lock, strerror(lerr));
  } else {
    rc = sgp_fail(e, "%s: cannot write: %s", lock, strerror(errno ? errno : EIO));
  }
  unlink(tmp);
  free(tmp);
  if (rc == 1) *fd = f;
  else close(f);
  return rc;
}

/* 1 if the lock names a process of this host that no longer runs. */
static int holder_dead(const char *lock) {
  char buf[128] = "", host[64], me[40];
  int fd = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  long pid = 0;
  if (sscanf(buf, "%63s %ld", host, &pid) != 2 || pid <= 0) return 0;
  sgp_host_tag(me, sizeof me);
  return !strcmp(host, me) && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes the lock if it is still the one observed (same inode): renamed to a temporary name
 * first, so that of two waiters taking over only one removes it. */
static void take_over(const char *lock, ino_t ino) {
  struct stat st;
  if (lstat(lock, &st) != 0 || st.st_ino != ino) return;
  char host[40];
  sgp_host_tag(host, sizeof host);
  size_t k = strlen(lock) + 96;
  char *t = sgp_malloc(k);
  snprintf(t, k, "%s.tmp.%s.%ld.takeover", lock, host, (long)getpid());
  if (rename(lock, t) == 0) unlink(t);
  free(t);
}

int sgp_lock_build(const char *path, double stale_s, int (*ready)(void *ctx), void *ctx, FILE *note, sgp_lock **out,
                   sgp_err *e) {
  *out = NULL;
  size_t k = strlen(path) + 8;
  char *lock = sgp_malloc(k);
  snprintf(lock, k, "%s.lock", path);
  ino_t seen_ino = 0;
  struct timespec seen_mtime = {0, 0};
  double seen_at = 0;
  int noted = 0, rc = -1;
  /* ready() is asked first, then each time the lock is ours (never while another process holds
   * it: it may be expensive, a full validation) */
  if (ready && ready(ctx)) {
    free(lock);
    return 0;
  }
  for (;;) {
    int fd = -1, c = try_create(lock, &fd, e);
    if (c < 0) break;
    if (c == 1) {
      if (ready && ready(ctx)) { /* finished by another builder just before we took the lock */
        unlink(lock);
        close(fd);
        rc = 0;
        break;
      }
      sgp_lock *l = sgp_calloc(1, sizeof *l);
      l->path = lock;
      l->fd = fd;
      pthread_mutex_init(&l->mu, NULL);
      pthread_cond_init(&l->cv, NULL);
      l->beating = pthread_create(&l->beat, NULL, beat_main, l) == 0;
      *out = l;
      return 1;
    }
    struct stat st;
    if (lstat(lock, &st) != 0) continue; /* released meanwhile */
    double now = sgp_now();
    if (st.st_ino != seen_ino || st.st_mtim.tv_sec != seen_mtime.tv_sec || st.st_mtim.tv_nsec != seen_mtime.tv_nsec) {
      seen_ino = st.st_ino, seen_mtime = st.st_mtim, seen_at = now;
    }
    if (holder_dead(lock) || now - seen_at > stale_s) {
      if (note) fprintf(note, "%s: taking over the lock of a builder that is gone\n", path);
      take_over(lock, st.st_ino);
      seen_ino = 0;
      continue;
    }
    if (note && !noted) {
      fprintf(note, "%s: being built by another process (%s); waiting\n", path, lock);
      noted = 1;
    }
    sleep_s(0.2);
  }
  free(lock);
  return rc;
}

void sgp_lock_release(sgp_lock *l) {
  if (!l) return;
  if (l->beating) {
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->beat, NULL);
  }
  struct stat a, b;
  if (fstat(l->fd, &a) == 0 && lstat(l->path, &b) == 0 && a.st_ino == b.st_ino) unlink(l->path);
  close(l->fd);
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l->path);
  free(l);
}
