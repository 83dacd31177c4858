/* sgp check PATH: validates a dataset directory (ds_load: files, shapes, finite values, hashes)
 * and prints a summary; for a .npy or .safetensors file prints its tensors, shapes and metadata. */
#include "bench/cli.h"
#include "datasets/dataset.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && !strcmp(s + n - k, suf);
}

static void print_shape(const sgp_array *a) {
  printf("(");
  for (int i = 0; i < a->ndim; i++) printf(i ? ", %lld" : "%lld", (long long)a->shape[i]);
  printf(a->ndim == 1 ? ",)" : ")");
}

static int check_dataset(const char *dir) {
  ds_data d;
  sgp_err e = {{0}};
  if (ds_load(dir, &d, &e)) return cli_error("check", &e);
  const cJSON *m = d.manifest;
  char *cfg = cJSON_PrintUnformatted(d.env_cfg);
  const cJSON *beh = cJSON_GetObjectItem(m, "behaviour");
  const cJSON *type = cJSON_GetObjectItem(beh, "type");
  const cJSON *seed = cJSON_GetObjectItem(m, "seed");
  const cJSON *git = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "versions"), "git");
  printf("%s: valid dataset (format %d)\n", dir, DS_FORMAT_VERSION);
  printf("  env        %s %s\n", d.env, cfg);
  printf("  behaviour  %s, seed %s\n", cJSON_IsString(type) ? type->valuestring : "?",
         cJSON_IsString(seed) ? seed->valuestring : "?");
  printf("  n          %lld transitions, nx %d, nu %d\n", (long long)d.n, d.nx, d.nu);
  long nt = 0, no = 0;
  double rs = 0;
  for (int64_t i = 0; i < d.n; i++) {
    nt += d.terminal[i];
    no += d.timeout[i];
    rs += d.reward[i];
  }
  printf("  flags      %ld terminal, %ld timeout; mean reward %.6g\n", nt, no, d.n ? rs / d.n : 0.0);
  const cJSON *st = cJSON_GetObjectItem(m, "stats");
  for (int k = 0; k < 2; k++) {
    const char *name = k ? "u" : "x";
    const cJSON *s = cJSON_GetObjectItem(st, name);
    int dim = k ? d.nu : d.nx, show = dim > 8 ? 8 : dim;
    printf("  %-10s", name);
    for (int j = 0; j < show; j++) {
      double mn = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "min"), j)->valuedouble;
      double mx = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "max"), j)->valuedouble;
      printf(" [%.3g, %.3g]", mn, mx);
    }
    printf(dim > show ? " ... (%d dims)\n" : "\n", dim);
  }
  printf("  written by sgpbench git %s\n", cJSON_IsString(git) ? git->valuestring : "?");
  free(cfg);
  ds_free(&d);
  return 0;
}

int cmd_check(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: sgp check PATH\n"
           "  PATH a dataset directory: validates every file (shapes, finite values, SHA-256 against the\n"
           "  manifest) and prints a summary; PATH a .npy or .safetensors file: prints its tensors.\n"
           "  example: sgp check data/point\n");
    return 0;
  }
  const char *pos[1];
  int rc = cli_parse("check", argc, argv, NULL, NULL, 1, 1, pos, NULL);
  if (rc) return rc;
  const char *p = pos[0];
  sgp_err e = {{0}};
  struct stat sb;
  if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) return check_dataset(p);
  if (ends_with(p, ".npy")) {
    sgp_array a;
    if (sgp_npy_read(p, &a, &e)) return cli_error("check", &e);
    printf("%s: %s ", p, sgp_dtype_name(a.dtype));
    print_shape(&a);
    int finite = 1;
    if (a.dtype == SGP_F32) finite = sgp_all_finite_f(a.data, sgp_array_count(&a));
    if (a.dtype == SGP_F64) finite = sgp_all_finite_d(a.data, sgp_array_count(&a));
    printf("%s\n", finite ? "" : "  (contains non-finite values)");
    sgp_array_free(&a);
    return 0;
  }
  if (ends_with(p, ".safetensors")) {
    sgp_st s;
    sgp_st_init(&s);
    if (sgp_st_read(p, &s, &e)) return cli_error("check", &e);
    printf("%s: %d tensors\n", p, s.n);
    for (int i = 0; i < s.n; i++) {
      printf("  %-32s %-8s ", s.t[i].name, sgp_dtype_name(s.t[i].a.dtype));
      print_shape(&s.t[i].a);
      printf("\n");
    }
    if (s.meta) {
      printf("  metadata:\n");
      for (cJSON *it = s.meta->child; it; it = it->next) {
        const char *v = cJSON_IsString(it) ? it->valuestring : "?";
        printf("    %s: %.200s%s\n", it->string, v, strlen(v) > 200 ? "..." : "");
      }
    }
    sgp_st_free(&s);
    return 0;
  }
  if (stat(p, &sb) != 0) sgp_fail(&e, "%s: no such file or directory", p);
  else sgp_fail(&e, "%s: not a dataset directory, .npy or .safetensors file", p);
  return cli_error("check", &e);
}
