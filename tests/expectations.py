"""Annotated Python files: the expected report is a comment on its line.

    sock.setsockopt(SOL_SOCKET, SO_LINGER, pack("ii", 1, 0))   # SKT201

A line may expect several codes (`# SKT101, SKT105`). The comparison is
exact: every annotated (line, code) must be reported and nothing else.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import List, Set, Tuple

from lintplugin.engine import Options, Report, analyse

REPO = Path(__file__).resolve().parent.parent
_ANNOTATION = re.compile(r"#\s*(SKT\d{3}(?:\s*,\s*SKT\d{3})*)\s*(?:#.*)?$")

Expectation = Set[Tuple[int, str]]


def expected_reports(source: str) -> Expectation:
    expected = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = _ANNOTATION.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group(1)):
                expected.add((number, code))
    return expected


def lint_source(source: str, options: Options = Options()) -> List[Report]:
    lines = source.splitlines(keepends=True)
    return analyse(ast.parse(source), lines, options)


def actual_reports(source: str) -> Expectation:
    return {(report.line, report.code) for report in lint_source(source)}


def comparison_table(source: str, expected: Expectation, actual: Expectation) -> str:
    """Expected versus actual, per line that differs, for failure messages."""
    lines = source.splitlines()
    rows = ["line  expected        actual          source"]
    for number in sorted({line for line, _ in expected ^ actual}):
        want = ",".join(sorted(code for line, code in expected if line == number)) or "-"
        got = ",".join(sorted(code for line, code in actual if line == number)) or "-"
        text = lines[number - 1].strip() if number <= len(lines) else ""
        rows.append(f"{number:>4}  {want:<14}  {got:<14}  {text[:70]}")
    return "\n".join(rows)


def assert_annotations_match(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    expected = expected_reports(source)
    actual = actual_reports(source)
    assert expected == actual, f"{path.name}: reports differ from annotations\n" + comparison_table(
        source, expected, actual
    )
