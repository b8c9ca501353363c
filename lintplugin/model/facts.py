"""The facts of one file that the rule families share, each built once.

For every scope: its control-flow graph and event model, the ownership
dataflow, and the unprotected shutdowns; for the file: the attributes it
sets to datagram sockets. Families ask for what they need; whatever two
families ask for is computed once.
"""

from __future__ import annotations

from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from lintplugin.flow.cfg import build_cfg
from lintplugin.model.calls import is_datagram
from lintplugin.model.classes import MethodEffect, method_effects, server_handlers
from lintplugin.model.events import SocketModel
from lintplugin.model.ownership import OwnershipAnalysis
from lintplugin.model.shutdowns import unprotected_shutdowns
from lintplugin.syntax.names import qualified_name
from lintplugin.syntax.scopes import Scope
from lintplugin.types import ClassSummary

Position = Tuple[int, int]


class FileFacts:
    def __init__(self, scopes: List[Scope], position_of: Callable[[cst.CSTNode], Position]) -> None:
        self.scopes = scopes
        # Where a node starts in the file (line, 0-based column): for ordering
        # findings and for the line numbers messages mention.
        self.position_of = position_of
        self._empty_module = cst.Module(body=[])
        self._models: Dict[int, SocketModel] = {}
        self._scope_by_node: Optional[Dict[int, Scope]] = None  # see scope_of()
        self._ownership: Dict[int, Optional[OwnershipAnalysis]] = {}
        self._shutdowns: Dict[int, List[Tuple[cst.Call, str]]] = {}
        self._datagram_attributes: Optional[FrozenSet[str]] = None
        self._classes: Dict[int, Dict[str, MethodEffect]] = {}
        self._handlers: Optional[Dict[str, bool]] = None
        # From the gate's look at the whole file (see analysis/gate.py): what a
        # top-level class does with self's attributes, in all its methods.
        self.class_summary: Callable[[str], Optional[ClassSummary]] = lambda name: None

    def scope_of(self, node: cst.CSTNode) -> Optional[Scope]:
        if self._scope_by_node is None:
            self._scope_by_node = {id(scope.node): scope for scope in self.scopes}
        return self._scope_by_node.get(id(node))

    def socket_model(self, scope: Scope) -> SocketModel:
        key = id(scope)
        if key not in self._models:
            graph = build_cfg(scope.node, resolve=lambda expression: qualified_name(expression, scope))
            serves = self.handlers.get(scope.name) if isinstance(scope.node, cst.FunctionDef) else None
            self._models[key] = SocketModel(scope, graph, self.datagram_attributes, self.self_methods(scope), serves,
                                            scope_of=self.scope_of)
        return self._models[key]

    def ownership(self, scope: Scope) -> Optional[OwnershipAnalysis]:
        """The ownership dataflow of a function (None for module-level code)."""
        key = id(scope)
        if key not in self._ownership:
            analysis = None
            model = self.socket_model(scope)
            if not model.is_module:
                analysis = OwnershipAnalysis(model)
                analysis.run()
            self._ownership[key] = analysis
        return self._ownership[key]

    def release(self, scope: Scope) -> None:
        """Forget a scope's graph, events and dataflows once every family has
        judged it: memory then grows with the largest function, not the file."""
        key = id(scope)
        for cache in (self._models, self._ownership, self._shutdowns):
            cache.pop(key, None)

    def unprotected_shutdowns(self, scope: Scope) -> List[Tuple[cst.Call, str]]:
        key = id(scope)
        if key not in self._shutdowns:
            self._shutdowns[key] = unprotected_shutdowns(self.socket_model(scope))
        return self._shutdowns[key]

    def self_methods(self, scope: Scope) -> Dict[str, MethodEffect]:
        """For a method: what the other methods of its class do to `self`'s sockets."""
        owner = scope.parent
        if owner is None or not owner.is_class:
            return {}
        if id(owner) not in self._classes:
            self._classes[id(owner)] = method_effects(owner, self.scopes)
        return self._classes[id(owner)]

    @property
    def handlers(self) -> Dict[str, bool]:
        """Connection handlers of the servers this module starts (see classes.server_handlers)."""
        if self._handlers is None:
            self._handlers = server_handlers(self.scopes)
        return self._handlers

    @property
    def datagram_attributes(self) -> FrozenSet[str]:
        """Attributes the file sets to datagram sockets (`self._sock = socket(AF_INET,
        SOCK_DGRAM)`): they have no end-of-file, wherever they are read."""
        if self._datagram_attributes is None:
            self._datagram_attributes = frozenset(
                store.target for scope in self.scopes for store in scope.stores if is_datagram(store.value, scope)
            )
        return self._datagram_attributes

    def source_of(self, node: cst.CSTNode) -> str:
        """The code of a (small) node, as the user wrote it, on one line."""
        return " ".join(self._empty_module.code_for_node(node).split())
