#!/usr/bin/env bash
# The project's test command: bash scripts/test.sh
#
# Steps, in order, stopping at the first failure:
#   tools      scripts/install-tools.sh (pinned cfn-lint, cargo-lambda, zig, SAM CLI, moto in .tools/venv;
#              checkov in .tools/checkov)
#   cargo      cargo test --all-targets (corpus tests run when COMPOSEX_CORPUS or ../shared/corpus is there)
#   cli        scripts/build-cli.sh (the CLI as distributed, statically linked) through every golden case,
#              JSON and YAML (read back under YAML 1.1, as CloudFormation reads it)
#   lint       cfn-lint over the golden outputs macro-tests/**/expected.json, target/corpus-rendered/ and
#              examples/pipeline/pipeline.yaml; src/kinds/rds_versions.json and
#              src/diff/create_only.json checked against the pinned cfn-lint; the diagnostic codes
#              (one per call site, all in the README: scripts/diagnostic-codes.py --check); with
#              the corpus, docs/ecs-composex-keys.md against the CLI (scripts/spec-coverage.py --check)
#   deploy     scripts/deploy-test.sh: the same templates created and deleted on moto's CloudFormation
#              server (pinned, on 127.0.0.1, extended by scripts/moto_harness.py); any refusal fails
#   checkov    scripts/checkov.sh: checkov's CloudFormation checks over the same templates; a failed
#              check must be in checkov-allowlist.txt (with its reason), and every entry there must
#              still fail somewhere when the corpus is there
#   validate   sam validate --lint --template template.yaml
#   build      sam build (cargo lambda, arm64 via zig) into a temporary directory
#   e2e        scripts/lambda-e2e.sh (the Lambda in cargo-lambda's emulator, events/ vs events/expected/)
#   graph      scripts/graph-screenshot.sh (the access graph's HTML page in headless Chromium: its DOM
#              and a screenshot that shows the nodes); Chromium is installed with apt-get as root,
#              and without it the step is skipped
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}
export SAM_CLI_TELEMETRY=0
# The tools need a region to pick a partition and schemas; none of these steps calls AWS.
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 skipped=0 step=
declare -a timings=()

begin() {
  step=$1
  step_start=$SECONDS
  printf '\n==> %s: %s\n' "$step" "$2"
}
end() {
  timings+=("$step $((SECONDS - step_start))s")
  printf '==> %s: ok (%ds)\n' "$step" "$((SECONDS - step_start))"
}
# On any failing command, say which step it was.
trap 'rc=$?; [[ -n "$step" ]] && printf "\n==> FAILED at step %s (exit %d)\n" "$step" "$rc" >&2' ERR

begin tools "scripts/install-tools.sh"
bash scripts/install-tools.sh
# shellcheck disable=SC1091
source "$root/.tools/venv/bin/activate"
end

begin clippy "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
passed=$((passed + 1))
end

begin cargo "cargo test --all-targets"
if [[ -z "${COMPOSEX_CORPUS:-}" && -d "$root/../shared/corpus" ]]; then
  COMPOSEX_CORPUS=$(realpath "$root/../shared/corpus")
  export COMPOSEX_CORPUS
fi
if [[ -n "${COMPOSEX_CORPUS:-}" ]]; then
  echo "corpus: $COMPOSEX_CORPUS"
else
  echo "corpus: ../shared/corpus not found and COMPOSEX_CORPUS unset: the corpus tests are skipped"
fi
# Only what this run renders gets linted below.
rm -rf "$target_dir/corpus-rendered"
cargo test --all-targets 2>&1 | tee "$work/cargo-test.log"
# Count cargo's own "test result:" lines for the closing summary.
read -r t_passed t_failed t_ignored < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$work/cargo-test.log" \
  | awk '{p+=$1; f+=$2; i+=$3} END {print p+0, f+0, i+0}')
if [[ $t_failed -ne 0 ]]; then false; fi
passed=$((passed + t_passed)); skipped=$((skipped + t_ignored))
end

begin cli "scripts/build-cli.sh, then the golden cases through that binary"
cli_bin=$(bash scripts/build-cli.sh)
if command -v readelf >/dev/null; then
  needed=$(readelf -d "$cli_bin" | grep NEEDED || true)
  if [[ -n "$needed" ]]; then
    printf '%s needs shared libraries; scripts/build-cli.sh should link it statically:\n%s\n' "$cli_bin" "$needed" >&2
    false
  fi
fi
COMPOSEX_BIN=$cli_bin cargo test --test binary 2>&1 | tee "$work/cli-test.log"
grep -q '^test result: ok. 1 passed' "$work/cli-test.log"
passed=$((passed + 1))
# CloudFormation reads YAML 1.1: every golden template written as YAML must read back as its JSON.
python3 scripts/yaml-roundtrip.py "$cli_bin"
passed=$((passed + 1))
end

begin lint "cfn-lint over generated templates"
# The RDS engine versions the transform accepts are cfn-lint's: the table must match the pin.
python3 scripts/rds-versions.py --check
# Every error and warning has its own code, and the README lists them all.
python3 scripts/diagnostic-codes.py --check
# The create-only properties composex diff classes changes by come from the schemas cfn-lint
# ships: that table must match the pin too.
python3 scripts/cfn-schemas.py --check
# docs/ecs-composex-keys.md says what ComposeX does with each key of ECS ComposeX's schemas, as
# the CLI does it today; the schemas come with the corpus.
if [[ -n "${COMPOSEX_CORPUS:-}" && -d "$COMPOSEX_CORPUS/ecs-composex-specs" ]]; then
  python3 scripts/spec-coverage.py --check --cli "$target_dir/debug/composex"
else
  echo "spec-coverage: no corpus (COMPOSEX_CORPUS): docs/ecs-composex-keys.md not checked: skipped"
fi
goldens=()
while IFS= read -r -d '' f; do
  # Error cases keep the macro's failure response, not a template: nothing to lint there.
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d, dict) and ("errorMessage" in d or d.get("status") == "failure") else 1)' "$f"; then
    continue
  fi
  goldens+=("$f")
done < <(find macro-tests -name expected.json -type f -print0 2>/dev/null | sort -z)
if [[ ${#goldens[@]} -gt 0 ]]; then
  bash scripts/lint-templates.sh "${goldens[@]}"
  passed=$((passed + 1))
else
  echo "lint: no golden template (macro-tests/**/expected.json) yet: skipped"
  skipped=$((skipped + 1))
fi
if [[ -d "$target_dir/corpus-rendered" ]]; then
  bash scripts/lint-templates.sh "$target_dir/corpus-rendered"
  passed=$((passed + 1))
elif [[ -n "${COMPOSEX_CORPUS:-}" ]]; then
  echo "lint: COMPOSEX_CORPUS is set but the corpus test wrote no $target_dir/corpus-rendered" >&2
  false
else
  echo "lint: no corpus (COMPOSEX_CORPUS unset): corpus templates not linted"
  skipped=$((skipped + 1))
fi
# The example pipeline of README "Images built by a pipeline".
bash scripts/lint-templates.sh examples/pipeline/pipeline.yaml
passed=$((passed + 1))
end

begin deploy "scripts/deploy-test.sh: every template on moto's CloudFormation server"
if [[ ${#goldens[@]} -gt 0 ]]; then
  bash scripts/deploy-test.sh "${goldens[@]}"
  passed=$((passed + 1))
else
  echo "deploy: no golden template (macro-tests/**/expected.json) yet: skipped"
  skipped=$((skipped + 1))
fi
if [[ -d "$target_dir/corpus-rendered" ]]; then
  bash scripts/deploy-test.sh "$target_dir/corpus-rendered"
  passed=$((passed + 1))
elif [[ -n "${COMPOSEX_CORPUS:-}" ]]; then
  echo "deploy: COMPOSEX_CORPUS is set but the corpus test wrote no $target_dir/corpus-rendered" >&2
  false
else
  echo "deploy: no corpus (COMPOSEX_CORPUS unset): corpus templates not deployed"
  skipped=$((skipped + 1))
fi
end

begin checkov "checkov over generated templates"
checkov_inputs=("${goldens[@]}")
if [[ -d "$target_dir/corpus-rendered" ]]; then
  checkov_inputs+=("$target_dir/corpus-rendered")
fi
if [[ ${#checkov_inputs[@]} -eq 0 ]]; then
  echo "checkov: no golden template nor corpus render: skipped"
  skipped=$((skipped + 1))
elif [[ -d "$target_dir/corpus-rendered" ]]; then
  # Goldens and corpus are every template the allowlist speaks for: an entry that no longer
  # fails anywhere is an error (--complete).
  bash scripts/checkov.sh --complete "${checkov_inputs[@]}"
  passed=$((passed + 1))
else
  bash scripts/checkov.sh "${checkov_inputs[@]}"
  passed=$((passed + 1))
  echo "checkov: no corpus (COMPOSEX_CORPUS unset): corpus templates not checked, allowlist entries not checked for staleness"
  skipped=$((skipped + 1))
fi
end

begin validate "sam validate --lint --template template.yaml"
sam validate --lint --template template.yaml </dev/null
passed=$((passed + 1))
end

begin build "sam build (rust-cargolambda, arm64)"
# cargo-lambda sets panic = "abort" for --release builds unless Cargo.toml's [profile.release]
# says otherwise, and lambda_runtime then cannot turn a handler panic into an error response.
panic_strategy=$(python3 -c 'import sys, tomllib; print(tomllib.load(open("Cargo.toml", "rb")).get("profile", {}).get("release", {}).get("panic", "unset"))')
if [[ "$panic_strategy" != unwind ]]; then
  echo "Cargo.toml [profile.release] panic is $panic_strategy: cargo lambda build --release (and so sam build) would use panic = \"abort\"; set panic = \"unwind\"" >&2
  false
fi
if rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  sam build --template template.yaml --build-dir "$work/sam-build" --cache-dir "$work/sam-cache" </dev/null
  test -x "$work/sam-build/MacroFunction/bootstrap"
  passed=$((passed + 1))
else
  echo "SKIPPED sam build: the aarch64-unknown-linux-gnu Rust target is not installed and rustup could not fetch it here"
  skipped=$((skipped + 1))
fi
end

begin e2e "scripts/lambda-e2e.sh"
bash scripts/lambda-e2e.sh | tee "$work/e2e.log"
read -r e_passed < <(sed -n 's/^lambda-e2e: \([0-9]*\) passed, 0 failed$/\1/p' "$work/e2e.log")
passed=$((passed + ${e_passed:-0}))
end

begin graph "scripts/graph-screenshot.sh (headless Chromium)"
if ! command -v chromium >/dev/null && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || true
fi
if command -v chromium >/dev/null; then
  # The committed docs/graph.png is left alone: fonts and Chromium versions change its pixels.
  COMPOSEX_BIN=$cli_bin bash scripts/graph-screenshot.sh "$work/graph.png"
  passed=$((passed + 1))
else
  reason="not root, or no apt-get"
  [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null && reason="apt-get install -y chromium failed"
  echo "SKIPPED graph: chromium is not installed ($reason)"
  skipped=$((skipped + 1))
fi
end

printf '\ntimings: %s\n' "$(IFS=,; echo "${timings[*]}" | sed 's/,/, /g')"
echo "(counted: cargo tests, one per lint run, the checkov run, one per deploy run, sam validate, sam build, one per e2e event, the graph page)"
if [[ $skipped -gt 0 ]]; then
  echo "total: $passed passed, 0 failed, $skipped skipped"
else
  echo "total: $passed passed, 0 failed"
fi
