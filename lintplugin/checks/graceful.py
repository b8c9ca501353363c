"""SKT3xx: ungraceful close.

A server that reads a request, sends its reply and closes at once loses
the end of the reply whenever request bytes are still unread: close() with
pending input makes the kernel send RST, and the peer's recv() fails with
ECONNRESET before it reads what we sent. The fix is the lingering close:
shutdown(SHUT_WR), read until b'', then close.

SKT301 close-without-shutdown, SKT302 shutdown-without-drain and SKT303
sleep-before-close come from one forward dataflow over the normal paths of
a function (exception paths are not judged), reading the event model. Each
path is in one *phase* per socket (see PhaseKind). At a close, REPLIED is
SKT301, SLEPT is SKT303 (at the sleep), SHUT is SKT302. The shape of the
exchange decides, not who connected: a client that reads a greeting, sends
QUIT and closes is judged like a server; one whose last exchange is reading
the reply is not. SKT304 shutdown-skips-close reports the unprotected
shutdowns of model/shutdowns.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import EXITS, FALSE, NORMAL, NORMAL_EDGES, RERAISE, TRUE, NodeKind
from lintplugin.flow.dataflow import BitTable, solve
from lintplugin.model.conditions import eof_test
from lintplugin.model.events import Closing, Event, EventKind, HelperRole, Kind, SocketModel
from lintplugin.model.facts import FileFacts
from lintplugin.model.vocabulary import SHUTDOWN_SENDING
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import method_of
from lintplugin.types import Finding


class PhaseKind(enum.Enum):
    NONE = "none"  # nothing received yet (sends before any receive are greetings or a client's requests)
    REQUEST = "request"  # the last exchange was a receive, without end-of-file
    REPLIED = "replied"  # it received and then sent (answered the request)
    SLEPT = "slept"  # REPLIED, then slept (standing in for a graceful close)
    SHUT = "shut"  # REPLIED or SLEPT, then shut down with SHUT_WR/SHUT_RDWR
    DONE = "done"  # end-of-file seen: nothing unread is left


class Step(enum.Enum):
    """What one event does to a socket's phase."""

    RECEIVE = "receive"
    SEND = "send"
    SLEEP = "sleep"
    SHUTDOWN = "shutdown"
    READ_TO_END = "read_to_end"
    CLOSE = "close"  # the close this family judges: close() or a `with` exit
    RESET = "reset"  # closed by a helper, handed to code we do not see, or rebound: say nothing


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind
    site: Optional[cst.CSTNode] = None  # SLEPT: the sleep; SHUT: the shutdown


_REPORTED = {PhaseKind.REPLIED: "SKT301", PhaseKind.SHUT: "SKT302", PhaseKind.SLEPT: "SKT303"}


def check(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
    model = facts.socket_model(scope)
    yield from GracefulClose(model).findings()
    for call, socket in facts.unprotected_shutdowns(scope):
        yield Finding("SKT304", call, socket, {**words(model, socket), "call": f"{method_of(call)}()"})


def words(model: SocketModel, socket: str) -> Dict[str, str]:
    """The half-close and the lingering close in the words of the connection's API."""
    kind = model.connection_kind(socket)
    half_close, lingering, error = _API[kind]
    return {"noun": kind.value, "half_close": half_close, "lingering": lingering, "error": error}


_API = {
    Kind.SOCKET: ("shutdown(SHUT_WR)", "shut down with SHUT_WR, read until b'', then close", "OSError"),
    Kind.READER: ("write_eof()", "call writer.write_eof(), read until b'', then writer.close()", "OSError"),
    Kind.WRITER: ("write_eof()", "call writer.write_eof(), read until b'', then writer.close()", "OSError"),
    Kind.STREAM: ("send_eof()", "await stream.send_eof(), read until b'', then await stream.aclose()",
                  "BrokenResourceError"),
}


def phase_steps(event: Event, socket: str) -> Optional[Step]:
    """What an event means for the phase of `socket` (None: nothing)."""
    kind = event.kind
    if kind is EventKind.SLEEP:
        return Step.SLEEP
    if event.var != socket:
        return Step.RESET if kind is EventKind.MOVE and event.other == socket else None
    if kind is EventKind.RECEIVE:
        return Step.READ_TO_END if event.to_end else Step.RECEIVE
    if kind is EventKind.SEND:
        return Step.SEND
    if kind is EventKind.SHUTDOWN:
        return Step.SHUTDOWN if event.how in SHUTDOWN_SENDING or event.how == "helper" else None
    if kind is EventKind.CLOSE:
        return Step.CLOSE if event.closing in (Closing.CALL, Closing.WITH) else Step.RESET
    if kind is EventKind.PASS:
        return {HelperRole.SENDS: Step.SEND, HelperRole.RECEIVES: Step.RECEIVE}.get(event.role, Step.RESET)
    if kind is EventKind.HANDOFF:
        return Step.RESET if event.argument else None  # given to code we do not see
    if kind in (EventKind.ACQUIRE, EventKind.REBIND, EventKind.MOVE):
        return Step.RESET
    return None


class GracefulClose:
    def __init__(self, model: SocketModel) -> None:
        self.model = model
        self.cfg = model.cfg
        self.sockets = self._judged_sockets()
        self.slot = {name: index for index, name in enumerate(self.sockets)}
        self._phases = BitTable()
        self.found: Dict[Tuple[str, int], Tuple[str, cst.CSTNode, int]] = {}
        self._data = self._data_sockets() if self.sockets else {}
        self._drain_exits = self._drain_loop_exits() if self.sockets else {}

    # -- which sockets ----------------------------------------------------

    def _judged_sockets(self) -> List[str]:
        """Stream sockets (names or attributes) that this function closes
        itself. Who connected does not matter: the exchange before the close does."""
        model = self.model
        closed: List[str] = []
        for events in model.events:
            for event in events.events:
                if event.kind is EventKind.CLOSE and event.closing in (Closing.CALL, Closing.WITH) \
                        and event.var not in closed:
                    closed.append(event.var)
        return [name for name in closed if not model.is_datagram(name) and model.is_connection(name)]

    def _data_sockets(self) -> Dict[str, Set[str]]:
        """data name -> the judged sockets whose receives assign it (`data = conn.recv(n)`)."""
        found: Dict[str, Set[str]] = {}
        for events in self.model.events:
            for event in events.events:
                if event.kind is EventKind.RECEIVE and event.var in self.slot and not event.accumulates:
                    for name in event.into:
                        found.setdefault(name, set()).add(event.var)
        return found

    def _eof_sockets(self, index: int) -> Tuple[Set[str], int]:
        """The judged sockets a test at `index` sees at end-of-file, and the edge taken then."""
        eof = self.model.events[index].eof
        if eof is None:
            return set(), TRUE
        sockets = {eof.socket} if eof.socket else self._data.get(eof.data or "", set())
        return sockets & set(self.slot), eof.eof_edge

    def _drain_loop_exits(self) -> Dict[Tuple[int, int], Set[str]]:
        """Edges leaving a loop that receives until b'' (bounded or not): the
        socket is drained on every way out of such a loop."""
        cfg = self.cfg
        drains: Dict[int, Set[str]] = {}
        for index, node in enumerate(cfg.nodes):
            eof = self._drain_test(node)
            if eof is None:
                continue
            sockets = {eof.socket} if eof.socket else self._data.get(eof.data or "", set())
            loop = node.loop
            if node.is_while_test and eof.receive is not None:
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

    def _drain_test(self, node):
        """The end-of-file test a loop's test or assert makes, if any."""
        if node.kind is NodeKind.TEST:
            return self.model.events[node.index].eof
        if node.kind is NodeKind.ASSERT:
            return eof_test(node.cst.test, self.model.receive_of)
        return None

    def _sends_in_loop(self, socket: str, header: int) -> bool:
        cfg = self.cfg
        for index in range(len(cfg.nodes)):
            if index == header or cfg.in_loop(index, header):
                if any(phase_steps(event, socket) is Step.SEND for event in self.model.events[index].events):
                    return True
        return False

    # -- phases -------------------------------------------------------------

    def _bit(self, phase: Phase) -> int:
        return self._phases.bit(phase)

    def _map(self, bits: int, step: Step, event: Event) -> int:
        result = 0
        for phase in self._phases.each(bits):
            result |= self._bit(_advance(phase, step, event.node))
        return result

    # -- the dataflow ----------------------------------------------------

    def findings(self) -> Iterator[Finding]:
        if not self.sockets:
            return
        initial = [self._bit(Phase(PhaseKind.NONE))] * len(self.sockets) + [1]
        solve(self.cfg, len(initial), tuple(initial), self._transfer, self._edge_filter)
        for (socket, _), (code, node, _) in sorted(self.found.items(), key=lambda item: item[1][2]):
            yield Finding(code, node, socket, words(self.model, socket))

    def _edge_filter(self, source: int, target: int, kind: int, state):
        drained = self._drain_exits.get((source, target))
        if not drained:
            return state
        state = list(state)
        for socket in drained:
            state[self.slot[socket]] = self._bit(Phase(PhaseKind.DONE))
        return tuple(state)

    def _transfer(self, index: int, state):
        node = self.cfg.nodes[index]
        if node.kind in EXITS:
            return {}
        values = list(state)
        for socket, slot in self.slot.items():
            values[slot] = self._step(socket, values[slot], index)
        # Exception paths are not judged: nothing flows along EXC edges.
        outputs = {NORMAL: tuple(values), RERAISE: tuple(values)}
        true_state, false_state = list(values), list(values)
        if node.kind is NodeKind.TEST:
            sockets, edge = self._eof_sockets(index)
            side = true_state if edge == TRUE else false_state
            for socket in sockets:
                side[self.slot[socket]] = self._bit(Phase(PhaseKind.DONE))
        outputs[TRUE] = tuple(true_state)
        outputs[FALSE] = tuple(false_state)
        return outputs

    def _step(self, socket: str, bits: int, index: int) -> int:
        for event in self.model.events[index].events:
            step = phase_steps(event, socket)
            if step is None:
                continue
            if step is Step.CLOSE:
                self._report(socket, bits, event.node, index)
                bits = self._bit(Phase(PhaseKind.NONE))
            elif step is Step.RESET:
                bits = self._bit(Phase(PhaseKind.NONE))
            elif step is Step.READ_TO_END:
                bits = self._bit(Phase(PhaseKind.DONE))
            else:
                bits = self._map(bits, step, event)
        return bits

    def _report(self, socket: str, bits: int, close: cst.CSTNode, index: int) -> None:
        for phase in self._phases.each(bits):
            code = _REPORTED.get(phase.kind)
            if code is None:
                continue
            node = phase.site if phase.kind is PhaseKind.SLEPT else close
            self.found.setdefault((socket, id(node)), (code, node, index))


def _advance(phase: Phase, step: Step, site: Optional[cst.CSTNode]) -> Phase:
    kind = phase.kind
    if kind is PhaseKind.DONE:
        return phase
    if step is Step.RECEIVE:
        # reading after a reply (the next request, or a client reading its
        # answer) makes the last exchange a receive again
        return Phase(PhaseKind.REQUEST) if kind is not PhaseKind.SHUT else phase
    if step is Step.SEND:
        return Phase(PhaseKind.REPLIED) if kind in (PhaseKind.REQUEST, PhaseKind.REPLIED, PhaseKind.SLEPT) else phase
    if step is Step.SLEEP:
        return Phase(PhaseKind.SLEPT, site) if kind is PhaseKind.REPLIED else phase
    if step is Step.SHUTDOWN:
        return Phase(PhaseKind.SHUT, site) if kind in (PhaseKind.REPLIED, PhaseKind.SLEPT) else phase
    return phase
