#!/usr/bin/env python3
"""Writes src/kinds/rds_versions.json from the pinned cfn-lint package: for a DB cluster and a DB
instance, each engine's versions RDS knows and those it no longer creates (cfn-lint's
engine_version.json and engine_version_deprecated.json, the data of rules E3690/W3690/W3691).

    python3 scripts/rds-versions.py           # rewrite the file
    python3 scripts/rds-versions.py --check   # exit 1 when the file differs from the package

Run with the project's tools (source .tools/venv/bin/activate): scripts/test.sh checks it.
"""
import json
import pathlib
import sys

import cfnlint.data.schemas.extensions as ext

OUT = pathlib.Path(__file__).resolve().parent.parent / "src" / "kinds" / "rds_versions.json"


def engines(schema_file):
    """engine -> sorted list of the EngineVersion enum of its `if Engine == const` branch."""
    schema = json.loads(schema_file.read_text())
    out = {}
    for branch in schema["allOf"]:
        props = branch["if"]["properties"]
        engine = props.get("Engine", {}).get("const")
        if engine is None:
            continue
        versions = (
            props.get("EngineVersion", {}).get("enum")
            or branch.get("then", {}).get("properties", {}).get("EngineVersion", {}).get("enum")
            or []
        )
        out[engine] = sorted(str(v) for v in versions)
    return out


def main():
    root = pathlib.Path(ext.__file__).parent
    data = {}
    for kind, folder in (("cluster", "aws_rds_dbcluster"), ("instance", "aws_rds_dbinstance")):
        known = engines(root / folder / "engine_version.json")
        deprecated = engines(root / folder / "engine_version_deprecated.json")
        data[kind] = {
            e: {"versions": known[e], "deprecated": deprecated.get(e, [])} for e in sorted(known)
        }
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} differs from the pinned cfn-lint: run python3 scripts/rds-versions.py", file=sys.stderr)
            sys.exit(1)
        print(f"rds-versions: {OUT.name} matches the pinned cfn-lint")
        return
    OUT.write_text(text)


if __name__ == "__main__":
    main()
