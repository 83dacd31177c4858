/* sgp train dynamics | ensemble | cost: the kinds of agents/dynamics.c and agents/cost_model.c
 * (one line each in the table of bench/cmd_train.c).
 *
 * Config (unknown fields rejected, defaults inserted; the resolved config is saved in the file):
 *   {"kind": "...",                         optional; must name this kind
 *    "net": {...nn_arch...}, "train": {...train_cfg...},
 *    "members": 5, "bootstrap": false,      ensemble only (members >= 2)
 *    "rollout_steps": 1}                    dynamics and ensemble (1: one-step loss)
 * The models, the loss and the file layout: docs/models.md. */
#include "bench/train_kinds.h"

#include "agents/cost_model.h"
#include "agents/dynamics.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"

#include <string.h>

typedef enum { K_DYNAMICS = 0, K_ENSEMBLE, K_COST } kind_id;

static int read_cfg(kind_id kind, const train_kind_args *a, nn_arch *arch, train_cfg *tc, dyn_train_cfg *dc,
                    sgp_err *e) {
  static const char *const extra[3][4] = {{"rollout_steps", NULL}, {"members", "bootstrap", "rollout_steps", NULL},
                                          {NULL}};
  sgp_cfg *root = a->cfg, net;
  const ds_data *d = a->data;
  if (train_kind_check_keys(a, extra[kind], e)) return -1;
  if (sgp_cfg_obj_opt(root, "net", &net, e) ||
      nn_arch_from_cfg(&net, d->nx + d->nu, kind == K_COST ? 1 : d->nx, arch, e))
    return -1;
  if (arch->ncond != 0)
    return sgp_fail(e, "%s: %s/ncond: must be 0 for a %s model", root->file, net.path,
                    kind == K_COST ? "cost" : "dynamics");
  if (train_kind_read_train(a, tc, e)) return -1;
  dc->members = 1;
  dc->rollout_steps = 1;
  dc->bootstrap = 0;
  long v;
  if (kind == K_ENSEMBLE) {
    if (sgp_cfg_int_opt(root, "members", 2, DYN_MAX_MEMBERS, 5, &v, e)) return -1;
    dc->members = (int)v;
    if (sgp_cfg_bool_opt(root, "bootstrap", 0, &dc->bootstrap, e)) return -1;
  }
  if (kind != K_COST) {
    if (sgp_cfg_int_opt(root, "rollout_steps", 1, 255, 1, &v, e)) return -1;
    dc->rollout_steps = (int)v;
  }
  return 0;
}

static int run_kind(kind_id kind, const train_kind_args *a, sgp_err *e) {
  const ds_data *d = a->data;
  if (!d)
    return sgp_fail(e, "%s: 'sgp train %s' needs a dataset directory (transitions), not a .npy of points",
                    a->data_dir, a->kind);
  nn_arch arch;
  train_cfg tc;
  dyn_train_cfg dc;
  if (read_cfg(kind, a, &arch, &tc, &dc, e)) return -1;
  train_result res;
  int rc;
  if (kind == K_COST) {
    cost_model *m = cost_create(&arch, d->nx, d->nu, e);
    if (!m) return sgp_fail_prefix(e, "%s", a->cfg->file);
    rc = cost_train(m, d->x, d->u, d->reward, (size_t)d->n, &tc, &res, e);
    if (rc) sgp_fail_prefix(e, "%s", a->data_dir);
    if (!rc) {
      if (a->report) a->report(a->report_self, &res);
      rc = cost_save(m, a->out, a->resolved, a->dataset_json, &res, e);
      train_result_free(&res);
    }
    cost_free(m);
    return rc;
  }
  dyn_model *m = dyn_create(&arch, d->nx, d->nu, dc.members, e);
  if (!m) return sgp_fail_prefix(e, "%s", a->cfg->file);
  dyn_data dd = {(size_t)d->n, d->x, d->u, d->xnext, d->terminal, d->timeout};
  rc = dyn_train(m, &dd, &dc, &tc, &res, e);
  if (rc) sgp_fail_prefix(e, "%s", a->data_dir);
  if (!rc) {
    if (a->report) a->report(a->report_self, &res);
    rc = dyn_save(m, &dc, a->out, a->resolved, a->dataset_json, &res, e);
    train_result_free(&res);
  }
  dyn_free(m);
  return rc;
}

int train_kind_dynamics(const train_kind_args *a, sgp_err *e) { return run_kind(K_DYNAMICS, a, e); }
int train_kind_ensemble(const train_kind_args *a, sgp_err *e) { return run_kind(K_ENSEMBLE, a, e); }
int train_kind_cost(const train_kind_args *a, sgp_err *e) { return run_kind(K_COST, a, e); }
