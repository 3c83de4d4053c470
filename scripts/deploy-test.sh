#!/usr/bin/env bash
# The deploy test: every template given is deployed on moto's CloudFormation server and deleted.
#
#   scripts/deploy-test.sh FILE_OR_DIR...
#
# A directory stands for every *.json under it; a golden file that holds the macro's failure
# response (not a template) is passed over. The server is moto's, pinned in
# scripts/install-tools.sh, with the extensions of scripts/moto_harness.py (what moto lacks, each
# documented there). DEPLOY_TEST_JOBS servers (default 2, one per core) listen on 127.0.0.1 on
# free ports for this run only, each deploying its share of the templates, and are stopped by
# their PIDs on exit. Prints one line per template; exits 1 listing every refusal with the
# reasons the stack events give.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python="$root/.tools/venv/bin/python"
jobs=${DEPLOY_TEST_JOBS:-2}
if [[ $# -eq 0 ]]; then
  echo "usage: $0 FILE_OR_DIR..." >&2
  exit 2
fi
if ! "$python" -c 'import moto' 2>/dev/null; then
  echo "deploy-test: moto not found in $root/.tools/venv: run scripts/install-tools.sh first" >&2
  exit 2
fi

work=$(mktemp -d)
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# No real credentials, profile or endpoint is read: the harness talks to its own servers only.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

for i in $(seq 1 "$jobs"); do
  "$python" "$root/scripts/moto_harness.py" serve "$work/port$i" >"$work/server$i.log" 2>&1 &
  server_pids+=($!)
done
endpoints=()
for i in $(seq 1 "$jobs"); do
  for _ in $(seq 1 600); do
    [[ -s "$work/port$i" ]] && break
    if ! kill -0 "${server_pids[$((i - 1))]}" 2>/dev/null; then
      echo "deploy-test: moto server $i stopped before listening:" >&2
      cat "$work/server$i.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ ! -s "$work/port$i" ]]; then
    echo "deploy-test: moto server $i did not listen within 60 s" >&2
    exit 1
  fi
  endpoints+=("http://127.0.0.1:$(cat "$work/port$i")")
done
echo "deploy-test: moto $("$python" -c 'import moto; print(moto.__version__)') on ${endpoints[*]} (pids ${server_pids[*]})"

status=0
"$python" "$root/scripts/moto_harness.py" deploy "$(IFS=,; echo "${endpoints[*]}")" "$@" || status=$?
if [[ -n "${DEPLOY_TEST_SERVER_LOGS:-}" ]]; then cat "$work"/server*.log >"$DEPLOY_TEST_SERVER_LOGS"; fi
exit "$status"
