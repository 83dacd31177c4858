/* Runs the job graph of a sweep: every job is a child process of the sgp program (fork + exec of
 * /proc/self/exe), its stdout and stderr captured to OUT/logs/<job>.log, up to --jobs at a time,
 * in wave order (a job starts when all of its dependencies are done). A job is done iff its
 * artefact exists (the verbs write atomically), so an interrupted sweep resumes where it stopped.
 * A failing job never stops the sweep: its dependents are skipped, everything else runs, and the
 * failures are reported at the end with the tail of their logs.
 *
 * Ctrl-C / SIGTERM / SIGHUP: running jobs are sent SIGTERM and waited for (their half-written
 * temporaries are never mistaken for artefacts), then the sweep stops; run it again to resume.
 * A kill -9 of the sweep itself: its jobs get SIGTERM from the kernel (PR_SET_PDEATHSIG). */
#include "bench/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The one mutable static of the sweep: set by the signal handler, read by the loop. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

enum { J_PENDING, J_RUNNING, J_DONE, J_FAILED, J_BLOCKED, J_CACHED, J_EXCLUDED };

typedef struct slot {
  pid_t pid;
  double t0;
} slot;

/* The job's log, opened afresh: whatever is at its path (an old log, a planted link) is unlinked,
 * never written through, and the new file is created with O_EXCL | O_NOFOLLOW. */
int sweep_open_log(const char *path) {
  for (int tries = 0; tries < 10; tries++) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

static pid_t launch(const sweep_job *j, int blas_threads) {
  fflush(stdout);
  fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid; /* parent (or -1) */
  /* child: dies with the sweep (a kill -9 of the sweep leaves no job running on: a re-run would
   * meet it half way), default signals, logs, single-threaded BLAS unless told otherwise */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(130); /* the sweep died before prctl */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  int fd = sweep_open_log(j->log_path);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  int nul = open("/dev/null", O_RDONLY);
  if (nul >= 0) dup2(nul, 0);
  char t[32];
  snprintf(t, sizeof t, "%d", blas_threads);
  setenv("OPENBLAS_NUM_THREADS", t, 1);
  setenv("OMP_NUM_THREADS", t, 1);
  char *cmd = sweep_job_shell(j, blas_threads);
  printf("# %s\n# %s\n", j->what, cmd);
  fflush(stdout);
  free(cmd);
  execv(j->argv[0], j->argv);
  fprintf(stderr, "sgp sweep: cannot run %s: %s\n", j->argv[0], strerror(errno));
  _exit(127);
}

void sweep_print_tail(FILE *out, const char *path, int lines) {
  void *buf;
  size_t n;
  sgp_err e;
  if (sgp_read_file(path, &buf, &n, 64u << 20, &e)) {
    fprintf(out, "    (no log: %s)\n", e.msg);
    return;
  }
  const char *s = buf;
  size_t start = n;
  int seen = 0;
  while (start > 0) {
    if (s[start - 1] == '\n' && start != n && ++seen >= lines) break;
    start--;
  }
  const char *p = s + start;
  while (*p) {
    const char *nl = strchr(p, '\n');
    int len = nl ? (int)(nl - p) : (int)strlen(p);
    fprintf(out, "    | %.*s\n", len, p);
    if (!nl) break;
    p = nl + 1;
  }
  free(buf);
}

/* The state of one execution: job states, the running slots, timings for the ETA. */
typedef struct sched {
  const sweep *sw;
  sweep_exec_result *res;
  int n, nslots, blas_threads;
  int *st;          /* J_* per job */
  int *status;      /* wait status of finished jobs */
  slot *run;        /* nslots running jobs (pid 0: free) */
  int *run_job;     /* the job of each slot */
  double kind_time[3];
  int kind_n[3];
  int total, nrunning, finished, tty;
  double t0, last_draw;
} sched;

static void sched_init(sched *s, const sweep *sw, const sweep_exec_opts *o, sweep_exec_result *res) {
  memset(s, 0, sizeof *s);
  memset(res, 0, sizeof *res);
  s->sw = sw;
  s->res = res;
  s->n = sw->njobs;
  s->nslots = o->jobs < 1 ? 1 : o->jobs;
  s->blas_threads = o->blas_threads;
  s->st = sgp_calloc((size_t)(s->n ? s->n : 1), sizeof *s->st);
  s->status = sgp_calloc((size_t)(s->n ? s->n : 1), sizeof *s->status);
  s->run = sgp_calloc((size_t)s->nslots, sizeof *s->run);
  s->run_job = sgp_calloc((size_t)s->nslots, sizeof *s->run_job);
  for (int i = 0; i < s->n; i++) {
    sgp_err why;
    int c = (int)sw->jobs[i].kind > o->max_kind ? 0 : sweep_job_check(&sw->jobs[i], &why);
    if (c < 0) { /* corrupt: never counted as done; built again (collect --reuse replaces a dataset) */
      fprintf(stderr, "sweep %s: %s; building it again\n", sw->name, why.msg);
      if (sw->jobs[i].kind != SWEEP_DATA) unlink(sw->jobs[i].done_path);
    }
    if ((int)sw->jobs[i].kind > o->max_kind) s->st[i] = J_EXCLUDED;
    else if (c == 1) s->st[i] = J_CACHED, res->done_before++;
    else s->st[i] = J_PENDING;
    if (s->st[i] != J_EXCLUDED) s->total++;
  }
  s->tty = isatty(2);
  s->t0 = sgp_now();
  s->last_draw = -1;
  s->finished = res->done_before;
}

static void sched_free(sched *s) {
  free(s->st);
  free(s->status);
  free(s->run);
  free(s->run_job);
}

static void signals_install(struct sigaction old[3]) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  stop_signal = 0;
  sigaction(SIGINT, &sa, &old[0]);
  sigaction(SIGTERM, &sa, &old[1]);
  sigaction(SIGHUP, &sa, &old[2]);
}

static void signals_restore(const struct sigaction old[3]) {
  sigaction(SIGINT, &old[0], NULL);
  sigaction(SIGTERM, &old[1], NULL);
  sigaction(SIGHUP, &old[2], NULL);
}

/* Dependents of failures are blocked; ready jobs start while there are free slots. Returns 1 if
 * one started; *pending_left counts the jobs still waiting. */
static int launch_ready(sched *s, int *pending_left) {
  const sweep *sw = s->sw;
  int launched_any = 0;
  *pending_left = 0;
  for (int i = 0; i < s->n && !s->res->interrupted; i++) {
    if (s->st[i] != J_PENDING) continue;
    int ready = 1, blocked = 0;
    for (int k = 0; k < sw->jobs[i].ndeps; k++) {
      int d = s->st[sw->jobs[i].deps[k]];
      if (d == J_FAILED || d == J_BLOCKED) blocked = 1;
      else if (d != J_DONE && d != J_CACHED) ready = 0;
    }
    if (blocked) {
      s->st[i] = J_BLOCKED;
      s->res->blocked++;
      s->finished++;
      continue;
    }
    (*pending_left)++;
    if (!ready || s->nrunning >= s->nslots) continue;
    int k = 0;
    while (s->run[k].pid > 0) k++;
    pid_t pid = launch(&sw->jobs[i], s->blas_threads);
    if (pid < 0) {
      fprintf(stderr, "sweep: cannot start a job (%s); will retry\n", strerror(errno));
      break;
    }
    s->run[k].pid = pid;
    s->run[k].t0 = sgp_now();
    s->run_job[k] = i;
    s->st[i] = J_RUNNING;
    sweep_record_start(sw, i);
    s->nrunning++;
    launched_any = 1;
  }
  return launched_any;
}

/* A child exited: its job is done iff it exited 0 and wrote its artefact. */
static void reap(sched *s, pid_t pid, int wst, const struct rusage *ru) {
  sweep_exec_result *res = s->res;
  int k = 0;
  while (k < s->nslots && s->run[k].pid != pid) k++;
  if (k == s->nslots) return; /* not ours */
  int i = s->run_job[k];
  const sweep_job *j = &s->sw->jobs[i];
  double dt = sgp_now() - s->run[k].t0;
  s->run[k].pid = 0;
  s->nrunning--;
  s->finished++;
  int ok = WIFEXITED(wst) && WEXITSTATUS(wst) == 0;
  s->status[i] = wst;
  if (ok && !sweep_job_done(j)) {
    ok = 0;
    FILE *lf = fopen(j->log_path, "a");
    if (lf) {
      fprintf(lf, "sgp sweep: the job exited 0 but did not write %s\n", j->done_path);
      fclose(lf);
    }
  }
  if (!res->interrupted) sweep_record_end(s->sw, i, s->blas_threads, wst, dt, ru, ok);
  if (ok) {
    s->st[i] = J_DONE;
    res->ran++;
    s->kind_time[j->kind] += dt;
    s->kind_n[j->kind]++;
  } else {
    s->st[i] = J_FAILED;
    if (!res->interrupted) res->failed++;
  }
  if (!s->tty || !ok) {
    if (s->tty) fprintf(stderr, "\r\033[K");
    if (!(res->interrupted && !ok))
      fprintf(stderr, "[%d/%d] %s %s (%.1f s)\n", s->finished, s->total, ok ? "done" : "FAILED", j->what, dt);
  }
  s->last_draw = -1;
}

/* Seconds of work left: every pending or running job at the mean time of its kind so far
 * (running ones less their elapsed time); -1 before the first job finished. */
static double work_left(const sched *s, double now) {
  double all_t = s->kind_time[0] + s->kind_time[1] + s->kind_time[2];
  int all_n = s->kind_n[0] + s->kind_n[1] + s->kind_n[2];
  if (all_n == 0) return -1;
  double left = 0;
  for (int i = 0; i < s->n; i++) {
    if (s->st[i] != J_PENDING && s->st[i] != J_RUNNING) continue;
    int kk = s->sw->jobs[i].kind;
    double est = s->kind_n[kk] ? s->kind_time[kk] / s->kind_n[kk] : all_t / all_n;
    if (s->st[i] == J_RUNNING)
      for (int q = 0; q < s->nslots; q++)
        if (s->run[q].pid > 0 && s->run_job[q] == i) est = est - (now - s->run[q].t0) > 0 ? est - (now - s->run[q].t0) : 0;
    left += est;
  }
  return left;
}

/* The progress line on a terminal (at most 4 times a second). */
static void draw_progress(sched *s) {
  double now = sgp_now();
  if (!s->tty || !(s->last_draw < 0 || now - s->last_draw > 0.25)) return;
  double left = work_left(s, now);
  char eta[32], el[32], line[1024];
  sgp_fmt_duration(left >= 0 ? left / s->nslots : -1, eta, sizeof eta);
  sgp_fmt_duration(now - s->t0, el, sizeof el);
  int m = snprintf(line, sizeof line, "sweep %d/%d done, %d running, %s elapsed, ETA %s |", s->finished, s->total,
                   s->nrunning, el, eta);
  for (int q = 0; q < s->nslots && m < (int)sizeof line - 2; q++)
    if (s->run[q].pid > 0) m += snprintf(line + m, sizeof line - (size_t)m, " %s;", s->sw->jobs[s->run_job[q]].what);
  line[150 < (int)sizeof line ? 150 : sizeof line - 1] = 0;
  fprintf(stderr, "\r%s\033[K", line);
  fflush(stderr);
  s->last_draw = now;
}

static void report_failures(const sched *s) {
  const sweep *sw = s->sw;
  fprintf(stderr, "sweep %s: %d job(s) failed, %d skipped because of them:\n", sw->name, s->res->failed,
          s->res->blocked);
  for (int i = 0; i < s->n; i++) {
    if (s->st[i] != J_FAILED) continue;
    const sweep_job *j = &sw->jobs[i];
    int w = s->status[i];
    if (WIFEXITED(w)) fprintf(stderr, "  FAILED %s (exit status %d), log %s:\n", j->what, WEXITSTATUS(w), j->log_path);
    else if (WIFSIGNALED(w)) fprintf(stderr, "  FAILED %s (killed by signal %d), log %s:\n", j->what, WTERMSIG(w), j->log_path);
    else fprintf(stderr, "  FAILED %s, log %s:\n", j->what, j->log_path);
    sweep_print_tail(stderr, j->log_path, 8);
  }
}

/* launch what is ready -> reap what finished -> draw the progress line, until nothing is left */
int sweep_execute(const sweep *sw, const sweep_exec_opts *o, sweep_exec_result *res, sgp_err *e) {
  sched s;
  sched_init(&s, sw, o, res);
  struct sigaction old[3];
  signals_install(old);
  if (res->done_before)
    fprintf(stderr, "sweep %s: %d of %d jobs already done (reused)\n", sw->name, res->done_before, s.total);
  for (;;) {
    if (stop_signal && !res->interrupted) {
      res->interrupted = 1;
      for (int k = 0; k < s.nslots; k++)
        if (s.run[k].pid > 0) kill(s.run[k].pid, SIGTERM);
    }
    int pending_left, launched_any = launch_ready(&s, &pending_left);
    if (s.nrunning == 0 && (!pending_left || res->interrupted) && !launched_any) break;
    int wst;
    struct rusage ru;
    pid_t pid = wait4(-1, &wst, WNOHANG, &ru);
    if (pid > 0) {
      reap(&s, pid, wst, &ru);
      continue;
    }
    if (pid < 0 && errno != EINTR && errno != ECHILD) break;
    draw_progress(&s);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (s.tty) fprintf(stderr, "\r\033[K");
  signals_restore(old);
  res->wall_s = sgp_now() - s.t0;
  if (!res->interrupted && res->failed) report_failures(&s);
  sched_free(&s);
  if (res->interrupted)
    return sgp_fail(e, "interrupted by signal %d after %d job(s); run the same command again to resume",
                    (int)stop_signal, res->ran);
  if (res->failed) return sgp_fail(e, "%d job(s) failed (see above); the table marks the missing cells", res->failed);
  return 0;
}
