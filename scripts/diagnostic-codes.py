#!/usr/bin/env python3
"""Diagnostic codes: every error and warning the engine reports has a code (CXnnnn) written at
its call site, `d.error("CX1103", path, message)`, listed in README.md with its message.

    python3 scripts/diagnostic-codes.py --assign   # give a code to each call site without one
                                                   # (or with the placeholder "CX0000")
    python3 scripts/diagnostic-codes.py --readme   # rewrite the README's table of codes
    python3 scripts/diagnostic-codes.py --check    # every call has a code, once; the table is current

Codes are numbered by layer (1 compose, 2 ext, 3 plan, 4 kinds, 5 emit, 6 the rest: cfn,
render, the contract and the CLI), then in file order; a code never changes once given, so
users can search it and allow a warning by it (`composex render --allow CX5012`).
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
README = ROOT / "README.md"
BEGIN, END = "<!-- diagnostic codes: begin -->", "<!-- diagnostic codes: end -->"
CALL = re.compile(r"\.(error|warn)\(")
CODE = re.compile(r'"(CX\d{4})"')
LAYERS = {"compose": 1, "ext": 2, "plan": 3, "kinds": 4, "emit": 5}


def layer(path: Path) -> int:
    return LAYERS.get(path.relative_to(SRC).parts[0], 6)


def source_files():
    for p in sorted(SRC.rglob("*.rs")):
        if p.name == "diagnostics.rs":
            continue
        yield p


def code_region(text: str) -> int:
    """Where the unit tests start (calls there are not the engine's)."""
    i = text.find("#[cfg(test)]")
    return len(text) if i < 0 else i


def args_of(text: str, start: int):
    """The arguments of the call whose `(` is at start-1: a list of (begin, end) spans."""
    depth, i, begin, spans = 0, start, start, []
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:]):
            i = text.index("'", i + 2 if text[i + 1] == "\\" else i + 1)
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                spans.append((begin, i))
                return spans
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((begin, i))
            begin = i + 1
        i += 1
    raise ValueError("unbalanced call")


def calls(text: str):
    """(kind, position after `(`, argument spans) of every engine call in text."""
    limit = code_region(text)
    for m in CALL.finditer(text, 0, limit):
        before = text[: m.start()].rstrip()
        if before.endswith("fn"):
            continue
        yield m.group(1), m.end(), args_of(text, m.end())


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def message_of(text: str, span) -> str:
    """The message's first string literal, as written (format placeholders kept)."""
    arg = text[span[0] : span[1]]
    m = re.search(r'"((?:\\.|[^"\\])*)"', arg)
    return m.group(1).replace('\\"', '"') if m else "(a message built at run time)"


def collect():
    """Every call: (code or None, kind, file, line, message)."""
    out = []
    for p in source_files():
        text = p.read_text()
        for kind, pos, spans in calls(text):
            first = text[spans[0][0] : spans[0][1]].strip()
            code = CODE.fullmatch(first)
            msg_span = spans[2] if code else spans[1]
            out.append((code.group(1) if code else None, kind, p, line_of(text, pos), message_of(text, msg_span)))
    return out


def assign():
    used = {c for c, *_ in collect() if c}
    next_free = {}
    for p in source_files():
        text = p.read_text()
        edits = []
        for kind, pos, spans in calls(text):
            first = text[spans[0][0] : spans[0][1]].strip()
            placeholder = first == '"CX0000"'
            if CODE.fullmatch(first) and not placeholder:
                continue
            n = layer(p)
            k = next_free.get(n, n * 1000 + 1)
            while f"CX{k:04d}" in used:
                k += 1
            used.add(f"CX{k:04d}")
            next_free[n] = k + 1
            if placeholder:
                start = text.index('"CX0000"', pos)
                edits.append((start, f'"CX{k:04d}"', len('"CX0000"')))
            else:
                edits.append((pos, f'"CX{k:04d}", ', 0))
        for pos, ins, cut in reversed(edits):
            text = text[:pos] + ins + text[pos + cut :]
        if edits:
            p.write_text(text)
            print(f"{p.relative_to(ROOT)}: {len(edits)} code(s) given")


def table(entries) -> str:
    rows = ["| code | | where | message |", "|---|---|---|---|"]
    for code, kind, p, line, msg in sorted(entries, key=lambda e: e[0]):
        msg = msg.replace("|", "\\|")
        rows.append(f"| `{code}` | {kind} | `{p.relative_to(ROOT)}` | {msg} |")
    return "\n".join(rows)


def readme_with(entries) -> str:
    text = README.read_text()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:a] + "\n" + table(entries) + "\n" + text[b:]


def check() -> int:
    entries = collect()
    problems = []
    seen = {}
    for code, kind, p, line, _ in entries:
        where = f"{p.relative_to(ROOT)}:{line}"
        if code is None:
            problems.append(f"{where}: a {kind} without a code; run scripts/diagnostic-codes.py --assign")
        elif code in seen:
            problems.append(f"{where}: {code} is also the code of {seen[code]}; give one another code")
        else:
            seen[code] = where
    if not problems and README.read_text() != readme_with(entries):
        problems.append("README.md: the table of diagnostic codes is not current; run scripts/diagnostic-codes.py --readme")
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"diagnostic-codes: {len(entries)} call sites, each with its own code, all in README.md")
    return 1 if problems else 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    if mode == "--assign":
        assign()
    elif mode == "--readme":
        README.write_text(readme_with([e for e in collect() if e[0]]))
    else:
        sys.exit(check())
