// ctest-labels: unit core
/* Files: whole-file reads, atomic writes (success, failure leaves the old file untouched and no
 * temporary behind, streaming commit/abort), mkdir -p and path helpers. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Number of entries in dir whose name contains ".tmp." (leftover temporaries). */
static int count_temps(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strstr(de->d_name, ".tmp.")) n++;
  closedir(d);
  return n;
}

static int file_equals(const char *path, const char *want) {
  void *buf;
  size_t len;
  sgp_err e;
  if (sgp_read_file(path, &buf, &len, 1 << 20, &e) != 0) return 0;
  int ok = len == strlen(want) && memcmp(buf, want, len) == 0;
  free(buf);
  return ok;
}

/* A pid that no process has (a child that has exited and been reaped). */
static long dead_pid(void) {
  pid_t c = fork();
  if (c == 0) _exit(0);
  waitpid(c, NULL, 0);
  return (long)c;
}

/* This host's name as temporary names carry it ([A-Za-z0-9-], at most 32 characters). */
static void host_tag(char *out) {
  char h[256] = "";
  gethostname(h, sizeof h);
  h[255] = 0;
  size_t k = 0;
  for (const char *p = h; *p && k < 32; p++)
    out[k++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '-';
  if (!k) strcpy(out, "host");
  else out[k] = 0;
}

static void touch(const char *dir, const char *name) {
  char *p = sgp_path_join(dir, name);
  tu_write_plain(p, "x", 1);
  free(p);
}

static int exists_in(const char *dir, const char *name) {
  char *p = sgp_path_join(dir, name);
  struct stat st;
  int r = lstat(p, &st) == 0;
  free(p);
  return r;
}

/* Regular files only; a FIFO without a writer neither blocks nor is read; temporaries of dead
 * processes are cleaned, those of live processes and other hosts never; links are not followed. */
static void special_files_and_stale_temporaries(const char *dir) {
  sgp_err e;
  void *buf;
  size_t len;
  alarm(30); /* a read that blocks is a failure, not a hang */
  char *fifo = sgp_path_join(dir, "fifo.npy"), *zero = sgp_path_join(dir, "zero.npy");
  CHECK(mkfifo(fifo, 0666) == 0, "mkfifo");
  CHECK(symlink("/dev/zero", zero) == 0, "symlink");
  CHECK(sgp_read_regular(fifo, &buf, &len, 1 << 20, &e) == -1 && strstr(e.msg, "fifo.npy: cannot read: not a regular file"),
        "FIFO refused: %s", e.msg);
  printf("ok   FIFO: %s\n", e.msg);
  CHECK(sgp_read_regular(zero, &buf, &len, (size_t)1 << 40, &e) == -1 && strstr(e.msg, "not a regular file"),
        "link to /dev/zero refused: %s", e.msg);
  sgp_array a;
  CHECK(sgp_npy_read(fifo, &a, &e) == -1 && strstr(e.msg, "not a regular file"), "npy_read of a FIFO: %s", e.msg);
  sgp_st st;
  sgp_st_init(&st);
  CHECK(sgp_st_read(zero, &st, &e) == -1 && strstr(e.msg, "not a regular file"), "st_read of /dev/zero: %s", e.msg);
  cJSON *j = NULL;
  CHECK(sgp_json_load(fifo, &j, &e) == -1 && strstr(e.msg, "fifo.npy"), "json_load of a FIFO without a writer: %s", e.msg);
  alarm(0);
  free(fifo);
  free(zero);

  /* temporary names: unpredictable, host and pid in them */
  char host[40], name[256];
  host_tag(host);
  char *t1 = NULL, *t2 = NULL, *base = sgp_path_join(dir, "ds");
  CHECK(sgp_mkdir_temp(base, "tmp", &t1, &e) == 0 && sgp_mkdir_temp(base, "tmp", &t2, &e) == 0, "mkdir_temp: %s", e.msg);
  snprintf(name, sizeof name, "%s.tmp.%s.%ld.", base, host, (long)getpid());
  CHECK(t1 && t2 && strcmp(t1, t2) && !strncmp(t1, name, strlen(name)) && strlen(t1) == strlen(name) + 8,
        "temporary directories %s, %s: distinct, \"<path>.tmp.<host>.<pid>.\" + 8 random characters", t1, t2);

  /* stale temporaries */
  long dead = dead_pid();
  char *sd = sgp_path_join(dir, "stale");
  sgp_mkdirs(sd, &e);
  char dead_file[256], dead_dir[256], live[256], other[256], old_orphan[256], old_kept[256], stranger[64];
  snprintf(dead_file, sizeof dead_file, "r.json.tmp.%s.%ld.abcdefgh", host, dead);
  snprintf(dead_dir, sizeof dead_dir, "data.tmp.%s.%ld.abcdefgh", host, dead);
  snprintf(live, sizeof live, "s.json.tmp.%s.%ld.abcdefgh", host, (long)getppid());
  snprintf(other, sizeof other, "o.json.tmp.%s-elsewhere.%ld.abcdefgh", host, dead);
  snprintf(old_orphan, sizeof old_orphan, "gone.old.%s.%ld.abcdefgh", host, dead);
  snprintf(old_kept, sizeof old_kept, "here.old.%s.%ld.abcdefgh", host, dead);
  snprintf(stranger, sizeof stranger, "notes.tmp.txt");
  touch(sd, dead_file);
  touch(sd, live);
  touch(sd, other);
  touch(sd, stranger);
  char *p = sgp_path_join(sd, dead_dir);
  mkdir(p, 0777);
  /* a link inside a stale dataset temporary: removing it must leave its target alone */
  char *victim = sgp_path_join(dir, "victim.txt"), *ln = sgp_path_join(p, "x.npy");
  tu_write_plain(victim, "keep", 4);
  CHECK(symlink(victim, ln) == 0, "symlink");
  free(ln);
  free(p);
  p = sgp_path_join(sd, old_orphan);
  mkdir(p, 0777);
  touch(p, "manifest.json");
  free(p);
  p = sgp_path_join(sd, old_kept);
  mkdir(p, 0777);
  free(p);
  p = sgp_path_join(sd, "here");
  mkdir(p, 0777);
  free(p);
  int removed = -1;
  CHECK(sgp_clean_stale(sd, &removed) == 0, "clean_stale");
  printf("ok   clean_stale: %d entries of dead process %ld handled\n", removed, dead);
  CHECK(removed == 4, "4 entries handled (file, directory, .old restored, .old removed), got %d", removed);
  CHECK(!exists_in(sd, dead_file) && !exists_in(sd, dead_dir), "a dead process's temporary file and directory removed");
  CHECK(exists_in(sd, live), "a live process's temporary kept");
  CHECK(exists_in(sd, other), "another host's temporary kept");
  CHECK(exists_in(sd, stranger), "a file that only looks like a temporary kept");
  CHECK(file_equals(victim, "keep"), "the target of a link inside a stale directory untouched");
  CHECK(!exists_in(sd, old_orphan) && exists_in(sd, "gone") && exists_in(sd, "gone/manifest.json"),
        "an .old directory whose original is missing is renamed back");
  CHECK(!exists_in(sd, old_kept) && exists_in(sd, "here"), "an .old directory beside its original is removed");
  /* remove_flat_dir on a link removes the link only */
  char *vd = sgp_path_join(dir, "victimdir"), *vl = sgp_path_join(dir, "victimlink");
  mkdir(vd, 0777);
  touch(vd, "precious");
  CHECK(symlink(vd, vl) == 0, "symlink");
  sgp_remove_flat_dir(vl);
  CHECK(exists_in(vd, "precious") && !exists_in(dir, "victimlink"), "remove_flat_dir removes a link, not its target's files");
  free(vd), free(vl), free(victim), free(sd), free(t1), free(t2), free(base);
}

int main(void) {
  char *dir = tu_tmpdir("files");
  sgp_err e;
  char *a = sgp_path_join(dir, "a.txt");

  /* write, read back, overwrite */
  CHECK(sgp_write_file_atomic(a, "hello\n", 6, &e) == 0, "write: %s", e.msg);
  CHECK(file_equals(a, "hello\n"), "content after first write");
  CHECK(sgp_write_file_atomic(a, "second", 6, &e) == 0, "overwrite: %s", e.msg);
  CHECK(file_equals(a, "second"), "content after overwrite");
  CHECK(sgp_write_file_atomic(a, "", 0, &e) == 0, "empty write: %s", e.msg);
  CHECK(file_equals(a, ""), "empty file");
  CHECK(sgp_write_file_atomic(a, "old content", 11, &e) == 0, "write: %s", e.msg);
  CHECK(count_temps(dir) == 0, "no temporaries after successful writes");

  /* read_file: NUL-terminated, size limit, missing file and directory name the path */
  void *buf;
  size_t len;
  CHECK(sgp_read_file(a, &buf, &len, 100, &e) == 0 && len == 11 && ((char *)buf)[11] == 0,
        "read_file NUL-terminates");
  free(buf);
  CHECK(sgp_read_file(a, &buf, &len, 10, &e) != 0 && strstr(e.msg, "a.txt") && strstr(e.msg, "too large"),
        "size limit: %s", e.msg);
  CHECK(sgp_read_file(a, &buf, &len, 11, &e) == 0 && len == 11, "exactly at the limit");
  free(buf);
  char *missing = sgp_path_join(dir, "missing.json");
  CHECK(sgp_read_file(missing, &buf, &len, 100, &e) != 0 && strstr(e.msg, "missing.json") &&
            strstr(e.msg, "No such file"),
        "missing: %s", e.msg);
  printf("ok   missing file: %s\n", e.msg);
  CHECK(sgp_read_file(dir, &buf, &len, 100, &e) != 0 && strstr(e.msg, "Is a directory"),
        "directory: %s", e.msg);

  /* failure 1: the target is a directory -> error names it, directory intact, no temporary */
  char *sub = sgp_path_join(dir, "sub");
  CHECK(sgp_mkdirs(sub, &e) == 0, "mkdirs: %s", e.msg);
  CHECK(sgp_write_file_atomic(sub, "x", 1, &e) != 0 && strstr(e.msg, "sub: cannot write"),
        "write onto a directory must fail: %s", e.msg);
  printf("ok   path is a directory: %s\n", e.msg);
  struct stat st;
  CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode), "directory untouched");
  CHECK(count_temps(dir) == 0, "no temporary after a failed rename");

  /* failure 2: the directory does not exist */
  char *nodir = sgp_path_join(dir, "nope/x.json");
  CHECK(sgp_write_file_atomic(nodir, "x", 1, &e) != 0 && strstr(e.msg, "nope/x.json: cannot write"),
        "missing directory: %s", e.msg);

  /* failure 3: a write that fails half way (file size limit: EFBIG, like a full disk) leaves the
   * old file untouched and no temporary behind. */
  {
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    char *big = sgp_calloc(1, 1 << 16);
    int rl = setrlimit(RLIMIT_FSIZE, &lim);
    int rc = sgp_write_file_atomic(a, big, 1 << 16, &e);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    free(big);
    if (rl == 0) {
      CHECK(rc != 0 && strstr(e.msg, "a.txt: cannot write: File too large"), "EFBIG: %s", e.msg);
      printf("ok   write failing half way: %s\n", e.msg);
      CHECK(file_equals(a, "old content"), "old file untouched after a failed write");
      CHECK(count_temps(dir) == 0, "no temporary after a failed write");
    } else {
      printf("SKIP RLIMIT_FSIZE not settable\n");
    }
  }

  /* failure 4: unwritable directory (meaningless as root, who may write anyway) */
  if (geteuid() != 0) {
    char *ro = sgp_path_join(dir, "ro");
    char *rof = sgp_path_join(ro, "f.json");
    sgp_mkdirs(ro, &e);
    CHECK(sgp_write_file_atomic(rof, "old", 3, &e) == 0, "write: %s", e.msg);
    chmod(ro, 0555);
    CHECK(sgp_write_file_atomic(rof, "new", 3, &e) != 0 && strstr(e.msg, "Permission denied") &&
              strstr(e.msg, "f.json"),
          "read-only dir: %s", e.msg);
    CHECK(file_equals(rof, "old"), "old file untouched in a read-only directory");
    chmod(ro, 0755);
    free(ro);
    free(rof);
  } else {
    printf("SKIP read-only directory case (running as root, permissions do not apply)\n");
  }

  /* streaming: commit publishes, abort leaves the old file and no temporary */
  sgp_atomic_file af;
  CHECK(sgp_atomic_open(&af, a, &e) == 0, "atomic_open: %s", e.msg);
  fputs("streamed", af.f);
  CHECK(file_equals(a, "old content"), "target unchanged before commit");
  CHECK(count_temps(dir) == 1, "one temporary while open");
  CHECK(sgp_atomic_commit(&af, &e) == 0, "commit: %s", e.msg);
  CHECK(file_equals(a, "streamed"), "content after commit");
  CHECK(sgp_atomic_open(&af, a, &e) == 0, "atomic_open: %s", e.msg);
  fputs("discarded", af.f);
  sgp_atomic_abort(&af);
  CHECK(file_equals(a, "streamed"), "abort leaves the old file");
  CHECK(count_temps(dir) == 0, "abort removes the temporary");
  /* two files open at once next to the same target get distinct temporaries */
  sgp_atomic_file f1, f2;
  CHECK(sgp_atomic_open(&f1, a, &e) == 0 && sgp_atomic_open(&f2, a, &e) == 0, "two opens");
  CHECK(strcmp(f1.tmp, f2.tmp) != 0, "distinct temporaries");
  sgp_atomic_abort(&f1);
  sgp_atomic_abort(&f2);

  /* mkdirs: nested, existing, trailing slash, a file in the way */
  char *deep = sgp_path_join(dir, "x/y//z/");
  CHECK(sgp_mkdirs(deep, &e) == 0, "mkdirs nested: %s", e.msg);
  CHECK(sgp_mkdirs(deep, &e) == 0, "mkdirs existing: %s", e.msg);
  CHECK(sgp_path_exists(deep), "path_exists after mkdirs");
  char *blocked = sgp_path_join(a, "sub");
  CHECK(sgp_mkdirs(blocked, &e) != 0 && strstr(e.msg, "a.txt/sub"), "file in the way: %s", e.msg);
  CHECK(sgp_mkdirs(a, &e) != 0, "mkdirs over a file must fail");
  CHECK(!sgp_path_exists(missing), "path_exists on a missing file");

  /* path_join */
  static const char *const pj[][3] = {{"a", "b", "a/b"}, {"a/", "b", "a/b"}, {"", "b", "b"},
                                      {"a", "/abs", "/abs"}, {"a", "", "a"}, {"/", "b", "/b"}};
  for (size_t i = 0; i < sizeof pj / sizeof pj[0]; i++) {
    char *j = sgp_path_join(pj[i][0], pj[i][1]);
    CHECK(strcmp(j, pj[i][2]) == 0, "path_join(%s, %s) = %s, want %s", pj[i][0], pj[i][1], j, pj[i][2]);
    free(j);
  }

  /* progress bar: stderr is not a terminal under ctest, so nothing may be drawn; must not crash */
  sgp_progress p;
  sgp_progress_begin(&p, "test", 3);
  for (long i = 1; i <= 3; i++) sgp_progress_update(&p, i, "extra");
  sgp_progress_end(&p);
  CHECK(p.done == 3, "progress counts");

  /* versions */
  cJSON *v = sgp_versions_json();
  static const char *const keys[] = {"sgpbench", "git", "compiler", "build_type", "openblas",
                                     "openblas_core", "blas_threads", "cpu"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    CHECK(cJSON_GetObjectItemCaseSensitive(v, keys[i]) != NULL, "versions lacks %s", keys[i]);
  char *vs = cJSON_PrintUnformatted(v);
  printf("ok   versions %s\n", vs);
  free(vs);
  cJSON_Delete(v);
  sgp_blas_set_threads(1);
  CHECK(sgp_blas_threads() == 1, "blas threads set to 1, got %d", sgp_blas_threads());
  double t0 = sgp_now(), t1 = sgp_now();
  CHECK(t1 >= t0, "monotonic clock");

  special_files_and_stale_temporaries(dir);

  tu_rmtree(dir);
  free(deep);
  free(blocked);
  free(nodir);
  free(sub);
  free(missing);
  free(a);
  free(dir);
  return tu_done("test_files");
}
