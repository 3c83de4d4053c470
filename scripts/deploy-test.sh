#!/usr/bin/env bash
# The deploy test: every template given is deployed on moto's CloudFormation server and deleted.
#
#   scripts/deploy-test.sh FILE_OR_DIR...
#
# A directory stands for every *.json in it; a golden file that holds the macro's failure
# response (not a template) is passed over. The server is moto's, pinned in
# scripts/install-tools.sh, with the extensions of scripts/moto_harness.py (what moto lacks, each
# documented there); it listens on 127.0.0.1 on a free port for this run only and is stopped by
# its PID on exit. Prints one line per template; exits 1 listing every refusal with the reason
# the stack events give.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python="$root/.tools/venv/bin/python"
if [[ $# -eq 0 ]]; then
  echo "usage: $0 FILE_OR_DIR..." >&2
  exit 2
fi
if ! "$python" -c 'import moto' 2>/dev/null; then
  echo "deploy-test: moto not found in $root/.tools/venv: run scripts/install-tools.sh first" >&2
  exit 2
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# No real credentials or endpoints are read: the harness talks to the local server only.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

"$python" "$root/scripts/moto_harness.py" serve "$work/port" >"${DEPLOY_TEST_SERVER_LOG:-$work/server.log}" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$work/port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "deploy-test: the moto server stopped before listening:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ ! -s "$work/port" ]]; then
  echo "deploy-test: the moto server did not listen within 30 s" >&2
  exit 1
fi
endpoint="http://127.0.0.1:$(cat "$work/port")"
echo "deploy-test: moto $("$python" -c 'import moto; print(moto.__version__)') on $endpoint (pid $server_pid)"

"$python" "$root/scripts/moto_harness.py" deploy "$endpoint" "$@"
