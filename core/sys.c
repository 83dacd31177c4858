/* Time, build and machine identification (recorded in every result), OpenBLAS threads. */
#include "core/progress.h"
#include "core/sys.h"

#include <cblas.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

double sgp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The CPU model is read once ("model name" on x86, else "Processor"/"cpu model"/"Hardware"). */
static char cpu_model_buf[256];
static pthread_once_t cpu_model_once = PTHREAD_ONCE_INIT;

static void read_cpu_model(void) {
  strcpy(cpu_model_buf, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  static const char *const keys[] = {"model name", "Processor", "cpu model", "Hardware", "cpu"};
  char line[512];
  int best = (int)(sizeof keys / sizeof keys[0]);
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    for (int k = 0; k < best; k++) {
      size_t n = strlen(keys[k]);
      if (strncmp(line, keys[k], n) != 0) continue;
      const char *rest = line + n;
      while (*rest == ' ' || *rest == '\t') rest++;
      if (rest != colon) continue;
      const char *v = colon + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t m = strcspn(v, "\r\n");
      if (m == 0) continue;
      if (m >= sizeof cpu_model_buf) m = sizeof cpu_model_buf - 1;
      memcpy(cpu_model_buf, v, m);
      cpu_model_buf[m] = 0;
      best = k;
      break;
    }
    if (best == 0) break;
  }
  fclose(f);
}

const char *sgp_cpu_model(void) {
  pthread_once(&cpu_model_once, read_cpu_model);
  return cpu_model_buf;
}

void sgp_blas_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
int sgp_blas_threads(void) { return openblas_get_num_threads(); }
const char *sgp_blas_corename(void) {
  const char *s = openblas_get_corename();
  return s ? s : "unknown";
}

cJSON *sgp_versions_json(void) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "sgpbench", sgp_version());
  cJSON_AddStringToObject(j, "git", sgp_git_revision());
  cJSON_AddStringToObject(j, "compiler", sgp_compiler());
  cJSON_AddStringToObject(j, "build_type", sgp_build_type());
  const char *cfg = openblas_get_config();
  char buf[256];
  /* The config string ends with a space on some builds: trim it so results compare cleanly. */
  snprintf(buf, sizeof buf, "%s", cfg ? cfg : "unknown");
  for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--) buf[n - 1] = 0;
  cJSON_AddStringToObject(j, "openblas", buf);
  cJSON_AddStringToObject(j, "openblas_core", sgp_blas_corename());
  cJSON_AddNumberToObject(j, "blas_threads", sgp_blas_threads());
  cJSON_AddStringToObject(j, "cpu", sgp_cpu_model());
  return j;
}
