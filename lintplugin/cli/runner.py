"""Checking whole trees for the `lintplugin` commands (baseline, audit).

Files are found the way flake8 finds them (its exclude and filename
patterns), read the way flake8 reads them (PEP 263 encodings, latin-1 as the
last resort) and analysed by the same engine the plugin calls, with
`# noqa` honoured, so the commands see what the flake8 gate sees.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, Optional, Sequence

from flake8.discover_files import expand_paths

from lintplugin.analysis.file import analyse_file
from lintplugin.config import Settings
from lintplugin.outputs.flake8_files import noqa_ignored, read_lines
from lintplugin.types import Options, Report


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
    analysis = analyse_file(result.tree, result.lines, options)  # the gates run once, in the analysis
    result.socket_code = analysis.socket_code or bool(analysis.reports)
    result.reports = [r for r in analysis.reports if not noqa_ignored(r, path, result.lines)]
    return result


def check_paths(
    files: Sequence[str], options: Options, progress: Optional[Callable[[int, int, str], None]] = None
) -> Iterator[FileResult]:
    for number, path in enumerate(files, start=1):
        if progress is not None:
            progress(number, len(files), path)
        yield check_file(path, options)


def display_path(path: str) -> str:
    """A path as the commands print it: relative to the current directory, with '/'."""
    try:
        return os.path.relpath(os.path.abspath(path)).replace(os.sep, "/")
    except ValueError:  # on another drive than the current directory (Windows)
        return path.replace(os.sep, "/")
