"""A parsed file: scopes, their shared facts, every rule family, and the reports.

Imported only for files that pass the gates (it needs libcst).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from lintplugin.analysis.gate import CONNECTION_ANNOTATIONS, SocketSource
from lintplugin.analysis.render import not_analysed, render
from lintplugin.checks import FAMILIES
from lintplugin.flow.cfg import AnalysisLimit
from lintplugin.model.calls import is_socket_call
from lintplugin.model.facts import FileFacts
from lintplugin.model.vocabulary import ACQUIRING_NAMES
from lintplugin.syntax.positions import node_starts
from lintplugin.syntax.scopes import Scope, collect_scopes
from lintplugin.syntax.walk import dotted_name
from lintplugin.types import Finding, Options, Report


class ParsedFile:
    """Runs every rule family on every scope with socket calls, one scope's
    failure at a time."""

    def __init__(self, module: cst.Module, line_map: Optional[List[int]], options: Options,
                 source: Optional[SocketSource] = None) -> None:
        self.module = module
        self.line_map = line_map
        self.options = options
        self.source = source
        self._positions: Optional[Dict[int, Tuple[int, int]]] = None
        self.scopes = collect_scopes(module)

    def position_of(self, node) -> Tuple[int, int]:
        if self._positions is None:
            # One code-generation pass over the (sparse) file, paid only when
            # something is reported.
            self._positions = node_starts(self.module)
        line, column = self._positions[id(node)]
        if self.line_map is not None:
            line = self.line_map[line - 1]
        return line, column

    def reports(self) -> List[Report]:
        facts = FileFacts(self.scopes, self.position_of)
        if self.source is not None:
            facts.class_summary = self.source.summary
        found: List[Finding] = []
        failures: List[Report] = []
        for scope in self.scopes:
            if not scope.is_class and not (_has_socket_calls(scope) or _is_handler(scope, facts)):
                continue  # nothing in it has the shape of socket code: no rule can apply
            for family in FAMILIES:
                check = getattr(family, "check_class", None) if scope.is_class else family.check
                if check is None:
                    continue
                try:
                    found.extend(check(scope, facts))
                except Exception as error:  # one function's failure must not hide the others
                    failures.append(not_analysed(_failure(error, family), self.options, self._describe(scope)))
                    if isinstance(error, AnalysisLimit):
                        break
            facts.release(scope)
        reports = render(found, self.position_of, self.options) + failures
        reports.sort(key=lambda report: (report.line, report.col, report.text))
        return reports

    def _describe(self, scope: Scope) -> str:
        if scope.parent is None:
            return "module-level code"
        line, _ = self.position_of(scope.node)
        return f"function '{scope.name}' (line {line})"


def _failure(error: Exception, family) -> str:
    if isinstance(error, AnalysisLimit):
        return f"it is too large to analyse ({error})"
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    return (
        f"internal error in {family.__name__.rsplit('.', 1)[-1]} "
        f"({type(error).__name__}: {error}); please report it"
    )


def _is_handler(scope: Scope, facts: FileFacts) -> bool:
    """A connection handler of a server in this module, or a function whose
    parameters are annotated as connections, holds one whatever it calls."""
    if not isinstance(scope.node, cst.FunctionDef):
        return False
    if scope.name in facts.handlers:
        return True
    params = scope.node.params
    for param in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
        if param.annotation is not None:
            name = dotted_name(param.annotation.annotation) or ""
            if name.rsplit(".", 1)[-1] in CONNECTION_ANNOTATIONS:
                return True
    return False


def _has_socket_calls(scope) -> bool:
    for call in scope.calls:
        func = call.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in ACQUIRING_NAMES or is_socket_call(func.attr.value, call):
                return True
            if func.attr.value == "connect" and len(call.args) == 1 and isinstance(func.value, cst.Attribute):
                return True  # `self.sock.connect(addr)` (SKT106)
        elif isinstance(func, cst.Name) and func.value in ACQUIRING_NAMES:
            return True
    return False
