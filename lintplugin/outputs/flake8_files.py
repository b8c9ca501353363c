"""Reading files and `# noqa` the way flake8 does, for everything that
consumes reports outside a flake8 run (the commands, SARIF, the baseline)."""

from __future__ import annotations

import io
import tokenize
from typing import List, Sequence

from lintplugin.types import Report

try:
    from flake8.violation import Violation
except ImportError:  # flake8 < 6.1 kept it in style_guide
    from flake8.style_guide import Violation  # type: ignore[no-redef]


def read_lines(path: str) -> List[str]:
    """A file's lines as flake8 reads them."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        encoding, _ = tokenize.detect_encoding(iter(raw.splitlines(keepends=True)).__next__)
        text = raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        text = raw.decode("latin-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    # Line ends only, with universal newlines, as flake8 reads files:
    # str.splitlines would also split at form feeds and shift `# noqa` lines.
    return io.StringIO(text, newline=None).readlines()


def noqa_ignored(report: Report, path: str, lines: Sequence[str]) -> bool:
    """Whether flake8 would drop this report for a `# noqa` comment."""
    physical = lines[report.line - 1] if 0 < report.line <= len(lines) else ""
    violation = Violation(report.code, path, report.line, report.col + 1, report.text, physical)
    return violation.is_inline_ignored(disable_noqa=False)
