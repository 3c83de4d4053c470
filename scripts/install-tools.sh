#!/usr/bin/env bash
# Installs the project's tools from PyPI into two virtualenvs, .tools/venv and .tools/checkov,
# and the Rust target that the Lambda is built for. Idempotent: a second run only checks the
# pinned versions.
#
# .tools/venv:
#   cfn-lint      lints the generated templates (scripts/lint-templates.sh)
#   cargo-lambda  builds the Lambda and runs it in its runtime emulator (scripts/lambda-e2e.sh)
#   ziglang       the cross linker cargo-lambda uses for arm64 (found as `python3 -m ziglang`)
#   aws-sam-cli   validates and builds template.yaml (its rust-cargolambda build calls
#                 cargo-lambda, so all four live in the same venv and go on PATH together)
#   moto          its CloudFormation server, on 127.0.0.1, is what the templates are deployed on
#                 (scripts/deploy-test.sh, scripts/moto_harness.py). Its dependencies resolve
#                 together with aws-sam-cli's (same boto3, Flask, cfn-lint), so it shares the venv
# .tools/checkov:
#   checkov       security checks over the generated templates (scripts/checkov.sh). It has a
#                 venv of its own because its dependencies cannot share one with aws-sam-cli:
#                 checkov 3.3.30 requires boto3==1.35.49 and aws-sam-cli 1.170.0 boto3==1.43.108,
#                 so pip's resolver refuses the two together (ResolutionImpossible).
#
# Use the tools with: source .tools/venv/bin/activate (the other scripts do it for you);
# checkov is .tools/checkov/bin/checkov, called by path.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# TOOLS_DIR lets a fresh install be tried elsewhere without touching .tools.
tools=${TOOLS_DIR:-$root/.tools}
venv="$tools/venv"
checkov_venv="$tools/checkov"
python=${PYTHON:-python3}

# Pinned: a new cfn-lint release adds rules, so an unpinned one can fail CI on an unchanged tree.
# ziglang 0.17.1 is the version checked to link the arm64 bootstrap with cargo-lambda 1.9.2.
pins=(
  "cfn-lint==1.58.0"
  "cargo-lambda==1.9.2"
  "ziglang==0.17.1"
  "aws-sam-cli==1.170.0"
  "moto[server,cloudformation]==5.2.5"
)
# Pinned for the same reason: each checkov release adds checks (checkov-allowlist.txt is written
# against this one).
checkov_pins=(
  "checkov==3.3.30"
)
rust_target=aarch64-unknown-linux-gnu   # template.yaml: Architectures [arm64]

say() { printf 'install-tools: %s\n' "$*"; }

# ensure_venv DIR PIN...: creates the virtualenv DIR if needed and installs the pins missing there.
ensure_venv() {
  local dir=$1
  shift
  if [[ ! -x "$dir/bin/python" ]]; then
    say "creating virtualenv $dir"
    "$python" -m venv "$dir"
  fi
  # Which pins are missing or at another version? (a fast, offline check)
  local missing
  missing=$("$dir/bin/python" - "$@" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    name = name.split("[")[0]   # moto[server,cloudformation] is installed as moto
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        print(pin)
PY
  )
  if [[ -n "$missing" ]]; then
    say "pip install $(echo $missing) (into $dir)"
    local start=$SECONDS
    # Install all pins of a venv in one resolver run so their shared dependencies agree.
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    say "installed in $((SECONDS - start)) s"
  else
    say "pinned tools already installed in $dir: $*"
  fi
}

ensure_venv "$venv" "${pins[@]}"
ensure_venv "$checkov_venv" "${checkov_pins[@]}"

# The Rust standard library for the Lambda's architecture (sam build, cargo lambda build --arm64).
if rustup target list --installed | grep -qx "$rust_target"; then
  say "rust target $rust_target already installed"
else
  say "rustup target add $rust_target"
  # The target comes from rustup's own server, not a package registry: where that server cannot
  # be reached, say so plainly; the test command then skips sam build with the same reason.
  if ! rustup target add "$rust_target"; then
    say "NOTICE: the Rust target $rust_target could not be installed; sam build (arm64) will be skipped"
  fi
fi

# Check the tools really run from the venv.
PATH="$venv/bin:$PATH"
say "$(cfn-lint --version)"
say "$(cargo lambda --version)"
say "zig $("$venv/bin/python" -m ziglang version)"
say "$(SAM_CLI_TELEMETRY=0 sam --version)"
say "moto $("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
say "checkov $(CKV_SKIP_PACKAGE_UPDATE_CHECK=true "$checkov_venv/bin/checkov" --version)"
