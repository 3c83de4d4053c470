#!/usr/bin/env bash
# Lints CloudFormation templates (JSON or YAML) with the project's pinned cfn-lint, in one run.
#
#   scripts/lint-templates.sh FILE_OR_DIR...
#
# A directory stands for every *.json, *.yaml and *.yml under it. Fails on any error (E*) and on
# any warning (W*) whose rule id is not in cfn-lint-allowlist.txt; informational findings (I*)
# are ignored. Findings are printed as `file:line: rule message`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cfn_lint="$root/.tools/venv/bin/cfn-lint"
allowlist="$root/cfn-lint-allowlist.txt"

if [[ $# -eq 0 ]]; then
  echo "usage: $0 FILE_OR_DIR..." >&2
  exit 2
fi
if [[ ! -x "$cfn_lint" ]]; then
  echo "lint-templates: $cfn_lint not found: run scripts/install-tools.sh first" >&2
  exit 2
fi

files=()
for arg in "$@"; do
  if [[ -d "$arg" ]]; then
    while IFS= read -r -d '' f; do files+=("$f"); done \
      < <(find "$arg" -type f \( -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
  elif [[ -f "$arg" ]]; then
    files+=("$arg")
  else
    echo "lint-templates: $arg: no such file or directory" >&2
    exit 2
  fi
done
if [[ ${#files[@]} -eq 0 ]]; then
  echo "lint-templates: no template found in: $*" >&2
  exit 2
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# cfn-lint's exit code is a bit mask of the levels found; the verdict is made below instead.
"$cfn_lint" --format json --non-zero-exit-code none -- "${files[@]}" >"$out"

python3 - "$allowlist" "$out" "${#files[@]}" <<'PY'
import json, re, sys

allowlist_path, findings_path, nfiles = sys.argv[1], sys.argv[2], int(sys.argv[3])

allowed, bad_entries = {}, []
with open(allowlist_path) as f:
    for n, line in enumerate(f, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(W\d+)\s+(\S.*)", line)
        if not m:
            bad_entries.append(f"{allowlist_path}:{n}: expected `W1234  reason`, got {line!r}")
        else:
            allowed[m.group(1)] = m.group(2)

with open(findings_path) as f:
    text = f.read().strip()
findings = json.loads(text) if text else []

failing, allowed_seen = [], 0
for item in findings:
    rule = item["Rule"]["Id"]
    level = rule[:1]
    if level == "I":
        continue
    loc = item["Location"]["Start"]
    line = f'{item["Filename"]}:{loc["LineNumber"]}: {rule} {item["Message"]}'
    if level == "W" and rule in allowed:
        allowed_seen += 1
        continue
    failing.append(line)

for line in bad_entries + failing:
    print(line)
summary = f"lint-templates: {nfiles} template(s), {len(failing)} finding(s)"
if allowed_seen:
    summary += f", {allowed_seen} allow-listed warning(s) ignored"
print(summary)
sys.exit(1 if failing or bad_entries else 0)
PY
