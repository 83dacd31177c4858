#!/usr/bin/env python3
"""CPU time of `sgp eval` for the same run configs under two builds, measured alternately.

    scripts/compare_eval_cpu.py SGP_A SGP_B RUN.json... > compare.json

Runs every config with build A, then with build B (one BLAS thread each, results to a temporary
directory), and records the CPU time (user + system) of each process: alternating keeps the
machine's load alike for both. A config that either build refuses (an older build does not know a
newer field) is listed under "skipped" with the build's message. Prints per-run and total CPU
seconds and the ratio A / B (JSON)."""
import json
import os
import resource
import subprocess
import sys
import tempfile


def cpu_of(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "exit %d" % p.returncode
        return None, msg.replace(os.getcwd() + "/", "")  # paths relative to the working directory
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), None


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    a, b, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    runs, skipped, tot = [], [], [0.0, 0.0]
    with tempfile.TemporaryDirectory() as tmp:
        for i, c in enumerate(configs):
            t, err = [], None
            for k, sgp in enumerate((a, b)):
                out = os.path.join(tmp, "%d-%d.json" % (i, k))
                v, err = cpu_of([sgp, "eval", "--config", c, "--out", out], env)
                if err:
                    break
                t.append(v)
            if err:
                skipped.append({"config": os.path.basename(c), "build": "ab"[len(t)], "error": err})
                continue
            tot[0] += t[0]
            tot[1] += t[1]
            runs.append({"config": os.path.basename(c), "cpu_s_a": round(t[0], 3), "cpu_s_b": round(t[1], 3)})
    load = os.getloadavg()[0]
    json.dump({"a": os.path.basename(a), "b": os.path.basename(b), "runs": runs, "skipped": skipped, "cpu_s_a": round(tot[0], 2), "cpu_s_b": round(tot[1], 2),
               "ratio_a_over_b": round(tot[0] / tot[1], 3), "load_average_end": load}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
