"""SKT1xx: CLOSE_WAIT leaks.

SKT101 error-path-leak, SKT102 eof-leak and SKT105 never-closed come from the
ownership dataflow (model/ownership.py): each path class that reaches a sink
with the socket open names one of them. SKT103 eof-ignored and SKT104
error-swallowed judge receive loops and their except clauses, from the same
event model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.catalogue import CLOSE_WAIT
from lintplugin.flow.cfg import EXC, NORMAL_EDGES, TRUE, NodeKind, always_true
from lintplugin.model.conditions import eof_test
from lintplugin.model.events import SocketModel
from lintplugin.model.facts import FileFacts
from lintplugin.model.ownership import Leak, OwnershipAnalysis, PathKind
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import (
    NESTED_SCOPES,
    bound_names,
    called_name,
    dotted_name,
    is_empty_string,
    is_integer,
    is_none,
    syntax_children,
    unawaited,
    walk,
)
from lintplugin.types import Finding

# Calls that fail before a connection exists: no CLOSE_WAIT, but a descriptor per failure.
_SETUP_CALLS = frozenset({"connect", "connect_ex", "bind", "listen", "setsockopt"})


def check(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
    model = facts.socket_model(scope)
    yield from eof_ignored(model)
    yield from error_swallowed(model)
    analysis = facts.ownership(scope)
    if analysis is None:
        return
    for leak in _one_per_socket(analysis.leaks(), analysis.model, facts):
        yield from _leak_findings(leak, analysis, facts)


def _one_per_socket(leaks: List[Leak], model: SocketModel, facts: FileFacts) -> List[Leak]:
    """A raw socket and its ssl wrapper are one socket: their leaks become
    one, named for whichever leaks first."""
    wrapped = {id(leak.origin[0]) for leak in leaks if _is_wrapper(leak, model)}
    by_origin: Dict[int, List[Leak]] = {}
    merged: List[Leak] = []
    for leak in leaks:
        if id(leak.origin[0]) in wrapped:
            by_origin.setdefault(id(leak.origin[0]), []).append(leak)
        else:
            merged.append(leak)
    for group in by_origin.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        first = min(group, key=lambda leak: min(
            (facts.position_of(site) for site in leak.errors + leak.eofs + [s for s, _ in leak.normal]),
            default=(0, 0)))
        one = Leak(name=first.name, origin=first.origin)
        for leak in group:
            one.normal += [site for site in leak.normal if site not in one.normal]
            one.errors += leak.errors
            one.eofs += leak.eofs
            one.sinks = {**leak.sinks, **one.sinks}
        merged.append(one)
    return sorted(merged, key=lambda leak: leak.name)


# -- SKT101, SKT102, SKT105 from the ownership dataflow -----------------------------


def _is_wrapper(leak: Leak, model: SocketModel) -> bool:
    """Whether the leaked name holds an ssl wrapper of a socket acquired under another name."""
    own = model.acquired.get(leak.name)
    return bool(own) and leak.origin[0] is not None and own[0][0] is not leak.origin[0]


def _leak_findings(leak: Leak, analysis: OwnershipAnalysis, facts: FileFacts) -> Iterator[Finding]:
    if leak.normal:
        site, how = min(leak.normal, key=lambda item: facts.position_of(item[0]))
        sink = analysis.sink_of(leak, PathKind.NORMAL, (site, how))
        yield Finding("SKT105", site, leak.name, {"how": how, "sink": _sink_phrase(sink, leak.name, analysis, facts)})
        return  # one report per leaked socket
    origin = _origin(leak, facts)
    first_error = _first_leaking_call(leak, analysis, facts)
    if first_error is not None:
        first, more = first_error
        yield Finding("SKT101", first, leak.name, {
            "origin": origin,
            "failure": "when this 'raise' leaves" if isinstance(first, cst.Raise) else f"if {_call_name(first)} raises",
            "consequence": _consequence(first),
            "more": f" ({more} more {'calls leak' if more > 1 else 'call leaks'} it the same way)" if more else "",
        })
    for receive in sorted(leak.eofs, key=facts.position_of):
        sink = analysis.sink_of(leak, PathKind.EOF, receive)
        yield Finding("SKT102", receive, leak.name, {
            "origin": origin,
            "call": _call_name(receive),
            "sink": _sink_phrase(sink, leak.name, analysis, facts),
        })


def _first_leaking_call(leak: Leak, analysis: OwnershipAnalysis, facts: FileFacts):
    """(the first exception source that leaks the socket, how many more do),
    or None when there is none, or when that first source is a shutdown
    SKT304 reports instead."""
    if not leak.errors:
        return None
    ordered = sorted(leak.errors, key=facts.position_of)
    first = ordered[0]
    if any(call is first for call, _ in facts.unprotected_shutdowns(analysis.model.scope)):
        return None
    return first, len(ordered) - 1


def _origin(leak: Leak, facts: FileFacts) -> str:
    node, how = leak.origin
    if node is None:
        return "a parameter this function closes"
    line, _ = facts.position_of(node)
    if how == "obtained":
        return f"from {_call_name(node)} on line {line}, and closed here on some paths"
    return f"{how} on line {line}"


def _call_name(node: cst.CSTNode) -> str:
    name = called_name(node) if isinstance(node, cst.Call) else None
    return f"{name}()" if name is not None else "the call"


def _consequence(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Call) and called_name(node) in _SETUP_CALLS:
        return "its descriptor leaks, one more with every failed attempt"
    return CLOSE_WAIT


def _sink_phrase(sink: Optional[int], name: str, analysis: OwnershipAnalysis, facts: FileFacts) -> str:
    if sink is None:
        return "it is lost"
    node = analysis.cfg.nodes[sink]
    if node.kind is NodeKind.EXIT:
        return "the function returns"
    if node.kind is NodeKind.RAISE_EXIT:
        return "an exception leaves the function"
    if node.cst is not None:
        line, _ = facts.position_of(node.cst)
        return f"'{name}' is rebound on line {line}"
    return "it is lost"


# -- SKT103 eof-ignored ------------------------------------------------------------


def eof_ignored(model: SocketModel) -> Iterator[Finding]:
    """Receives in `while` loops that go round again when they return b''."""
    cfg = model.cfg
    assignments: Dict[int, Assignments] = {}  # loop header -> what its body assigns
    comes_back: Dict[Tuple[int, str, str], Set[int]] = {}  # (header, data, socket) -> nodes back to the header on b''
    for index, node in enumerate(cfg.nodes):
        if node.loop == -1 or cfg.nodes[node.loop].kind is not NodeKind.TEST:
            continue  # not in a while loop (a for loop, or no loop at all)
        for data, receiver, socket, call in _received_names(model, index):
            header = cfg.nodes[node.loop]
            if header.index not in assignments:
                assignments[header.index] = _assignments_in(header.statement.body)
            assigned = assignments[header.index]
            if receiver in assigned.values:
                continue  # a new socket every turn (the next accept()): no spinning on one
            if not _runs_forever_on_eof(header.statement, data, assigned):
                continue
            key = (header.index, data, socket)
            if key not in comes_back:
                comes_back[key] = _returning_on_eof(model, header.index, data, socket)
            if _spins(model, index, call, comes_back[key]):
                yield Finding("SKT103", call, receiver, {"call": _call_name(call)})


def _received_names(model: SocketModel, index: int) -> List[Tuple[str, str, str, cst.Call]]:
    """(data name, receiver, socket, call) for stream receives bound to names
    at a node (`data = sock.recv(n)`, `buf += sock.recv(n)`, a walrus in an
    `if`); the receiver is what the report names (a makefile() object's own
    name). A walrus in a `while` test leaves the loop through the condition."""
    if model.cfg.nodes[index].is_while_test:
        return []
    return [
        (name, dotted_name(event.node.func.value), event.var, event.node)
        for event in model.stream_receives(index)
        if not event.chained
        for name in event.into
    ]


def _runs_forever_on_eof(loop: cst.While, data: str, assigned: "Assignments") -> bool:
    """Whether nothing but received data moves the loop's condition (spec: SKT103)."""
    test = loop.test
    if always_true(test):
        return True
    names, calls = _condition_parts(test)
    if calls or not names:
        return False  # a deadline, a method asked each turn, a constant: not ours to judge
    if data in names:
        return False  # `while data:` ends on b''
    received = {data} | assigned.received
    for name in names:
        for augmented, value in assigned.values.get(name, []):
            if not (augmented and _made_of_received(value, received)):
                return False  # the condition also moves on its own: bounded
    return True


def _condition_parts(test) -> Tuple[Set[str], int]:
    """The names (and attribute chains) a condition reads, and how many
    calls other than len() it makes."""
    names: Set[str] = set()
    calls = 0
    stack = [test]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            if isinstance(current.func, cst.Name) and current.func.value == "len":
                stack.extend(arg.value for arg in current.args)
            else:
                calls += 1
            continue
        if isinstance(current, (cst.Name, cst.Attribute)):
            name = dotted_name(current)
            if name is not None:
                if name not in ("True", "False", "None"):
                    names.add(name)
                continue
        stack.extend(syntax_children(current))
    return names, calls


@dataclass
class Assignments:
    """What a block (a loop body, a handler) assigns, nested scopes left out."""

    values: Dict[str, List[Tuple[bool, Optional[cst.BaseExpression]]]] = field(default_factory=dict)
    # name -> [(augmented, value)]: `x = v`, walrus and loop targets (value None) are not
    # augmented; `x += v` and friends are
    received: Set[str] = field(default_factory=set)  # names bound straight from a receive

    def add(self, names: List[str], augmented: bool, value) -> None:
        for name in names:
            self.values.setdefault(name, []).append((augmented, value))
            if not augmented and _is_receive_call(value):
                self.received.add(name)  # `n = sock.recv_into(view)`: data too


def _assignments_in(block) -> Assignments:
    found = Assignments()
    for current in walk([block], NESTED_SCOPES):
        if isinstance(current, cst.Assign):
            for target in current.targets:
                found.add(bound_names(target.target), False, current.value)
        elif isinstance(current, cst.AugAssign):
            found.add(bound_names(current.target), True, current.value)
        elif isinstance(current, (cst.AnnAssign, cst.NamedExpr)) and current.value is not None:
            found.add(bound_names(current.target), False, current.value)
        elif isinstance(current, cst.For):
            found.add(bound_names(current.target), False, None)
    return found


def _is_receive_call(value) -> bool:
    value = unawaited(value)
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in ("recv", "recv_into", "read", "readline", "readinto", "read1")
    )


def _made_of_received(value, received) -> bool:
    if value is None:
        return False
    if _is_receive_call(value):
        return True
    names, calls = _condition_parts(value)
    return bool(names) and not calls and names <= received


def _returning_on_eof(model: SocketModel, header: int, data: str, receiver: str) -> Set[int]:
    """Loop nodes from which control comes back to `header` when `data` is
    b'': taking the end-of-file side of every test on `data`, without
    closing the socket or raising (`assert data` raises on b'').

    One backward search per loop and data name, so that checking every
    receive of a large loop stays linear."""
    cfg = model.cfg
    found = {header}
    todo = [header]
    while todo:
        current = todo.pop()
        for source, kind in cfg.nodes[current].pred:
            if source in found or kind not in NORMAL_EDGES:
                continue
            node = cfg.nodes[source]
            if not cfg.in_loop(source, header) or node.kind is NodeKind.RAISE or model.closes(source, receiver):
                continue
            eof = _tested_data(node)
            if eof is not None and eof.data == data:
                if node.kind is NodeKind.ASSERT and eof.eof_edge != TRUE:
                    continue  # `assert data` raises on b''
                if node.kind is NodeKind.TEST and kind != eof.eof_edge:
                    continue  # that side is not taken on b''
            found.add(source)
            todo.append(source)
    return found


def _tested_data(node):
    """The end-of-file test of a data name that a test or assert makes."""
    if node.kind is NodeKind.TEST:
        return eof_test(node.cst)
    if node.kind is NodeKind.ASSERT:
        return eof_test(node.cst.test)
    return None


def _spins(model: SocketModel, start: int, call: cst.Call, returning: Set[int]) -> bool:
    """Whether control goes from the receive back round the loop on b''."""
    node = model.cfg.nodes[start]
    kinds = NORMAL_EDGES
    if node.kind is NodeKind.TEST:
        eof = eof_test(node.cst, lambda value: (None, call) if value is call else None)
        if eof is not None and eof.receive is call:
            kinds = (eof.eof_edge,)
    return any(target in returning for target, kind in node.succ if kind in kinds)


# -- SKT104 error-swallowed ---------------------------------------------------------


def error_swallowed(model: SocketModel) -> Iterator[Finding]:
    """Handlers of connection errors around a receive that go round the loop
    with the same socket."""
    cfg = model.cfg
    for handler in cfg.nodes:
        if handler.kind is not NodeKind.HANDLER or not handler.handler.catches_connection_errors:
            continue  # only timeouts, retry errors, or a project's own exceptions
        if any(isinstance(node, cst.Raise) for node in walk([handler.cst.body], NESTED_SCOPES)):
            continue  # it picks the errors to re-raise (errno checks): a deliberate filter
        sockets: List[str] = []
        for source, kind in handler.pred:
            if kind == EXC:
                sockets.extend(e.var for e in model.stream_receives(source) if e.var not in sockets)
        for name in sockets:
            if _carries_on(model, handler, name):
                caught = ", ".join(name or "everything" for name in handler.handler.names)
                yield Finding("SKT104", handler.cst, name, {"caught": caught})


def _carries_on(model: SocketModel, handler, socket: str) -> bool:
    """Whether the handler's way on uses the same socket again inside the
    receive's loop: without closing it, rebinding it (the next turn's
    accept() or socket()), or setting what the loop condition tests."""
    cfg = model.cfg
    header = handler.loop
    if header == -1:
        return False  # not in a loop: nothing goes round again
    loop = cfg.nodes[header]
    if loop.kind is NodeKind.TEST and _sets_condition(handler.cst.body, loop.statement.test):
        return False
    # `except OSError: data = b""` turns the error into end-of-file: the
    # code after it then takes its end-of-file branch.
    emptied = _emptied_names(handler.cst.body)
    seen = {handler.index}
    todo = [handler.index]
    while todo:
        current = todo.pop()
        node = cfg.nodes[current]
        if current != handler.index:
            if current != header and not cfg.in_loop(current, header):
                continue  # left the loop
            if model.uses(current, socket):
                return True
            if model.closes(current, socket) or model.rebinds(current, socket) or node.kind is NodeKind.RAISE:
                continue
        kinds = NORMAL_EDGES
        if node.kind is NodeKind.TEST and emptied:
            found = eof_test(node.cst)
            if found is not None and found.data in emptied:
                kinds = (found.eof_edge,)
        for target, kind in node.succ:
            if current == header and kind != TRUE:
                continue  # the loop ends
            if kind in kinds and target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def _emptied_names(block) -> Set[str]:
    return {
        name for name, values in _assignments_in(block).values.items()
        if any(not augmented and _is_empty_value(value) for augmented, value in values)
    }


def _is_empty_value(value) -> bool:
    return is_empty_string(value) or is_none(value) or is_integer(value, "0")


def _sets_condition(block, condition) -> bool:
    tested, _ = _condition_parts(condition)
    return bool(tested & set(_assignments_in(block).values))
