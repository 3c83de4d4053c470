#!/usr/bin/env bash
# ComposeX performance measurements, run by hand (not part of the test suite):
#   bash scripts/bench.sh
# 1. builds the release binaries (and the arm64 Lambda with cargo-lambda when it is available),
# 2. runs the criterion benches (`cargo bench --bench transform`: in-process render and
#    transform of 10/100/1000 synthetic services and of yelb.yaml) and the guard rails (`cargo
#    bench --bench scaling`: the Lambda's transform of a deployable 60-service input, and of 1000),
# 3. writes synthetic 200- and 1000-service compose files (same generator as the bench) and
#    measures the peak RSS of `composex render` on them with /usr/bin/time -v,
# 4. compares whole-process wall time with ECS ComposeX (the Python peer) via
#    shared/peer/compare.sh on the corpus inputs both tools render,
# and prints a markdown summary whose first table checks the guard rails: the CLI at least 300×
# faster than ECS ComposeX on blog.yml, 60 services in under 10 ms in-process, peak RSS under
# 64 MB for 1000 services, the arm64 `bootstrap` at most 5 MB (BENCHMARKS.md gives the figures).
#
# Environment: CARGO_TARGET_DIR (default ./target), COMPOSEX_CORPUS (default ../shared/corpus or
# /work/shared/corpus), PEER_DIR (default: the directory of compare.sh next to the corpus),
# CARGO_LAMBDA_PATH (a PATH prefix holding cargo-lambda and zig; default .tools/venv/bin, which
# scripts/install-tools.sh makes),
# RUNS (compare.sh repetitions, default 7), SKIP_CRITERION=1 (reuse the last criterion results).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
tgt=$CARGO_TARGET_DIR
first_existing() { for d in "$@"; do [ -e "$d" ] && { (cd "$d" && pwd); return; }; done; echo ""; }
corpus=${COMPOSEX_CORPUS:-$(first_existing "$repo/../shared/corpus" /work/shared/corpus)}
peer_dir=${PEER_DIR:-$(first_existing "$repo/../shared/peer" /work/shared/peer)}
lambda_path=${CARGO_LAMBDA_PATH:-$repo/.tools/venv/bin}
export RUNS=${RUNS:-7}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
log() { echo "[bench] $*" >&2; }

# ---------------------------------------------------------------------------------------------
log "machine"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
log "cargo build --release --bins"
cargo build --release --bins >&2
size_bootstrap=$(stat -c %s "$tgt/release/bootstrap")
size_cli=$(stat -c %s "$tgt/release/composex")
# The CLI as distributed (statically linked): the one measured below.
log "scripts/build-cli.sh"
bin=$(bash scripts/build-cli.sh)
size_cli_static=$(stat -c %s "$bin")
size_lambda=""
if [ -x "$lambda_path/cargo-lambda" ]; then
    log "cargo lambda build --release --arm64"
    if PATH=$lambda_path:$PATH cargo lambda build --release --arm64 --bin bootstrap >&2; then
        size_lambda=$(stat -c %s "$tgt/lambda/bootstrap/bootstrap")
    fi
fi

# ---------------------------------------------------------------------------------------------
if [ "${SKIP_CRITERION:-0}" != 1 ]; then
    log "cargo bench --bench transform (a few minutes)"
    if [ -n "$corpus" ]; then export COMPOSEX_CORPUS=$corpus; fi
    cargo bench --bench transform >&2
    log "cargo bench --bench scaling"
    cargo bench --bench scaling | tee "$tgt/scaling.txt" >&2
fi
# The guard rails (benches/scaling.rs): one line per input.
scaling_60=$(grep '^60 services' "$tgt/scaling.txt" 2>/dev/null || true)
scaling_1000=$(grep '^1000 services' "$tgt/scaling.txt" 2>/dev/null || true)
# Median and fastest per-iteration time of each bench, from criterion's own files.
crit_table=$(python3 - "$tgt/criterion" <<'PY'
import json, os, sys
root = sys.argv[1]
def fmt(ns):
    return f"{ns/1e6:.2f} ms" if ns >= 1e6 else f"{ns/1e3:.0f} µs"
for group in ("render", "transform", "lambda"):
    gdir = os.path.join(root, group)
    if not os.path.isdir(gdir):
        continue
    for d in sorted(os.listdir(gdir)):
        new = os.path.join(gdir, d, "new")
        if not os.path.isfile(os.path.join(new, "estimates.json")):
            continue
        est = json.load(open(os.path.join(new, "estimates.json")))
        meta = json.load(open(os.path.join(new, "benchmark.json")))
        smp = json.load(open(os.path.join(new, "sample.json")))
        med = est["median"]["point_estimate"]
        lo, hi = est["mean"]["confidence_interval"]["lower_bound"], est["mean"]["confidence_interval"]["upper_bound"]
        fastest = min(t / n for t, n in zip(smp["times"], smp["iters"]))
        print(f"| `{meta['full_id']}` | {fmt(med)} | {fmt(fastest)} | {fmt(lo)} – {fmt(hi)} |")
PY
)

# ---------------------------------------------------------------------------------------------
log "synthetic inputs and peak memory"
# The same generator as benches/transform.rs `synthetic` (blocks of 10: a 9-service task family
# and one standalone service; see there). Rendering the Python YAML and the bench's JSON gives
# byte-identical templates.
cat > "$work/gen.py" <<'PY'
import sys
n = int(sys.argv[1]); out = sys.argv[2]
L = ["services:"]
for i in range(n):
    blk, pos = divmod(i, 10)
    port = 8000 + i
    head = pos in (0, 4, 9)
    L += [f"  svc{i}:", f"    image: registry.example.com/team/app{i % 20}:1.{i % 7}"]
    if i == 0:
        L += ["    ports:", f'      - "80:{port}"']
    elif head:
        L += ["    expose:", f'      - "{port}"']
    L += ["    environment:", f"      SERVICE_NAME: svc{i}", f'      LISTEN_PORT: "{port}"', "      LOG_LEVEL: info",
          f"      UPSTREAM: http://svc{blk*10}:{8000+blk*10}", f'      FEATURE_FLAGS: "a,b,{i % 7}"']
    if head:
        L += ["    healthcheck:", f'      test: ["CMD-SHELL", "curl -f http://localhost:{port}/ || exit 1"]',
              "      interval: 30s", "      timeout: 5s", "      retries: 3", "      start_period: 10s"]
    cpus, mem = ("0.5", "512M") if head else ("0.125", "128M")
    L += ["    deploy:", "      resources:", "        limits:", f'          cpus: "{cpus}"', f"          memory: {mem}"]
    if pos < 9:
        L += ["      labels:", f"        ecs.task.family: fam{blk}"]
    if i > 0:
        L += ["    depends_on:", f"      - svc{i-1}"]
    if pos == 9:
        if blk > 0:
            L += ["    links:", f"      - svc{i-10}"]
        L += ["    x-network:", "      Ingress:", "        Services:", f"          - Name: svc{i-5}",
              "        ExtSources:", "          - IPv4: 10.0.0.0/8", "            Name: corp"]
open(out, "w").write("\n".join(L) + "\n")
PY
command -v /usr/bin/time >/dev/null || { log "installing time"; apt-get install -y time >&2; }
rss_rows=""
for n in 200 1000; do
    python3 "$work/gen.py" "$n" "$work/s$n.yaml"
    set +e
    /usr/bin/time -v "$bin" render -f "$work/s$n.yaml" -o "$work/out$n.json" 2>"$work/time$n.txt" >/dev/null
    rc=$?
    set -e
    kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$work/time$n.txt")
    wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$work/time$n.txt")
    if [ "$rc" = 0 ]; then
        what="renders ($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["Resources"]))' "$work/out$n.json") resources, $(stat -c %s "$work/out$n.json") bytes)"
    else
        what="exit $rc: $(grep -v '^warning' "$work/time$n.txt" | grep -v '^\s' | head -1 | cut -c1-70)…"
    fi
    rss_rows+="| $n services ($(stat -c %s "$work/s$n.yaml") bytes of YAML) | $(awk "BEGIN {printf \"%.1f MiB\", $kb/1024}") | $wall | $what |"$'\n'
    eval "rss_$n=$kb"
done

# ---------------------------------------------------------------------------------------------
log "comparison with ECS ComposeX"
cmp_rows=""
compare() { # label, files...
    local label=$1; shift
    local fargs=(); for f in "$@"; do fargs+=(-f "$f"); done
    if ! "$bin" render "${fargs[@]}" -o "$work/cmp.json" >/dev/null 2>"$work/cmp.err"; then
        local why; why=$(grep -v '^warning' "$work/cmp.err" | head -1 | cut -c1-90)
        local n; n=$(grep -vc '^warning' "$work/cmp.err" || true)
        cmp_rows+="| $label | composex refuses ($n errors; first: \`${why//|/\\|}\`) | – | – |"$'\n'
        return 1
    fi
    local out
    if out=$("$peer_dir/compare.sh" "$bin" "$@" 2>&1 | tail -1) && [[ $out == *speed-up* ]]; then
        # "ecs-composex median 1333.2 ms | composex median 4.06 ms | speed-up x329"
        local p o x
        p=$(sed -E 's/.*ecs-composex median ([0-9.]+ ms).*/\1/' <<<"$out")
        o=$(sed -E 's/.*composex median ([0-9.]+ ms) .*/\1/' <<<"$out")
        x=$(sed -E 's/.*speed-up x([0-9]+).*/\1/' <<<"$out")
        cmp_rows+="| $label | $p | $o | ×$x |"$'\n'
        eval "x_$(printf %s "$label" | tr -c 'a-zA-Z0-9' _)=$x"
    else
        cmp_rows+="| $label | ${out//|/\\|} | – | – |"$'\n'
        return 1
    fi
}
ecx=$corpus/ecs-composex
compared=""
if [ -x "$peer_dir/compare.sh" ] && [ -d "$ecx" ]; then
    compared=1
    compare blog.yml "$ecx/blog.yml" || true
    compare yelb.yaml "$ecx/yelb.yaml" || true
    # The kitchen sink: blog.features.yml with every module file that both tools accept merged on
    # it (negative-testing/ excluded: both refuse those by design).
    both=()
    while read -r m; do
        if compare "blog.features.yml + ${m#"$ecx/"}" "$ecx/blog.features.yml" "$m"; then both+=("$m"); fi
    done < <(find "$ecx" -mindepth 2 -name '*.y*ml' -not -path '*/negative-testing/*' | sort)
    # Files that both accept alone may still conflict when merged (two load balancers on the same
    # services, two tables of the same name): add them one at a time, keeping each only when both
    # tools still accept the whole merge.
    ks=("$ecx/blog.features.yml") ks_left=""
    for m in "${both[@]}"; do
        fargs=(); for f in "${ks[@]}" "$m"; do fargs+=(-f "$f"); done
        if "$bin" render "${fargs[@]}" -o "$work/ks.json" >/dev/null 2>&1 \
            && RUNS=1 "$peer_dir/compare.sh" "$bin" "${ks[@]}" "$m" 2>&1 | tail -1 | grep -q speed-up; then
            ks+=("$m")
        else
            ks_left+=" ${m#"$ecx/"}"
        fi
    done
    log "kitchen sink: ${#ks[@]} files; left out (refused merged):${ks_left:- none}"
    compare "kitchen sink: blog.features.yml + $((${#ks[@]} - 1)) module files (all above but:${ks_left:- none})" "${ks[@]}" || true
    compare "compose-cli simple-single-service.yaml" "$corpus/compose-cli/simple-single-service.yaml" || true
fi

# ---------------------------------------------------------------------------------------------
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
mib() { awk "BEGIN {printf \"%.2f MiB (%d bytes)\", $1/1048576, $1}"; }
median() { sed -nE 's/.*median ([0-9.]+) ms.*/\1/p' <<<"$1"; }
t60=$(median "$scaling_60")
# The guard rail is the Lambda as deployed (arm64, cargo-lambda); without cargo-lambda, the host's.
if [ -n "$size_lambda" ]; then size_rail=$size_lambda rail_what="arm64, cargo lambda build"
else size_rail=$size_bootstrap rail_what="x86_64 cargo build: cargo-lambda not available"; fi
lt() { awk "BEGIN {exit !($1 < $2)}" && echo 1 || echo 0; }
le() { awk "BEGIN {exit !($1 <= $2)}" && echo 1 || echo 0; }
blog_x=${x_blog_yml:-}

cat <<EOF
## Machine

- $(nproc) cores: $cpu; $mem memory; load average before the run: $load_before (after: $(cut -d' ' -f1-3 /proc/loadavg))
- $(date -u +%Y-%m-%dT%H:%MZ), $(rustc --version), commit $(git rev-parse --short HEAD)

## Guard rails

| Line | Measured | Verdict |
|---|---|---|
| 60 services (one stack) < 10 ms in-process (\`cargo bench --bench scaling\`) | ${scaling_60:-not run} | $(if [ -n "$t60" ]; then verdict "$(lt "$t60" 10)"; else echo "not measured"; fi) |
| 1000 services in-process (no limit; quota error expected) | ${scaling_1000:-not run} | – |
| Release \`bootstrap\` ≤ 5 MB | $(mib "$size_rail") ($rail_what) | $(verdict "$(le "$size_rail" 5000000)") |
| Peak RSS < 64 MB, 1000 services | $(awk "BEGIN {printf \"%.1f MiB\", $rss_1000/1024}") | $(verdict "$(lt "$rss_1000" 62500)") |
| Peak RSS < 64 MB, 200 services (renders) | $(awk "BEGIN {printf \"%.1f MiB\", $rss_200/1024}") | $(verdict "$(lt "$rss_200" 62500)") |
| CLI ≥ 300× faster than ECS ComposeX on blog.yml | $(if [ -n "$blog_x" ]; then echo "×$blog_x"; elif [ -n "$compared" ]; then echo "not measurable (see below)"; else echo "not run: no compare.sh in '$peer_dir' or no corpus"; fi) | $(if [ -n "$blog_x" ]; then verdict "$(le 300 "$blog_x")"; else echo "FAIL (not measured)"; fi) |

## In-process (criterion, \`cargo bench --bench transform\`, 20 samples × 3 s)

| Bench | Median | Fastest sample | Mean 95% CI |
|---|---|---|---|
${crit_table}

## Whole process: \`composex render -f big.yaml -o out.json\`, /usr/bin/time -v

| Input | Max RSS | Wall | Outcome |
|---|---|---|---|
${rss_rows}
## Binary sizes

| Binary | Size |
|---|---|
| \`cargo build --release\` bootstrap (x86_64) | $(mib "$size_bootstrap") |
| \`cargo build --release\` composex CLI (x86_64) | $(mib "$size_cli") |
| \`scripts/build-cli.sh\` composex CLI (x86_64, static) | $(mib "$size_cli_static") |
| \`cargo lambda build --release --arm64\` bootstrap | $(if [ -n "$size_lambda" ]; then mib "$size_lambda"; else echo "cargo-lambda not available"; fi) |

## Against ECS ComposeX 1.1.9 (\`shared/peer/compare.sh\`, RUNS=$RUNS, median whole-process wall time)

| Input | ecs-composex | composex | Speed-up |
|---|---|---|---|
${cmp_rows}
EOF
