#!/usr/bin/env bash
# e2e: `sgp view` (docs/viewer.md).
#  1. without any display: bad inputs (unknown env, missing / corrupt / mismatched rollout files,
#     bad options, a bad --events script, a non-empty --record target) are one-line errors naming
#     the file, non-zero exit, nothing written; no display at all gives the "no display" error.
#  2. under Xvfb (xvfb-run, from scripts/deps.sh --test), recordings checked pixel by pixel:
#     - a point rollout written here, from a known top-down camera: the red executed path is where
#       the states project and only where the point has been; the magenta plan where the plan
#       projects; the blue point at the current state; no plan in the last frame; frames change as
#       the point moves; the PNG frames equal the same frames written as PPM;
#     - keys through the input layer (--events): pausing repeats the same state with the same
#       pixels; a plot, the help and the information panel each change only their own rectangle
#       (docs/viewer.md, "Layout"), and turning them off restores the frame bit for bit; --clean
#       frames have no panel; the screenshot key writes a PNG of the frame;
#     - a perturbation injected through the input layer (Ctrl + right drag on the point of a live
#       environment stepped with zero action) moves the point, which stays put without it;
#     - a pixels rollout (observation panel), a cartpole rollout (pole-tip paths), a dataset (its
#       states drawn), the interactive window running for 2 s without error, progress lines when
#       stderr is piped, an mp4 through ffmpeg where ffmpeg exists.
# No python3 with numpy, or neither xvfb-run nor a display: a visible SKIP for the part that needs it.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
PROG=$(realpath "${SGP_PROG:-$SRC/build/sgp}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sgp_e2e_viewer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; fails=$((fails + 1)); }

if "$PROG" view --help | grep -q "HAS NO VIEWER"; then
  echo "SKIP e2e_viewer: this sgp was built with -DSGP_VIEWER=OFF"
  exit 0
fi
PY=""
for p in /usr/bin/python3 python3; do
  if $p -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
if [[ -z "$PY" ]]; then
  echo "SKIP e2e_viewer: no python3 with numpy (scripts/deps.sh --test installs it)"
  exit 0
fi

# ---------------------------------------------------------------- helpers in Python
cat >"$tmp/tool.py" <<'EOF'
"""Writes test rollouts (.npy) and checks recorded frames (PPM, PNG)."""
import math, os, struct, sys, zlib
import numpy as np

def npy(path, a):
    np.save(path, np.asarray(a))

# the point rollout: 16 steps along y = -0.7 from x = 0.8 to x = -0.8; the plan at step t goes
# straight up from the current state (H = 8, 0.1 per step); 3 candidates fan out downwards
STEPS, H, M, Y0 = 16, 8, 3, -0.7
def px(t): return 0.8 - 0.1 * t

def point_rollout(d, nx=2, plan_nx=2, u_rows=STEPS):
    xs = np.zeros((STEPS + 1, nx), np.float32)
    xs[:, 0] = [px(t) for t in range(STEPS + 1)]
    xs[:, 1] = Y0
    npy(d + '/ep0_x.npy', xs)
    npy(d + '/ep0_u.npy', np.tile(np.float32([-0.1, 0.0]), (u_rows, 1)))
    plan = np.zeros((STEPS, H + 1, plan_nx), np.float32)
    for t in range(STEPS):
        plan[t, :, 0] = px(t)
        plan[t, :, 1] = Y0 + 0.1 * np.arange(H + 1)
    npy(d + '/ep0_plan_x.npy', plan)
    cand = np.zeros((STEPS, M, H + 1, 2), np.float32)
    for t in range(STEPS):
        for c in range(M):
            cand[t, c, :, 0] = px(t) - 0.02 * np.arange(H + 1) * (c - 1)
            cand[t, c, :, 1] = Y0 - 0.05 * np.arange(H + 1)
    npy(d + '/ep0_cand_x.npy', cand)

def pixels_rollout(d, R=8, steps=4):
    E = 1.2
    c = -E + (np.arange(R) + 0.5) * 2 * E / R
    xs = []
    for t in range(steps + 1):
        qx, qy = 0.6 - 0.3 * t, 0.3
        img = np.exp(-((c[None, :] - qx) ** 2 + (c[::-1, None] - qy) ** 2) / (2 * 0.6 ** 2))
        xs.append(img.reshape(-1))
    npy(d + '/ep0_x.npy', np.float32(xs))
    npy(d + '/ep0_u.npy', np.tile(np.float32([-0.1, 0.0]), (steps, 1)))

def cartpole_rollout(d, steps=5, H=6):
    xs = np.array([[0.1 * t, 0.4 * t, 0, 0] for t in range(steps + 1)])  # float64 is accepted too
    npy(d + '/ep0_x.npy', xs)
    npy(d + '/ep0_u.npy', np.full((steps, 1), 10.0))
    plan = np.array([[[0.1 * t, 0.4 * t + 0.4 * k, 0, 0] for k in range(H + 1)] for t in range(steps)])
    npy(d + '/ep0_plan_x.npy', plan)

def read_ppms(path):
    """The frames of a file of concatenated binary PPMs, as (h, w, 3) uint8 arrays (rows top-down)."""
    data, i, frames = open(path, 'rb').read(), 0, []
    while i < len(data):
        parts = data[i:i + 64].split(maxsplit=4)
        if parts[0] != b'P6':
            raise SystemExit('%s: not a binary PPM at byte %d' % (path, i))
        w, h = int(parts[1]), int(parts[2])
        i = data.index(b'255', i) + 4
        frames.append(np.frombuffer(data[i:i + 3 * w * h], np.uint8).reshape(h, w, 3))
        i += 3 * w * h
    return frames

def read_png(path):
    """An 8-bit RGB PNG decoded with zlib and the five PNG filters (an independent decoder)."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path
    i, idat, w = 8, b'', 0
    while i < len(data):
        n, t = struct.unpack('>I4s', data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if t == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and ctype == 2, 'expected 8-bit RGB'
        elif t == b'IDAT':
            idat += body
        i += 12 + n
    raw, stride = zlib.decompress(idat), 3 * w
    out, prev = np.zeros((h, stride), np.int32), np.zeros(stride, np.int32)
    for r in range(h):
        f, row = raw[r * (stride + 1)], np.frombuffer(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)], np.uint8).astype(np.int32)
        cur = row.copy()
        if f == 2:
            cur = (row + prev) & 255
        elif f in (1, 3, 4):
            for k in range(stride):
                a = cur[k - 3] if k >= 3 else 0
                b, c = prev[k], prev[k - 3] if k >= 3 else 0
                if f == 1: pred = a
                elif f == 3: pred = (a + b) // 2
                else:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[k] = (row[k] + pred) & 255
        out[r], prev = cur, cur
    return out.astype(np.uint8).reshape(h, w, 3)

# The camera of the test: --camera 0,0,0,3,90,-90 (from above, x right, y up) and MuJoCo's default
# fovy of 45 degrees: a point (x, y, z) lands at column 200 + f x / (3 − z), row 200 − f y / (3 − z).
SIZE, DIST, FOVY = 400, 3.0, 45.0
def project(x, y, z):
    f = (SIZE / 2) / math.tan(math.radians(FOVY) / 2)
    return SIZE / 2 + f * x / (DIST - z), SIZE / 2 - f * y / (DIST - z)

def cls(img, name):
    r, g, b = (img[..., k].astype(int) for k in range(3))
    return {'red': (r > 170) & (g < 90) & (b < 90), 'magenta': (r > 150) & (b > 150) & (g < 100),
            'blue': (b > 150) & (r < 100) & (g < 140), 'yellow': (r > 200) & (g > 200) & (b < 90)}[name]

def near(mask, col, row, rad=4):
    r0, c0 = max(0, int(row) - rad), max(0, int(col) - rad)
    return mask[r0:int(row) + rad + 1, c0:int(col) + rad + 1].any()

fails = 0
def check(cond, what):
    global fails
    print(('ok   ' if cond else 'FAIL ') + what, file=sys.stdout if cond else sys.stderr)
    fails += not cond

def check_point(stream, pngdir):
    fr = read_ppms(stream)
    check(len(fr) == STEPS + 1 and all(f.shape == (SIZE, SIZE, 3) for f in fr), '%d frames of %dx%d (got %d)' % (STEPS + 1, SIZE, SIZE, len(fr)))
    names = sorted(n for n in os.listdir(pngdir))
    check(names == ['frame_%05d.png' % i for i in range(STEPS + 1)], 'PNG frames frame_00000.png .. frame_%05d.png' % STEPS)
    for k in (0, 9):
        check(np.array_equal(read_png(os.path.join(pngdir, names[k])), fr[k]), 'PNG frame %d (decoded here with zlib) equals PPM frame %d' % (k, k))
    zpath, below_text = 0.04, 0  # the point body's height: the paths are drawn there (--clean: no text)
    for t in (0, 8, STEPS):
        f = fr[t]
        red = cls(f, 'red')
        miss = [x for x in [px(k) for k in range(t)] + [px(k) - 0.05 for k in range(t)] if not near(red, *project(x, Y0, zpath))]
        check(not miss, 'frame %d: red executed path at the projections of the %d states before it (missing at x=%s)' % (t, t, miss))
        c_now = project(px(t), Y0, zpath)[0]
        cols = np.nonzero(red[below_text:])[1]
        check((len(cols) or t == 0) and not (cols < c_now - 8).any(), 'frame %d: %d red pixels, none ahead of the current state' % (t, len(cols)))
        check(near(cls(f, 'blue'), *project(px(t), Y0, 0.04), rad=8), 'frame %d: the blue point is at the state x=%.2f' % (t, px(t)))
    for t in (0, 8, 15):
        mag = cls(fr[t], 'magenta')
        miss = [k for k in range(1, H + 1) if not near(mag, *project(px(t), Y0 + 0.1 * k, zpath))]
        check(not miss, 'frame %d: magenta plan at the projections of its %d states (missing k=%s)' % (t, H, miss))
        cols = np.nonzero(mag[below_text:, :])[1]
        check(not (abs(cols - project(px(t), 0, zpath)[0]) > 8).any(), 'frame %d: no magenta away from the plan' % t)
    check(not cls(fr[STEPS], 'magenta')[below_text:].any(), 'last frame: no plan drawn')
    check(all(not np.array_equal(fr[t], fr[t + 1]) for t in range(STEPS)), 'every frame differs from the next (the point moves)')

def changed_box(a, b):
    rows, cols = np.nonzero((a != b).any(axis=2))
    return (cols.min(), rows.min(), cols.max(), rows.max()) if len(rows) else None

def inside(box, rect):  # rect: (left, top, right, bottom) in image pixels, inclusive
    return box is not None and box[0] >= rect[0] and box[1] >= rect[1] and box[2] <= rect[2] and box[3] <= rect[3]

def check_panels(stream, clean):
    """Frames of tests/e2e_viewer.sh's panel script (below) on the point rollout at 640x480."""
    fr = read_ppms(stream)
    check(len(fr) == 9, 'panel script: 9 frames (got %d)' % len(fr))
    box = changed_box(fr[0], fr[1])
    check(box is not None and box[2] < 320 and box[3] < 160, 'paused: only the information panel changed (PAUSED) %s' % (box,))
    # the plot column (docs/viewer.md, Layout): width max(240, 0.36 W), slot max(120, 0.24 H), 8 from the edges
    plot = (640 - 8 - 240, 8, 640 - 8, 8 + 120)
    box = changed_box(fr[1], fr[2])
    check(inside(box, plot), 'plot 1 on: only its rectangle %s changed (changed box %s)' % (plot, box))
    p = fr[2][plot[1]:plot[3], plot[0]:plot[2]]
    check(len(np.unique(p.reshape(-1, 3), axis=0)) > 20, 'the plot is drawn (%d colours in its rectangle)' % len(np.unique(p.reshape(-1, 3), axis=0)))
    check(np.array_equal(fr[1], fr[3]), 'plot 1 off again: the frame is back bit for bit')
    box = changed_box(fr[3], fr[4])
    check(box is not None and abs((box[0] + box[2]) / 2 - 320) <= 2 and abs((box[1] + box[3]) / 2 - 240) <= 2,
          'help (F1) on: the change is one rectangle centred in the frame (%s)' % (box,))
    check(np.array_equal(fr[3], fr[5]), 'help off again: the frame is back; the same state paused gives the same pixels (frames 1, 3, 5)')
    a, b = fr[5], fr[6]
    diff = (a != b).any(axis=2)
    rows, cols = np.nonzero(diff)
    check(len(rows) > 0 and cols.max() < 320, 'information off (I): only the panels on the left half changed (up to column %d)' % cols.max())
    check(not np.array_equal(fr[7], fr[8]), 'playing again: the next frame shows the next state')
    c = read_ppms(clean)[0]
    box = changed_box(c, fr[6])  # frame 6: information, plots and help off; the timeline remains
    check(box is not None and box[1] >= 480 - 8 - 10 and box[3] <= 480 - 8, '--clean: the same scene without the timeline (changed box %s)' % (box,))

def where(f):
    """The centre of the blue point body in a frame (col, row)."""
    rows, cols = np.nonzero(cls(f, 'blue'))
    return (cols.mean(), rows.mean()) if len(rows) else (float('nan'), float('nan'))

def check_perturb(stream, still):
    """The point (live, zero action) under a Ctrl + right drag: it moves; without it, it stays put."""
    fr, st = read_ppms(stream), read_ppms(still)
    x0, xl = where(fr[0])[0], where(fr[-1])[0]
    s0, sl = where(st[0])[0], where(st[-1])[0]
    check(abs(sl - s0) < 0.5, 'without the perturbation the point stays put (%.1f -> %.1f px)' % (s0, sl))
    check(xl - x0 > 20, 'pulled to the right by the Ctrl + right drag: the point moved %.1f px' % (xl - x0))

def check_pixels(path):
    fr = read_ppms(path)
    f = fr[-1]
    ys, xs = np.nonzero(cls(f, 'yellow'))
    check(len(fr) == 5, 'pixels: 5 frames (got %d)' % len(fr))
    check(len(xs) and xs.min() > f.shape[1] / 2 and ys.max() < f.shape[0] / 2, 'pixels: the observation panel (yellow frame) is in the top-right corner')
    if len(xs):
        p = f[ys.min() + 3:ys.max() - 3, xs.min() + 3:xs.max() - 3, 0]
        check(p.max() > 200 and p.min() < 60, 'pixels: panel shows the image (grey levels %d..%d)' % (p.min(), p.max()))
        check(np.unravel_index(p.argmax(), p.shape)[1] < p.shape[1] / 2, 'pixels: the bright dot is left of the panel centre in the last frame')
    check(cls(f, 'red').any(), 'pixels: the executed path (decoded positions) is drawn')

def check_cartpole(path):
    fr = read_ppms(path)
    check(len(fr) == 6, 'cartpole: 6 frames (got %d)' % len(fr))
    check(cls(fr[2], 'magenta').any(), 'cartpole: the planned pole-tip path (magenta) is drawn')
    check(cls(fr[5], 'red').any(), 'cartpole: the executed pole-tip path (red) is drawn')

def check_dataset(path):
    f = read_ppms(path)[0].astype(int)
    slate = (abs(f[..., 0] - 64) < 40) & (abs(f[..., 1] - 77) < 40) & (f[..., 2] > f[..., 0] + 20)
    check(slate.sum() > 200, 'dataset: its states are drawn (%d slate pixels)' % slate.sum())

def viewer_return(err):
    """The return the viewer printed (view: episode E: return R over N steps (rewards ...)...)."""
    for line in open(err):
        if line.startswith('view: episode ') and ': return ' in line:
            return float(line.split(': return ')[1].split()[0]), 'rewards of the simulator' in line
    return None, False

def check_return(err, result, episode, tol, what):
    """The viewer's return (stderr file err) against RESULT.json's return of the episode."""
    import json
    want = json.load(open(result))['episodes'][int(episode)]['return']
    got, exact = viewer_return(err)
    ok = got is not None and abs(got - want) <= float(tol) * max(1.0, abs(want))
    check(ok and exact, '%s: the viewer\'s return %r, RESULT.json %r (tolerance %s relative, rewards of the simulator: %s)'
          % (what, got, want, tol, exact))

def start_pixel(x_npy):
    """Where state 0 of a point rollout projects with the test's top-down camera (col row)."""
    x = np.load(x_npy)[0]
    c, r = project(float(x[0]), float(x[1]), 0.04)
    print('%d %d' % (round(c), round(r)))

def check_live(stream, steps):
    """A live recording of `steps` steps: steps+1 frames, every one different from the next, the plan
    (magenta) drawn while the agent plans and not on the final state."""
    fr, n = read_ppms(stream), int(steps)
    check(len(fr) == n + 1, 'live: %d frames for %d steps (got %d)' % (n + 1, n, len(fr)))
    check(all(not np.array_equal(fr[t], fr[t + 1]) for t in range(len(fr) - 1)), 'live: every frame differs from the next')
    planned = [t for t in range(len(fr)) if cls(fr[t], 'magenta').sum() > 3]
    check(planned == list(range(n)), 'live: the plan (magenta) in frames %s, expected 0..%d' % (planned, n - 1))

def check_live_pert(err_a, err_b, stream_a, stream_b, frame):
    """A live episode and the same one under a drag to the right: different returns, the point
    further right in the dragged one at the given frame."""
    a, b = viewer_return(err_a)[0], viewer_return(err_b)[0]
    check(a is not None and b is not None and a != b, 'live, Ctrl + right drag: the episode changed (return %r -> %r)' % (a, b))
    k = int(frame)
    dx = where(read_ppms(stream_b)[k])[0] - where(read_ppms(stream_a)[k])[0]
    check(dx > 10, 'live, Ctrl + right drag: at frame %d the point is %.1f px right of where the agent alone took it' % (k, dx))

if __name__ == '__main__':
    cmd, a = sys.argv[1], sys.argv[2:]
    {'point': lambda: point_rollout(a[0]), 'point-bad-nx': lambda: point_rollout(a[0], nx=3),
     'point-bad-u': lambda: point_rollout(a[0], u_rows=STEPS - 1), 'point-bad-plan': lambda: point_rollout(a[0], plan_nx=3),
     'pixels': lambda: pixels_rollout(a[0]), 'cartpole': lambda: cartpole_rollout(a[0]),
     'check-point': lambda: check_point(*a), 'check-panels': lambda: check_panels(*a),
     'check-perturb': lambda: check_perturb(*a), 'check-pixels': lambda: check_pixels(*a),
     'check-cartpole': lambda: check_cartpole(*a), 'check-dataset': lambda: check_dataset(*a),
     'check-return': lambda: check_return(*a), 'start-pixel': lambda: start_pixel(*a),
     'check-live': lambda: check_live(*a), 'check-live-pert': lambda: check_live_pert(*a),
     'count': lambda: print(len(read_ppms(a[0])))}[cmd]()
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
mkdir -p "$tmp/good" "$tmp/badnx" "$tmp/badu" "$tmp/badplan" "$tmp/corrupt" "$tmp/px" "$tmp/cp" "$tmp/full"
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
printf '0 key F1\n3 press left 10 notanumber\n' >"$tmp/bad_events.txt"
touch "$tmp/full/notes.txt" "$tmp/exists.ppm"

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
expect_error "--result that is no result" "$tmp/lava.json: /episodes" -- \
  "$PROG" view point --rollout "$tmp/good" --result "$tmp/lava.json" --record "$tmp/out.ppm"
expect_error "a bad events script" "$tmp/bad_events.txt:2: expected the pixel X Y" -- \
  "$PROG" view point --rollout "$tmp/good" --events "$tmp/bad_events.txt" --record "$tmp/out.ppm"
expect_error "a non-empty frame directory" "$tmp/full: not empty" "--force" -- \
  "$PROG" view point --rollout "$tmp/good" --record "$tmp/full"
expect_error "an existing file" "$tmp/exists.ppm: exists (--force replaces it)" -- \
  "$PROG" view point --record "$tmp/exists.ppm" --frames 1
expect_error "unknown option" "unknown option '--fast'" -- "$PROG" view point --fast
expect_error "bad --size" "--size" -- "$PROG" view point --size 10x10 --record "$tmp/out.ppm"
expect_error "bad --plots" "--plots" -- "$PROG" view point --plots cost --record "$tmp/out.ppm"
expect_error "no ENV" "missing ENV" -- "$PROG" view --record "$tmp/out.ppm"
expect_error "record into a missing directory" "$tmp/nodir" -- "$PROG" view point --record "$tmp/nodir/out.ppm"
expect_error "no display" "no display" "xvfb-run" -- "$PROG" view point

# --live RUN.json: the run's planner in the loop; its errors come before any window too
cat >"$tmp/run_live.json" <<'EOF'
{"env": {"name": "point", "config": {"hole": "mud"}},
 "planner": {"name": "oracle", "method": "mppi", "horizon": 8, "samples": 32, "iters": 2},
 "eval": {"episodes": 2, "mode": "mpc", "steps": 6}, "seed": 1}
EOF
sed 's/"oracle"/"nosuch"/' "$tmp/run_live.json" >"$tmp/run_badplanner.json"
expect_error "--live: no such run" "$tmp/nosuch.json" -- "$PROG" view --live "$tmp/nosuch.json" --record "$tmp/out.ppm"
expect_error "--live: unknown planner" "$tmp/run_badplanner.json: /planner/name" "nosuch" -- \
  "$PROG" view --live "$tmp/run_badplanner.json" --record "$tmp/out.ppm"
expect_error "--live: an episode the run does not have" "--episode 2: the run has 2 episodes" -- \
  "$PROG" view --live "$tmp/run_live.json" --episode 2 --record "$tmp/out.ppm"
expect_error "--live: the run of another environment" "the run is for 'point', not 'cartpole'" -- \
  "$PROG" view cartpole --live "$tmp/run_live.json" --record "$tmp/out.ppm"
expect_error "--live with --env-config" "--env-config" "the run's env config is used" -- \
  "$PROG" view --live "$tmp/run_live.json" --env-config "$tmp/lava.json" --record "$tmp/out.ppm"
expect_error "--live, no display" "no display" -- "$PROG" view --live "$tmp/run_live.json"
expect_error "no display, recording" "no display" -- "$PROG" view point --rollout "$tmp/good" --record "$tmp/out.ppm"

# ---------------------------------------------------------------- 2. rendering under Xvfb
if ! command -v xvfb-run >/dev/null && [[ -z "${DISPLAY:-}" ]]; then
  echo "SKIP e2e_viewer rendering: neither xvfb-run nor a display (scripts/deps.sh --test installs xvfb)"
  exit $((fails > 0))
fi
cam=(--size 400x400 --camera 0,0,0,3,90,-90)
# the perturbation's camera: not exactly top-down, where the drag's direction in MuJoCo's
# mjv_movePerturb depends on rounding (the camera's forward has no horizontal part)
pcam="--size 400x400 --camera 0,0,0,3,90,-89.5"
# the panel script: pause (1), plot 1 on (2) and off (3), help on (4) and off (5), information off
# (6), play again (7)
printf '1 key space\n2 key 1\n3 key 1\n4 key F1\n5 key F1\n6 key I\n7 key space\n' >"$tmp/panels.txt"
# the perturbation: Ctrl + right press on the point (x 0.8, y 0.2 without start noise: pixel 330, 167),
# dragged 60 pixels to the right over 4 frames (the point follows, still inside the frame), released
printf '2 press right 330 167 ctrl\n3 move 345 167\n4 move 360 167\n5 move 375 167\n6 move 390 167\n12 release right 390 167\n' >"$tmp/pert.txt"
echo '{"init_noise": 0}' >"$tmp/still.json"
echo '1 key S' >"$tmp/shot.txt"
echo '{"type": "box", "n": 400}' >"$tmp/box.json"
mkdir -p "$tmp/shots" "$tmp/force"
# real runs (sgp eval needs no display): the oracle planner (MPPI on the true simulator) for a few
# steps of every environment, rollouts saved; and the live run above
envs=$("$PROG" list | awk '/^environments:/ { f = 1; next } /^$/ { f = 0 } f && $1 != "name" { printf "%s ", $1 }')
for env in $envs; do
  printf '{"env": {"name": "%s"}, "planner": {"name": "oracle", "method": "mppi", "horizon": 5, "samples": 16, "iters": 2},
 "eval": {"episodes": 2, "mode": "mpc", "steps": 5}, "seed": 2}\n' "$env" >"$tmp/run_$env.json"
  "$PROG" eval --config "$tmp/run_$env.json" --out "$tmp/res_$env.json" --save-rollout "$tmp/roll_$env" --quiet >/dev/null
done
"$PROG" eval --config "$tmp/run_live.json" --out "$tmp/res_live.json" --save-rollout "$tmp/roll_live" --quiet >/dev/null
# the live perturbation: Ctrl + right press at frame 1 on the point where frame 0 shows it (episode
# 0's first state), dragged 60 pixels to the right over frames 2..4, released at frame 5
read -r pc pr < <(T start-pixel "$tmp/roll_live/ep0_x.npy")
printf '1 press right %d %d ctrl\n2 move %d %d\n3 move %d %d\n4 move %d %d\n5 release right %d %d\n' \
  "$pc" "$pr" $((pc + 20)) "$pr" $((pc + 40)) "$pr" $((pc + 60)) "$pr" $((pc + 60)) "$pr" >"$tmp/pert_live.txt"
touch "$tmp/force/frame_00099.png" "$tmp/force/keep.txt"
cat >"$tmp/render.sh" <<EOF
set -e
"$PROG" view point --rollout "$tmp/good" --record "$tmp/frames.ppm" ${cam[*]} --clean --quiet
"$PROG" view point --rollout "$tmp/good" --record "$tmp/frames" ${cam[*]} --clean --quiet
"$PROG" view point --rollout "$tmp/good" --record "$tmp/panels.ppm" --frames 9 --events "$tmp/panels.txt" --size 640x480 --quiet
"$PROG" view point --rollout "$tmp/good" --record "$tmp/clean.ppm" --frames 1 --clean --size 640x480 --quiet
"$PROG" view point --env-config "$tmp/still.json" --record "$tmp/pert.ppm" --frames 14 --events "$tmp/pert.txt" $pcam --clean --quiet
"$PROG" view point --env-config "$tmp/still.json" --record "$tmp/still.ppm" --frames 14 $pcam --clean --quiet
"$PROG" view pixels --rollout "$tmp/px" --record "$tmp/pixels.ppm" --quiet
"$PROG" view cartpole --rollout "$tmp/cp" --record "$tmp/cartpole.ppm" --quiet --plots all
"$PROG" collect point --spec "$tmp/box.json" --seed 1 --out "$tmp/data" >/dev/null 2>&1
"$PROG" view point --dataset "$tmp/data" --record "$tmp/dataset.ppm" --frames 1 ${cam[*]} --quiet
"$PROG" view point --rollout "$tmp/good" --record "$tmp/force" --frames 2 --force --size 200x200 --quiet
(cd "$tmp/shots" && "$PROG" view point --rollout "$tmp/good" --record "$tmp/shot.ppm" --frames 2 --size 200x200 \
  --events "$tmp/shot.txt" --quiet)
"$PROG" view point --rollout "$tmp/good" --record "$tmp/piped" --frames 3 --size 200x200 2>"$tmp/piped.err"
for env in $envs; do
  "$PROG" view --rollout "$tmp/roll_\$env" --result "$tmp/res_\$env.json" --episode 1 --record "$tmp/ret_\$env.ppm" \
    --frames 1 --size 160x120 --quiet 2>"$tmp/ret_\$env.err"
done
for ep in 0 1; do
  "$PROG" view --live "$tmp/run_live.json" --episode \$ep --record "$tmp/live_\$ep.ppm" ${cam[*]} --clean --quiet 2>"$tmp/live_\$ep.err"
done
"$PROG" view --live "$tmp/run_live.json" --record "$tmp/live_pert.ppm" --events "$tmp/pert_live.txt" $pcam --clean \
  --quiet 2>"$tmp/live_pert.err"
"$PROG" view --live "$tmp/run_live.json" --record "$tmp/live_plots.ppm" --plots all --size 640x480 --quiet 2>/dev/null
# the interactive window: plays the rollout until stopped (timeout's 124), no crash, no error
rc=0; timeout 2 "$PROG" view point --rollout "$tmp/good" --speed 4 --plots all 2>"$tmp/interactive.err" || rc=\$?
if [[ \$rc -ne 124 || -s "$tmp/interactive.err" ]]; then echo "interactive: exit \$rc: \$(cat "$tmp/interactive.err")"; exit 1; fi
if command -v ffmpeg >/dev/null; then
  "$PROG" view point --rollout "$tmp/good" --record "$tmp/clip.mp4" --size 200x200 --quiet
fi
EOF
run=(bash "$tmp/render.sh")
if command -v xvfb-run >/dev/null; then run=(xvfb-run -a -s "-screen 0 1280x1024x24" "${run[@]}"); fi
if "${run[@]}" >"$tmp/render.log" 2>&1; then
  ok "recorded replays, scripted keys and mouse, a dataset, screenshots; the interactive window ran 2 s"
  T check-point "$tmp/frames.ppm" "$tmp/frames" || fails=$((fails + 1))
  T check-panels "$tmp/panels.ppm" "$tmp/clean.ppm" || fails=$((fails + 1))
  T check-perturb "$tmp/pert.ppm" "$tmp/still.ppm" || fails=$((fails + 1))
  T check-pixels "$tmp/pixels.ppm" || fails=$((fails + 1))
  T check-cartpole "$tmp/cartpole.ppm" || fails=$((fails + 1))
  T check-dataset "$tmp/dataset.ppm" || fails=$((fails + 1))
  # the return the viewer computes from a real rollout's files equals RESULT.json's (its states are
  # float32, from which the terminal cost is recomputed: 1e-6 relative), for every environment
  for env in $envs; do
    T check-return "$tmp/ret_$env.err" "$tmp/res_$env.json" 1 1e-6 "$env: sgp eval rollout replayed" || fails=$((fails + 1))
  done
  # live: the viewer's agent plays sgp eval's episodes exactly (same seeds, same plans, same return)
  for ep in 0 1; do
    T check-return "$tmp/live_$ep.err" "$tmp/res_live.json" $ep 0 "live episode $ep vs sgp eval" || fails=$((fails + 1))
  done
  T check-live "$tmp/live_0.ppm" 6 || fails=$((fails + 1))
  T check-live-pert "$tmp/live_0.err" "$tmp/live_pert.err" "$tmp/live_0.ppm" "$tmp/live_pert.ppm" 5 || fails=$((fails + 1))
  [[ $(T count "$tmp/live_plots.ppm") == 7 ]] && ok "live with every plot: 7 frames" || bad "live with every plot"
  got=$(cd "$tmp/force" && ls | tr '\n' ' ')
  [[ $got == "frame_00000.png frame_00001.png keep.txt " ]] && ok "--force: the old frames are gone, other files kept ($got)" \
    || bad "--force left: $got"
  [[ -s $tmp/shots/sgp_view_point_000.png ]] && "$PY" -c "import sys; sys.path.insert(0, '$tmp'); import tool; \
    a = tool.read_png('$tmp/shots/sgp_view_point_000.png'); assert a.shape == (200, 200, 3)" \
    && ok "the screenshot key wrote sgp_view_point_000.png (200x200)" || bad "no screenshot: $(ls "$tmp/shots")"
  grep -q '^view: frame 3 / 3$' "$tmp/piped.err" && grep -q "^view: wrote 3 frames to $tmp/piped" "$tmp/piped.err" \
    && ok "progress on a piped stderr: $(tr '\n' '|' <"$tmp/piped.err")" || bad "no progress lines: $(cat "$tmp/piped.err")"
  if command -v ffmpeg >/dev/null; then
    [[ -s $tmp/clip.mp4 ]] && ok "clip.mp4 written through ffmpeg" || bad "no clip.mp4"
  else
    echo "SKIP --record OUT.mp4: no ffmpeg on this machine"
  fi
else
  bad "recording failed: $(tail -5 "$tmp/render.log")"
fi

if ((fails)); then
  echo "e2e_viewer: $fails failure(s)" >&2
  exit 1
fi
echo "e2e_viewer: all checks passed"
