#!/usr/bin/env python3
"""Where the planning time of `sgp eval` goes: CPU time and a perf profile, grouped by symbol.

    scripts/profile_eval.py RUN.json LABEL=SGP [LABEL=SGP ...] > profile.json

For each build (LABEL=path of its sgp binary), in turn: `sgp eval --config RUN.json` once plain
(timing.plan_cpu_s of the result: the planning thread's CPU time) and once under `perf record`
(the shares of its samples by symbol, no children). Symbols are grouped as below (a symbol in no
group counts as "other"); the JSON holds each build's git revision (the last line of `sgp`'s usage),
CPU time per step, group shares and the largest symbols. Needs perf."""
import json
import os
import re
import subprocess
import sys
import tempfile

GROUPS = {
    "networks": re.compile(r"^(t\d+_\d+|mc_.*|compress|dyn_forward|plan_forward|nn_.*|sgemm.*|cblas.*)$"),
    "pixel_task_cost": re.compile(r"^(px_.*|expf.*|__expf.*|xflowf|with_errnof|__math_uflowf)$"),
    "normals": re.compile(r"^(__sincos.*|sincos.*|__ieee754_log.*|log@plt|sgp_rng_normal.*|sgp_box_muller_f.*|sgp_rng_u.*)$"),
    "allocation_and_kernel": re.compile(r"^(__memset.*|clear_page.*|pvm_irq_enable|_copy_to_iter|.*page.*|\[k\].*)$"),
}


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def profile(sgp, config, tmp):
    out = os.path.join(tmp, "r.json")
    run([sgp, "eval", "--config", config, "--out", out, "--quiet"])
    r = json.load(open(out))
    steps = sum(e["steps"] for e in r["episodes"])
    data = os.path.join(tmp, "perf.data")
    run(["perf", "record", "-q", "-o", data, sgp, "eval", "--config", config, "--out", out, "--quiet"])
    rep = run(["perf", "report", "-i", data, "--no-children", "--stdio", "--sort", "symbol"]).stdout
    shares = {}
    for line in rep.splitlines():
        m = re.match(r"^\s+([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if m:
            shares[m.group(2)] = shares.get(m.group(2), 0.0) + float(m.group(1)) / 100
    groups = {g: 0.0 for g in GROUPS}
    groups["other"] = 0.0
    for sym, v in shares.items():
        g = next((k for k, rx in GROUPS.items() if rx.match(sym)), "other")
        groups[g] += v
    top = sorted(shares.items(), key=lambda kv: -kv[1])[:12]
    usage = subprocess.run([sgp], capture_output=True, text=True)  # its last line names the revision
    git = re.search(r"git ([0-9a-f]+\S*)", usage.stdout + usage.stderr)
    return {"git": git.group(1) if git else None, "steps": steps,
            "plan_cpu_s_per_step": round(r["timing"]["plan_cpu_s"] / steps, 3),
            "shares": {k: round(v, 3) for k, v in groups.items()},
            "top_symbols": {k: round(v, 3) for k, v in top}}


def main():
    if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
        sys.exit(__doc__)
    config = sys.argv[1]
    cfg = json.load(open(config))
    res = {"env": cfg["env"], "planner": cfg["planner"], "eval": cfg["eval"], "builds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for arg in sys.argv[2:]:
            label, sgp = arg.split("=", 1)
            res["builds"][label] = profile(sgp, config, tmp)
    json.dump(res, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
