"""Questions about single socket calls that need the syntax (and the scope
for import spellings): is this call shaped like the socket method, how
does it acquire a socket, which way does it shut down."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from lintplugin.model.vocabulary import ACQUIRING_FUNCTIONS, ASYNC_ACQUIRING_FUNCTIONS, WRAPPING_METHODS, arity_fits
from lintplugin.syntax.names import qualified_name
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import dotted_name, is_none, method_of, unawaited


def is_socket_call(method: str, call: cst.Call) -> bool:
    """Whether a method call has the shape of that socket method.

    Using one on a name is what makes us treat it as a socket (see
    vocabulary.EVIDENCE_METHODS). `send`, `recv()` without arguments,
    `connect` and `bind` alone are too common elsewhere (pipes, signals, GUIs).
    """
    positional = sum(1 for arg in call.args if arg.keyword is None and not arg.star)
    keywords = sum(1 for arg in call.args if arg.keyword is not None)
    starred = any(arg.star for arg in call.args)
    return arity_fits(method, positional, keywords, starred)


def is_accept(node: cst.BaseExpression) -> bool:
    """`srv.accept()`, `await listener.accept()` (trio, anyio), `await loop.sock_accept(srv)`."""
    node = unawaited(node)
    if not isinstance(node, cst.Call):
        return False
    method = method_of(node)
    return (method == "accept" and not node.args) or (method == "sock_accept" and len(node.args) == 1)


def acquisition(value: Optional[cst.BaseExpression], scope: Scope) -> Optional[str]:
    """How `value` creates a socket or connection ("created", "accepted", ...), or None."""
    value = unawaited(value)
    if isinstance(value, cst.Subscript) and is_accept(value.value):
        return "accepted"  # conn = srv.accept()[0]
    if not isinstance(value, cst.Call):
        return None
    if is_accept(value):
        return "accepted"
    name = qualified_name(value.func, scope)
    how = (ACQUIRING_FUNCTIONS.get(name) or ASYNC_ACQUIRING_FUNCTIONS.get(name)) if name is not None else None
    if how is None and method_of(value) in WRAPPING_METHODS and value.args:
        how = "wrapped"
    if how == "wrapped" and value.args and isinstance(value.args[0].value, cst.Attribute):
        return None  # wrapping a socket an object holds: the object still owns it
    return how


def is_datagram(value: cst.BaseExpression, scope: Scope) -> bool:
    """`socket(AF_INET, SOCK_DGRAM)` in any spelling."""
    if not isinstance(value, cst.Call):
        return False
    for arg in value.args:
        name = qualified_name(arg.value, scope) or dotted_name(arg.value) or ""
        if name.rsplit(".", 1)[-1] == "SOCK_DGRAM":
            return True
    return False


def shutdown_how(call: cst.Call, scope: Scope) -> str:
    """SHUT_RD, SHUT_WR or SHUT_RDWR for a shutdown() call, "?" when unknown."""
    if not call.args:
        return "?"
    value = call.args[0].value
    name = qualified_name(value, scope) or dotted_name(value) or ""
    short = name.rsplit(".", 1)[-1]
    if short in ("SHUT_WR", "SHUT_RDWR", "SHUT_RD"):
        return short
    if isinstance(value, cst.Integer):
        return {"0": "SHUT_RD", "1": "SHUT_WR", "2": "SHUT_RDWR"}.get(value.value, "?")
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return "SHUT_WR" if value.value == "True" else "SHUT_RD"  # shutdown(True) is shutdown(1)
    return "?"


def reads_to_end(call: cst.Call) -> bool:
    """`f.read()`, `f.read(None)`, `f.read(-1)`: a read until end-of-file."""
    if not call.args:
        return True
    value = call.args[0].value
    if is_none(value):
        return True
    return isinstance(value, cst.UnaryOperation) and isinstance(value.expression, cst.Integer)
