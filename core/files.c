/* Files: whole-file reads, atomic writes (temporary next to the target, fsync, rename), mkdir -p,
 * path helpers. Every error names the file the caller asked about, never the temporary. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int sgp_open_read(const char *path, int64_t *size, sgp_err *e) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sgp_fail(e, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return sgp_fail(e, "%s: cannot stat: %s", path, strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return sgp_fail(e, "%s: cannot read: Is a directory", path);
  }
  *size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
  return fd;
}

int sgp_read_file(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e) {
  int64_t size;
  int fd = sgp_open_read(path, &size, e);
  if (fd < 0) return -1;
  if (size >= 0 && (uint64_t)size > (uint64_t)max_bytes) {
    close(fd);
    return sgp_fail(e, "%s: file too large: %lld bytes (limit %zu)", path, (long long)size, max_bytes);
  }
  /* Regular files: one allocation of the stat size (+1 for the NUL); anything else (pipes,
   * /dev/stdin) grows as it reads. Either way never more than max_bytes. */
  size_t cap = size >= 0 ? (size_t)size + 1 : 65536;
  char *p = sgp_malloc(cap);
  size_t n = 0;
  for (;;) {
    if (n + 1 >= cap) {
      if (cap - 1 >= max_bytes) { /* at the limit: one more byte means too large */
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r > 0) {
          free(p);
          close(fd);
          return sgp_fail(e, "%s: file too large (limit %zu bytes)", path, max_bytes);
        }
        if (r == 0) break;
        if (errno == EINTR) continue;
        int err = errno;
        free(p);
        close(fd);
        return sgp_fail(e, "%s: cannot read: %s", path, strerror(err));
      }
      size_t ncap = cap * 2;
      if (ncap - 1 > max_bytes) ncap = max_bytes + 1;
      p = sgp_realloc(p, ncap);
      cap = ncap;
    }
    ssize_t r = read(fd, p + n, cap - 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      free(p);
      close(fd);
      return sgp_fail(e, "%s: cannot read: %s", path, strerror(err));
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  p[n] = 0;
  *buf = p;
  *len = n;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */

int sgp_atomic_open(sgp_atomic_file *af, const char *path, sgp_err *e) {
  /* Temporary names "<path>.tmp.<pid>.<n>": n is a process-wide counter so that threads writing
   * next to each other never collide (the only mutable static in core; O_EXCL guards the rest). */
  static atomic_ulong counter;
  memset(af, 0, sizeof *af);
  size_t k = strlen(path);
  if (k == 0) return sgp_fail(e, "(empty path): cannot write: no file name");
  char *tmp = sgp_malloc(k + 64);
  int fd = -1;
  for (int tries = 0; tries < 100; tries++) {
    unsigned long n = atomic_fetch_add(&counter, 1);
    snprintf(tmp, k + 64, "%s.tmp.%ld.%lu", path, (long)getpid(), n);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) break;
  }
  if (fd < 0) {
    int err = errno;
    free(tmp);
    return sgp_fail(e, "%s: cannot write: %s", path, strerror(err));
  }
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    int err = errno;
    close(fd);
    unlink(tmp);
    free(tmp);
    return sgp_fail(e, "%s: cannot write: %s", path, strerror(err));
  }
  af->f = f;
  af->path = sgp_strdup(path);
  af->tmp = tmp;
  return 0;
}

static void atomic_release(sgp_atomic_file *af) {
  free(af->path);
  free(af->tmp);
  af->path = af->tmp = NULL;
  af->f = NULL;
}

void sgp_atomic_abort(sgp_atomic_file *af) {
  if (!af->tmp) return;
  if (af->f) fclose(af->f);
  unlink(af->tmp);
  atomic_release(af);
}

/* fsync of the directory holding path, so that the rename itself survives a crash. Best effort:
 * some file systems refuse fsync on a directory, which is not an error of ours. */
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir;
  if (!slash) {
    dir = sgp_strdup(".");
  } else {
    size_t k = slash == path ? 1 : (size_t)(slash - path);
    dir = sgp_malloc(k + 1);
    memcpy(dir, path, k);
    dir[k] = 0;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

int sgp_atomic_commit(sgp_atomic_file *af, sgp_err *e) {
  if (!af->tmp) return sgp_fail(e, "(unknown file): cannot write: not open");
  int err = 0;
  if (fflush(af->f) != 0 || ferror(af->f)) err = errno ? errno : EIO;
  if (!err && fsync(fileno(af->f)) != 0) err = errno;
  int rc = fclose(af->f);
  af->f = NULL;
  if (!err && rc != 0) err = errno;
  if (!err && rename(af->tmp, af->path) != 0) err = errno;
  if (err) {
    unlink(af->tmp);
    sgp_fail(e, "%s: cannot write: %s", af->path, strerror(err));
    atomic_release(af);
    return -1;
  }
  sync_parent_dir(af->path);
  atomic_release(af);
  return 0;
}

int sgp_write_file_atomic(const char *path, const void *buf, size_t len, sgp_err *e) {
  sgp_atomic_file af;
  if (sgp_atomic_open(&af, path, e) != 0) return -1;
  if (len && fwrite(buf, 1, len, af.f) != len) {
    int err = errno ? errno : EIO;
    sgp_atomic_abort(&af);
    return sgp_fail(e, "%s: cannot write: %s", path, strerror(err));
  }
  return sgp_atomic_commit(&af, e);
}

/* ------------------------------------------------------------------------------------------ */

int sgp_mkdirs(const char *path, sgp_err *e) {
  size_t k = strlen(path);
  if (k == 0) return 0;
  char *p = sgp_strdup(path);
  /* Create each prefix ending before a '/', then the whole path. */
  for (size_t i = 1; i <= k; i++) {
    if (i < k && p[i] != '/') continue;
    if (i < k && p[i - 1] == '/') continue; /* "a//b" */
    char saved = p[i];
    p[i] = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int err = errno;
      sgp_fail(e, "%s: cannot create directory %s: %s", path, p, strerror(err));
      free(p);
      return -1;
    }
    p[i] = saved;
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    free(p);
    return sgp_fail(e, "%s: cannot create directory: a file of that name exists", path);
  }
  free(p);
  return 0;
}

int sgp_path_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

char *sgp_path_join(const char *a, const char *b) {
  if (!a || !*a || (b && b[0] == '/')) return sgp_strdup(b ? b : "");
  if (!b || !*b) return sgp_strdup(a);
  size_t ka = strlen(a), kb = strlen(b);
  int slash = a[ka - 1] != '/';
  char *p = sgp_malloc(ka + slash + kb + 1);
  memcpy(p, a, ka);
  if (slash) p[ka] = '/';
  memcpy(p + ka + slash, b, kb + 1);
  return p;
}
