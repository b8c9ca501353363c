"""What the functions of a module do for each other: the methods of a class
to the sockets it keeps on `self`, and servers to the handlers they are given.

A call of another method of the same class (`self._rebuild_pair()`) is
looked into one level deep: the attributes that method closes or stores
into are closed or rebound by the call. Read from each method's own calls
and stores, without following its calls further, so the cost is one pass
over the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Set

import libcst as cst

from lintplugin.model.vocabulary import SERVE_METHODS, SERVER_FUNCTIONS, closes_by_name, is_shutdown_helper
from lintplugin.syntax.names import qualified_name
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import dotted_name


@dataclass(frozen=True)
class MethodEffect:
    closes: FrozenSet[str]  # `self.x` attributes it closes (`self.x.close()`, `_force_close(self.x)`)
    rebinds: FrozenSet[str]  # `self.x` attributes it stores into


def method_effects(class_scope: Scope, scopes: List[Scope]) -> Dict[str, MethodEffect]:
    """Method name -> what it does to the attributes on `self`, for the methods of `class_scope`."""
    effects = {}
    for scope in scopes:
        if scope.parent is class_scope and isinstance(scope.node, cst.FunctionDef):
            effects[scope.name] = MethodEffect(frozenset(_closed(scope)), frozenset(_stored(scope)))
    return effects


def _closed(scope: Scope) -> Set[str]:
    found = set()
    for call in scope.calls:
        func = call.func
        if isinstance(func, cst.Attribute):
            receiver = dotted_name(func.value)
            method = func.attr.value
            if _on_self(receiver) and (method in ("close", "detach") or _closes(method)):
                found.add(receiver)
                continue
        function = dotted_name(func) or ""
        if _closes(function.rsplit(".", 1)[-1]):
            found.update(name for name in (dotted_name(arg.value) for arg in call.args) if _on_self(name))
    return found


def _stored(scope: Scope) -> Set[str]:
    return {store.target for store in scope.stores if _on_self(store.target)}


def _closes(name: str) -> bool:
    return closes_by_name(name) and not is_shutdown_helper(name)


def _on_self(name) -> bool:
    return isinstance(name, str) and name.startswith("self.") and name.count(".") == 1


def server_handlers(scopes: List[Scope]) -> Dict[str, bool]:
    """Function name -> whether it owns the connection it is given: the
    handlers passed to asyncio's `start_server` (True) or to trio's
    `serve_tcp`/`serve_listeners` and anyio's `listener.serve` (False), in
    this module. A handler may be passed directly, as a method (`self.handle`),
    through `functools.partial`, or as a lambda that calls it."""
    found: Dict[str, bool] = {}
    for scope in scopes:
        for call in scope.calls:
            owns = _serves(call, scope)
            if owns is None or not call.args or call.args[0].keyword is not None:
                continue
            name = _handler_name(call.args[0].value, scope)
            if name is not None:
                found.setdefault(name, owns)
    return found


def _serves(call: cst.Call, scope: Scope):
    name = qualified_name(call.func, scope)
    if name in SERVER_FUNCTIONS:
        return SERVER_FUNCTIONS[name]
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in SERVE_METHODS:
        return False  # anyio: `await listener.serve(handler)`
    return None


def _handler_name(value: cst.BaseExpression, scope: Scope):
    if isinstance(value, cst.Lambda) and isinstance(value.body, cst.Call):
        value = value.body.func
    elif isinstance(value, cst.Call) and (qualified_name(value.func, scope) or "").endswith("partial") and value.args:
        value = value.args[0].value
    name = dotted_name(value)
    return name.rsplit(".", 1)[-1] if name else None
