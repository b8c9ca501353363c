"""SKT3xx: ungraceful close.

A server that reads a request, sends its reply and closes at once loses
the end of the reply whenever request bytes are still unread: close() with
pending input makes the kernel send RST, and the peer's recv() fails with
ECONNRESET before it reads what we sent. The fix is the lingering close:
shutdown(SHUT_WR), read until b'', then close.

SKT301 close-without-shutdown, SKT302 shutdown-without-drain and SKT303
sleep-before-close come from one forward dataflow over the normal paths of
a function (exception paths are not judged). Each path is in one *phase*
per socket:

* NONE: nothing received yet (sends before any receive are greetings or
  a client's requests);
* REQUEST: the last exchange was a receive, without end-of-file (a client
  that reads its reply and closes stays here);
* REPLIED: it received and then sent (answered the request);
* SLEPT(call): REPLIED, then slept (standing in for a graceful close);
* SHUT(call): REPLIED or SLEPT, then shut down with SHUT_WR/SHUT_RDWR;
* DONE: end-of-file seen (a test's end-of-file branch, the exit of a loop
  that receives until b'', a read-to-EOF): nothing unread is left.

At a close, REPLIED is SKT301, SLEPT is SKT303 (at the sleep), SHUT is
SKT302. Sockets the function connects itself (connect(), create_connection)
are clients and are not judged for these three. SKT304 shutdown-skips-close asks, for each shutdown() of a socket
the function then closes, whether an exception from it can leave the
function without the close running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.findings import Finding
from lintplugin.flow.cfg import EXC, FALSE, NORMAL, RERAISE, TRUE
from lintplugin.flow.dataflow import BitTable, reachable, solve
from lintplugin.names import qualified_name
from lintplugin.scopes import Scope, dotted_name
from lintplugin.sockets import (
    FILE_IO_METHODS,
    FILE_READ_METHODS,
    RECEIVE_METHODS,
    SEND_METHODS,
    SocketModel,
    closes_by_name,
    eof_test,
    is_socket_call,
    looks_without_io,
    shutdown_how,
)

NORMAL_EDGES = (NORMAL, TRUE, FALSE)
_SHUTDOWN_SENDING = ("SHUT_WR", "SHUT_RDWR", "?")
_SLEEPS = {"time.sleep", "eventlet.sleep", "gevent.sleep"}
# Helpers given the socket whose names say what they do with it.
_SENDING_HELPERS = ("send", "reply", "respond", "write")
_RECEIVING_HELPERS = ("recv", "receive", "read")
_MESSAGES = {
    "SKT301": (
        "{sockets} is closed right after sending a reply, with no shutdown(SHUT_WR): if request "
        "bytes are still unread, close() sends RST instead of FIN and the peer may lose the end "
        "of the reply (connection reset); shut down with SHUT_WR, read until b'', then close"
    ),
    "SKT302": (
        "{sockets} is shut down and then closed without reading until b'': unread request bytes "
        "still turn this close() into RST and the peer may lose the end of the reply; read until "
        "b'' (bounded by a timeout or a count) between shutdown() and close()"
    ),
    "SKT303": (
        "sleep() before closing {sockets} only narrows the window: any request bytes still unread "
        "turn close() into RST and the peer loses the end of the reply; use shutdown(SHUT_WR), "
        "read until b'', then close()"
    ),
    "SKT304": (
        "shutdown() on {sockets} raises OSError when the peer is already gone (ENOTCONN, "
        "ECONNRESET), and the close() after it is then skipped: the descriptor leaks in "
        "CLOSE_WAIT; put the close in 'finally', or the shutdown in try/except OSError"
    ),
}


@dataclass(frozen=True)
class Phase:
    kind: str  # client, request, replied, slept, shut, done
    site: Optional[cst.CSTNode] = None


def check(scope: Scope, context) -> Iterator[Finding]:
    model = context.socket_model(scope)
    analysis = GracefulClose(model)
    yield from analysis.findings()
    for call, socket in context.unprotected_shutdowns(scope):
        yield Finding("SKT304", call, socket, _MESSAGES["SKT304"])


class GracefulClose:
    def __init__(self, model: SocketModel) -> None:
        self.model = model
        self.cfg = model.cfg
        self.sockets = self._judged_sockets()
        self.slot = {name: index for index, name in enumerate(self.sockets)}
        self._phases = BitTable()
        self.found: Dict[Tuple[str, int], Tuple[str, cst.CSTNode]] = {}
        self._data = self._data_sockets() if self.sockets else {}
        self._drain_exits = self._drain_loop_exits() if self.sockets else {}

    # -- which sockets ----------------------------------------------------

    def _judged_sockets(self) -> List[str]:
        """Stream sockets (names or attributes) that this function closes."""
        model = self.model
        evidence: Set[str] = set(model.sockets)
        closed: List[str] = []
        for index in range(len(self.cfg.nodes)):
            for receiver, method, call in model.method_calls(index):
                if is_socket_call(method, call):
                    evidence.add(receiver)
                if method == "close" and not call.args and receiver not in closed:
                    closed.append(receiver)
            for name in self._with_closed(index):
                if name not in closed:
                    closed.append(name)
        datagram = model.datagram | set(model.datagram_attributes)
        clients = self._clients()
        return [name for name in closed if name in evidence and name not in datagram
                and name not in model.makefiles and name not in clients]

    def _clients(self) -> Set[str]:
        """Sockets this function connects: client-side, whatever they send last."""
        clients = set()
        for index in range(len(self.cfg.nodes)):
            for receiver, method, _ in self.model.method_calls(index):
                if method in ("connect", "connect_ex"):
                    clients.add(receiver)
        for name, acquisitions in self.model.acquired.items():
            if any(how == "connected" for _, how in acquisitions):
                clients.add(name)
        return clients

    def _with_closed(self, index: int) -> List[str]:
        node = self.cfg.nodes[index]
        if node.kind != "with_exit":
            return []
        names = []
        for item in node.cst.items:
            value = item.item
            target = dotted_name(value) if isinstance(value, (cst.Name, cst.Attribute)) else None
            if target is None and isinstance(value, cst.Call):
                function = dotted_name(value.func) or ""
                if function.rsplit(".", 1)[-1] == "closing" and value.args:
                    target = dotted_name(value.args[0].value)
                elif item.asname is not None and self.model.acquisition(value) is not None:
                    target = dotted_name(item.asname.name)
            if target is not None:
                names.append(target)
        return names

    def _data_sockets(self) -> Dict[str, Set[str]]:
        """data name -> the sockets whose receives assign it (`data = conn.recv(n)`)."""
        found: Dict[str, Set[str]] = {}
        for index in range(len(self.cfg.nodes)):
            for target, value in self.model.node_bindings[index]:
                if not isinstance(target, str):
                    continue
                socket = self._received_from(value)
                if socket is not None:
                    found.setdefault(target, set()).add(socket)
        return found

    def _received_from(self, value) -> Optional[str]:
        if isinstance(value, cst.Await):
            value = value.expression
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            return None
        receiver = dotted_name(value.func.value)
        method = value.func.attr.value
        if receiver is None:
            return None
        if method in RECEIVE_METHODS and receiver in self.slot:
            return receiver
        owner = self.model.makefiles.get(receiver)
        if owner in self.slot and method in FILE_READ_METHODS:
            return owner
        return None

    def _drain_loop_exits(self) -> Dict[Tuple[int, int], Set[str]]:
        """Edges leaving a loop that receives until b'' (bounded or not): the
        socket is drained on every way out of such a loop."""
        cfg = self.cfg
        drains: Dict[int, Set[str]] = {}
        for index, node in enumerate(cfg.nodes):
            if node.kind not in ("test", "assert"):
                continue
            tested = node.cst.test if node.kind == "assert" else node.cst
            eof = eof_test(tested, self._receive_in, loop=False)
            if eof is None:
                continue
            sockets = {eof.socket} if eof.socket else self._data.get(eof.data or "", set())
            loop = node.loop
            if isinstance(node.info, cst.While) and eof.receive is not None:
                loop = index  # `while conn.recv(4096):` drains by its own condition
            if loop != -1:
                drains.setdefault(loop, set()).update(sockets & set(self.slot))
        exits: Dict[Tuple[int, int], Set[str]] = {}
        for header, sockets in drains.items():
            # A drain only reads: a loop that also answers (a command loop
            # that breaks on QUIT) is not one.
            sockets = {socket for socket in sockets if not self._sends_in_loop(socket, header)}
            if not sockets:
                continue
            for index, node in enumerate(cfg.nodes):
                if index != header and not cfg.in_loop(index, header):
                    continue
                for target, kind in node.succ:
                    if kind in NORMAL_EDGES and target != header and not cfg.in_loop(target, header):
                        exits.setdefault((index, target), set()).update(sockets)
        return exits

    def _sends_in_loop(self, socket: str, header: int) -> bool:
        cfg = self.cfg
        for index in range(len(cfg.nodes)):
            if index == header or cfg.in_loop(index, header):
                for call in self.model.node_calls[index]:
                    if any(event == "send" for event, _ in self._call_events(socket, call)):
                        return True
        return False

    def _receive_in(self, value):
        socket = self._received_from(value)
        return (socket, value) if socket is not None else None

    # -- phases -------------------------------------------------------------

    def _bit(self, phase: Phase) -> int:
        return self._phases.bit(phase)

    def _each(self, bits: int) -> Iterator[Phase]:
        return self._phases.each(bits)

    def _map(self, bits: int, change) -> int:
        result = 0
        for phase in self._each(bits):
            changed = change(phase)
            if changed is not None:
                result |= self._bit(changed)
        return result

    # -- the dataflow ----------------------------------------------------

    def findings(self) -> Iterator[Finding]:
        if not self.sockets:
            return
        initial = [self._bit(Phase("none"))] * len(self.sockets) + [1]
        solve(self.cfg, len(initial), tuple(initial), self._transfer, self._edge_filter)
        for (socket, _), (code, node) in sorted(self.found.items(), key=lambda item: item[0][1]):
            yield Finding(code, node, socket, _MESSAGES[code])

    def _edge_filter(self, source: int, target: int, kind: int, state):
        drained = self._drain_exits.get((source, target))
        if not drained:
            return state
        state = list(state)
        for socket in drained:
            state[self.slot[socket]] = self._bit(Phase("done"))
        return tuple(state)

    def _transfer(self, index: int, state):
        node = self.cfg.nodes[index]
        if node.kind in ("exit", "raise_exit"):
            return {}
        values = list(state)
        for socket, slot in self.slot.items():
            values[slot] = self._step(socket, values[slot], index)
        # Exception paths are not judged: nothing flows along EXC edges.
        outputs = {NORMAL: tuple(values), RERAISE: tuple(values)}
        true_state, false_state = list(values), list(values)
        if node.kind == "test":
            eof = eof_test(node.cst, self._receive_in, loop=False)
            if eof is not None:
                sockets = {eof.socket} if eof.socket else self._data.get(eof.data or "", set())
                side = true_state if eof.eof_edge == TRUE else false_state
                for socket in sockets:
                    if socket in self.slot:
                        side[self.slot[socket]] = self._bit(Phase("done"))
        outputs[TRUE] = tuple(true_state)
        outputs[FALSE] = tuple(false_state)
        return outputs

    def _step(self, socket: str, bits: int, index: int) -> int:
        for event, call in self._events(socket, index):
            if event == "close":
                self._report(socket, bits, call, index)
                bits = self._bit(Phase("none"))
            elif event == "reset":
                bits = self._bit(Phase("none"))
            elif event == "done":
                bits = self._bit(Phase("done"))
            else:
                bits = self._map(bits, lambda phase: _advance(phase, event, call))
        return bits

    def _report(self, socket: str, bits: int, close: cst.CSTNode, index: int) -> None:
        for phase in self._each(bits):
            if phase.kind == "replied":
                self.found.setdefault((socket, id(close)), ("SKT301", close))
            elif phase.kind == "shut":
                self.found.setdefault((socket, id(close)), ("SKT302", close))
            elif phase.kind == "slept":
                self.found.setdefault((socket, id(phase.site)), ("SKT303", phase.site))

    def _events(self, socket: str, index: int) -> List[Tuple[str, Optional[cst.CSTNode]]]:
        """What node `index` does to `socket`, in order."""
        model = self.model
        node = self.cfg.nodes[index]
        if node.kind == "with_exit":
            return [("close", node.cst)] if socket in self._with_closed(index) else []
        if node.cst is None or node.kind in ("finally", "entry"):
            return []
        events: List[Tuple[str, Optional[cst.CSTNode]]] = []
        for call in model.node_calls[index]:
            events.extend(self._call_events(socket, call))
        if model.rebinds(index, socket):
            events.append(("reset", None))
        return events

    def _call_events(self, socket: str, call: cst.Call) -> Iterator[Tuple[str, Optional[cst.CSTNode]]]:
        func = call.func
        if isinstance(func, cst.Attribute):
            target = func.value
            method = func.attr.value
            receiver = dotted_name(target)
            if isinstance(target, cst.Call) and isinstance(target.func, cst.Attribute):
                # conn.makefile("rb").read(): a read to end-of-file
                if dotted_name(target.func.value) == socket and target.func.attr.value == "makefile":
                    if method == "read" and _reads_to_end(call):
                        yield "done", call
                    elif method in FILE_READ_METHODS:
                        yield "receive", call
                return
            if receiver == socket:
                if method in RECEIVE_METHODS:
                    if is_socket_call(method, call):  # not a pipe's recv() without a size
                        yield "receive", call
                elif method in SEND_METHODS:
                    yield "send", call
                elif method == "shutdown":
                    how = shutdown_how(call, self.model.scope)
                    if how in _SHUTDOWN_SENDING:
                        yield "shutdown", call
                elif method == "close" and not call.args:
                    yield "close", call
                elif "shutdown" in method.lower():
                    yield "shutdown", call
                return
            if receiver is not None and self.model.makefiles.get(receiver) == socket:
                if method == "read" and _reads_to_end(call):
                    yield "done", call
                elif method in FILE_READ_METHODS:
                    yield "receive", call
                elif method in FILE_IO_METHODS:
                    yield "send", call
                return
        name = qualified_name(func, self.model.scope) or dotted_name(func) or ""
        if name in _SLEEPS or name.rsplit(".", 1)[-1] == "sleep" and name.startswith("time"):
            yield "sleep", call
            return
        passed = [dotted_name(arg.value) for arg in call.args]
        if socket in passed:
            short = name.rsplit(".", 1)[-1].lower()
            if "shutdown" in short:
                yield "shutdown", call  # a shutdown helper: SHUT_RDWR that does not raise
            elif looks_without_io(name):
                return
            elif closes_by_name(short):
                yield "reset", None  # closed by a helper: its body is judged on its own
            elif any(word in short for word in _SENDING_HELPERS):
                yield "send", call  # reply(conn, "221 Goodbye.")
            elif any(word in short for word in _RECEIVING_HELPERS):
                yield "receive", call  # read_request(conn)
            else:
                yield "reset", None  # handed to code we do not see: say nothing


def _advance(phase: Phase, event: str, call) -> Optional[Phase]:
    kind = phase.kind
    if kind == "done":
        return phase
    if event == "receive":
        # reading after a reply (the next request, or a client reading its
        # answer) makes the last exchange a receive again
        return Phase("request") if kind in ("none", "request", "replied", "slept") else phase
    if event == "send":
        if kind in ("request", "replied", "slept"):
            return Phase("replied")
        return phase
    if event == "sleep":
        return Phase("slept", call) if kind == "replied" else phase
    if event == "shutdown":
        return Phase("shut", call) if kind in ("replied", "slept") else phase
    return phase


def _reads_to_end(call: cst.Call) -> bool:
    if not call.args:
        return True
    value = call.args[0].value
    if isinstance(value, cst.Name) and value.value == "None":
        return True
    return isinstance(value, cst.UnaryOperation) and isinstance(value.expression, cst.Integer)


# -- SKT304 ---------------------------------------------------------------------


def unprotected_shutdowns(model: SocketModel) -> List[Tuple[cst.Call, str]]:
    """shutdown() calls whose exception can leave the function without the
    close of the same socket that follows them on a normal path (an explicit
    close(), a with exit, or a helper whose name says it closes)."""
    cfg = model.cfg
    found = []
    closing: Dict[str, Set[int]] = {}
    for index in range(len(cfg.nodes)):
        for receiver, method, call in model.method_calls(index):
            if method != "shutdown" or not is_socket_call(method, call) or receiver in model.datagram:
                continue
            if receiver not in closing:
                closing[receiver] = {i for i in range(len(cfg.nodes)) if model.closes(i, receiver)}
            closes = closing[receiver]
            after = reachable(cfg, [t for t, k in cfg.nodes[index].succ if k in NORMAL_EDGES], NORMAL_EDGES)
            if not any(after[close] for close in closes):
                continue  # not closed after it on a normal path: not this rule's business
            if _escapes_without(cfg, index, closes):
                found.append((call, receiver))
    return found


def _escapes_without(cfg, start: int, closes: Set[int]) -> bool:
    """Whether an exception raised at `start` can leave the function without
    passing one of the `closes` nodes."""
    todo = [target for target, kind in cfg.nodes[start].succ if kind == EXC]
    seen = set(todo)
    while todo:
        current = todo.pop()
        if current in closes:
            continue
        if current in (cfg.exit, cfg.raise_exit):
            return True
        node = cfg.nodes[current]
        for target, kind in node.succ:
            follow = kind != EXC or node.kind == "raise"
            if follow and target not in seen:
                seen.add(target)
                todo.append(target)
    return False
