/* The viewer's output (viewer/view_private.h): frames read back from OpenGL and written as PNG
 * (libpng) into a directory, piped to ffmpeg for a video, or concatenated as PPM; screenshots.
 * Every file appears complete or not at all: frames are written to a temporary name and renamed,
 * a video is encoded into a temporary file renamed at the end. */
#include "viewer/view_private.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ PNG */
/* libpng reports errors by longjmp to the png_struct's jump buffer. */
int view_png_write(FILE *f, int w, int h, const unsigned char *rgb, int bottom_up) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  if (!png) return -1;
  png_infop info = png_create_info_struct(png);
  png_bytep *volatile rows = NULL;
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : NULL);
    free(rows);
    return -1;
  }
  rows = sgp_malloc(sizeof(png_bytep) * (size_t)h);
  for (int r = 0; r < h; r++) rows[r] = (png_bytep)(rgb + (size_t)(bottom_up ? h - 1 - r : r) * w * 3);
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  free(rows);
  return fflush(f) || ferror(f) ? -1 : 0;
}

/* Encodes a frame as PNG in memory and writes it atomically to path. */
static int write_png_file(const char *path, int w, int h, const unsigned char *rgb, sgp_err *e) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mf = open_memstream(&buf, &len);
  int bad = !mf || view_png_write(mf, w, h, rgb, 1);
  if (mf) fclose(mf);
  int rc = bad ? sgp_fail(e, "%s: cannot encode the PNG image", path) : sgp_write_file_atomic(path, buf, len, e);
  free(buf);
  return rc;
}

/* ------------------------------------------------------------------ screenshots */
int view_screenshot(viewer *v, mjrRect vp, char *path, size_t cap, sgp_err *e) {
  unsigned char *rgb = sgp_malloc((size_t)3 * vp.width * vp.height);
  mjr_readPixels(rgb, NULL, vp, &v->con);
  int rc = -1;
  for (int k = v->shots; k < v->shots + 10000; k++) { /* the first name not taken (O_EXCL) */
    snprintf(path, cap, "sgp_view_%s_%03d.png", v->env->spec.name, k);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) {
      rc = sgp_fail(e, "%s: cannot create: %s", path, strerror(errno));
      break;
    }
    FILE *f = fdopen(fd, "wb");
    int bad = !f || view_png_write(f, vp.width, vp.height, rgb, 1);
    if (f) bad |= fclose(f) != 0;
    else close(fd);
    if (bad) {
      unlink(path);
      rc = sgp_fail(e, "%s: cannot write the PNG image", path);
    } else {
      rc = 0;
      v->shots = k + 1;
    }
    break;
  }
  free(rgb);
  return rc;
}

/* ------------------------------------------------------------------ recording targets */
typedef enum { OUT_PNG_DIR = 0, OUT_PPM, OUT_VIDEO } out_kind;

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

typedef struct out {
  out_kind kind;
  const char *target;
  int w, h;
  sgp_atomic_file af; /* OUT_PPM */
  char *tmp;          /* OUT_VIDEO: ffmpeg's output, renamed at the end */
  pid_t pid;
  FILE *pipe;
  int frames;
} out;

/* "ffmpeg" on PATH (an executable file), or NULL. */
static char *find_ffmpeg(void) {
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/usr/bin:/bin";
  char *dirs = sgp_strdup(path), *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *p = sgp_path_join(*d ? d : ".", "ffmpeg");
    if (access(p, X_OK) == 0) {
      free(dirs);
      return p;
    }
    free(p);
  }
  free(dirs);
  return NULL;
}

/* ffmpeg reading raw RGB frames (bottom-up rows: flipped by -vf vflip) from a pipe, encoding H.264
 * in an MP4 at the control rate. */
static int open_video(out *o, double fps, sgp_err *e) {
  char *ff = find_ffmpeg();
  if (!ff)
    return sgp_fail(e, "%s: ffmpeg is not installed (record PNG frames into a directory instead, e.g. "
                       "--record frames/)", o->target);
  size_t n = strlen(o->target) + 16;
  o->tmp = sgp_malloc(n);
  snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->target);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    free(ff);
    return sgp_fail(e, "%s: cannot create a temporary file beside it: %s", o->target, strerror(errno));
  }
  close(fd);
  int pfd[2];
  if (pipe(pfd)) {
    free(ff);
    return sgp_fail(e, "%s: cannot create a pipe to ffmpeg: %s", o->target, strerror(errno));
  }
  char size[32], rate[32];
  snprintf(size, sizeof size, "%dx%d", o->w, o->h);
  snprintf(rate, sizeof rate, "%.6g", fps);
  char *argv[] = {ff, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                  "-s", size, "-r", rate, "-i", "-", "-vf", "vflip,pad=ceil(iw/2)*2:ceil(ih/2)*2",
                  "-pix_fmt", "yuv420p", "-f", "mp4", o->tmp, NULL};
  pid_t pid = fork();
  if (pid < 0) {
    close(pfd[0]), close(pfd[1]), free(ff);
    return sgp_fail(e, "%s: cannot start ffmpeg: %s", o->target, strerror(errno));
  }
  if (pid == 0) {
    dup2(pfd[0], 0);
    close(pfd[0]);
    close(pfd[1]);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1);
    execv(ff, argv);
    _exit(127);
  }
  free(ff);
  close(pfd[0]);
  o->pid = pid;
  o->pipe = fdopen(pfd[1], "wb");
  signal(SIGPIPE, SIG_IGN); /* ffmpeg failing must be an error, not our death */
  return o->pipe ? 0 : sgp_fail(e, "%s: cannot write to ffmpeg", o->target);
}

static int out_open(out *o, const char *target, int w, int h, double fps, sgp_err *e) {
  memset(o, 0, sizeof *o);
  o->target = target;
  o->w = w;
  o->h = h;
  o->kind = ends_with(target, ".ppm") ? OUT_PPM : ends_with(target, ".mp4") ? OUT_VIDEO : OUT_PNG_DIR;
  if (o->kind == OUT_PPM) return sgp_atomic_open(&o->af, target, e);
  if (o->kind == OUT_VIDEO) return open_video(o, fps, e);
  return sgp_mkdirs(target, e);
}

static int out_frame(out *o, int f, const unsigned char *rgb, sgp_err *e) {
  o->frames++;
  if (o->kind == OUT_PPM)
    return view_ppm_write(o->af.f, o->w, o->h, rgb, 1) ? sgp_fail(e, "%s: cannot write frame %d", o->target, f) : 0;
  if (o->kind == OUT_VIDEO) {
    size_t n = (size_t)3 * o->w * o->h;
    return fwrite(rgb, 1, n, o->pipe) != n ? sgp_fail(e, "%s: ffmpeg stopped reading at frame %d", o->target, f) : 0;
  }
  char name[32];
  snprintf(name, sizeof name, "frame_%05d.png", f);
  char *path = sgp_path_join(o->target, name);
  int rc = write_png_file(path, o->w, o->h, rgb, e);
  free(path);
  return rc;
}

static int out_close(out *o, int ok, sgp_err *e) {
  if (o->kind == OUT_PPM) {
    if (!ok) {
      sgp_atomic_abort(&o->af);
      return -1;
    }
    return sgp_atomic_commit(&o->af, e);
  }
  if (o->kind == OUT_VIDEO) {
    int rc = ok ? 0 : -1, st = 0;
    if (o->pipe && fclose(o->pipe) && ok) rc = sgp_fail(e, "%s: cannot finish the pipe to ffmpeg", o->target);
    if (o->pid > 0 && waitpid(o->pid, &st, 0) == o->pid && ok && !rc && (!WIFEXITED(st) || WEXITSTATUS(st)))
      rc = sgp_fail(e, "%s: ffmpeg failed (exit status %d)", o->target, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    if (!rc && rename(o->tmp, o->target)) rc = sgp_fail(e, "%s: cannot rename the video into place: %s", o->target, strerror(errno));
    if (rc) unlink(o->tmp);
    free(o->tmp);
    return rc;
  }
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ the recording loop */
int view_load_script(viewer *v, sgp_err *e) {
  const char *path = v->o->events;
  if (!path) return 0;
  void *buf = NULL;
  size_t len = 0;
  if (sgp_read_file(path, &buf, &len, 1 << 20, e)) return -1;
  int rc = view_script_parse(buf, path, &v->script, e);
  free(buf);
  return rc;
}

/* The episode's return as the viewer computes it, beside RESULT.json's (the e2e tests read it). */
static void print_return(const viewer *v) {
  const view_rollout *r = &v->tr;
  if (!v->have_tr || !r->ended || r->transitions || v->mode == VIEW_MODE_DATASET) return;
  double R = r->ret[r->steps] - r->final_cost;
  fprintf(stderr, "view: episode %d: return %.17g over %d steps (rewards %s)", v->episode, R, r->steps,
          r->rewards_exact ? "of the simulator" : "recomputed from the task cost");
  if (v->mode == VIEW_MODE_REPLAY && v->o->result_n > v->episode)
    fprintf(stderr, ", RESULT.json %.17g", v->o->result_return[v->episode]);
  fprintf(stderr, "\n");
}

int view_record(viewer *v, sgp_err *e) {
  const view_opts *o = v->o;
  int nframes = o->frames > 0 ? o->frames : view_total(v) + 1;
  if (v->mode == VIEW_MODE_ENV && o->frames <= 0) nframes = 1;
  const view_script *sc = &v->script;
  out out;
  double fps = 1.0 / v->env->spec.dt * (o->speed > 0 ? o->speed : 1);
  if (out_open(&out, o->record, o->width, o->height, fps, e)) return -1;
  unsigned char *rgb = sgp_malloc((size_t)3 * o->width * o->height);
  mjrRect vp = {0, 0, o->width, o->height};
  int piped = !isatty(2), rc = 0, next_ev = 0;
  sgp_progress pg;
  sgp_progress_begin(&pg, "view: frames", nframes);
  if (o->quiet) pg.enabled = 0;
  double last_print = sgp_now();
  for (int f = 0; f < nframes && !rc; f++) {
    while (next_ev < sc->n && sc->frame[next_ev] <= f) view_handle(v, &sc->ev[next_ev++]);
    view_advance_frame(v, f);
    view_render(v, vp);
    mjr_readPixels(rgb, NULL, vp, &v->con);
    if (v->want_shot) view_take_screenshot(v, vp);
    rc = out_frame(&out, f, rgb, e);
    sgp_progress_update(&pg, f + 1, NULL);
    if (piped && !o->quiet && (sgp_now() - last_print > 5 || f + 1 == nframes)) { /* a log line, not a bar */
      fprintf(stderr, "view: frame %d / %d\n", f + 1, nframes);
      last_print = sgp_now();
    }
  }
  sgp_progress_end(&pg);
  free(rgb);
  if (out_close(&out, rc == 0, rc ? NULL : e)) rc = -1;
  if (!rc && !o->quiet) fprintf(stderr, "view: wrote %d frame%s to %s\n", nframes, nframes == 1 ? "" : "s", o->record);
  if (!rc) print_return(v);
  return rc;
}
