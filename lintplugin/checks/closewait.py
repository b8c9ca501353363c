"""SKT1xx: CLOSE_WAIT leaks.

SKT101 error-path-leak, SKT102 eof-leak and SKT105 never-closed come from the
ownership dataflow (lintplugin/ownership.py): each path class that reaches
a sink with the socket open names one of them. SKT103 eof-ignored and
SKT104 error-swallowed judge receive loops and their except clauses.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst

from lintplugin.findings import Finding
from lintplugin.ownership import Leak
from lintplugin.scopes import Scope, bound_names, dotted_name
from lintplugin.sockets import syntax_children

CLOSE_WAIT = "the connection stays in CLOSE_WAIT and its descriptor leaks"


def check(scope: Scope, context) -> Iterator[Finding]:
    model = context.socket_model(scope)
    yield from eof_ignored(model, context)
    yield from error_swallowed(model, context)
    analysis = context.ownership(scope)
    if analysis is None:
        return
    for leak in analysis.leaks():
        yield from _leak_findings(leak, analysis, context)


def _leak_findings(leak: Leak, analysis, context) -> Iterator[Finding]:
    origin = _origin(leak, context)
    if leak.normal:
        site, how = min(leak.normal, key=lambda item: context.position_of(item[0]))
        sink = analysis.sink_of(leak, "normal", (site, how))
        yield Finding(
            code="SKT105",
            node=site,
            subject=leak.name,
            template=(
                f"{{sockets}} ({how} here) is never closed on the normal path: "
                f"{_sink_phrase(sink, leak.name, analysis, context)} without close(), so the "
                "descriptor leaks and a peer that closes leaves it in CLOSE_WAIT; close it in "
                "'finally' or use 'with'"
            ),
        )
        return  # one report per leaked socket
    if leak.errors:
        ordered = sorted(leak.errors, key=context.position_of)
        first = ordered[0]
        if any(call is first for call, _ in context.unprotected_shutdowns(analysis.model.scope)):
            ordered = []  # SKT304 reports that shutdown instead
    if leak.errors and ordered:
        more = len(ordered) - 1
        more_text = f" ({more} more {'calls leak' if more > 1 else 'call leaks'} it the same way)" if more else ""
        yield Finding(
            code="SKT101",
            node=first,
            subject=leak.name,
            template=(
                f"{{sockets}} ({origin}) is never closed {_failure_phrase(first, context)}: "
                f"{_consequence(first)}{more_text}; close it in 'finally' or use 'with'"
            ),
        )
    for receive in sorted(leak.eofs, key=context.position_of):
        sink = analysis.sink_of(leak, "eof", receive)
        yield Finding(
            code="SKT102",
            node=receive,
            subject=leak.name,
            template=(
                f"{{sockets}} ({origin}) is not closed when {_call_name(receive)} returns b'' "
                f"(the peer closed its end): {_sink_phrase(sink, leak.name, analysis, context)} "
                f"without closing it, so {CLOSE_WAIT}; close it before leaving, or use 'with'"
            ),
        )


def _origin(leak: Leak, context) -> str:
    node, how = leak.origin
    if node is None:
        return "a parameter this function closes"
    line, _ = context.position_of(node)
    if how == "obtained":
        return f"from {_call_name(node)} on line {line}, and closed here on some paths"
    return f"{how} on line {line}"


def _call_name(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute):
            return f"{func.attr.value}()"
        if isinstance(func, cst.Name):
            return f"{func.value}()"
    return "the call"


# Calls that fail before a connection exists: no CLOSE_WAIT, but a descriptor per failure.
_SETUP_CALLS = {"connect()", "connect_ex()", "bind()", "listen()", "setsockopt()"}


def _failure_phrase(node: cst.CSTNode, context) -> str:
    if isinstance(node, cst.Raise):
        return "when this 'raise' leaves"
    return f"if {_call_name(node)} raises"


def _consequence(node: cst.CSTNode) -> str:
    if _call_name(node) in _SETUP_CALLS:
        return "its descriptor leaks, one more with every failed attempt"
    return CLOSE_WAIT


def _sink_phrase(sink: Optional[int], name: str, analysis, context) -> str:
    if sink is None:
        return "it is lost"
    node = analysis.cfg.nodes[sink]
    if node.kind == "exit":
        return "the function returns"
    if node.kind == "raise_exit":
        return "an exception leaves the function"
    if node.cst is not None:
        line, _ = context.position_of(node.cst)
        return f"'{name}' is rebound on line {line}"
    return "it is lost"


# -- SKT103 eof-ignored ------------------------------------------------------------

_NOT_FOR_EOF_LOOPS = ("recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into")


def eof_ignored(model, context) -> Iterator[Finding]:
    cfg = model.cfg
    assignments: dict = {}  # loop header -> names assigned in its body
    comes_back: dict = {}  # (header, data, socket) -> nodes that return to the header on b''
    for index, node in enumerate(cfg.nodes):
        if node.loop == -1 or cfg.nodes[node.loop].kind != "test":
            continue  # not in a while loop (a for loop, or no loop at all)
        for data, receiver, call in received_names(model, index):
            header = cfg.nodes[node.loop]
            if header.index not in assignments:
                assignments[header.index] = _assignments_in(header.info.body)
            assigned = assignments[header.index]
            if receiver in assigned:
                continue  # a new socket every turn (the next accept()): no spinning on one
            if not _runs_forever_on_eof(header.info, data, assigned):
                continue
            key = (header.index, data, receiver)
            if key not in comes_back:
                comes_back[key] = _returning_on_eof(model, header.index, data, receiver)
            if not _spins(model, index, call, comes_back[key]):
                continue
            yield Finding(
                code="SKT103",
                node=call,
                subject=receiver,
                template=(
                    f"{_call_name(call)} on {{subject}} is in a loop that never ends on b'': "
                    "when the peer closes, every receive returns b'' at once, the loop spins "
                    "and the socket sits in CLOSE_WAIT; leave the loop (and close) when it "
                    "returns b''"
                ),
            )


def received_names(model, index: int):
    """(data name, receiver, call) for `name = sock.recv(n)`-like bindings at a node."""
    node = model.cfg.nodes[index]
    statement = node.cst
    found = []
    targets = []
    if node.kind == "stmt" and isinstance(statement, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        value = statement.value
        if isinstance(statement, cst.Assign):
            targets = [t.target for t in statement.targets]
        else:
            targets = [statement.target]
        targets = [(t, value) for t in targets]
    if node.kind != "test" or not isinstance(node.info, cst.While):
        # receives in a while condition leave the loop through the condition
        for current in _named_expressions(statement):
            targets.append((current.target, current.value))
    for target, value in targets:
        if isinstance(value, cst.Await):
            value = value.expression
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            continue
        if isinstance(target, cst.Tuple) and target.elements:
            target = target.elements[0].value  # data, addr = sock.recvfrom(n)
        if not isinstance(target, cst.Name):
            continue  # "into a name": an attribute's end-of-file test is not ours to see
        name = target.value
        receiver = dotted_name(value.func.value)
        method = value.func.attr.value
        if name is None or receiver is None or method in _NOT_FOR_EOF_LOOPS:
            continue
        if model.is_stream_receive(receiver, method, value):
            found.append((name, receiver, value))
    return found


def _named_expressions(statement) -> List[cst.NamedExpr]:
    if statement is None or not isinstance(statement, cst.CSTNode):
        return []
    found, stack = [], [statement]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.NamedExpr):
            found.append(current)
        if isinstance(current, (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.IndentedBlock)):
            continue
        stack.extend(syntax_children(current))
    return found


def _runs_forever_on_eof(loop: cst.While, data: str, assigned: dict) -> bool:
    """Whether nothing but received data moves the loop's condition (spec: SKT103)."""
    from lintplugin.flow.cfg import _always_true

    test = loop.test
    if _always_true(test):
        return True
    names, calls = _condition_parts(test)
    if calls or not names:
        return False  # a deadline, a method asked each turn, a constant: not ours to judge
    if data in names:
        return False  # `while data:` ends on b''
    received = {data} | {name for name, _ in assigned.get("__received__", [])}
    for name in names:
        for kind, value in assigned.get(name, []):
            if not (kind == "aug" and _made_of_received(value, received)):
                return False  # the condition also moves on its own: bounded
    return True


def _condition_parts(test):
    names, calls = set(), 0
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


def _assignments_in(block) -> dict:
    """name -> [(kind, value)] for assignments in a loop body (not nested scopes)."""
    found: dict = {}
    stack = [block]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(current, cst.Assign):
            for target in current.targets:
                for name in bound_names(target.target):
                    found.setdefault(name, []).append(("set", current.value))
        elif isinstance(current, cst.AugAssign):
            for name in bound_names(current.target):
                found.setdefault(name, []).append(("aug", current.value))
        elif isinstance(current, cst.AnnAssign) and current.value is not None:
            for name in bound_names(current.target):
                found.setdefault(name, []).append(("set", current.value))
        elif isinstance(current, cst.NamedExpr):
            for name in bound_names(current.target):
                found.setdefault(name, []).append(("set", current.value))
        elif isinstance(current, cst.For):
            for name in bound_names(current.target):
                found.setdefault(name, []).append(("set", None))
        stack.extend(syntax_children(current))
    # names bound straight from a receive are data too (`n = sock.recv_into(view)`)
    for name, values in list(found.items()):
        for kind, value in values:
            if kind == "set" and _is_receive_call(value):
                found.setdefault("__received__", []).append((name, value))
    return found


def _is_receive_call(value) -> bool:
    if isinstance(value, cst.Await):
        value = value.expression
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


def _returning_on_eof(model, header: int, data: str, receiver: str) -> set:
    """Loop nodes from which control comes back to `header` when `data` is
    b'': taking the end-of-file side of every test on `data`, without
    closing the socket or raising (`assert data` raises on b'').

    One backward search per loop and data name, so that checking every
    receive of a large loop stays linear."""
    from lintplugin.flow.cfg import FALSE, NORMAL, TRUE
    from lintplugin.sockets import eof_test

    cfg = model.cfg
    found = {header}
    todo = [header]
    while todo:
        current = todo.pop()
        for source, kind in cfg.nodes[current].pred:
            if source in found or kind not in (NORMAL, TRUE, FALSE):
                continue
            node = cfg.nodes[source]
            if not cfg.in_loop(source, header) or node.kind == "raise" or model.closes(source, receiver):
                continue
            if node.kind in ("test", "assert"):
                tested = node.cst.test if node.kind == "assert" else node.cst
                eof = eof_test(tested, lambda value: None, loop=False)
                if eof is not None and eof.data == data:
                    if node.kind == "assert" and eof.eof_edge == FALSE:
                        continue  # `assert data` raises on b''
                    if node.kind == "test" and kind != eof.eof_edge:
                        continue  # that side is not taken on b''
            found.add(source)
            todo.append(source)
    return found


def _spins(model, start: int, call, returning: set) -> bool:
    """Whether control goes from the receive back round the loop on b''."""
    from lintplugin.flow.cfg import FALSE, NORMAL, TRUE
    from lintplugin.sockets import eof_test

    node = model.cfg.nodes[start]
    kinds = (NORMAL, TRUE, FALSE)
    if node.kind == "test":
        eof = eof_test(node.cst, _receive_matcher(call), loop=False)
        if eof is not None and eof.receive is call:
            kinds = (eof.eof_edge,)
    return any(target in returning for target, kind in node.succ if kind in kinds)


def _receive_matcher(call):
    def receive_in(value):
        if value is call:
            return None, call
        return None

    return receive_in


# -- SKT104 error-swallowed ---------------------------------------------------------

_CONNECTION_ERRORS = {
    "", "OSError", "IOError", "EnvironmentError", "socket.error", "error", "select.error",
    "Exception", "BaseException", "ConnectionError", "ConnectionResetError",
    "ConnectionAbortedError", "BrokenPipeError", "ssl.SSLError", "SSLError",
    "ssl.SSLEOFError", "SSLEOFError", "ssl.SSLZeroReturnError", "SSLZeroReturnError",
}


def error_swallowed(model, context) -> Iterator[Finding]:
    from lintplugin.flow.cfg import EXC

    cfg = model.cfg
    for handler in cfg.nodes:
        if handler.kind != "handler":
            continue
        names = handler.info.names
        if not any(name in _CONNECTION_ERRORS for name in names):
            continue  # only timeouts, retry errors, or a project's own exceptions
        if _contains_raise(handler.cst.body):
            continue  # it picks the errors to re-raise (errno checks): a deliberate filter
        sockets: List[str] = []
        for source, kind in handler.pred:
            if kind == EXC:
                sockets.extend(name for name in model.receives(source) if name not in sockets)
        for name in sockets:
            if _carries_on(model, handler, name):
                caught = ", ".join(name or "everything" for name in names)
                yield Finding(
                    code="SKT104",
                    node=handler.cst,
                    subject=name,
                    template=(
                        f"'except {caught}' around a receive on {{subject}} swallows the error and "
                        "goes round the loop again with the same socket: after a reset or a closed "
                        "peer every later call fails the same way and the socket is never closed "
                        "(CLOSE_WAIT); close it and leave the loop, or re-raise"
                    ),
                )


def _contains_raise(block) -> bool:
    stack = [block]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Raise):
            return True
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(syntax_children(current))
    return False


def _carries_on(model, handler, socket: str) -> bool:
    """Whether the handler's way on uses the same socket again inside the
    receive's loop: without closing it, rebinding it (the next turn's
    accept() or socket()), or setting what the loop condition tests."""
    from lintplugin.flow.cfg import FALSE, NORMAL, TRUE

    cfg = model.cfg
    header = handler.loop
    if header == -1:
        return False  # not in a loop: nothing goes round again
    loop = cfg.nodes[header]
    if loop.kind == "test" and _sets_condition(handler.cst.body, loop.info.test):
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
            if model.closes(current, socket) or model.rebinds(current, socket) or node.kind == "raise":
                continue
        kinds = (NORMAL, TRUE, FALSE)
        if node.kind == "test" and emptied:
            from lintplugin.sockets import eof_test

            found = eof_test(node.cst, lambda value: None, loop=False)
            if found is not None and found.data in emptied:
                kinds = (found.eof_edge,)
        for target, kind in node.succ:
            if current == header and kind != TRUE:
                continue  # the loop ends
            if kind in kinds and target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def _emptied_names(block) -> set:
    empty = set()
    for name, values in _assignments_in(block).items():
        if any(kind == "set" and _is_empty_value(value) for kind, value in values):
            empty.add(name)
    return empty


def _is_empty_value(value) -> bool:
    if isinstance(value, cst.SimpleString):
        return value.value.lstrip("bBrRuU") in ('""', "''")
    if isinstance(value, cst.Name):
        return value.value == "None"
    return isinstance(value, cst.Integer) and value.value == "0"


def _sets_condition(block, condition) -> bool:
    tested, _ = _condition_parts(condition)
    return bool(tested & set(_assignments_in(block)))
