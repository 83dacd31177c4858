/* Runs the job graph of a sweep: every job is a child process of the sgp program (fork + exec of
 * /proc/self/exe), its stdout and stderr captured to OUT/logs/<job>.log, up to --jobs at a time,
 * in wave order (a job starts when all of its dependencies are done). A job is done iff its
 * artefact exists (the verbs write atomically), so an interrupted sweep resumes where it stopped.
 * A failing job never stops the sweep: its dependents are skipped, everything else runs, and the
 * failures are reported at the end with the tail of their logs.
 *
 * Ctrl-C / SIGTERM / SIGHUP: running jobs are sent SIGTERM and waited for (their half-written
 * temporaries are never mistaken for artefacts), then the sweep stops; run it again to resume. */
#include "bench/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static pid_t launch(const sweep_job *j, int blas_threads) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid != 0) return pid; /* parent (or -1) */
  /* child: default signals, logs, single-threaded BLAS unless told otherwise */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  int fd = open(j->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
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

static void print_tail(const char *path, int lines) {
  void *buf;
  size_t n;
  sgp_err e;
  if (sgp_read_file(path, &buf, &n, 64u << 20, &e)) {
    fprintf(stderr, "    (no log: %s)\n", e.msg);
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
    fprintf(stderr, "    | %.*s\n", len, p);
    if (!nl) break;
    p = nl + 1;
  }
  free(buf);
}

int sweep_execute(const sweep *sw, const sweep_exec_opts *o, sweep_exec_result *res, sgp_err *e) {
  memset(res, 0, sizeof *res);
  int n = sw->njobs, njobs = o->jobs < 1 ? 1 : o->jobs;
  int *st = sgp_calloc((size_t)(n ? n : 1), sizeof *st);
  int *status = sgp_calloc((size_t)(n ? n : 1), sizeof *status);
  slot *run = sgp_calloc((size_t)njobs, sizeof *run);
  int *run_job = sgp_calloc((size_t)njobs, sizeof *run_job);
  double kind_time[3] = {0, 0, 0};
  int kind_n[3] = {0, 0, 0};
  int total = 0;
  for (int i = 0; i < n; i++) {
    if ((int)sw->jobs[i].kind > o->max_kind) st[i] = J_EXCLUDED;
    else if (sweep_job_done(&sw->jobs[i])) st[i] = J_CACHED, res->done_before++;
    else st[i] = J_PENDING;
    if (st[i] != J_EXCLUDED) total++;
  }
  struct sigaction sa, old_int, old_term, old_hup;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  stop_signal = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  int tty = isatty(2);
  double t0 = sgp_now(), last_draw = -1;
  int nrunning = 0, finished = res->done_before;
  if (res->done_before)
    fprintf(stderr, "sweep %s: %d of %d jobs already done (reused)\n", sw->name, res->done_before, total);
  for (;;) {
    if (stop_signal && !res->interrupted) {
      res->interrupted = 1;
      for (int k = 0; k < njobs; k++)
        if (run[k].pid > 0) kill(run[k].pid, SIGTERM);
    }
    /* dependents of failures are blocked; ready jobs start while there are free slots */
    int launched_any = 0, pending_left = 0;
    for (int i = 0; i < n && !res->interrupted; i++) {
      if (st[i] != J_PENDING) continue;
      int ready = 1, blocked = 0;
      for (int k = 0; k < sw->jobs[i].ndeps; k++) {
        int d = st[sw->jobs[i].deps[k]];
        if (d == J_FAILED || d == J_BLOCKED) blocked = 1;
        else if (d != J_DONE && d != J_CACHED) ready = 0;
      }
      if (blocked) {
        st[i] = J_BLOCKED;
        res->blocked++;
        finished++;
        continue;
      }
      pending_left++;
      if (!ready || nrunning >= njobs) continue;
      int k = 0;
      while (run[k].pid > 0) k++;
      pid_t pid = launch(&sw->jobs[i], o->blas_threads);
      if (pid < 0) {
        fprintf(stderr, "sweep: cannot start a job (%s); will retry\n", strerror(errno));
        break;
      }
      run[k].pid = pid;
      run[k].t0 = sgp_now();
      run_job[k] = i;
      st[i] = J_RUNNING;
      nrunning++;
      launched_any = 1;
    }
    if (nrunning == 0 && (!pending_left || res->interrupted) && !launched_any) break;
    int wst;
    pid_t pid = waitpid(-1, &wst, WNOHANG);
    if (pid > 0) {
      int k = 0;
      while (k < njobs && run[k].pid != pid) k++;
      if (k == njobs) continue; /* not ours */
      int i = run_job[k];
      const sweep_job *j = &sw->jobs[i];
      double dt = sgp_now() - run[k].t0;
      run[k].pid = 0;
      nrunning--;
      finished++;
      int ok = WIFEXITED(wst) && WEXITSTATUS(wst) == 0;
      status[i] = wst;
      if (ok && !sweep_job_done(j)) {
        ok = 0;
        FILE *lf = fopen(j->log_path, "a");
        if (lf) {
          fprintf(lf, "sgp sweep: the job exited 0 but did not write %s\n", j->done_path);
          fclose(lf);
        }
      }
      if (ok) {
        st[i] = J_DONE;
        res->ran++;
        kind_time[j->kind] += dt;
        kind_n[j->kind]++;
      } else {
        st[i] = J_FAILED;
        if (!res->interrupted) res->failed++;
      }
      if (!tty || !ok) {
        if (tty) fprintf(stderr, "\r\033[K");
        if (!(res->interrupted && !ok))
          fprintf(stderr, "[%d/%d] %s %s (%.1f s)\n", finished, total, ok ? "done" : "FAILED", j->what, dt);
      }
      last_draw = -1;
      continue;
    }
    if (pid < 0 && errno != EINTR && errno != ECHILD) break;
    /* progress line */
    double now = sgp_now();
    if (tty && (last_draw < 0 || now - last_draw > 0.25)) {
      double all_t = kind_time[0] + kind_time[1] + kind_time[2];
      int all_n = kind_n[0] + kind_n[1] + kind_n[2];
      double left = 0;
      int known = all_n > 0;
      for (int i = 0; i < n && known; i++) {
        if (st[i] != J_PENDING && st[i] != J_RUNNING) continue;
        int kk = sw->jobs[i].kind;
        double est = kind_n[kk] ? kind_time[kk] / kind_n[kk] : all_t / all_n;
        if (st[i] == J_RUNNING)
          for (int s = 0; s < njobs; s++)
            if (run[s].pid > 0 && run_job[s] == i) est = est - (now - run[s].t0) > 0 ? est - (now - run[s].t0) : 0;
        left += est;
      }
      char eta[32], el[32], line[1024];
      sgp_fmt_duration(known ? left / njobs : -1, eta, sizeof eta);
      sgp_fmt_duration(now - t0, el, sizeof el);
      int m = snprintf(line, sizeof line, "sweep %d/%d done, %d running, %s elapsed, ETA %s |", finished, total,
                       nrunning, el, eta);
      for (int s = 0; s < njobs && m < (int)sizeof line - 2; s++)
        if (run[s].pid > 0) m += snprintf(line + m, sizeof line - (size_t)m, " %s;", sw->jobs[run_job[s]].what);
      line[150 < (int)sizeof line ? 150 : sizeof line - 1] = 0;
      fprintf(stderr, "\r%s\033[K", line);
      fflush(stderr);
      last_draw = now;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (tty) fprintf(stderr, "\r\033[K");
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGHUP, &old_hup, NULL);
  res->wall_s = sgp_now() - t0;
  if (!res->interrupted && res->failed) {
    fprintf(stderr, "sweep %s: %d job(s) failed, %d skipped because of them:\n", sw->name, res->failed, res->blocked);
    for (int i = 0; i < n; i++) {
      if (st[i] != J_FAILED) continue;
      const sweep_job *j = &sw->jobs[i];
      int w = status[i];
      if (WIFEXITED(w)) fprintf(stderr, "  FAILED %s (exit status %d), log %s:\n", j->what, WEXITSTATUS(w), j->log_path);
      else if (WIFSIGNALED(w)) fprintf(stderr, "  FAILED %s (killed by signal %d), log %s:\n", j->what, WTERMSIG(w), j->log_path);
      else fprintf(stderr, "  FAILED %s, log %s:\n", j->what, j->log_path);
      print_tail(j->log_path, 8);
    }
  }
  free(st);
  free(status);
  free(run);
  free(run_job);
  if (res->interrupted)
    return sgp_fail(e, "interrupted by signal %d after %d job(s); run the same command again to resume",
                    (int)stop_signal, res->ran);
  if (res->failed) return sgp_fail(e, "%d job(s) failed (see above); the table marks the missing cells", res->failed);
  return 0;
}
