/* Files: whole-file reads, atomic writes (temporary next to the target, fsync, rename), mkdir -p,
 * path helpers. Every error names the file the caller asked about, never the temporary. */
#include "core/err.h"
#include "core/rng.h"
#include "core/files.h"
#include "core/progress.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int sgp_open_read(const char *path, int64_t *size, sgp_err *e) {
  /* O_NONBLOCK: opening a FIFO without a writer must not hang (it then reads as empty); cleared
   * at once so that pipes read as usual. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return sgp_fail(e, "%s: cannot open: %s", path, strerror(errno));
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
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

static int read_file(const char *path, void **buf, size_t *len, size_t max_bytes, int regular, sgp_err *e) {
  int64_t size;
  int fd = sgp_open_read(path, &size, e);
  if (fd < 0) return -1;
  if (regular && size < 0) {
    close(fd);
    return sgp_fail(e, "%s: cannot read: not a regular file", path);
  }
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

int sgp_read_file(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e) {
  return read_file(path, buf, len, max_bytes, 0, e);
}

int sgp_read_regular(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e) {
  return read_file(path, buf, len, max_bytes, 1, e);
}

/* ---- temporary names: "<path>.<tag>.<host>.<pid>.<random>" ---------------------------------- */

void sgp_host_tag(char *out, size_t cap) {
  char h[256];
  if (gethostname(h, sizeof h) != 0) h[0] = 0;
  h[sizeof h - 1] = 0;
  size_t k = 0;
  for (const char *p = h; *p && k + 1 < cap && k < 32; p++)
    out[k++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '-';
  if (k == 0)
    for (const char *p = "host"; *p && k + 1 < cap; p++) out[k++] = *p;
  out[k] = 0;
}

/* 8 unpredictable characters [a-z0-9] (getrandom; a mix of the clock and the address space if
 * it fails, which O_EXCL still makes safe, only guessable). */
static void random_tag(char out[9]) {
  static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t r[8];
  if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
    uint64_t h = sgp_hash64(&r, sizeof r, (uint64_t)(uintptr_t)out ^ (uint64_t)(sgp_now() * 1e9));
    for (int i = 0; i < 8; i++) r[i] = (uint8_t)(h >> (8 * i));
  }
  for (int i = 0; i < 8; i++) out[i] = al[r[i] % 36];
  out[8] = 0;
}

static char *tmp_name(const char *path, const char *tag) {
  char host[40], rnd[9];
  sgp_host_tag(host, sizeof host);
  random_tag(rnd);
  size_t k = strlen(path) + strlen(tag) + 96;
  char *t = sgp_malloc(k);
  snprintf(t, k, "%s.%s.%s.%ld.%s", path, tag, host, (long)getpid(), rnd);
  return t;
}

int sgp_mkdir_temp(const char *path, const char *tag, char **out, sgp_err *e) {
  for (int tries = 0; tries < 100; tries++) {
    char *t = tmp_name(path, tag);
    if (mkdir(t, 0777) == 0) {
      *out = t;
      return 0;
    }
    int err = errno;
    free(t);
    if (err != EEXIST) return sgp_fail(e, "%s: cannot create a temporary directory: %s", path, strerror(err));
  }
  return sgp_fail(e, "%s: cannot create a temporary directory: %s", path, strerror(EEXIST));
}

int sgp_remove_flat_dir(const char *dir) {
  /* O_NOFOLLOW: a symlink planted at `dir` is removed itself, never what it points to. */
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    struct stat st;
    if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) return unlink(dir);
    return -1;
  }
  DIR *dd = fdopendir(fd);
  if (!dd) {
    close(fd);
    return -1;
  }
  struct dirent *de;
  while ((de = readdir(dd)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) (void)unlinkat(fd, de->d_name, 0);
  closedir(dd);
  return rmdir(dir);
}

/* Splits a temporary's name "<base>.<tag>.<host>.<pid>.<random>" (tag "tmp" or "old"): 1 and
 * host, pid and the length of base if it is one. */
static int parse_tmp_name(const char *name, char *host, size_t hcap, long *pid, size_t *baselen) {
  size_t n = strlen(name);
  const char *dots[4];
  int nd = 0;
  for (size_t i = n; i-- > 0 && nd < 4;)
    if (name[i] == '.') dots[nd++] = name + i;
  if (nd < 4) return 0;
  /* dots[0] before random, dots[1] before pid, dots[2] before host, dots[3] before tag */
  if (strlen(dots[0] + 1) != 8) return 0;
  size_t taglen = (size_t)(dots[2] - dots[3] - 1);
  if (!((taglen == 3 && (!strncmp(dots[3] + 1, "tmp", 3) || !strncmp(dots[3] + 1, "old", 3))))) return 0;
  char *end;
  long p = strtol(dots[1] + 1, &end, 10);
  if (end != dots[0] || p <= 0) return 0;
  size_t hl = (size_t)(dots[1] - dots[2] - 1);
  if (hl == 0 || hl + 1 > hcap) return 0;
  memcpy(host, dots[2] + 1, hl);
  host[hl] = 0;
  *pid = p;
  *baselen = (size_t)(dots[3] - name);
  return 1;
}

int sgp_clean_stale(const char *dir, int *removed) {
  char me[40];
  sgp_host_tag(me, sizeof me);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  DIR *dd = fdopendir(fd);
  if (!dd) {
    close(fd);
    return -1;
  }
  int nrm = 0;
  struct dirent *de;
  while ((de = readdir(dd))) {
    char host[64];
    long pid;
    size_t bl;
    if (!parse_tmp_name(de->d_name, host, sizeof host, &pid, &bl)) continue;
    /* another machine's process cannot be checked from here: its files stay */
    if (strcmp(host, me) || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to signal) */
    char *p = sgp_path_join(dir, de->d_name);
    int is_old = !strncmp(de->d_name + bl + 1, "old", 3);
    struct stat st;
    if (is_old) {
      /* "<base>.old...": the previous version, moved aside before the new one was renamed into
       * place. If the process died between the two renames, it is the only copy: put it back. */
      char *base = sgp_malloc(bl + 1);
      memcpy(base, de->d_name, bl);
      base[bl] = 0;
      char *bp = sgp_path_join(dir, base);
      if (lstat(bp, &st) != 0 && errno == ENOENT && rename(p, bp) == 0) {
        nrm++;
        free(bp), free(base), free(p);
        continue;
      }
      free(bp), free(base);
    }
    if (lstat(p, &st) == 0 && (S_ISDIR(st.st_mode) ? sgp_remove_flat_dir(p) : unlink(p)) == 0) nrm++;
    free(p);
  }
  closedir(dd);
  if (removed) *removed = nrm;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */

int sgp_atomic_open(sgp_atomic_file *af, const char *path, sgp_err *e) {
  /* Temporary names "<path>.tmp.<host>.<pid>.<random>": unpredictable, created with O_EXCL (never
   * through a planted link); host and pid let a later command remove those of dead processes
   * (sgp_clean_stale). */
  memset(af, 0, sizeof *af);
  size_t k = strlen(path);
  if (k == 0) return sgp_fail(e, "(empty path): cannot write: no file name");
  char *tmp = NULL;
  int fd = -1;
  for (int tries = 0; tries < 100; tries++) {
    free(tmp);
    tmp = tmp_name(path, "tmp");
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
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
