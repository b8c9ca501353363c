"""SKT103 eof-ignored and SKT104 error-swallowed: receives whose end is ignored.

SKT103: a `while` loop around a receive that goes round again when the
receive returns b'' (the peer closed): every later receive returns b'' at
once, the loop spins and the socket sits in CLOSE_WAIT. Only loops that can
run forever on end-of-file are judged: nothing but received data (or
nothing at all) moves their condition.

SKT104: an except clause (or `with suppress(...)`) around a receive that
catches connection errors and goes on with the same socket, round the loop
or further down the function, without closing it.

Both read the event model; the searches are linear in the function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import EXC, FALSE, NORMAL_EDGES, TRUE, Node, NodeKind, Way, always_true
from lintplugin.model.conditions import eof_test
from lintplugin.model.events import Event, EventKind, SocketModel
from lintplugin.model.facts import FileFacts
from lintplugin.model.vocabulary import LOOP_SOCKET_METHODS, is_sleep, looks_without_io
from lintplugin.syntax.names import qualified_name
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import (
    NESTED_SCOPES,
    bound_names,
    call_text,
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


def check(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
    model = facts.socket_model(scope)
    yield from eof_ignored(model)
    yield from error_swallowed(model)


_SPIN = "the loop spins and the socket sits in CLOSE_WAIT"
# An await that returns at once never yields for long: the event loop starves.
_SPIN_IN_COROUTINE = (
    "the loop spins without ever waiting, starving every other task on the event loop, "
    "and the connection sits in CLOSE_WAIT"
)


# -- SKT103 eof-ignored ------------------------------------------------------------


@dataclass(frozen=True)
class _Receive:
    event: Event
    node: int  # the CFG node that receives
    header: int  # the `while` loop around it (its test node)
    data: Optional[str]  # the name its bytes are bound to, if any
    accumulates: bool  # `buf += sock.recv(n)`: tests of `buf` are not end-of-file tests


def eof_ignored(model: SocketModel) -> Iterator[Finding]:
    """Receives in `while` loops that go round again when they return b''."""
    loops: Dict[int, _Loop] = {}
    comes_back: Dict[Tuple[int, Optional[str], bool, str], Set[int]] = {}
    for receive in _loop_receives(model):
        loop = loops.get(receive.header)
        if loop is None:
            loop = loops[receive.header] = _Loop.of(model, receive.header)
        receiver = receive.event.var if called_name(receive.event.node) in LOOP_SOCKET_METHODS \
            else dotted_name(receive.event.node.func.value) or receive.event.var
        if receiver in loop.assigned.values or receive.event.var in loop.assigned.values:
            continue  # a new socket every turn (the next accept()): no spinning on one
        if loop.raises_at_eof(model, receive.event.var):
            continue  # a readuntil()/readexactly() of the same connection ends the loop at end-of-file
        if not loop.runs_forever_on_eof(receive, model):
            continue
        key = (receive.header, receive.data, receive.accumulates, receive.event.var)
        if key not in comes_back:
            comes_back[key] = _returning_on_eof(model, loop, receive)
        if _spins(model, receive, comes_back[key]):
            yield Finding("SKT103", receive.event.node, receiver, {
                "call": call_text(receive.event.node),
                "spin": _SPIN_IN_COROUTINE if model.is_coroutine else _SPIN,
            })


def _loop_receives(model: SocketModel) -> Iterator[_Receive]:
    """Stream receives whose innermost loop is a `while` loop: bound to a
    name, accumulated into a buffer, or in the loop's own test."""
    cfg = model.cfg
    for index, node in enumerate(cfg.nodes):
        header = index if node.is_while_test else node.loop
        if header == -1 or not cfg.nodes[header].is_while_test:
            continue  # not in a while loop (a for loop, or no loop at all)
        for event in model.stream_receives(index):
            if event.raises_at_eof:
                continue  # readexactly(), anyio's receive(): end-of-file raises, the loop cannot spin
            if event.into:
                for name in event.into:
                    yield _Receive(event, index, header, name, event.accumulates)
            elif index == header or _is_accumulated_whole(node, event):
                yield _Receive(event, index, header, _accumulator(node, event), True)
            elif node.kind is NodeKind.TEST or _is_discarded(node, event):
                # `if sock.recv(n).endswith(b"\n"): break`, `sock.recv(32)` alone: nothing tests its b''
                yield _Receive(event, index, header, None, False)


def _is_discarded(node: Node, event: Event) -> bool:
    """`sock.recv(32)` as a statement of its own: its result, b'' included, is thrown away."""
    statement = node.cst
    return node.kind is NodeKind.STMT and isinstance(statement, cst.Expr) and unawaited(statement.value) is event.node


def _is_accumulated_whole(node: Node, event: Event) -> bool:
    """`buf = buf + sock.recv(n)`: the receive is appended to a buffer."""
    return _accumulator(node, event) is not None


def _accumulator(node: Node, event: Event) -> Optional[str]:
    statement = node.cst
    if node.kind is not NodeKind.STMT or not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0].target
    value = statement.value
    if isinstance(target, cst.Name) and isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        operands = {id(unawaited(value.left)), id(unawaited(value.right))}
        names = {dotted_name(value.left), dotted_name(value.right)}
        if id(event.node) in operands and target.value in names:
            return target.value
    return None


@dataclass
class _Loop:
    """A `while` loop: what its condition reads and what its body assigns."""

    header: int
    statement: cst.While
    names: Set[str]  # names and attribute chains the condition reads
    opaque_calls: List[cst.Call]  # calls that may change on their own (time, a method asked each turn)
    assigned: "Assignments"
    acting: Dict[Tuple[int, int], bool] = field(default_factory=dict)  # (test, edge) -> acts on b''
    derivations: Dict[str, Set[str]] = field(default_factory=dict)
    raising: Optional[Set[str]] = None  # sockets the loop reads with a call that raises at end-of-file

    @classmethod
    def of(cls, model: SocketModel, header: int) -> "_Loop":
        statement = model.cfg.nodes[header].statement
        names, calls = _condition_parts(statement.test)
        return cls(header, statement, names, calls, _assignments_in(statement.body))

    def raises_at_eof(self, model: SocketModel, socket: str) -> bool:
        """Whether the loop also receives from `socket` with a call that raises at end-of-file."""
        if self.raising is None:
            cfg = model.cfg
            self.raising = {
                event.var
                for index in range(len(cfg.nodes)) if cfg.in_loop(index, self.header)
                for event in model.stream_receives(index) if event.raises_at_eof
            }
        return socket in self.raising

    def derived(self, data: str) -> Set[str]:
        """Names the loop computes from the received bytes in ways that stay
        empty when they are (`chunk = buf[:n]`, `line = data.decode()`,
        `size = len(data)`): a test of them is a test of the bytes."""
        if data not in self.derivations:
            found = {data}
            grew = True
            while grew:
                grew = False
                for name, values in self.assigned.values.items():
                    if name in found:
                        continue
                    if any(not augmented and _computed_from(value, found) for augmented, value in values):
                        found.add(name)
                        grew = True
            self.derivations[data] = found - {data}
        return self.derivations[data]

    def runs_forever_on_eof(self, receive: _Receive, model: SocketModel) -> bool:
        """Whether nothing but received data moves the loop's condition (spec: SKT103)."""
        test = self.statement.test
        if always_true(test):
            return True
        data_names = {receive.data} | self.assigned.received if receive.data else set(self.assigned.received)
        for call in self.opaque_calls:
            if call is receive.event.node:
                continue  # the receive in the condition itself
            if not _reads_data(call, data_names, receive.event.node):
                return False  # a deadline, a method asked each turn: bounded
        if not self.names and not self.opaque_calls:
            return False  # a constant: not ours to judge
        eof = _own_test(receive, self, model)
        if eof is not None:
            return False  # `while data:`, `while (data := s.recv(n)):`: the loop ends on b''
        return True

    def bounds(self, model: SocketModel, index: int) -> bool:
        """Whether node `index` moves the condition on its own: it assigns a
        name the condition reads, other than by adding received data."""
        node = model.cfg.nodes[index]
        statement = node.cst
        if node.kind is NodeKind.STMT and isinstance(statement, cst.AugAssign):
            targets = set(bound_names(statement.target))
            if not targets & self.names:
                return False
            return not _made_of_received(statement.value, self.assigned.received)
        return any(bound.name in self.names for bound in model.node_bindings[index])


def _own_test(receive: _Receive, loop: _Loop, model: SocketModel):
    """The loop condition as an end-of-file test that ends the loop for this receive, if it is one."""
    stream_test = model.events[loop.header].eof
    if stream_test is not None and stream_test.data is None and stream_test.receive is None \
            and stream_test.socket == receive.event.var and stream_test.eof_edge == FALSE:
        return stream_test  # `while not reader.at_eof():`

    def receive_of(expression):
        value = unawaited(expression)
        return (receive.event.var, value) if value is receive.event.node else None

    eof = eof_test(loop.statement.test, receive_of)
    if eof is None or eof.eof_edge != FALSE:
        return None
    if eof.receive is receive.event.node:
        return eof
    if eof.data is not None and eof.data == receive.data and not receive.accumulates and eof.literal in (None, "bytes"):
        return eof
    return None


_EMPTY_PRESERVING_CALLS = frozenset({"len", "bytes", "bytearray", "memoryview", "str"})


def _computed_from(value, names: Set[str]) -> bool:
    """`buf[:n]`, `data.decode()`, `len(data)`: made of `names` and nothing that could fill it."""
    if value is None or isinstance(value, (cst.SimpleString, cst.Integer)):
        return False
    found: Set[str] = set()
    for current in walk([value], NESTED_SCOPES):
        if isinstance(current, cst.BinaryOperation):
            return False  # `prefix + data` is not empty when data is
        if isinstance(current, cst.Call):
            func = current.func
            if isinstance(func, cst.Name) and func.value in _EMPTY_PRESERVING_CALLS:
                continue
            if isinstance(func, cst.Attribute) and dotted_name(func.value) in names:
                continue
            return False
        if isinstance(current, cst.Name):
            found.add(current.value)
    return bool(found & names)


def _reads_data(call: cst.Call, data_names: Set[str], receive: cst.Call) -> bool:
    """`buf.endswith(b"\\r\\n")`, `sock.recv(n).endswith(...)`: a method of the received bytes."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    target = unawaited(func.value)
    return target is receive or dotted_name(target) in data_names


def _condition_parts(test) -> Tuple[Set[str], List[cst.Call]]:
    """The names (and attribute chains) a condition reads, and the calls
    other than len() it makes."""
    names: Set[str] = set()
    calls: List[cst.Call] = []
    stack = [test]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            if isinstance(current.func, cst.Name) and current.func.value == "len":
                stack.extend(arg.value for arg in current.args)
                continue
            calls.append(current)
            stack.extend(arg.value for arg in current.args)
            if isinstance(current.func, cst.Attribute):
                stack.append(current.func.value)
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
            if _is_receive_call(value):
                self.received.add(name)  # `n = sock.recv_into(view)`, `buf += sock.recv(n)`: data too


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


def _made_of_received(value, received: Set[str]) -> bool:
    if value is None:
        return False
    if _is_receive_call(value):
        return True
    names, calls = _condition_parts(value)
    return bool(names) and not calls and names <= received


def _returning_on_eof(model: SocketModel, loop: _Loop, receive: _Receive) -> Set[int]:
    """Loop nodes from which control comes back to the loop's test when the
    receive returned b'': taking the end-of-file side of every test of its
    data, without closing the socket, raising (`assert data` raises on b''),
    or moving the loop's condition.

    One backward search per loop and data name, so that checking every
    receive of a large loop stays linear."""
    cfg = model.cfg
    header = loop.header
    found = {header}
    todo = [header]
    while todo:
        current = todo.pop()
        for source, kind in cfg.nodes[current].pred:
            if source in found or kind not in NORMAL_EDGES:
                continue
            node = cfg.nodes[source]
            if not cfg.in_loop(source, header) or node.kind is NodeKind.RAISE \
                    or model.closes(source, receive.event.var) or loop.bounds(model, source):
                continue
            edge = _eof_edge_of(model, source, receive, loop)
            if edge is not None:
                if node.kind is NodeKind.ASSERT and edge != TRUE:
                    continue  # `assert data` raises on b''
                if node.kind is NodeKind.TEST and (kind != edge or _acts_on_eof(model, loop, source, edge)
                                                   and not model.events[source].eof.never_true):
                    continue  # that side is not taken on b'', or it does something about it
            found.add(source)
            todo.append(source)
    return found


def _acts_on_eof(model: SocketModel, loop: _Loop, test: int, edge: int) -> bool:
    """Whether the end-of-file side of a test does something about it before
    the loop goes round: a call that is not a log line or a sleep
    (`if not data: self.incoming.write_eof()`, `self._rebuild_pair()`). The
    author saw the end of the stream and handed it on; whether that ends
    the loop is beyond one function's view."""
    key = (test, edge)
    if key not in loop.acting:
        loop.acting[key] = _calls_before_next_turn(model, loop, test, edge)
    return loop.acting[key]


def _calls_before_next_turn(model: SocketModel, loop: _Loop, test: int, edge: int) -> bool:
    cfg = model.cfg
    seen = set()
    todo = [target for target, kind in cfg.nodes[test].succ if kind == edge]
    while todo:
        current = todo.pop()
        if current in seen or current == loop.header or not cfg.in_loop(current, loop.header):
            continue
        seen.add(current)
        if any(_handles(call, model) for call in model.node_calls[current]):
            return True
        todo.extend(target for target, kind in cfg.nodes[current].succ if kind in NORMAL_EDGES)
    return False


def _handles(call: cst.Call, model: SocketModel) -> bool:
    function = dotted_name(call.func) or ""
    if looks_without_io(function):
        return False
    qualified = qualified_name(call.func, model.scope) or function
    return not is_sleep(qualified)


def _eof_edge_of(model: SocketModel, index: int, receive: _Receive, loop: "_Loop") -> Optional[int]:
    """The edge a test of this receive's data takes on b'' (None: either)."""
    eof = model.events[index].eof
    if eof is not None and eof.data is None and eof.receive is None and eof.socket == receive.event.var:
        return eof.eof_edge  # `if reader.at_eof(): break`
    if eof is None or receive.data is None:
        return None
    if eof.data != receive.data and eof.data not in loop.derived(receive.data):
        return None
    if receive.accumulates:
        return None  # the buffer keeps what came before b'': its tests go either way
    return eof.eof_edge


def _spins(model: SocketModel, receive: _Receive, returning: Set[int]) -> bool:
    """Whether control goes from the receive back round the loop on b''."""
    node = model.cfg.nodes[receive.node]
    kinds = NORMAL_EDGES
    eof = model.events[receive.node].eof
    if node.kind is NodeKind.TEST and eof is not None and eof.receive is receive.event.node:
        kinds = (eof.eof_edge,)
    return any(target in returning for target, kind in node.succ if kind in kinds)


# -- SKT104 error-swallowed ---------------------------------------------------------


def error_swallowed(model: SocketModel) -> Iterator[Finding]:
    """Handlers of connection errors around a receive that go on with the socket."""
    cfg = model.cfg
    for catch in cfg.nodes:
        info = catch.handler
        if info is None or not info.catches_connection_errors:
            continue  # only timeouts, retry errors, or a project's own exceptions
        body = catch.cst.body if catch.kind is NodeKind.HANDLER else None
        if body is not None and any(isinstance(node, cst.Raise) for node in walk([body], NESTED_SCOPES)):
            continue  # it picks the errors to re-raise (errno checks): a deliberate filter
        sockets: List[str] = []
        for source, kind in catch.pred:
            if kind == EXC:
                sockets.extend(e.var for e in model.stream_receives(source) if e.var not in sockets)
        for name in sockets:
            if _carries_on(model, catch, body, name):
                caught = ", ".join(name or "everything" for name in info.names)
                goes_on = "goes round the loop again" if catch.loop != -1 else "goes on"
                yield Finding("SKT104", catch.cst, name, {"caught": _caught_text(catch, caught), "goes_on": goes_on})


def _caught_text(catch: Node, caught: str) -> str:
    if catch.kind is NodeKind.WITH_EXIT and catch.way is Way.SUPPRESSED:
        return f"suppress({caught})"
    return f"except {caught}"


def _carries_on(model: SocketModel, catch: Node, body, socket: str) -> bool:
    """Whether the way on from the handler does I/O on the same socket again
    (round the loop or further down), before closing it, rebinding it (the
    next turn's accept() or socket()), handing it on, shutting it down (a
    teardown), or setting what the loop's condition tests."""
    cfg = model.cfg
    header = catch.loop
    if header != -1 and body is not None:
        loop = cfg.nodes[header]
        if loop.kind is NodeKind.TEST and _sets_condition(body, loop.statement.test):
            return False
    # `except OSError: data = b""` turns the error into end-of-file: the
    # code after it then takes its end-of-file branch.
    emptied = _emptied_names(body) if body is not None else set()
    seen = {catch.index}
    todo = [catch.index]
    while todo:
        current = todo.pop()
        node = cfg.nodes[current]
        if current != catch.index:
            step = _step_after_error(model, current, socket)
            if step is True:
                return True
            if step is False or node.kind is NodeKind.RAISE:
                continue
        kinds = NORMAL_EDGES
        eof = model.events[current].eof
        if node.kind is NodeKind.TEST and emptied and eof is not None and eof.data in emptied:
            kinds = (eof.eof_edge,)
        for target, kind in node.succ:
            if kind in kinds and target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def _step_after_error(model: SocketModel, index: int, socket: str) -> Optional[bool]:
    """True: node `index` goes on with the socket; False: the search stops
    there (closed, rebound, handed on, torn down); None: go on looking."""
    events = list(model.of(index, socket))
    stops = (EventKind.CLOSE, EventKind.HANDOFF, EventKind.SHUTDOWN, EventKind.ACQUIRE, EventKind.REBIND,
             EventKind.MOVE)
    if any(event.kind in stops for event in events) or model.rebinds(index, socket):
        return False
    if any(_goes_on(event) for event in events):
        return True
    return None


def _goes_on(event: Event) -> bool:
    """I/O on the socket, or a call given it."""
    kind = event.kind
    return kind in (EventKind.RECEIVE, EventKind.SEND, EventKind.PASS) or (
        kind is EventKind.SOURCE and event.method is not None)


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
