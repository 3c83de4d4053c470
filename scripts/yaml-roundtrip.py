#!/usr/bin/env python3
"""Every golden case that renders, written as YAML by the given composex binary, must read back
under YAML 1.1 (PyYAML, as CloudFormation reads YAML) as exactly its expected.json: no string
may come back as a boolean, a number or null.

    python3 scripts/yaml-roundtrip.py path/to/composex
"""
import json
import pathlib
import subprocess
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent / "macro-tests"
binary = str(pathlib.Path(sys.argv[1]).resolve())
env = {"PATH": "/usr/bin:/bin", "COMPOSEX_TEST_VAR": "from-the-environment"}  # as tests/golden.rs
checked, failed = 0, []
for case in sorted(p for p in root.iterdir() if (p / "expected.json").exists()):
    # The case's inputs and extra arguments, as tests/common/mod.rs's case_inputs reads them.
    files = ["input.yaml"] + [f"input.{i}.yaml" for i in range(2, 100) if (case / f"input.{i}.yaml").exists()]
    args_file = case / "args"
    args = [a for f in files for a in ("-f", f)] + (args_file.read_text().split() if args_file.exists() else [])
    run = subprocess.run(
        [binary, "render", "--format", "yaml", *args], cwd=case, capture_output=True, text=True, env=env
    )
    if run.returncode != 0:
        failed.append(f"{case.name}: exit {run.returncode}: {run.stderr.strip()}")
        continue
    checked += 1
    if yaml.safe_load(run.stdout) != json.loads((case / "expected.json").read_text()):
        failed.append(f"{case.name}: the YAML output reads back differently from expected.json")
for f in failed:
    print(f, file=sys.stderr)
print(f"yaml-roundtrip: {checked} passed, {len(failed)} failed")
sys.exit(1 if failed or checked == 0 else 0)
