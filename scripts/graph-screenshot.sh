#!/usr/bin/env bash
# The access graph's HTML page in a real browser:
#   bash scripts/graph-screenshot.sh [PNG]        (default: docs/graph.png, which the README shows)
#
# Renders `composex graph -f examples/compose.yaml --format html`, opens the page in headless
# Chromium (the Debian package `chromium`) and checks
#   - the DOM Chromium built: an <svg>, and every node of the page (`id="node-…"`) with its label;
#   - the screenshot: not blank (non-white pixels), and the fill colours of the load balancer and of
#     the task families are there, so the nodes were drawn.
# The composex binary is $COMPOSEX_BIN, else a debug build of this checkout.
# Exit codes: 0 ok, 1 a check failed, 3 chromium is not installed (scripts/test.sh counts that as
# skipped).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
png=${1:-docs/graph.png}

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "graph-screenshot: chromium is not installed (Debian: apt-get install -y chromium)" >&2
  exit 3
fi
bin=${COMPOSEX_BIN:-}
if [[ -z "$bin" ]]; then
  cargo build --quiet --bin composex
  bin=${CARGO_TARGET_DIR:-$root/target}/debug/composex
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$bin" graph -f examples/compose.yaml --format html -o "$work/graph.html" 2>"$work/composex.log"; then
  echo "graph-screenshot: $bin graph failed:" >&2
  cat "$work/composex.log" >&2
  exit 1
fi
# Root needs --no-sandbox; a profile of its own leaves the user's alone.
chrome() {
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" "$@" \
    "file://$work/graph.html" 2>>"$work/chromium.log"
}

chrome --dump-dom >"$work/dom.html"
grep -q '<svg' "$work/dom.html" || { echo "graph-screenshot: no <svg> in the DOM Chromium built" >&2; exit 1; }
ids=$(grep -o 'id="node-[^"]*"' "$work/graph.html" | sort -u)
[[ -n "$ids" ]] || { echo "graph-screenshot: the page has no node" >&2; exit 1; }
while read -r id; do
  grep -qF "$id" "$work/dom.html" || { echo "graph-screenshot: $id is not in Chromium's DOM" >&2; exit 1; }
done <<<"$ids"
for label in Internet LoadBalancer web api cache; do
  grep -q ">$label</text>" "$work/dom.html" || { echo "graph-screenshot: no node labelled $label in the DOM" >&2; exit 1; }
done

# As wide as the picture (plus the page's margins), as high as the title, legend and picture.
svg=$(grep -o '<svg xmlns=[^>]*>' "$work/graph.html")
width=$(sed 's/.* width="\([0-9]*\).*/\1/' <<<"$svg")
height=$(sed 's/.* height="\([0-9]*\).*/\1/' <<<"$svg")
chrome --screenshot="$work/graph.png" --window-size="$((width + 60)),$((height + 170))"
test -s "$work/graph.png" || { echo "graph-screenshot: chromium wrote no screenshot:" >&2; cat "$work/chromium.log" >&2; exit 1; }
# A PNG decoder in the standard library's terms (zlib and the five row filters), to count pixels.
python3 - "$work/graph.png" <<'EOF'
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, header = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
width, height, depth, color, _, _, interlace = header
assert depth == 8 and color in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
bpp = 3 if color == 2 else 4
raw, stride = zlib.decompress(idat), width * bpp
rows, prev, at = [], bytearray(stride), 0
for _ in range(height):
    kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
    at += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 2:
            line[i] = (line[i] + b) & 255
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
colours = {}
for line in rows:
    for i in range(0, stride, bpp):
        px = line[i:i + 3]
        colours[px] = colours.get(px, 0) + 1
total = width * height
ink = total - colours.get(b"\xff\xff\xff", 0)
family = colours.get(bytes([0xDB, 0xEA, 0xFE]), 0)  # the task families' fill
balancer = colours.get(bytes([0xED, 0xE9, 0xFE]), 0)  # the load balancer's fill
print(f"graph-screenshot: {width}x{height}, {ink} non-white pixels, {family} of task family fill, {balancer} of load balancer fill")
if ink < total // 50 or family < 3 * 5000 or balancer < 5000:
    sys.exit("graph-screenshot: the screenshot does not show the graph's nodes")
EOF
mkdir -p "$(dirname "$png")"
cp "$work/graph.png" "$png"
echo "graph-screenshot: ok, $png"
