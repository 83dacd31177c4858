/* sgpbench core: numerics and plumbing shared by every layer. This header only gathers the
 * per-concern headers below; new code includes the ones it uses.
 *
 * Conventions (see docs/architecture.md):
 *  - Errors are values. A function that can fail returns 0 on success and -1 on failure, after
 *    filling `sgp_err` with ONE line naming the file / field / argument at fault. Only main()
 *    prints and exits. A failing function leaves its outputs untouched.
 *  - Batches are row-major float arrays, batch dimension first, sizes passed beside the pointer.
 *  - Nothing here allocates on a hot path: networks run in a workspace made once.
 *  - No globals, no rand(), no time-based seeds.
 */
#ifndef SGP_CORE_H
#define SGP_CORE_H

#include "core/err.h"
#include "core/rng.h"
#include "core/nn.h"
#include "core/adam.h"
#include "core/norm.h"
#include "core/array.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "core/files.h"
#include "core/lock.h"
#include "core/sha256.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/sys.h"

#endif
