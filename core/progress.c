/* Progress bar on stderr, drawn only when stderr is a terminal (logs and pipes stay clean):
 *   train  [##########..........]  512/1024  48.3/s  ETA 0:11  loss 0.0132
 * Redrawn at most 10 times a second; sgp_progress_end draws the final state and a newline. */
#include "core/progress.h"

#include <stdio.h>
#include <unistd.h>

void sgp_progress_begin(sgp_progress *p, const char *label, long total) {
  p->label = label ? label : "";
  p->total = total;
  p->done = 0;
  p->t0 = sgp_now();
  p->last = -1.0;
  p->enabled = isatty(2);
}

void sgp_fmt_duration(double s, char *buf, size_t cap) {
  if (!(s >= 0) || s > 359999) {
    snprintf(buf, cap, "--:--");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void draw(sgp_progress *p, double now, const char *extra) {
  enum { W = 24 };
  double el = now - p->t0;
  double rate = el > 0 ? (double)p->done / el : 0.0;
  char bar[W + 1];
  int fill = 0;
  if (p->total > 0) {
    double f = (double)p->done / (double)p->total;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    fill = (int)(f * W);
  }
  for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
  bar[W] = 0;
  char eta[32], elapsed[32];
  if (rate > 0 && p->total > 0 && p->done < p->total)
    sgp_fmt_duration((double)(p->total - p->done) / rate, eta, sizeof eta);
  else
    snprintf(eta, sizeof eta, "0:00");
  sgp_fmt_duration(el, elapsed, sizeof elapsed);
  char line[512];
  int n;
  if (p->total > 0)
    n = snprintf(line, sizeof line, "\r%s [%s] %ld/%ld %.3g/s %s %s%s%s", p->label, bar, p->done,
                 p->total, rate, p->done >= p->total ? "in" : "ETA",
                 p->done >= p->total ? elapsed : eta, extra && *extra ? "  " : "",
                 extra ? extra : "");
  else
    n = snprintf(line, sizeof line, "\r%s %ld %.3g/s %s%s%s", p->label, p->done, rate, elapsed,
                 extra && *extra ? "  " : "", extra ? extra : "");
  if (n < 0) return;
  fprintf(stderr, "%s\033[K", line); /* \033[K clears what a longer previous line left */
  fflush(stderr);
  p->last = now;
}

void sgp_progress_update(sgp_progress *p, long done, const char *extra) {
  p->done = done;
  if (!p->enabled) return;
  double now = sgp_now();
  if (p->last >= 0 && now - p->last < 0.1) return;
  draw(p, now, extra);
}

void sgp_progress_end(sgp_progress *p) {
  if (!p->enabled) return;
  draw(p, sgp_now(), NULL);
  fputc('\n', stderr);
  fflush(stderr);
}
