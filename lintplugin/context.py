"""Per-file analysis state: scope facts, rule families, positions, reports."""

from __future__ import annotations

from typing import Dict, List, Tuple

import libcst as cst

from lintplugin.catalogue import rule_link
from lintplugin.checks import FAMILIES
from lintplugin.findings import Finding
from lintplugin.flow import cfg as cfg_limits
from lintplugin.flow.cfg import AnalysisLimit, build_cfg
from lintplugin.ownership import OwnershipAnalysis
from lintplugin.positions import node_starts
from lintplugin.sockets import SocketModel, is_datagram, is_socket_call
from lintplugin.vocabulary import ACQUIRING_NAMES
from lintplugin.scopes import Scope, collect_scopes


class FileContext:
    """What the rule families of one file share."""

    def __init__(self, module: cst.Module, options, line_map=None) -> None:
        self.module = module
        self.options = options
        self.line_map = line_map  # sparse line -> original line (None: the same)
        self._empty_module = cst.Module(body=[])
        self._positions = None
        self._models = {}
        self._ownership = {}
        self._shutdowns = {}
        self._scopes = []
        self._datagram_attributes = None

    def ownership(self, scope: Scope):
        """The ownership dataflow of a function, built once and shared by rule families."""
        key = id(scope)
        if key not in self._ownership:
            analysis = None
            model = self.socket_model(scope)
            if model is not None and not model.is_module:
                analysis = OwnershipAnalysis(model, sinks_at_exit=True)
                analysis.run()
            self._ownership[key] = analysis
        return self._ownership[key]

    def unprotected_shutdowns(self, scope: Scope):
        """SKT304's shutdown() calls, shared with SKT101 (which yields to it)."""
        key = id(scope)
        if key not in self._shutdowns:
            from lintplugin.checks.graceful import unprotected_shutdowns

            self._shutdowns[key] = unprotected_shutdowns(self.socket_model(scope))
        return self._shutdowns[key]

    def socket_model(self, scope: Scope):
        key = id(scope)
        if key not in self._models:
            graph = build_cfg(scope.node, budget=cfg_limits.DEFAULT_NODE_BUDGET)
            self._models[key] = SocketModel(scope, graph, self.source_of, self.datagram_attributes)
        return self._models[key]

    @property
    def datagram_attributes(self):
        """Attributes the file sets to datagram sockets (`self._sock = socket(AF_INET,
        SOCK_DGRAM)`): they have no end-of-file, wherever they are read."""
        if self._datagram_attributes is None:
            found = set()
            for scope in self._scopes:
                for target, value in scope.stores:
                    if is_datagram(value, scope):
                        found.add(target)
            self._datagram_attributes = frozenset(found)
        return self._datagram_attributes

    def source_of(self, node: cst.CSTNode) -> str:
        """The code of a (small) node, as the user wrote it, on one line."""
        return " ".join(self._empty_module.code_for_node(node).split())

    def position_of(self, node: cst.CSTNode) -> Tuple[int, int]:
        if self._positions is None:
            # One code-generation pass over the (sparse) file, paid only when
            # something is reported.
            self._positions = node_starts(self.module)
        line, column = self._positions[id(node)]
        if self.line_map is not None:
            line = self.line_map[line - 1]
        return line, column

    def findings(self) -> List[Finding]:
        found: List[Finding] = []
        failures: List[str] = []
        self._scopes = collect_scopes(self.module)
        for scope in self._scopes:
            if scope.is_class or not _has_socket_calls(scope):
                continue  # nothing in it has the shape of socket code: no rule can apply
            for family in FAMILIES:
                try:
                    found.extend(family.check(scope, self))
                except AnalysisLimit as limit:
                    failures.append((self._describe(scope), f"it is too large to analyse ({limit})"))
                    break
                except RecursionError:
                    failures.append((self._describe(scope), "it is nested too deeply"))
                except Exception as error:  # one function's failure must not hide the others
                    failures.append((
                        self._describe(scope),
                        f"internal error in {family.__name__.rsplit('.', 1)[-1]} "
                        f"({type(error).__name__}: {error}); please report it",
                    ))
        self.failures = failures
        return found

    def _describe(self, scope: Scope) -> str:
        if isinstance(scope.node, cst.Module):
            return "module-level code"
        line, _ = self.position_of(scope.node)
        return f"function '{scope.name}' (line {line})"

    def reports(self):
        from lintplugin.engine import Report, not_analysed_part

        found = self.findings()
        merged: Dict[Tuple[int, str], List] = {}
        for finding in found:
            line, col = self.position_of(finding.node)
            entry = merged.setdefault((line, finding.code), [col, finding, []])
            entry[0] = min(entry[0], col)
            if finding.subject not in entry[2]:
                entry[2].append(finding.subject)
        reports = [
            Report(line, col, f"{code} {first.render(tuple(subjects))} ({rule_link(code, self.options.docs_url)})")
            for (line, code), (col, first, subjects) in merged.items()
        ]
        reports.extend(not_analysed_part(what, why, self.options) for what, why in self.failures)
        reports.sort(key=lambda report: (report.line, report.col, report.text))
        return reports


def _has_socket_calls(scope: Scope) -> bool:
    for call in scope.calls:
        func = call.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in ACQUIRING_NAMES or is_socket_call(func.attr.value, call):
                return True
        elif isinstance(func, cst.Name) and func.value in ACQUIRING_NAMES:
            return True
    return False
