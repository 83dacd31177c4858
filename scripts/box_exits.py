#!/usr/bin/env python3
"""How far cart-pole trajectories leave the data box, from a sweep's saved rollouts.

  scripts/box_exits.py OUT [RESULT.json]

OUT is a sweep output directory whose cart-pole rows saved their rollouts (`"trajectories": true`):
OUT/table.json lists the runs, OUT/rollouts/<key>/ep<e>_x.npy holds the executed states and
ep<e>_plan_x.npy the states the planner predicted at every MPC step (docs/run-format.md). The box is
the cart-pole data box of docs/environments.md: |p| <= 5, theta in [-pi, 1.5 pi], |p'| <= 8,
|theta'| <= 12. Per run (seed) it writes the mean over episodes of
  - max_abs_cart_velocity: max |p'| of the executed states,
  - outside_fraction: the fraction of executed states outside the box,
  - plan_max_abs_cart_velocity: max |p'| over every state of every plan (the model's prediction),
  - plan_outside_fraction: the fraction of planned states outside the box,
and, from the run result (OUT/runs/<key>.json, first-order planners), plan_grad_norm and
plan_cost_grad_norm: the gradient norms of the penalised objective and of the task cost at the
returned plans (docs/planners.md); per (row, agent) the seed values, their mean, min and max, and
how many episodes left the box at all (executed). RESULT.json (default OUT/box_exits.json) is
written atomically.
"""
import json
import math
import os
import sys

import numpy as np

LO = np.array([-5.0, -math.pi, -8.0, -12.0])
HI = np.array([5.0, 1.5 * math.pi, 8.0, 12.0])


def outside(x):
    x = x.reshape(-1, 4)
    return np.any((x < LO) | (x > HI), axis=1)


def episode_files(d):
    eps = sorted(int(f[2:-6]) for f in os.listdir(d) if f.startswith("ep") and f.endswith("_x.npy")
                 and f[2:-6].isdigit())
    return [(np.load(os.path.join(d, f"ep{e}_x.npy")), np.load(os.path.join(d, f"ep{e}_plan_x.npy"))) for e in eps]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    res_path = sys.argv[2] if len(sys.argv) == 3 else os.path.join(out, "box_exits.json")
    with open(os.path.join(out, "table.json")) as f:
        table = json.load(f)
    cells = {}
    for run in table["runs"]:
        if run.get("status") != "ok":
            continue
        d = os.path.join(out, "rollouts", run["key"])
        if not os.path.isdir(d):
            continue
        eps = episode_files(d)
        if not eps or eps[0][0].shape[-1] != 4:
            continue
        x_max, x_out, p_max, p_out, left = [], [], [], [], 0
        for x, px in eps:
            px = px[np.isfinite(px).all(axis=-1)]
            x_max.append(float(np.max(np.abs(x[:, 2]))))
            x_out.append(float(np.mean(outside(x))))
            p_max.append(float(np.max(np.abs(px[..., 2]))))
            p_out.append(float(np.mean(outside(px))))
            left += bool(np.any(outside(x)))
        c = cells.setdefault((run["env"], run["dataset"], run["agent"]),
                             {"env": run["env"], "dataset": run["dataset"], "agent": run["agent"], "seeds": [],
                              "episodes": 0, "episodes_outside": 0, "metrics": {}})
        c["seeds"].append(run["seed"])
        c["episodes"] += len(eps)
        c["episodes_outside"] += left
        for name, v in (("max_abs_cart_velocity", x_max), ("outside_fraction", x_out),
                        ("plan_max_abs_cart_velocity", p_max), ("plan_outside_fraction", p_out)):
            c["metrics"].setdefault(name, {"values": []})["values"].append(float(np.mean(v)))
        with open(os.path.join(out, "runs", run["key"] + ".json")) as f:
            summary = json.load(f)["summary"]
        for name in ("plan_grad_norm", "plan_cost_grad_norm"):
            v = summary.get(name + "_mean")
            if v is not None:
                c["metrics"].setdefault(name, {"values": []})["values"].append(float(v))
    for c in cells.values():
        order = np.argsort(c["seeds"])
        c["seeds"] = [c["seeds"][i] for i in order]
        c["metrics"] = {k: m for k, m in c["metrics"].items() if len(m["values"]) == len(order)}
        for m in c["metrics"].values():
            v = [m["values"][i] for i in order]
            m.update(values=v, mean=float(np.mean(v)), min=float(np.min(v)), max=float(np.max(v)))
    result = {"kind": "box_exits", "source": os.path.basename(os.path.normpath(out)),
              "sweep": table["sweep"].get("name"), "git": table.get("versions", {}).get("table", {}).get("git"),
              "box": {"lo": LO.tolist(), "hi": HI.tolist()}, "cells": list(cells.values())}
    tmp = res_path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(tmp, res_path)
    for c in cells.values():
        m = c["metrics"]
        print(f"{c['env']:18s} {c['agent']:14s} |p'| max {m['max_abs_cart_velocity']['mean']:.3g} "
              f"out {m['outside_fraction']['mean']:.3g}  plan |p'| max {m['plan_max_abs_cart_velocity']['mean']:.3g} "
              f"plan out {m['plan_outside_fraction']['mean']:.3g}  episodes out {c['episodes_outside']}/{c['episodes']}"
              + (f"  |grad obj| {m['plan_grad_norm']['mean']:.3g} |grad cost| {m['plan_cost_grad_norm']['mean']:.3g}"
                 if "plan_grad_norm" in m else ""))


if __name__ == "__main__":
    main()
