/* sgpbench agents: the learned and exact models the planners use. This header only gathers the
 * per-model headers; new code includes the ones it uses.
 *
 *   agents/distance.h    exact smoothed distance d_σ, log p_σ and the exact score (METHOD §2)
 *   agents/train.h       the generic supervised training loop every learned model uses
 *   agents/model_file.h  model files: MLPs, normalizers and metadata in one .safetensors
 *   agents/score.h       learned scores by denoising score matching, single σ and NCSN (METHOD §3)
 *   agents/dde.h         learned regressor of d_σ, the authors' "DDE" baseline (METHOD §5)
 *   agents/dynamics.h    residual MLP dynamics and ensembles (METHOD §1, §5)
 *   agents/cost_model.h  learned running cost (METHOD §1)
 *   agents/adapters.h    the models as the planner interfaces of agents/planner.h
 *
 * Conventions as in core/core.h: errors are values (0 / -1 + sgp_err), batches row-major float
 * with the batch dimension first, hot paths run in a workspace made once and never allocate.
 */
#ifndef SGP_AGENTS_MODELS_H
#define SGP_AGENTS_MODELS_H

#include "agents/distance.h"
#include "agents/train.h"
#include "agents/model_file.h"
#include "agents/score.h"
#include "agents/dde.h"
#include "agents/dynamics.h"
#include "agents/cost_model.h"
#include "agents/adapters.h"

#endif
