#!/usr/bin/env bash
# Curve figures declared by a sweep file (docs/sweeps.md, "Curves"), with TEST-ONLY fake jobs
# (tests/fixtures/sweep/curve.json: three fake-4d rows that differ in the planning horizon, a fourth
# row left out of the curves). The numbers plotted are the table's: every point of figures/NAME.svg,
# read back from its pixel position through the axis mapping the figure declares (itself checked
# against the tick labels drawn), equals the IQM of its cell's main metric in table.json's "cells",
# every whisker its interval; x is nu x horizon (fake-4d: nu = 1) or the pointed-to setting,
# computed here from the sweep file; one point per agent and row, lines in increasing x; the
# "figures" object of table.json holds the same numbers. Malformed curve declarations are refused
# before anything is written, naming the file and field. The figures are rasterised when
# rsvg-convert is installed.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
source "$SRC/tests/shell_lib.sh"
e2e_init
e2e_python e2e_curve json
T=$W
FIX=$SRC/tests/fixtures/sweep/curve.json

"$SGP" sweep "$FIX" --fake-jobs --out "$T/out" --cache "$T/cache" --jobs 2 2> "$T/log" || { cat "$T/log" >&2; fail "fake sweep"; }
for f in horizon-dv horizon-ptr; do
  [[ -s $T/out/figures/$f.svg ]] || fail "figure $f.svg not drawn"
  grep -q "figures/$f.svg" "$T/out/table.md" || fail "table.md does not show $f.svg"
done

"$PY" - "$FIX" "$T/out" <<'EOF' || fail "curve figures against table.json"
import json, math, re, sys
fix, out = json.load(open(sys.argv[1])), sys.argv[2]
table = json.load(open(out + "/table.json"))
envs = {e.get("label", e["name"]): e for e in fix["envs"]}
NU = {"fake-4d": 1, "fake-2d": 2}  # the fake registry's action dimensions (bench/sweep_fake.c)
cells = {(c["env"], c["dataset"], c["agent"]): c for c in table["cells"]}
figs = {f["name"]: f for f in table["figures"]}
attr = lambda tag, k: re.search(r'\b%s="([^"]*)"' % k, tag).group(1)
worst = 0.0
for spec in fix["figures"]:
    name = spec["name"]
    svg = open("%s/figures/%s.svg" % (out, name)).read()
    g = re.search(r'<g class="curve-plot"[^>]*>', svg).group(0)
    m = {k: float(attr(g, "data-" + k)) for k in ("x-lo", "x-hi", "x-p0", "x-p1", "y-lo", "y-hi", "y-p0", "y-p1")}
    logx = attr(g, "data-x-log") == "1"
    assert logx == spec.get("log_x", False), name + ": log axis"
    tx = lambda x: m["x-p0"] + ((math.log10(x) if logx else x) - m["x-lo"]) / (m["x-hi"] - m["x-lo"]) * (m["x-p1"] - m["x-p0"])
    iy = lambda p: m["y-lo"] + (p - m["y-p0"]) / (m["y-p1"] - m["y-p0"]) * (m["y-hi"] - m["y-lo"])
    ty = lambda y: m["y-p0"] + (y - m["y-lo"]) / (m["y-hi"] - m["y-lo"]) * (m["y-p1"] - m["y-p0"])
    py = abs((m["y-hi"] - m["y-lo"]) / (m["y-p1"] - m["y-p0"]))  # data units per pixel
    # the declared mapping is the one drawn: every x tick label sits where the mapping puts its value,
    # and the y tick labels likewise
    xt = re.findall(r'<text x="([-\d.]+)" y="[-\d.]+" text-anchor="middle" class="xtick"[^>]*>([^<]*)</text>', svg)
    assert len(xt) >= 2, name + ": x ticks"
    for px, lab in xt:
        assert abs(float(px) - tx(float(lab))) <= 0.051, "%s: x tick %s at %s, the mapping says %.2f" % (name, lab, px, tx(float(lab)))
    yt = re.findall(r'<text x="[-\d.]+" y="([-\d.]+)" text-anchor="end" font-size="10">([^<]*)</text>', svg)
    assert len(yt) >= 2, name + ": y ticks"
    for py_, lab in yt:
        assert abs(float(py_) - 4 - ty(float(lab))) <= 0.051, "%s: y tick %s" % (name, lab)
    # rows of the curve, and their x computed from the sweep file
    rows = []
    for w in spec["rows"]:
        lab, _, ds = w.partition("/")
        for d in envs[lab]["datasets"]:
            if not ds or d["name"] == ds:
                rows.append((lab, d["name"]))
    def xof(lab):
        e = envs[lab]
        if spec["x"] == "decision_variables":
            return NU[e["name"]] * e["planner"]["horizon"]
        v = e
        for k in spec["x"].strip("/").split("/"):
            v = v[k]
        return v
    pts = re.findall(r'(<path d="M([-\d.]+) ([-\d.]+)V([-\d.]+)" stroke="[^"]+"[^>]*/>)(?:<path[^>]*/>)*\s*(<circle class="curve-point"[^>]*/>)', svg)
    seen = {}
    for _, wx, w0, w1, c in pts:
        agent, row = attr(c, "data-agent"), attr(c, "data-row")
        lab, ds = row.split("/")
        assert (agent, row) not in seen, "%s: two points for %s %s" % (name, agent, row)
        cell = cells[(lab, ds, agent)]
        st = cell["metrics"][cell["main_metric"]]
        est, (lo, hi) = st["iqm"], st["ci"]
        x = xof(lab)
        # the recorded numbers are the table's (table.json prints 15 significant digits, the SVG 17)
        same = lambda a, b: abs(a - b) <= 1e-13 * max(1.0, abs(b))
        assert float(attr(c, "data-x")) == x, (name, agent, row, "x")
        for k, v in (("estimate", est), ("lo", lo), ("hi", hi)):
            assert same(float(attr(c, "data-" + k)), v), (name, agent, row, k, attr(c, "data-" + k), v)
        # and so is the position: x (less the side-by-side offset) and y read back from the pixels
        cx, cy, dx = float(attr(c, "cx")), float(attr(c, "cy")), float(attr(c, "data-dx"))
        assert abs(cx - dx - tx(x)) <= 0.0011, "%s %s %s: drawn at x %.3f, expected %.3f" % (name, agent, row, cx - dx, tx(x))
        err = abs(iy(cy) - est)
        assert err <= 0.0011 * py, "%s %s %s: drawn at %g, the table says %g" % (name, agent, row, iy(cy), est)
        worst = max(worst, err / py)
        # the whisker: at the point's x, from lo to hi (clipped only where it leaves the axis)
        assert abs(float(wx) - cx) <= 0.051
        ylo, yhi = sorted((m["y-lo"], m["y-hi"]))
        for v, pw in ((lo, float(w0)), (hi, float(w1))):
            assert abs(iy(pw) - min(max(v, ylo), yhi)) <= 0.051 * py, "%s %s %s: whisker end %g, interval end %g" % (name, agent, row, iy(pw), v)
        seen[(agent, row)] = (x, est, lo, hi)
    want = {(a["name"], "%s/%s" % r) for a in fix["agents"] for r in rows}
    assert set(seen) == want, "%s: points %s, expected one per agent and row %s" % (name, sorted(seen), sorted(want))
    # lines through the points in increasing x
    for pl in re.findall(r'<polyline class="curve-line"[^>]*points="([^"]*)"', svg):
        xs = [float(p.split(",")[0]) for p in pl.split()]
        assert len(xs) == len(rows) and xs == sorted(xs), name + ": a line not in increasing x"
    # table.json's "figures" holds the same numbers
    f = figs[name]
    assert f["x"] == spec["x"] and f["file"] == "figures/%s.svg" % name and f["metric"] == "normalized_score"
    got = {(s["agent"], p["row"]): (p["x"], p["estimate"], p["ci"][0], p["ci"][1]) for s in f["series"] for p in s["points"]}
    assert set(got) == set(seen), name + ": table.json figures have other points than the SVG"
    for k in got:
        assert all(same(a, b) for a, b in zip(got[k], seen[k])), (name, k, got[k], seen[k])
    print("ok   %-12s %d points, worst |y drawn - IQM| %.2e px" % (name, len(seen), max(abs(iy(float(attr(c, "cy"))) - seen[(attr(c, "data-agent"), attr(c, "data-row"))][1]) / py for *_, c in pts)))
print("worst position error %.2e px" % worst)
EOF

if command -v rsvg-convert > /dev/null; then
  for f in horizon-dv horizon-ptr; do
    rsvg-convert -o "$T/$f.png" "$T/out/figures/$f.svg" || fail "rsvg-convert $f.svg"
    [[ -s $T/$f.png ]] || fail "$f.png empty"
  done
fi

# malformed declarations: refused before anything is written, naming the file and field
bad() { # JSON-for-figures expected-message
  "$PY" - "$FIX" "$T/bad.json" "$1" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1])); s["figures"] = json.loads(sys.argv[3]); json.dump(s, open(sys.argv[2], "w"))
EOF
  rm -rf "$T/badout"
  if "$SGP" sweep "$T/bad.json" --fake-jobs --out "$T/badout" --cache "$T/cache" --list > /dev/null 2> "$T/err"; then
    fail "accepted figures $1"
  fi
  grep -qF -- "$2" "$T/err" || { cat "$T/err" >&2; fail "figures $1: expected '$2'"; }
  [[ ! -e $T/badout ]] || fail "figures $1: output written"
  ok "refused: $(head -1 "$T/err")"
}
bad '[{"type": "bars", "name": "a", "x": "decision_variables"}]' "bad.json: /figures/0/type: expected \"curve\""
bad '[{"type": "curve", "name": "a/b", "x": "decision_variables"}]' "bad.json: /figures/0/name:"
bad '[{"type": "curve", "name": "a", "x": "size"}]' "bad.json: /figures/0/x: expected \"decision_variables\" or a JSON pointer"
bad '[{"type": "curve", "name": "a", "x": "/config/size", "rows": ["h5", "h10"]}]' "bad.json: /figures/0/x: /config/size of row h5 is absent"
bad '[{"type": "curve", "name": "a", "x": "decision_variables", "rows": ["h5", "h7"]}]' "bad.json: /figures/0/rows/1: no row 'h7'"
bad '[{"type": "curve", "name": "a", "x": "decision_variables", "rows": ["h5"]}]' "bad.json: /figures/0/rows: a curve needs at least 2 rows"
bad '[{"type": "curve", "name": "a", "x": "decision_variables", "rows": ["h5", "fake-2d"]}]' "have different main metrics"
bad '[{"type": "curve", "name": "a", "x": "decision_variables", "rows": ["h5", "h10"], "colour": 1}]' "bad.json: /figures/0/colour: unknown field"
bad '[{"type": "curve", "name": "a", "x": "decision_variables", "rows": ["h5", "h10"]}, {"type": "curve", "name": "a", "x": "decision_variables", "rows": ["h5", "h10"]}]' "'a' names two figures"
bad '[]' "bad.json: /figures: expected true, false or a non-empty array"
bad '"yes"' "bad.json: /figures: expected a boolean or an array"
echo "e2e_curve: curve figures plot the table's numbers; malformed declarations refused"
