#!/usr/bin/env python3
"""Evaluation CPU time of a full sweep, scaled from a cut-down run of it.

    scripts/eval_estimate.py OUT SEEDS > estimate.json

OUT is the output directory of a sweep that runs the full sweep's runs with MPC episodes cut short
(bench/sweeps/paper-estimate.json: `eval.steps`); SEEDS the full sweep's seed count. For every run
of OUT/table.json, from its result OUT/runs/KEY.json:
  - planning: the planning thread's CPU time (timing.plan_cpu_s) per executed step x the
    environment's T x the episodes (MPC); an open-loop run's one plan as measured;
  - simulation: timing.sim_s per executed step x T x the episodes (open loop: as measured);
  - fixed part: timing.total_s - plan_s - sim_s (loading models and data, the data-distance metric,
    writing the result; wall clock), as measured;
each x SEEDS. Prints CPU-hours per row, per row and agent, and in total (JSON)."""
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, seeds = sys.argv[1], int(sys.argv[2])
    table = json.load(open(os.path.join(out, "table.json")))
    rows, cells, total = {}, {}, {"plan": 0.0, "sim": 0.0, "fixed": 0.0}
    for run in table["runs"]:
        r = json.load(open(os.path.join(out, "runs", run["key"] + ".json")))
        ev, tm, T = r["config"]["eval"], r["timing"], r["env"]["T"]
        done = sum(e["steps"] for e in r["episodes"])
        scale = 1.0 if ev["mode"] == "open_loop" else T * ev["episodes"] / done
        part = {"plan": tm["plan_cpu_s"] * scale, "sim": tm["sim_s"] * scale,
                "fixed": tm["total_s"] - tm["plan_s"] - tm["sim_s"]}
        cell = cells.setdefault(run["env"] + " " + run["agent"], {"plan": 0.0, "sim": 0.0, "fixed": 0.0,
                                                                  "plan_cpu_ms_per_step": 0.0})
        row = rows.setdefault(run["env"], {"plan": 0.0, "sim": 0.0, "fixed": 0.0})
        for k, v in part.items():
            h = v * seeds / 3600
            cell[k] += h
            row[k] += h
            total[k] += h
        if ev["mode"] != "open_loop":
            cell["plan_cpu_ms_per_step"] = 1e3 * tm["plan_cpu_s"] / done
    rnd = lambda d: {k: round(v, 4) for k, v in d.items()}
    json.dump({"source": out, "versions": table["versions"], "seeds": seeds, "unit": "CPU-hours",
               "total": rnd(total), "total_hours": round(sum(total.values()), 3),
               "rows": {k: rnd(v) for k, v in rows.items()}, "cells": {k: rnd(v) for k, v in cells.items()}},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
