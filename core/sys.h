/* The build and the machine: versions, CPU, BLAS threads (core/sys.c). */
#ifndef SGP_CORE_SYS_H
#define SGP_CORE_SYS_H

#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

const char *sgp_git_revision(void); /* generated at build time */
const char *sgp_version(void);
const char *sgp_compiler(void);
const char *sgp_build_type(void);
/* {"sgpbench":..,"git":..,"compiler":..,"openblas":..,"openblas_core":..,"blas_threads":..,"cpu":..}
 * (MuJoCo's version is added by the layers that use it.) */
cJSON *sgp_versions_json(void);
const char *sgp_cpu_model(void); /* from /proc/cpuinfo, static buffer */

/* BLAS threads for this process (OpenBLAS). */
void sgp_blas_set_threads(int n);
int sgp_blas_threads(void);
const char *sgp_blas_corename(void);

#ifdef __cplusplus
}
#endif
#endif
