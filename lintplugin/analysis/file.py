"""One file, from flake8's tree and lines to its reports. Never raises.

    gate (skip files and functions without socket code)
      -> one libcst parse of what is left
      -> scopes (syntax) -> per-scope facts (flow, model) -> rule families (checks)
      -> render (merge, positions, messages, links)

A file libcst cannot parse gets one SKT900 saying why; a function the
analysis gives up on gets an SKT900 naming it, and the rest of the file is
still reported.
"""

from __future__ import annotations

import ast
import gc
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from lintplugin.analysis.gate import SocketSource, socket_source
from lintplugin.analysis.render import not_analysed
from lintplugin.types import Options, Report


@dataclass
class FileAnalysis:
    reports: List[Report] = field(default_factory=list)
    socket_code: bool = False  # whether the gates let any of the file through


def analyse(tree: Optional[ast.AST], lines: Sequence[str], options: Options = Options()) -> List[Report]:
    """Every report for one file. Never raises."""
    return analyse_file(tree, lines, options).reports


def analyse_file(tree: Optional[ast.AST], lines: Sequence[str], options: Options = Options()) -> FileAnalysis:
    """The reports for one file, and whether it has socket code at all."""
    result = FileAnalysis()
    try:
        with _recursion_headroom(), _collector_paused():
            source = socket_source(tree, lines)
            if source is None:
                return result
            result.socket_code = True
            result.reports = _analyse_source(source, lines, options)
    except RecursionError:
        result.reports = [not_analysed("it is nested too deeply for the analysis", options)]
    except Exception as error:  # the promise to flake8: one bad file never stops the run
        result.reports = [not_analysed(f"internal error ({type(error).__name__}: {error})", options)]
    return result


def _analyse_source(source: SocketSource, lines: Sequence[str], options: Options) -> List[Report]:
    libcst = _import_libcst()  # deferred: most files never get here
    line_map = source.line_map
    try:
        module = libcst.parse_module(source.text)
    except Exception as error:
        if line_map is None:
            return [not_analysed(_parse_failure(error), options)]
        # Our sparse copy should parse whenever the file does; if it does not,
        # pay for the whole file rather than miss findings.
        line_map = None
        try:
            module = libcst.parse_module("".join(lines))
        except Exception as full_error:
            return [not_analysed(_parse_failure(full_error), options)]
    from lintplugin.analysis.parsed import ParsedFile  # needs libcst: only files that get here pay for it

    return ParsedFile(module, line_map, options, source).reports()


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while a file is analysed.

    libcst trees and our graphs are freed by reference counting; while they
    are alive they would only make the collector's generations fill up and
    run full collections over flake8's whole heap. Measured on the standard
    library, those collections cost about as much as the analysis itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_libcst():
    """Import libcst once, and move its (permanent) objects out of the
    collector's reach: otherwise every later full collection in the flake8
    run walks tens of thousands of libcst classes and functions."""
    if "libcst" not in sys.modules:
        import libcst  # noqa: F401

        gc.freeze()
    return sys.modules["libcst"]


@contextmanager
def _recursion_headroom():
    """libcst visits trees recursively (about three frames per level), so
    long operator chains exceed Python's default limit of 1000 well before
    they are unusual code. From 3.11 on Python calls no longer use the C
    stack, so a higher limit is safe; older versions get a smaller rise."""
    wanted = 12000 if sys.version_info >= (3, 11) else 4000
    previous = sys.getrecursionlimit()
    if previous < wanted:
        sys.setrecursionlimit(wanted)
    try:
        yield
    finally:
        if previous < wanted:
            sys.setrecursionlimit(previous)


def _parse_failure(error: Exception) -> str:
    """Why libcst gave up, in one line (its messages span several)."""
    import libcst

    if isinstance(error, RecursionError):
        return "it is nested too deeply for libcst to parse"
    if isinstance(error, libcst.ParserSyntaxError):
        lines = str(error.message).strip().splitlines() or ["syntax error"]
        return f"libcst cannot parse it (line {error.raw_line}, column {error.raw_column + 1}: {lines[0]})"
    # libcst's parser has known gaps on valid code (it can fail with a
    # TypeError while building nodes): name the failure, never a traceback.
    detail = " ".join(str(error).split())[:160]
    return f"libcst cannot parse it ({type(error).__name__}: {detail})"
