"""Checking whole trees for the `lintplugin` commands (baseline, audit).

Files are found the way flake8 finds them (its exclude and filename
patterns), read the way flake8 reads them (PEP 263 encodings, latin-1 as the
last resort) and analysed by the same engine the plugin calls, with
`# noqa` honoured, so the commands see what the flake8 gate sees.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, Optional, Sequence

from flake8.discover_files import expand_paths

from lintplugin.config import Settings
from lintplugin.engine import Options, Report, analyse, has_socket_code

try:
    from flake8.violation import Violation
except ImportError:  # flake8 < 6.1 kept it in style_guide
    from flake8.style_guide import Violation  # type: ignore[no-redef]


@dataclass
class FileResult:
    path: str  # as found, relative to the current directory when given so
    lines: List[str] = field(default_factory=list)
    tree: Optional[ast.Module] = None
    reports: List[Report] = field(default_factory=list)
    socket_code: bool = False
    problem: Optional[str] = None  # why the file was not analysed (unreadable, not Python)


def discover(paths: Sequence[str], settings: Settings) -> List[str]:
    """The files flake8 would check for these paths, sorted for stable output."""
    found = expand_paths(
        paths=list(paths) or ["."],
        stdin_display_name="stdin",
        filename_patterns=list(settings.filename),
        exclude=settings.excluded,
    )
    return sorted({_display(path) for path in found if path != "-"})


def _display(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def check_file(path: str, options: Options) -> FileResult:
    result = FileResult(path)
    try:
        result.lines = read_lines(path)
    except OSError as error:
        result.problem = f"cannot read it: {error.strerror or error}"
        return result
    text = "".join(result.lines)
    try:
        result.tree = ast.parse(text)
    except (SyntaxError, ValueError) as error:
        # flake8 reports these as E999 and runs no plugin on them.
        result.problem = f"not valid Python: {error.__class__.__name__}: {getattr(error, 'msg', error)}"
        return result
    try:
        result.socket_code = has_socket_code(result.tree, result.lines)
    except Exception:  # never stop an audit for one file: the analysis will say SKT900
        result.socket_code = True
    result.reports = [r for r in analyse(result.tree, result.lines, options) if not noqa_ignored(r, path, result.lines)]
    return result


def check_paths(
    files: Sequence[str], options: Options, progress: Optional[Callable[[int, int, str], None]] = None
) -> Iterator[FileResult]:
    for number, path in enumerate(files, start=1):
        if progress is not None:
            progress(number, len(files), path)
        yield check_file(path, options)


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


def display_path(path: str) -> str:
    """A path as the commands print it: relative to the current directory, with '/'."""
    try:
        return os.path.relpath(os.path.abspath(path)).replace(os.sep, "/")
    except ValueError:  # on another drive than the current directory (Windows)
        return path.replace(os.sep, "/")
