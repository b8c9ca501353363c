"""What one CFG node evaluates and binds, read from its syntax once.

Each node's calls, walrus bindings, yields and lambdas are collected in one
walk (stopping at nested scopes) and kept on the node; its bindings are the
(target, value) pairs its assignments, loop targets, `with ... as`, `except
... as`, `del` and walrus expressions make. The event model reads these;
nothing else walks a node's syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Union

import libcst as cst

from lintplugin.flow.cfg import Node, NodeKind
from lintplugin.syntax.walk import NESTED_SCOPES, dotted_name, unawaited, walk

_COLLECTED = frozenset({cst.Call, cst.NamedExpr, cst.Yield, cst.Lambda})
# Nodes whose syntax is not evaluated there: a cleanup copy's statements have
# nodes of their own, and a `with` exit only runs __exit__.
_NOTHING_EVALUATED = frozenset({NodeKind.WITH_EXIT, NodeKind.FINALLY})


@dataclass(frozen=True)
class Bound:
    """One binding a node makes. `target` is a name, or the target node for
    attributes and subscripts (`self.sock = ...`, `conns[i] = ...`)."""

    target: Union[str, cst.BaseExpression]
    value: Optional[cst.BaseExpression]  # None when not known (loop targets, `+=`, `del`)
    # For an element of an unpacked tuple whose value is not known: the whole
    # right-hand side and the element's index (`conn, addr = pair`: pair, 0).
    whole: Optional[cst.BaseExpression] = None
    element: Optional[int] = None

    @property
    def name(self) -> Optional[str]:
        """The name or dotted attribute bound, if it is one."""
        return self.target if isinstance(self.target, str) else dotted_name(self.target)


def node_syntax(node: Node) -> Dict[type, List[cst.CSTNode]]:
    """The calls, walrus bindings, yields and lambdas a node evaluates."""
    if node.syntax is None:
        found: Dict[type, List[cst.CSTNode]] = {}
        if node.cst is not None and node.kind not in _NOTHING_EVALUATED:
            for current in walk(_roots(node), NESTED_SCOPES):
                if type(current) in _COLLECTED:
                    found.setdefault(type(current), []).append(current)
        node.syntax = found
    return node.syntax


def node_calls(node: Node) -> List[cst.Call]:
    return node_syntax(node).get(cst.Call, [])


def _roots(node: Node) -> Sequence[cst.CSTNode]:
    """The syntax a node evaluates (not the blocks of a compound statement)."""
    statement = node.cst
    if node.kind is NodeKind.FOR:
        return [statement.target]
    if node.kind is NodeKind.WITH_ENTER:
        return [item.item for item in statement.items]
    if node.kind is NodeKind.HANDLER:
        return [statement.type] if statement.type is not None else []
    if node.kind is NodeKind.CASE:
        return [statement.guard] if statement.guard is not None else []
    if node.kind is NodeKind.STMT and isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return [decorator.decorator for decorator in statement.decorators]
    return [statement]


def node_bindings(node: Node) -> List[Bound]:
    return list(_bindings(node))


def _bindings(node: Node) -> Iterator[Bound]:
    statement = node.cst
    if statement is None:
        return
    kind = node.kind
    if kind is NodeKind.STMT:
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                yield from unpack(target.target, statement.value)
        elif isinstance(statement, cst.AnnAssign) and statement.value is not None:
            yield from unpack(statement.target, statement.value)
        elif isinstance(statement, cst.AugAssign):
            if isinstance(statement.target, cst.Name):
                yield Bound(statement.target.value, None)
        elif isinstance(statement, cst.Del):
            yield from unpack(statement.target, None)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            yield Bound(statement.name.value, None)
    elif kind is NodeKind.FOR:
        yield from unpack(statement.target, None)
    elif kind is NodeKind.WITH_ENTER:
        for item in statement.items:
            if item.asname is not None:
                yield from unpack(item.asname.name, item.item)
    elif kind is NodeKind.HANDLER and statement.name is not None:
        yield from unpack(statement.name.name, None)
    if kind not in _NOTHING_EVALUATED and kind is not NodeKind.HANDLER:
        for current in node_syntax(node).get(cst.NamedExpr, ()):
            if isinstance(current.target, cst.Name):
                yield Bound(current.target.value, current.value)


def unpack(target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> Iterator[Bound]:
    """The bindings of an assignment target, element by element.

    An element's value is known when the value is a literal of the same
    length; `conn, addr = srv.accept()` and `a, b = socket.socketpair()`
    bind the socket(s) to the call itself, which acquires them.
    """
    if isinstance(target, cst.Name):
        yield Bound(target.value, value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        elements = target.elements
        for index, element in enumerate(elements):
            known = _element_value(value, index, len(elements))
            if isinstance(element.value, cst.Name) and (
                    (known is None and isinstance(value, cst.Name)) or _is_stream_pair(value)):
                # `conn, addr = pair`, `reader, writer = await asyncio.open_connection(...)`:
                # the model pairs the elements up
                yield Bound(element.value.value, known, whole=value, element=index)
            else:
                yield from unpack(element.value, known)
    elif isinstance(target, cst.StarredElement):
        yield from unpack(target.value, None)
    else:
        yield Bound(target, value)  # attribute or subscript: a store


_PAIR_OPENERS = ("open_connection", "open_unix_connection")


def _is_stream_pair(value: Optional[cst.BaseExpression]) -> bool:
    """`await asyncio.open_connection(...)`: a (reader, writer) pair."""
    value = unawaited(value)
    return isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] in _PAIR_OPENERS


def _element_value(value: Optional[cst.BaseExpression], index: int, count: int) -> Optional[cst.BaseExpression]:
    if value is None:
        return None
    if _is_stream_pair(value):
        return value if index == 1 else None  # the writer holds the connection; the reader reads it
    if index == 0 and isinstance(unawaited(value), cst.Call) and isinstance(unawaited(value).func, cst.Attribute) \
            and unawaited(value).func.attr.value in ("accept", "sock_accept") \
            and len(unawaited(value).args) == (0 if unawaited(value).func.attr.value == "accept" else 1):
        return value  # conn, addr = srv.accept(); conn, addr = await loop.sock_accept(srv)
    if index < 2 and isinstance(value, cst.Call) and (dotted_name(value.func) or "").endswith("socketpair"):
        return value  # a, b = socket.socketpair()
    if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == count:
        return value.elements[index].value
    return None


def escaping_names(node: Node) -> Iterator[str]:
    """Names returned or yielded by this node."""
    statement = node.cst
    if statement is None or node.kind in _NOTHING_EVALUATED:
        return
    if isinstance(statement, cst.Return) and statement.value is not None:
        yield from _names_in_value(statement.value)
    for current in node_syntax(node).get(cst.Yield, ()):
        if current.value is not None:
            value = current.value.item if isinstance(current.value, cst.From) else current.value
            yield from _names_in_value(value)


def _names_in_value(value: cst.BaseExpression) -> Iterator[str]:
    if isinstance(value, cst.Name):
        yield value.value
    elif isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) \
            and value.attr.value in ("close", "detach", "aclose"):
        yield value.value.value  # `return (s.close, port)`: the caller closes it
    elif isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        for element in value.elements:
            yield from _names_in_value(element.value)
    elif isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                yield from _names_in_value(element.value)


def captured_names(node: Node, wanted) -> Iterator[str]:
    """Names of `wanted` used inside a lambda or nested function defined at this node."""
    if node.cst is None or node.kind in _NOTHING_EVALUATED:
        return
    if node.kind is NodeKind.STMT and isinstance(node.cst, (cst.FunctionDef, cst.ClassDef)):
        roots: List[cst.CSTNode] = [node.cst]
    else:
        roots = list(node_syntax(node).get(cst.Lambda, ()))
    for current in walk(roots, stop_at=()):
        if isinstance(current, cst.Name) and current.value in wanted:
            yield current.value
