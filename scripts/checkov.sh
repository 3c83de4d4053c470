#!/usr/bin/env bash
# Runs the project's pinned checkov (framework cloudformation) over generated templates.
#
#   scripts/checkov.sh [--complete] FILE_OR_DIR...
#
# A directory stands for every *.json, *.yaml and *.yml under it. The templates are split into as
# many batches as there are cores (CHECKOV_JOBS overrides), one checkov process each. Fails on:
#   - a failed check that no entry of checkov-allowlist.txt covers (printed as
#     `file: CHECK_ID Type.LogicalId  check name`);
#   - an allowlist entry without a reason, or that cannot be read;
#   - a template checkov could not parse, or did not read whole (its resource count must equal the
#     number of resources in the templates);
#   - with --complete (these are all the templates the allowlist speaks for: the goldens and the
#     corpus), an allowlist entry that no longer matches any failed check: the list must stay true.
#     Without it such entries are only printed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
checkov="$root/.tools/checkov/bin/checkov"
allowlist="$root/checkov-allowlist.txt"

complete=0
if [[ "${1:-}" == --complete ]]; then
  complete=1
  shift
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 [--complete] FILE_OR_DIR..." >&2
  exit 2
fi
if [[ ! -x "$checkov" ]]; then
  echo "checkov: $checkov not found: run scripts/install-tools.sh first" >&2
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
    echo "checkov: $arg: no such file or directory" >&2
    exit 2
  fi
done
if [[ ${#files[@]} -eq 0 ]]; then
  echo "checkov: no template found in: $*" >&2
  exit 2
fi

jobs=${CHECKOV_JOBS:-$(nproc 2>/dev/null || echo 2)}
(( jobs < 1 )) && jobs=1
(( jobs > ${#files[@]} )) && jobs=${#files[@]}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Batches of about equal size in bytes (checkov's time grows with the resources it reads).
python3 - "$work" "$jobs" "${files[@]}" <<'PY'
import os, sys
work, jobs, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
batches = [[] for _ in range(jobs)]
sizes = [0] * jobs
for f in sorted(files, key=lambda f: -os.path.getsize(f)):
    i = sizes.index(min(sizes))
    batches[i].append(f)
    sizes[i] += os.path.getsize(f)
for i, batch in enumerate(batches):
    with open(os.path.join(work, f"batch{i}.list"), "w") as out:
        out.write("\0".join(batch))
PY

# No call home: no download of Prisma Cloud guidelines, no PyPI check for a newer checkov.
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true
# Which AWS partition and region do not matter to these checks, but some libraries want one.
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
pids=()
for ((i = 0; i < jobs; i++)); do
  mapfile -d '' -t batch < "$work/batch$i.list"
  if [[ ${#batch[@]} -eq 0 ]]; then
    echo '[]' >"$work/batch$i.json"
    pids+=("")
    continue
  fi
  # --soft-fail: failed checks are judged below against the allowlist, so a non-zero exit is a
  # crash. --quiet keeps only failed checks in the JSON (the summary still counts the passed).
  "$checkov" --framework cloudformation --skip-download --soft-fail --quiet --output json \
    --file "${batch[@]}" >"$work/batch$i.json" 2>"$work/batch$i.err" &
  pids+=($!)
done
crashed=0
for ((i = 0; i < jobs; i++)); do
  if [[ -n "${pids[$i]}" ]] && ! wait "${pids[$i]}"; then
    echo "checkov: batch $i exited non-zero:" >&2
    cat "$work/batch$i.err" >&2
    crashed=1
  fi
done
(( crashed == 0 ))

python3 - "$allowlist" "$complete" "$work" "$jobs" "${files[@]}" <<'PY'
import fnmatch, json, os, re, sys

allowlist_path, complete, work, jobs, files = sys.argv[1], sys.argv[2] == "1", sys.argv[3], int(sys.argv[4]), sys.argv[5:]

# --- the allowlist -------------------------------------------------------------------------------
# CHECK_ID [type=AWS::X::Y] [file=GLOB] [resource=GLOB] [with=CHECK_ID]  reason
entries, bad = [], []
scope_re = re.compile(r"(type|file|resource|with)=(\S+)")
with open(allowlist_path) as f:
    for n, raw in enumerate(f, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        check = words[0]
        if not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check):
            bad.append(f"{os.path.basename(allowlist_path)}:{n}: expected a check id such as CKV_AWS_18 first, got {check!r}")
            continue
        scope, rest = {}, words[1:]
        while rest and scope_re.fullmatch(rest[0]):
            key, value = scope_re.fullmatch(rest[0]).groups()
            if key in scope:
                bad.append(f"{os.path.basename(allowlist_path)}:{n}: {key}= given twice")
            scope[key] = value
            rest = rest[1:]
        reason = " ".join(rest)
        if len(reason) < 10:
            bad.append(f"{os.path.basename(allowlist_path)}:{n}: {check}: every entry needs its reason")
            continue
        entries.append({"line": n, "check": check, "scope": scope, "reason": reason, "hits": 0})

def covers(entry, check, rtype, logical_id, path, failed_here):
    if entry["check"] != check:
        return False
    scope = entry["scope"]
    if "with" in scope and scope["with"] not in failed_here:
        return False
    if "type" in scope and scope["type"] != rtype:
        return False
    if "resource" in scope and not fnmatch.fnmatchcase(logical_id, scope["resource"]):
        return False
    if "file" in scope and not fnmatch.fnmatchcase(path, scope["file"]):
        return False
    return True

# --- checkov's results ---------------------------------------------------------------------------
failed, parse_errors, passed, resources = [], [], 0, 0
for i in range(jobs):
    with open(os.path.join(work, f"batch{i}.json")) as f:
        text = f.read().strip()
    try:
        reports = json.loads(text) if text else []
    except json.JSONDecodeError as e:
        sys.exit(f"checkov: batch {i}: output is not JSON ({e}); stderr:\n" + open(os.path.join(work, f"batch{i}.err")).read())
    for report in reports if isinstance(reports, list) else [reports]:
        if "results" not in report:       # nothing scanned: checkov prints only an empty summary
            continue
        summary = report["summary"]
        passed += summary["passed"]
        resources += summary["resource_count"]
        failed += report["results"]["failed_checks"]
        parse_errors += report["results"].get("parsing_errors", [])

# Every resource of every template was read (checkov skips what it cannot parse as CloudFormation).
expected = 0
for path in files:
    with open(path) as f:
        if path.endswith(".json"):
            template = json.load(f)
            expected += len(template.get("Resources", {})) if isinstance(template, dict) else 0
        else:
            expected = None                # YAML with CloudFormation tags: not counted here
            break

problems = list(bad)
for p in parse_errors:
    problems.append(f"{p}: checkov could not parse it")
if expected is not None and resources != expected:
    problems.append(f"checkov read {resources} resources, the templates have {expected}: a template was skipped")

def shown(p):
    """A path under the current folder relative to it, any other as it is."""
    if os.path.isabs(p) and p.startswith(os.getcwd() + os.sep):
        return os.path.relpath(p)
    return p

# The checks failed on each resource (for with=).
failed_on = {}
for item in failed:
    failed_on.setdefault((item["file_abs_path"], item["resource"]), set()).add(item["check_id"])

not_allowed, allowed = [], 0
for item in failed:
    check = item["check_id"]
    rtype, _, logical_id = item["resource"].partition(".")
    path = shown(item["file_abs_path"])
    failed_here = failed_on[(item["file_abs_path"], item["resource"])]
    hits = [e for e in entries if covers(e, check, rtype, logical_id, path, failed_here)]
    for e in hits:
        e["hits"] += 1
    if hits:
        allowed += 1
    else:
        not_allowed.append(f"{path}: {check} {item['resource']}  {item['check_name']}")

for line in sorted(set(not_allowed)):
    print(line)
for line in problems:
    print(line)

unused = [e for e in entries if e["hits"] == 0]
print("allow-listed:")
for e in entries:
    scope = " ".join(f"{k}={v}" for k, v in e["scope"].items())
    flag = "  (TO FIX)" if e["reason"].startswith("TO FIX") else ""
    print(f"  {e['hits']:5}  {e['check']} {scope}{flag}".rstrip())
for e in unused:
    verdict = "error" if complete else "note"
    print(f"{os.path.basename(allowlist_path)}:{e['line']}: {verdict}: {e['check']} no longer fails on any template: remove the entry")

print(f"checkov: {len(files)} template(s), {resources} resources, {passed} passed, "
      f"{len(not_allowed)} failed, {allowed} allow-listed")
sys.exit(1 if not_allowed or problems or (complete and unused) else 0)
PY
