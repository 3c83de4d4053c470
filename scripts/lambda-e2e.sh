#!/usr/bin/env bash
# End-to-end test of the Lambda through cargo-lambda's runtime emulator.
#
# Starts `cargo lambda watch` on 127.0.0.1 (a free port), sends every request event
# events/<case>.json with `cargo lambda invoke`, and compares the response with
# events/expected/<case>.json (JSON equality after parsing). UPDATE=1 rewrites the expected files.
#
# Env: UPDATE=1 to regenerate; E2E_START_TIMEOUT (s, default 60) for the emulator to listen;
# E2E_INVOKE_TIMEOUT (s, default 900) for one invoke, the first of which compiles the function.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck disable=SC1091
source "$root/.tools/venv/bin/activate"
update=${UPDATE:-0}
start_timeout=${E2E_START_TIMEOUT:-60}
invoke_timeout=${E2E_INVOKE_TIMEOUT:-900}

shopt -s nullglob
events=(events/*.json)
if [[ ${#events[@]} -eq 0 ]]; then
  echo "lambda-e2e: no events/*.json" >&2
  exit 1
fi
mkdir -p events/expected

# Fail before starting anything when an event has no expected response.
if [[ "$update" != 1 ]]; then
  for ev in "${events[@]}"; do
    if [[ ! -f "events/expected/$(basename "$ev")" ]]; then
      echo "lambda-e2e: $ev has no events/expected/$(basename "$ev") (run with UPDATE=1 to create it)" >&2
      exit 1
    fi
  done
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
log="$work/watch.log"
watch_pid=

stop_watcher() {
  if [[ -n "$watch_pid" ]] && kill -0 "$watch_pid" 2>/dev/null; then
    # The watcher runs cargo and the function as children: end its whole process group.
    kill -TERM -- "-$watch_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$watch_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$watch_pid" 2>/dev/null || true
  fi
  wait "$watch_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop_watcher EXIT
trap 'exit 130' INT TERM

# --ignore-changes: the sources do not change during the run, so no reload.
# setsid: its own process group, so the trap can end cargo and the function with it.
setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" --ignore-changes \
  </dev/null >"$log" 2>&1 &
watch_pid=$!

fail_with_log() {
  echo "lambda-e2e: $*" >&2
  echo "---- cargo lambda watch log ----" >&2
  cat "$log" >&2
  exit 1
}

deadline=$((SECONDS + start_timeout))
until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; do
  kill -0 "$watch_pid" 2>/dev/null || fail_with_log "cargo lambda watch exited before listening on 127.0.0.1:$port"
  ((SECONDS < deadline)) || fail_with_log "cargo lambda watch did not listen on 127.0.0.1:$port within ${start_timeout}s"
  sleep 0.2
done
echo "lambda-e2e: cargo lambda watch listening on 127.0.0.1:$port"

passed=0 failed=0
for ev in "${events[@]}"; do
  case=$(basename "$ev" .json)
  expected="events/expected/$case.json"
  got="$work/$case.json"
  if ! timeout "$invoke_timeout" cargo lambda invoke bootstrap \
      --invoke-address 127.0.0.1 --invoke-port "$port" \
      --data-file "$ev" --output-format json </dev/null >"$got" 2>"$work/$case.err"; then
    kill -0 "$watch_pid" 2>/dev/null || fail_with_log "cargo lambda watch died during $case"
    echo "FAIL $case: cargo lambda invoke failed:" >&2
    cat "$work/$case.err" "$got" >&2
    failed=$((failed + 1))
    continue
  fi
  if python3 - "$got" "$expected" "$update" "$case" <<'PY'
import difflib, json, sys

got_path, expected_path, update, case = sys.argv[1:5]
with open(got_path) as f:
    try:
        got = json.load(f)
    except ValueError as e:
        f.seek(0)
        print(f"FAIL {case}: the response is not JSON ({e}):\n{f.read()}", file=sys.stderr)
        sys.exit(1)

def pretty(v):
    return json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

if update == "1":
    with open(expected_path, "w") as f:
        f.write(pretty(got))
    print(f"updated {expected_path}")
    sys.exit(0)
with open(expected_path) as f:
    expected = json.load(f)
if got == expected:
    print(f"ok   {case}")
    sys.exit(0)
print(f"FAIL {case}: the response differs from {expected_path}", file=sys.stderr)
sys.stderr.writelines(difflib.unified_diff(
    pretty(expected).splitlines(True), pretty(got).splitlines(True),
    fromfile=expected_path, tofile=f"response to events/{case}.json"))
sys.exit(1)
PY
  then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

echo "lambda-e2e: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
