#!/usr/bin/env bash
# e2e: `sgp view` (docs/viewer.md).
#  1. without any display: bad inputs (unknown env, missing / corrupt / mismatched rollout files,
#     bad options) are one-line errors naming the file, non-zero exit, nothing written; no display
#     at all gives the "no display" error.
#  2. under Xvfb (xvfb-run, from scripts/deps.sh --test): a point rollout written here is recorded
#     offscreen from a known top-down camera and the frames are checked against the projection of
#     the states: the red executed path is where the states project, and only where the point has
#     been so far; the magenta plan is where the plan projects; the blue point is at the current
#     state; the last frame has no plan. Also: concatenated-PPM output, --frames, a pixels rollout
#     (observation panel), a cartpole rollout (pole-tip plan), and the interactive window running
#     for 3 s without error (keys and mouse are not exercised: no input can be injected here).
# No python3, or neither xvfb-run nor a display: a visible SKIP for the part that needs it.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
PROG=${SGP_PROG:-$SRC/build/sgp}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sgp_e2e_viewer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; fails=$((fails + 1)); }

if "$PROG" view --help | grep -q "HAS NO VIEWER"; then
  echo "SKIP e2e_viewer: this sgp was built with -DSGP_VIEWER=OFF"
  exit 0
fi
PY=$(command -v python3 || true)
if [[ -z "$PY" ]]; then
  echo "SKIP e2e_viewer: no python3 (needed to write the .npy files and read the frames)"
  exit 0
fi

# ---------------------------------------------------------------- helpers in Python (stdlib only)
cat >"$tmp/tool.py" <<'EOF'
"""Writes test rollouts (.npy, float32) and checks recorded PPM frames."""
import math, struct, sys

def npy(path, shape, values, descr='<f4'):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ''.join('%d, ' % s for s in shape) if len(shape) == 1 else ', '.join(map(str, shape)))
    pad = 64 - (10 + len(hdr) + 1) % 64
    hdr = hdr + ' ' * pad + '\n'
    fmt = '<%d%s' % (len(values), 'f' if descr == '<f4' else 'd')
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + struct.pack(fmt, *values))

# the point rollout: 16 steps along y = -0.7 from x = 0.8 to x = -0.8; the plan at step t goes
# straight up from the current state (H = 8, 0.1 per step); 3 candidates fan out downwards
STEPS, H, M, Y0 = 16, 8, 3, -0.7
def px(t): return 0.8 - 0.1 * t

def point_rollout(d, nx=2, plan_nx=2, u_rows=STEPS):
    xs = []
    for t in range(STEPS + 1):
        xs += [px(t), Y0] + [0.0] * (nx - 2)
    npy(d + '/ep0_x.npy', (STEPS + 1, nx), xs)
    npy(d + '/ep0_u.npy', (u_rows, 2), [-0.1, 0.0] * u_rows)
    plan = []
    for t in range(STEPS):
        for k in range(H + 1):
            plan += [px(t), Y0 + 0.1 * k] + [0.0] * (plan_nx - 2)
    npy(d + '/ep0_plan_x.npy', (STEPS, H + 1, plan_nx), plan)
    cand = []
    for t in range(STEPS):
        for c in range(M):
            for k in range(H + 1):
                cand += [px(t) - 0.02 * k * (c - 1), Y0 - 0.05 * k]
    npy(d + '/ep0_cand_x.npy', (STEPS, M, H + 1, 2), cand)

def pixels_rollout(d, R=8, steps=4):
    E = 1.2
    xs = []
    for t in range(steps + 1):
        qx, qy = 0.6 - 0.3 * t, 0.3
        for r in range(R):
            for c in range(R):
                cx, cy = -E + (c + 0.5) * 2 * E / R, E - (r + 0.5) * 2 * E / R
                xs.append(math.exp(-((cx - qx) ** 2 + (cy - qy) ** 2) / (2 * 0.6 ** 2)))
    npy(d + '/ep0_x.npy', (steps + 1, R * R), xs)
    npy(d + '/ep0_u.npy', (steps, 2), [-0.1, 0.0] * steps)

def cartpole_rollout(d, steps=5, H=6):
    xs = []
    for t in range(steps + 1):
        xs += [0.1 * t, 0.4 * t, 0.0, 0.0]
    npy(d + '/ep0_x.npy', (steps + 1, 4), xs, descr='<f8')  # float64 is accepted too
    npy(d + '/ep0_u.npy', (steps, 1), [10.0] * steps)
    plan = []
    for t in range(steps):
        for k in range(H + 1):
            plan += [0.1 * t, 0.4 * t + 0.4 * k, 0.0, 0.0]
    npy(d + '/ep0_plan_x.npy', (steps, H + 1, 4), plan)

def read_ppms(path):
    data = open(path, 'rb').read()
    i, frames = 0, []
    def tok():
        nonlocal i
        while data[i:i + 1].isspace():
            i += 1
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        t, i = data[i:j], j
        return t
    while i < len(data):
        if tok() != b'P6':
            raise SystemExit('%s: not a binary PPM at byte %d' % (path, i))
        w, h, mx = int(tok()), int(tok()), int(tok())
        i += 1
        if mx != 255 or i + 3 * w * h > len(data):
            raise SystemExit('%s: truncated frame' % path)
        frames.append((w, h, data[i:i + 3 * w * h]))
        i += 3 * w * h
    return frames

# The camera of the test: --camera 0,0,0,3,90,-90 (from above, x right, y up) and MuJoCo's default
# fovy of 45 degrees: a point (x, y, z) lands at column 200 + f x / (3 − z), row 200 − f y / (3 − z).
SIZE, DIST, FOVY = 400, 3.0, 45.0
def project(x, y, z):
    f = (SIZE / 2) / math.tan(math.radians(FOVY) / 2)
    return SIZE / 2 + f * x / (DIST - z), SIZE / 2 - f * y / (DIST - z)

RED = lambda p: p[0] > 170 and p[1] < 90 and p[2] < 90
MAGENTA = lambda p: p[0] > 150 and p[2] > 150 and p[1] < 100
BLUE = lambda p: p[2] > 150 and p[0] < 100 and p[1] < 140
YELLOW = lambda p: p[0] > 200 and p[1] > 200 and p[2] < 90

class Frame:
    def __init__(self, w, h, rgb):
        self.w, self.h, self.rgb = w, h, rgb
    def px(self, c, r):
        k = 3 * (r * self.w + c)
        return self.rgb[k:k + 3]
    def near(self, col, row, pred, rad=4):
        """Is a pixel of the class within rad pixels of (col, row)?"""
        for r in range(int(row) - rad, int(row) + rad + 1):
            for c in range(int(col) - rad, int(col) + rad + 1):
                if 0 <= r < self.h and 0 <= c < self.w and pred(self.px(c, r)):
                    return True
        return False
    def where(self, pred, row_min=0):
        return [(c, r) for r in range(row_min, self.h) for c in range(self.w) if pred(self.px(c, r))]
    def distinct(self):
        return len({self.rgb[k:k + 3] for k in range(0, len(self.rgb), 3 * 7)})

fails = 0
def check(cond, what):
    global fails
    print(('ok   ' if cond else 'FAIL ') + what, file=sys.stdout if cond else sys.stderr)
    if not cond:
        fails += 1

def check_point(framedir):
    import os
    names = sorted(n for n in os.listdir(framedir) if n.endswith('.ppm'))
    check(names == ['frame_%05d.ppm' % i for i in range(STEPS + 1)], '%d frames frame_00000.ppm.. (got %d)' % (STEPS + 1, len(names)))
    fr = [Frame(*read_ppms(os.path.join(framedir, n))[0]) for n in names]
    check(all((f.w, f.h) == (SIZE, SIZE) for f in fr), 'frames are %dx%d' % (SIZE, SIZE))
    zpath = 0.04  # the point body's height: the paths are drawn there
    below_text = 175  # rows above hold the text overlay
    for t in (0, 8, STEPS):
        f = fr[t]
        check(f.distinct() > 20, 'frame %d is not blank (%d distinct colours sampled)' % (t, f.distinct()))
        # the executed path: red near every visited state and between consecutive states (the
        # current state is inside the blue point's sphere, which hides the path's end there)
        visited = [px(k) for k in range(t)]
        mids = [0.5 * (px(k) + px(k + 1)) for k in range(t)]
        miss = [x for x in visited + mids if not f.near(*project(x, Y0, zpath), RED)]
        check(not miss, 'frame %d: red executed path at the projections of the %d states before it (missing at x=%s)'
              % (t, t, ['%.2f' % x for x in miss]))
        # ... and nowhere the point has not been yet
        c_now, _ = project(px(t), Y0, zpath)
        red = f.where(RED, below_text)
        ahead = [p for p in red if p[0] < c_now - 8]
        check((red or t == 0) and not ahead, 'frame %d: %d red pixels, none ahead of the current state (col < %.0f): %d'
              % (t, len(red), c_now - 8, len(ahead)))
        check(f.near(*project(px(t), Y0, 0.04), BLUE, rad=8), 'frame %d: the blue point is at the state x=%.2f' % (t, px(t)))
    # left half / right half as the point moves (the column of x = 0 is 200)
    r0 = [c for c, r in fr[2].where(RED, below_text)]
    rl = [c for c, r in fr[STEPS].where(RED, below_text)]
    check(r0 and min(r0) > SIZE / 2, 'frame 2: red only in the right half (min col %s)' % (min(r0) if r0 else None))
    check(rl and min(rl) < SIZE / 4 and max(rl) > 3 * SIZE / 4, 'last frame: red across both halves (cols %s..%s)'
          % (min(rl) if rl else None, max(rl) if rl else None))
    # the plan: magenta along the vertical line above the current state; none in the last frame
    for t in (0, 8, 15):
        f = fr[t]
        miss = [k for k in range(1, H + 1) if not f.near(*project(px(t), Y0 + 0.1 * k, zpath), MAGENTA)]
        check(not miss, 'frame %d: magenta plan at the projections of its %d states (missing k=%s)' % (t, H, miss))
        off = [p for p in f.where(MAGENTA, below_text) if abs(p[0] - project(px(t), 0, zpath)[0]) > 8]
        check(not off, 'frame %d: no magenta away from the plan (%d pixels)' % (t, len(off)))
    check(not fr[STEPS].where(MAGENTA, below_text), 'last frame: no plan drawn')

def check_stream(path, n):
    fr = read_ppms(path)
    check(len(fr) == n and all((w, h) == (SIZE, SIZE) for w, h, _ in fr), '%s: %d concatenated %dx%d frames (got %d)'
          % (path, n, SIZE, SIZE, len(fr)))

def check_pixels(path):
    fr = [Frame(*x) for x in read_ppms(path)]
    f = fr[-1]
    yellow = f.where(YELLOW)
    check(len(fr) == 5, 'pixels: 5 frames (got %d)' % len(fr))
    check(yellow and min(c for c, r in yellow) > f.w / 2 and max(r for c, r in yellow) < f.h / 2,
          'pixels: the observation panel (yellow frame) is in the top-right corner')
    # inside the panel: a bright blob (the dot) and dark background
    if yellow:
        c0, c1 = min(c for c, r in yellow) + 3, max(c for c, r in yellow) - 3
        r0, r1 = min(r for c, r in yellow) + 3, max(r for c, r in yellow) - 3
        vals = [f.px(c, r)[0] for r in range(r0, r1) for c in range(c0, c1)]
        check(max(vals) > 200 and min(vals) < 60, 'pixels: panel shows the image (grey levels %d..%d)' % (min(vals), max(vals)))
        # the dot is at x = 0.6 - 0.3*4 = -0.6 in the last frame: brightest column in the left half
        bc = max(((c, r) for r in range(r0, r1) for c in range(c0, c1)), key=lambda p: f.px(*p)[0])
        check(bc[0] < 0.5 * (c0 + c1), 'pixels: the bright dot is left of the panel centre in the last frame')
    check(any(f.where(RED, 175)), 'pixels: the executed path (decoded positions) is drawn')

def check_cartpole(path):
    fr = [Frame(*x) for x in read_ppms(path)]
    check(len(fr) == 6, 'cartpole: 6 frames (got %d)' % len(fr))
    check(fr[2].where(MAGENTA, 175) != [], 'cartpole: the planned pole-tip path (magenta) is drawn')
    check(fr[5].where(RED, 175) != [], 'cartpole: the executed pole-tip path (red) is drawn')

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'point':
        point_rollout(sys.argv[2])
    elif cmd == 'point-bad-nx':
        point_rollout(sys.argv[2], nx=3)
    elif cmd == 'point-bad-u':
        point_rollout(sys.argv[2], u_rows=STEPS - 1)
    elif cmd == 'point-bad-plan':
        point_rollout(sys.argv[2], plan_nx=3)
    elif cmd == 'pixels':
        pixels_rollout(sys.argv[2])
    elif cmd == 'cartpole':
        cartpole_rollout(sys.argv[2])
    elif cmd == 'check-point':
        check_point(sys.argv[2])
    elif cmd == 'check-stream':
        check_stream(sys.argv[2], int(sys.argv[3]))
    elif cmd == 'check-pixels':
        check_pixels(sys.argv[2])
    elif cmd == 'check-cartpole':
        check_cartpole(sys.argv[2])
    sys.exit(1 if fails else 0)
EOF
T() { "$PY" "$tmp/tool.py" "$@"; }

# expects: the command fails (non-zero), prints ONE line on stderr containing every given string,
# and writes nothing to $tmp/out*
expect_error() {
  local what=$1; shift
  local -a want=()
  while [[ $1 != "--" ]]; do want+=("$1"); shift; done
  shift
  local rc=0
  env -u DISPLAY -u WAYLAND_DISPLAY "$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
  local lines; lines=$(wc -l <"$tmp/stderr")
  local ok_all=1
  for w in "${want[@]}"; do grep -qF -- "$w" "$tmp/stderr" || ok_all=0; done
  if [[ $rc -ne 0 && $lines -eq 1 && $ok_all -eq 1 ]] && ! compgen -G "$tmp/out*" >/dev/null; then
    ok "$what: exit $rc: $(cat "$tmp/stderr")"
  else
    bad "$what: exit $rc, $lines stderr lines, wanted [${want[*]}]: $(cat "$tmp/stderr")"
  fi
}

# ---------------------------------------------------------------- 1. errors, before any window
mkdir -p "$tmp/good" "$tmp/badnx" "$tmp/badu" "$tmp/badplan" "$tmp/corrupt" "$tmp/px" "$tmp/cp"
T point "$tmp/good"
T point-bad-nx "$tmp/badnx"
T point-bad-u "$tmp/badu"
T point-bad-plan "$tmp/badplan"
T point "$tmp/corrupt" && head -c 70 "$tmp/good/ep0_x.npy" >"$tmp/corrupt/ep0_x.npy"
T pixels "$tmp/px"
T cartpole "$tmp/cp"
echo '{"hole": "lava"}' >"$tmp/lava.json"
echo '{"env": {"name": "cartpole", "config": {}}, "seed": 0}' >"$tmp/run_cartpole.json"
echo '{"kind": "run", "config": {"env": {"name": "point", "config": {"hole": "same", "mud": 1}}}}' >"$tmp/result.json"

expect_error "unknown environment" "unknown environment 'nosuch'" -- "$PROG" view nosuch --record "$tmp/out.ppm"
expect_error "wrong nx" "$tmp/badnx/ep0_x.npy" "shape (17, 3)" "expected (steps+1, 2) for point" -- \
  "$PROG" view point --rollout "$tmp/badnx" --record "$tmp/out.ppm"
expect_error "rollout of another env" "$tmp/good/ep0_x.npy" "shape (17, 2)" "for cartpole" -- \
  "$PROG" view cartpole --rollout "$tmp/good" --record "$tmp/out.ppm"
expect_error "actions of the wrong length" "$tmp/badu/ep0_u.npy" "shape (15, 2)" -- \
  "$PROG" view point --rollout "$tmp/badu" --record "$tmp/out.ppm"
expect_error "plan of the wrong nx" "$tmp/badplan/ep0_plan_x.npy" "(16, 9, 3)" -- \
  "$PROG" view point --rollout "$tmp/badplan" --record "$tmp/out.ppm"
expect_error "corrupt npy" "$tmp/corrupt/ep0_x.npy" -- \
  "$PROG" view point --rollout "$tmp/corrupt" --record "$tmp/out.ppm"
expect_error "missing episode" "$tmp/good/ep3_x.npy" "missing" -- \
  "$PROG" view point --rollout "$tmp/good" --episode 3 --record "$tmp/out.ppm"
expect_error "missing directory" "$tmp/nosuch" -- "$PROG" view point --rollout "$tmp/nosuch" --record "$tmp/out.ppm"
expect_error "bad env config" "$tmp/lava.json" "hole" -- "$PROG" view point --env-config "$tmp/lava.json" --record "$tmp/out.ppm"
expect_error "RUN.json of another env" "$tmp/run_cartpole.json" "/env/name" "'cartpole'" -- \
  "$PROG" view point --env-config "$tmp/run_cartpole.json" --record "$tmp/out.ppm"
expect_error "RESULT.json env config checked" "$tmp/result.json (/config/env/config): /mud" -- \
  "$PROG" view point --env-config "$tmp/result.json" --record "$tmp/out.ppm"
expect_error "unknown option" "unknown option '--fast'" -- "$PROG" view point --fast
expect_error "bad --size" "--size" -- "$PROG" view point --size 10x10 --record "$tmp/out.ppm"
expect_error "record into a missing directory" "$tmp/nodir" -- "$PROG" view point --record "$tmp/nodir/out.ppm"
expect_error "no display" "no display" "xvfb-run" -- "$PROG" view point
expect_error "no display, recording" "no display" -- "$PROG" view point --rollout "$tmp/good" --record "$tmp/out.ppm"

# ---------------------------------------------------------------- 2. rendering under Xvfb
run_gui() { # runs "$@" with a display: a private Xvfb when there is one, else the current display
  if command -v xvfb-run >/dev/null; then
    xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
  else
    "$@"
  fi
}
if ! command -v xvfb-run >/dev/null && [[ -z "${DISPLAY:-}" ]]; then
  echo "SKIP e2e_viewer rendering: neither xvfb-run nor a display (scripts/deps.sh --test installs xvfb)"
else
  cam=(--size 400x400 --camera 0,0,0,3,90,-90 --quiet)
  cat >"$tmp/render.sh" <<EOF
set -e
"$PROG" view point --rollout "$tmp/good" --record "$tmp/frames" ${cam[*]}
"$PROG" view point --rollout "$tmp/good" --record "$tmp/three.ppm" --frames 3 ${cam[*]}
"$PROG" view point --record "$tmp/live.ppm" --frames 2 ${cam[*]}
"$PROG" view pixels --rollout "$tmp/px" --record "$tmp/pixels.ppm" --quiet
"$PROG" view cartpole --rollout "$tmp/cp" --record "$tmp/cartpole.ppm" --quiet
# the interactive window: plays the rollout until stopped (timeout's 124), no crash, no error
rc=0; timeout 3 "$PROG" view point --rollout "$tmp/good" --speed 4 2>"$tmp/interactive.err" || rc=\$?
if [[ \$rc -ne 124 || -s "$tmp/interactive.err" ]]; then echo "interactive: exit \$rc: \$(cat "$tmp/interactive.err")"; exit 1; fi
EOF
  if run_gui bash "$tmp/render.sh" >"$tmp/render.log" 2>&1; then
    ok "recorded point, pixels and cartpole rollouts offscreen; the interactive window ran 3 s"
    T check-point "$tmp/frames" || fails=$((fails + 1))
    T check-stream "$tmp/three.ppm" 3 || fails=$((fails + 1))
    T check-stream "$tmp/live.ppm" 2 || fails=$((fails + 1))
    T check-pixels "$tmp/pixels.ppm" || fails=$((fails + 1))
    T check-cartpole "$tmp/cartpole.ppm" || fails=$((fails + 1))
  else
    bad "recording failed: $(cat "$tmp/render.log")"
  fi
fi

if ((fails)); then
  echo "e2e_viewer: $fails failure(s)" >&2
  exit 1
fi
echo "e2e_viewer: all checks passed"
