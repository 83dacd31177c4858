/* Build locks: one builder per artefact (core/lock.c). */
#ifndef SGP_CORE_LOCK_H
#define SGP_CORE_LOCK_H

#include <stdio.h>
#include "core/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Build locks (core/lock.c, docs/sweeps.md "Shared caches"): one builder per artefact among the
 * processes of one machine or of several sharing a file system. Waits until either ready(ctx)
 * says the artefact is complete and valid (returns 0: reuse it, no lock) or "<path>.lock" is
 * taken (returns 1 and *out: build, then sgp_lock_release). A lock whose holder is a dead process
 * of this host, or whose heartbeat (its mtime, touched every 5 s) has not moved for stale_s
 * seconds, is taken over. note (may be NULL) receives a line when it starts waiting. -1: error. */
typedef struct sgp_lock sgp_lock;
int sgp_lock_build(const char *path, double stale_s, int (*ready)(void *ctx), void *ctx, FILE *note, sgp_lock **out,
                   sgp_err *e);
void sgp_lock_release(sgp_lock *l);

#ifdef __cplusplus
}
#endif
#endif
