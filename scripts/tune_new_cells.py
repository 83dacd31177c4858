#!/usr/bin/env python3
"""Tune only the cells a sweep adds to a stored tuning result, then merge.

A preset with a stored tuning result (`tuning.result`) refuses it once a row or an agent is added.
`sgp sweep FILE --retune` would rerun every cell's tuning and re-measure every matched sample count
(a wall-time measurement). This keeps the stored choices and counts of the cells that did not
change and tunes only the new ones, with the same seeds, grids and rule:

  scripts/tune_new_cells.py split SWEEP.json SUB.json
      writes SUB.json: SWEEP without its stored result, each row keeping only the agents that the
      stored result does not score there, plus the budget's reference agent (the matched planning
      time is measured against it, on the same row).
  build/sgp sweep SUB.json --out OUT --jobs 1
  scripts/tune_new_cells.py merge SWEEP.json OUT/tuning.json
      adds the new cells' grids, scores, choices and matched counts to SWEEP's stored result. The
      stored cells are left as they are; for the reference agent, tuned again on the old rows, it
      checks that the run keys are the stored ones and prints both choices (a later build need not
      reproduce the stored scores bit for bit). `sgp sweep SWEEP --list` then validates the merged
      result against the sweep (run keys of every cell).
"""
import copy
import json
import os
import sys


def cjson_num(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) or (v == int(v) and abs(v) < 2**31):
        return str(int(v))
    t = "%1.15g" % v
    return t if float(t) == v else "%1.17g" % v


def cjson(v, d=0):
    """The text cJSON_Print writes (tabs, inline arrays, 15 or 17 digits), so that the stored file
    keeps its layout and a merge changes only what it adds."""
    if isinstance(v, dict):
        if not v:
            return "{\n" + "\t" * d + "}"
        body = ",\n".join("\t" * (d + 1) + json.dumps(k, ensure_ascii=False) + ":\t" + cjson(x, d + 1) for k, x in v.items())
        return "{\n" + body + "\n" + "\t" * d + "}"
    if isinstance(v, list):
        return "[" + ", ".join(cjson(x, d + 1) for x in v) + "]"
    if v is None:
        return "null"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return cjson_num(v)


def load(p):
    with open(p) as f:
        return json.load(f)


def row_keys(sw):
    out = []
    for env in sw["envs"]:
        label = env.get("label", env["name"])
        for ds in env["datasets"]:
            out.append((env, label, f"{label}/{ds['name']}"))
    return out


def agents_of(sw, env):
    return env.get("agents", [a["name"] for a in sw["agents"]])


def stored_path(sweep_path, sw):
    return os.path.join(os.path.dirname(sweep_path), sw["tuning"]["result"])


def split(sweep_path, sub_path):
    sw = load(sweep_path)
    stored = load(stored_path(sweep_path, sw))
    ref = sw.get("budget", {}).get("match_time", {}).get("reference")
    sub = copy.deepcopy(sw)
    sub["name"] = sw["name"] + "-new-cells"
    sub["description"] = f"the cells of {sw['name']} that its stored tuning result does not hold (scripts/tune_new_cells.py)"
    del sub["tuning"]["result"]
    envs = []
    for env, label, rk in row_keys(sw):
        new = [a for a in agents_of(sw, env) if rk not in stored["agents"].get(a, {}).get("scores", {})]
        if not new:
            continue
        keep = [a for a in agents_of(sw, env) if a in new or a == ref]
        e = copy.deepcopy(env)
        e["agents"] = keep
        envs.append(e)
    sub["envs"] = envs
    used = {a for e in envs for a in e["agents"]}
    sub["agents"] = [a for a in sub["agents"] if a["name"] in used]
    labels = {e.get("label", e["name"]) for e in envs}
    for a in sub["agents"]:
        if "envs" in a:
            a["envs"] = {k: v for k, v in a["envs"].items() if k in labels}
    tmp = sub_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(sub, f, indent=1)
        f.write("\n")
    os.replace(tmp, sub_path)
    for e in envs:
        print(e.get("label", e["name"]), e["agents"])


def merge(sweep_path, new_path):
    sw = load(sweep_path)
    sp = stored_path(sweep_path, sw)
    stored, new = load(sp), load(new_path)
    if stored["seeds"] != new["seeds"] or stored["rule"] != new["rule"]:
        sys.exit(f"{new_path}: other tuning seeds or rule than {sp}")
    for agent, a in new["agents"].items():
        s = stored["agents"].setdefault(agent, {"grid": {}, "scores": {}, "chosen": {}})
        for rk, scores in a["scores"].items():
            if rk in s["scores"]:  # an old cell tuned again (the reference): the stored one stays
                if [x["runs"] for x in s["scores"][rk]] != [x["runs"] for x in scores]:
                    sys.exit(f"{new_path}: agent {agent} on row {rk}: other run keys than the stored result")
                old = [round(x["mean"], 2) for x in s["scores"][rk]]
                now = [round(x["mean"], 2) for x in scores]
                print(f"{agent} on {rk}: stored choice {s['chosen'][rk]} (means {old}) kept; tuned again: "
                      f"{a['chosen'][rk]} (means {now})")
                continue
            for k in ("grid", "scores", "chosen"):
                s[k][rk] = a[k][rk]
    if "matched_time" in stored:
        mt = stored["matched_time"]
        mt["config"] = sw["budget"]["match_time"]
        for agent, rows in new.get("matched_time", {}).get("agents", {}).items():
            for rk, v in rows.items():
                mt["agents"].setdefault(agent, {}).setdefault(rk, v)
    tmp = sp + ".tmp"
    with open(tmp, "w") as f:
        f.write(cjson(stored) + "\n")
    os.replace(tmp, sp)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("split", "merge"):
        sys.exit(__doc__)
    (split if sys.argv[1] == "split" else merge)(sys.argv[2], sys.argv[3])
