#!/usr/bin/env bash
# Every figure a sweep draws, looked at as pixels: a TEST-ONLY fake sweep (tests/fixtures/sweep/
# figures.json: bar charts, planar and time-series small multiples over 5 seeds, the aggregate
# figure) is drawn, every SVG is rasterised with rsvg-convert (librsvg2-bin, scripts/deps.sh
# --test), and each PNG must have the size the SVG declares and must not be blank: at least 1 % of
# its pixels drawn (not white), in at least 3 colours besides black and grey (the agents' styles).
# Prints the figures' sizes and drawn fractions.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
if ! command -v rsvg-convert > /dev/null || ! command -v python3 > /dev/null; then
  echo "SKIP e2e_figures: rsvg-convert (librsvg2-bin) and python3 are needed (scripts/deps.sh --test)"
  exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-figures.XXXXXX")
trap 'rm -rf "$T"' EXIT
source "$SRC/tests/shell_lib.sh"

"$SGP" sweep "$SRC/tests/fixtures/sweep/figures.json" --fake-jobs --out "$T/out" --cache "$T/cache" --jobs 2 \
  2> "$T/log" || { cat "$T/log" >&2; fail "fake sweep"; }
want="fake-2d-uniform-bar fake-2d-uniform-traj fake-4d-small-bar fake-4d-small-traj aggregate"
for f in $want; do [[ -s $T/out/figures/$f.svg ]] || fail "figure $f.svg not drawn"; done
n=0
for svg in "$T"/out/figures/*.svg; do
  png=$T/$(basename "$svg" .svg).png
  rsvg-convert -o "$png" "$svg" 2> "$T/rsvg.log" || { cat "$T/rsvg.log" >&2; fail "rsvg-convert $(basename "$svg")"; }
  python3 - "$svg" "$png" <<'EOF' || fail "$(basename "$svg")"
import re, struct, sys, zlib
svg, png = sys.argv[1], sys.argv[2]
head = open(svg).read(400)
W, H = (int(re.search(r'%s="(\d+)"' % k, head).group(1)) for k in ("width", "height"))
data = open(png, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert (w, h) == (W, H), "PNG %dx%d, the SVG declares %dx%d" % (w, h, W, H)
assert depth == 8 and ctype in (2, 6), "unexpected PNG format (depth %d, colour type %d)" % (depth, ctype)
bpp = 4 if ctype == 6 else 3
raw, stride = zlib.decompress(idat), w * bpp
prev, drawn, colours = bytearray(stride), 0, set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):  # PNG filters (None, Sub, Up, Average, Paeth)
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        alpha = line[x + 3] if bpp == 4 else 255
        if alpha > 0 and (r, g, bl) != (255, 255, 255):
            drawn += 1
            if max(r, g, bl) - min(r, g, bl) > 60: colours.add((r >> 5, g >> 5, bl >> 5))
    prev = line
frac = drawn / (w * h)
print("ok   %-28s %4dx%-4d drawn %.1f %% of the pixels, %d colour bins" % (svg.split("/")[-1], w, h, 100 * frac, len(colours)))
assert frac >= 0.01, "blank: only %.2f %% of the pixels drawn" % (100 * frac)
assert len(colours) >= 3, "fewer than 3 colours: the agents are not drawn"
EOF
  n=$((n + 1))
done
[[ $n -ge 5 ]] || fail "only $n figures"
echo "e2e_figures: all $n figures rasterised, the right size, not blank"
