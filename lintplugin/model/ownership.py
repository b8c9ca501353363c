"""Who must close which socket, and on which paths it is lost: one dataflow.

For every socket a function owns, the state at each CFG node is a bitset of
*path classes* on which the socket is still open:

* NORMAL(site): acquired at `site`, no exception and no end-of-file since;
* ERR(node): an exception raised by `node` (a source for this socket) left
  it open: the path is an error path from there on;
* EOF(receive): the branch taken when `receive` returned b'' left it open.

Closing or handing the socket on clears its bits. A *sink* is where an open
socket is lost: the function returns or raises, or the name is rebound.
Whatever classes reach a sink are the leaks, and each class names the rule:
NORMAL is SKT105, ERR is SKT101, EOF is SKT102.

Network code decides with None-tests (`err = sock = None` in a connect loop,
`if sock is not None: sock.close()`, `if err is not None: raise err`). To
keep such correlated branches apart, every class also carries a
*valuation*: for a few guard names (assigned None and tested against it),
whether the path holds None, something else, or unknown there. One extra
slot holds the valuations of all paths reaching the node. A test drops the
classes whose valuation contradicts the branch. This is a small predicate
abstraction: finite (at most 3**MAX_GUARDS valuations), and in practice a
handful.

The whole analysis is one forward pass to a fixpoint over the CFG; with
bitsets, merging paths is an OR, so cost grows with the graph, not with
the number of paths through it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import CFG, EXC, EXITS, FALSE, NORMAL, NORMAL_EDGES, RERAISE, TRUE, NodeKind
from lintplugin.flow.dataflow import BitTable, reachable, reaching_back, set_bits, solve
from lintplugin.model.events import Event, EventKind, Kind, SocketModel
from lintplugin.syntax.walk import is_none

MAX_GUARDS = 4
UNKNOWN, IS_NONE, NOT_NONE = 0, 1, 2  # what a guard name holds on a path

Valuation = Tuple[int, ...]


class PathKind(enum.Enum):
    """How a path on which the socket is open got there; each names a rule at a sink."""

    NORMAL = "normal"  # no exception, no end-of-file since the acquisition: SKT105
    ERR = "err"  # an exception left it open: SKT101
    EOF = "eof"  # the end-of-file branch of a receive left it open: SKT102


@dataclass(frozen=True)
class PathClass:
    kind: PathKind
    site: object  # NORMAL: (node, how); ERR: cfg node index; EOF: receive call
    valuation: Valuation = ()


@dataclass
class Leak:
    """An owned socket lost on some paths, by path class."""

    name: str
    origin: Tuple[Optional[cst.CSTNode], str]  # first acquisition (node, how); (None, "parameter")
    normal: List[Tuple[cst.CSTNode, str]] = field(default_factory=list)  # acquisition sites
    errors: List[cst.CSTNode] = field(default_factory=list)  # exception sources
    eofs: List[cst.CSTNode] = field(default_factory=list)  # receive calls
    sinks: Dict[Tuple[PathKind, object], int] = field(default_factory=dict)  # (kind, site) -> sink node


class OwnershipAnalysis:
    def __init__(self, model: SocketModel) -> None:
        self.model = model
        self.cfg: CFG = model.cfg
        self.owned = self._owned_names()
        self.slot = {name: index for index, name in enumerate(sorted(self.owned))}
        self._classes = BitTable()  # (socket name, PathClass) -> bit
        self._masks: Dict[Tuple[str, Valuation], int] = {}
        self._valuations = BitTable()
        self.data_slots: Dict[str, int] = {}
        self._receives: List[Tuple[cst.Call, str]] = []
        self._receive_ids: Dict[int, int] = {}
        self._prepare_data_slots()
        self.paths_slot = len(self.slot) + len(self.data_slots)  # the valuations of all paths
        self.guards = self._guard_names() if self.owned else []
        self._guard_index = {name: index for index, name in enumerate(self.guards)}
        self._kept_by_result: Set[int] = set()  # passes whose bound result is closed: see _resolve_passes
        self._handoff_calls = self._resolve_passes()
        self.obtained: Dict[str, cst.CSTNode] = {}
        self.leaked: Dict[str, int] = {}
        self.leak_sinks: Dict[Tuple[str, int], int] = {}

    # -- ownership ------------------------------------------------------

    def _owned_names(self) -> Set[str]:
        model = self.model
        # A global or nonlocal name stores the socket outside this function.
        candidates = set(model.sockets) - model.scope.declared_global - model.scope.declared_nonlocal
        normal_reach = reachable(self.cfg, [self.cfg.entry], NORMAL_EDGES)
        owned = set()
        for name in candidates:
            if name in model.handler_params:
                if model.serves:
                    owned.add(name)  # asyncio's start_server hands the handler its connection
                continue  # trio's and anyio's servers close the stream themselves
            if name in model.acquired:
                if model.with_managed.get(name, 0) < len(model.acquired[name]):
                    owned.add(name)  # not when every acquisition is a `with` block's: it closes them
            elif model.connection_kind(name) in (Kind.STREAM, Kind.READER):
                continue  # a trio/anyio stream from another call (a memory stream in a test): not ours to judge
            elif any(normal_reach[index] and self._closes(index, name) for index in range(len(self.cfg.nodes))):
                owned.add(name)
        return owned

    def _closes(self, index: int, name: str) -> bool:
        return any(event.kind is EventKind.CLOSE for event in self.model.of(index, name))

    def _resolve_passes(self) -> Set[int]:
        """Calls given an owned socket that hand it on: no close of that same
        object follows them on a normal path (then they are I/O helpers).
        Fills `_kept_by_result` with the I/O helpers whose bound result is
        closed: they hand the socket on only when they return."""
        handoffs: Set[int] = set()
        for name in self.owned:
            closing = [index for index in range(len(self.cfg.nodes)) if self._closes(index, name)]
            rebinding = {
                index for index in range(len(self.cfg.nodes))
                if any(event.kind in (EventKind.ACQUIRE, EventKind.REBIND) for event in self.model.of(index, name))
            }
            closes_later = reaching_back(self.cfg, closing, NORMAL_EDGES, blocked=rebinding)
            for index, events in enumerate(self.model.events):
                for event in events.events:
                    if event.kind is not EventKind.PASS or event.var != name:
                        continue
                    if index in rebinding:
                        # `sock = wrap(sock)`: the result replaces what was passed in
                        handoffs.add(id(event.node))
                    elif not any(closes_later[target] for target, kind in self.cfg.nodes[index].succ
                                 if kind in NORMAL_EDGES):
                        handoffs.add(id(event.node))
                    elif event.other is not None and event.other != name and self.model.closed_somewhere(event.other):
                        # `conn = wrap(sock)` ... `conn.close()`: once the call returns, the
                        # result holds the socket (closing `conn` closes it), even when another
                        # branch closes `sock` itself; if the call raises, `sock` is still ours.
                        self._kept_by_result.add(id(event.node))
        return handoffs

    def is_handoff(self, event: Event) -> bool:
        return event.kind is EventKind.HANDOFF or (
            event.kind is EventKind.PASS
            and (id(event.node) in self._handoff_calls or id(event.node) in self._kept_by_result))

    def is_source(self, event: Event) -> bool:
        return event.kind is EventKind.SOURCE or (
            event.kind is EventKind.PASS and id(event.node) not in self._handoff_calls)

    # -- guards ---------------------------------------------------------

    def _guard_names(self) -> List[str]:
        """Names tested against None (or for truth) that the function also sets
        to None or False: `sock = None`, `wrapped = False` ... `if wrapped:`."""
        set_to_none = {
            bound.target for bindings in self.model.node_bindings for bound in bindings
            if isinstance(bound.target, str) and _is_falsy_constant(bound.value)
        }
        guards: Dict[str, None] = {}  # insertion-ordered set
        for events in self.model.events:
            for name, _ in events.none_tests:
                if name in set_to_none:
                    guards[name] = None
        return list(guards)[:MAX_GUARDS]

    def _guard_assignments(self, index: int) -> List[Tuple[int, int]]:
        """(guard index, new value) for the guards a node binds."""
        if not self.guards:
            return []
        node = self.cfg.nodes[index]
        found = []
        for bound in self.model.node_bindings[index]:
            value = bound.value
            position = self._guard_index.get(bound.target) if isinstance(bound.target, str) else None
            if position is None:
                continue
            if _is_falsy_constant(value):
                found.append((position, IS_NONE))  # None, False: the branch of `if not x:`
            elif node.kind is NodeKind.HANDLER or self.model.acquisition(value) is not None or _is_literal(value) \
                    or (isinstance(value, cst.Name) and value.value == "True"):
                found.append((position, NOT_NONE))
            else:
                found.append((position, UNKNOWN))
        return found

    # -- bits -----------------------------------------------------------

    def _bit(self, name: str, path_class: PathClass) -> int:
        known = len(self._classes.values)
        bit = self._classes.bit((name, path_class))
        if len(self._classes.values) > known:
            # Masks of all classes per (kind, valuation) let a re-classing
            # find the valuations present with a few integer ANDs instead of
            # walking every class: states can hold one error class per caught
            # exception, and walking them at every call would be quadratic.
            mask_key = (path_class.kind, path_class.valuation)
            self._masks[mask_key] = self._masks.get(mask_key, 0) | bit
        return bit

    def _collapse(self, name: str, bits: int, kinds, make) -> int:
        """Replace the classes of `kinds` in `bits` by `make(valuation)`, one
        class per valuation present; other classes stay."""
        result = bits
        for (kind, valuation), mask in list(self._masks.items()):
            if kind in kinds and bits & mask:
                result &= ~mask
                result |= self._bit(name, make(valuation))
        return result

    def _valuation_bit(self, valuation: Valuation) -> int:
        return self._valuations.bit(valuation)

    def _each_class(self, bits: int):
        return (path_class for _, path_class in self._classes.each(bits))

    def _reclass(self, name: str, bits: int, change) -> int:
        """Map every class in `bits` through `change` (None drops it)."""
        result = 0
        for path_class in self._each_class(bits):
            changed = change(path_class)
            if changed is not None:
                result |= self._bit(name, changed)
        return result

    def _prepare_data_slots(self) -> None:
        base = len(self.slot)
        for event in self._data_receives():
            for name in event.into:
                if event.var in self.owned and name not in self.data_slots:
                    self.data_slots[name] = base + len(self.data_slots)
            if id(event.node) not in self._receive_ids:
                self._receive_ids[id(event.node)] = len(self._receives)
                self._receives.append((event.node, event.var))

    def _data_receives(self):
        """Receives whose bytes are bound to names (`data = conn.recv(n)`):
        an end-of-file test on such a name is a test of that receive."""
        for events in self.model.events:
            for event in events.events:
                if event.kind is EventKind.RECEIVE and event.into and not event.accumulates:
                    yield event

    # -- the dataflow ---------------------------------------------------

    def run(self) -> None:
        if not self.owned:
            return
        start = (UNKNOWN,) * len(self.guards)
        initial = [0] * (self.paths_slot + 1)
        initial[self.paths_slot] = self._valuation_bit(start)
        for name in self.owned:
            # A parameter the function rebinds to a socket of its own is not
            # owned as a parameter: the socket it creates is what it owns.
            if name in self.model.handler_params:
                site = (_parameter_node(self.model, name), "given by the server")
                initial[self.slot[name]] = self._bit(name, PathClass(PathKind.NORMAL, site, start))
            elif name in self.model.params and name not in self.model.acquired:
                initial[self.slot[name]] = self._bit(name, PathClass(PathKind.NORMAL, (None, "parameter"), start))
        solve(self.cfg, len(initial), tuple(initial), self._transfer, self._edge_filter)

    def _edge_filter(self, source: int, target: int, kind: int, state):
        node = self.cfg.nodes[target]
        if kind == EXC and node.handler is not None and node.handler.retry_only:
            # A non-blocking retry: the event loop still holds the socket.
            cleared = [0] * len(state)
            cleared[self.paths_slot] = state[self.paths_slot]
            return tuple(cleared)
        return state

    def _transfer(self, index: int, state):
        values = list(state)
        node = self.cfg.nodes[index]
        node_events = self.model.events[index]
        outputs = {}
        if node.kind in EXITS:
            for name in self.owned:
                if node.kind is NodeKind.RAISE_EXIT and name in self.model.handler_params:
                    continue  # asyncio closes the transport when its handler raises
                self._sink(values, name, index)
            return outputs
        outputs[EXC] = tuple(self._exception_state(values, node_events, index))
        after = self._apply(values, node_events.events, index)
        for position, value in self._guard_assignments(index):
            self._set_guard(after, position, value)
        outputs[NORMAL] = tuple(after)
        outputs[RERAISE] = outputs[NORMAL]  # leaving a finally / with exit, its effects done
        true_state, false_state = list(after), list(after)
        for name, none_edge in node_events.none_tests:
            none_state, other_state = (true_state, false_state) if none_edge == TRUE else (false_state, true_state)
            slot = self.slot.get(name)
            if slot is not None:
                none_state[slot] = 0  # on this branch the name holds None, not a socket
            position = self._guard_index.get(name)
            if position is not None:
                self._refine(none_state, position, IS_NONE)
                self._refine(other_state, position, NOT_NONE)
        eof = node_events.eof
        if eof is not None:
            if eof.eof_edge == TRUE:
                true_state = self._eof_state(true_state, eof)
            else:
                false_state = self._eof_state(false_state, eof)
        outputs[TRUE] = tuple(true_state)
        outputs[FALSE] = tuple(false_state)
        return outputs

    def _exception_state(self, values: List[int], node_events, index: int) -> List[int]:
        """Before this node's effects, for the sockets it is an exception source for."""
        exc = [0] * len(values)
        exc[self.paths_slot] = values[self.paths_slot]
        for name, slot in self.data_slots.items():
            exc[slot] = values[slot]
        raise_statement = self.cfg.nodes[index].kind is NodeKind.RAISE
        # An exception makes every open path an error path of *that*
        # exception (the one that leaves the socket open). A `raise`
        # statement re-classes only normal paths: a bare re-raise keeps
        # blaming the call that failed, and raising on end-of-file is SKT102.
        kinds = (PathKind.NORMAL,) if raise_statement else tuple(PathKind)
        for name in {e.var for e in node_events.events if self.is_source(e)}:
            slot = self.slot.get(name)
            if slot is None or not values[slot]:
                continue
            exc[slot] = self._collapse(
                name, values[slot], kinds, lambda valuation: PathClass(PathKind.ERR, index, valuation)
            )
        return exc

    def _apply(self, values: List[int], events: List[Event], index: int) -> List[int]:
        after = list(values)
        for event in events:
            name = event.var
            slot = self.slot.get(name)
            kind = event.kind
            if kind is EventKind.CLOSE or self.is_handoff(event):
                if slot is not None:
                    after[slot] = 0
            elif kind is EventKind.ACQUIRE:
                if slot is not None:
                    self._sink(after, name, index)
                    after[slot] = self._fresh(name, (event.node, event.how), after)
            elif kind is EventKind.REBIND:
                if slot is not None:
                    self._sink(after, name, index)
                    after[slot] = 0
                    value = _assigned_value(event.node)
                    if name not in self.model.acquired and _is_call(value):
                        # a socket it got from another call, and closes somewhere
                        after[slot] = self._fresh(name, (value, "obtained"), after)
                        self.obtained.setdefault(name, value)
            elif kind is EventKind.MOVE:
                if event.other == name:
                    continue  # `sock = ctx.wrap_socket(sock)`: the same name holds it on
                target = self.slot.get(event.other)
                if target is not None and target != slot:
                    self._sink(after, event.other, index)
                    if slot is not None:
                        after[target] = self._reclass(event.other, after[slot], lambda c: c)
                    elif event.other in self.model.acquired:
                        # wrapping a socket this function does not own here (a `with raw:`
                        # block closes raw, not the wrapper): the wrapper is a new socket
                        after[target] = self._fresh(event.other, (event.node, "wrapped"), after)
                    else:
                        after[target] = 0
                if slot is not None:
                    after[slot] = 0
            elif kind is EventKind.RECEIVE and event.into and not event.accumulates:
                for data in event.into:
                    data_slot = self.data_slots.get(data)
                    if data_slot is not None:
                        after[data_slot] = 1 << self._receive_ids[id(event.node)]
            elif kind is EventKind.DATA_CLEAR:
                data_slot = self.data_slots.get(event.other)
                if data_slot is not None:
                    after[data_slot] = 0
        return after

    def _fresh(self, name: str, site, state: List[int]) -> int:
        """A newly acquired socket: open on every path reaching here, per valuation."""
        bits = 0
        for valuation in self._valuations.each(state[self.paths_slot]):
            bits |= self._bit(name, PathClass(PathKind.NORMAL, site, valuation))
        return bits

    def _set_guard(self, state: List[int], position: int, value: int) -> None:
        def update(valuation: Valuation) -> Valuation:
            return valuation[:position] + (value,) + valuation[position + 1:]

        self._map_valuations(state, update)

    def _refine(self, state: List[int], position: int, value: int) -> None:
        """Keep the paths on which the guard can have `value`; they now know it."""
        def update(valuation: Valuation) -> Optional[Valuation]:
            current = valuation[position]
            if current not in (UNKNOWN, value):
                return None
            return valuation[:position] + (value,) + valuation[position + 1:]

        self._map_valuations(state, update)

    def _map_valuations(self, state: List[int], update) -> None:
        paths = 0
        for valuation in self._valuations.each(state[self.paths_slot]):
            changed = update(valuation)
            if changed is not None:
                paths |= self._valuation_bit(changed)
        state[self.paths_slot] = paths
        for name, slot in self.slot.items():
            if state[slot]:
                state[slot] = self._reclass(
                    name, state[slot],
                    lambda c: None if update(c.valuation) is None else PathClass(c.kind, c.site, update(c.valuation)),
                )

    def _sink(self, state: List[int], name: str, node_index: int) -> None:
        slot = self.slot.get(name)
        if slot is None or not state[slot]:
            return
        known = self.leaked.get(name, 0)
        bits = state[slot] & ~known  # only what this sink adds: sinks are revisited as states grow
        if not bits:
            return
        self.leaked[name] = known | bits
        for bit in set_bits(bits):
            self.leak_sinks.setdefault((name, bit), node_index)

    def _eof_state(self, state: List[int], eof) -> List[int]:
        receives: List[Tuple[cst.Call, str]] = []
        if eof.receive is not None and eof.socket is not None:
            receives.append((eof.receive, eof.socket))
        elif eof.data is not None and eof.data in self.data_slots:
            receives.extend((self._receives[index] for index in set_bits(state[self.data_slots[eof.data]])))
        result = list(state)
        for call, name in receives:
            slot = self.slot.get(name)
            if slot is None or not result[slot] or name in self.model.datagram:
                continue
            result[slot] = self._collapse(
                name, result[slot], (PathKind.NORMAL,),
                lambda valuation, call=call: PathClass(PathKind.EOF, call, valuation),
            )
        return result

    # -- results ----------------------------------------------------------

    def leaks(self) -> List[Leak]:
        found = []
        for name in sorted(self.leaked):
            origin = self.model.origin(name)
            if origin[0] is None and name in self.obtained:
                origin = (self.obtained[name], "obtained")
            leak = Leak(name=name, origin=origin)
            errors: Dict[int, cst.CSTNode] = {}  # keyed by id: nodes compare by value, slowly
            eofs: Dict[int, cst.CSTNode] = {}
            for bit in set_bits(self.leaked[name]):
                path_class = self._classes.values[bit][1]
                leak.sinks.setdefault((path_class.kind, path_class.site), self.leak_sinks.get((name, bit)))
                if path_class.kind is PathKind.NORMAL:
                    site, how = path_class.site
                    if site is not None and how not in ("obtained", "parameter") and path_class.site not in leak.normal:
                        leak.normal.append(path_class.site)
                elif path_class.kind is PathKind.ERR:
                    call = self._first_source_call(path_class.site, name)
                    errors[id(call)] = call
                else:
                    eofs[id(path_class.site)] = path_class.site
            leak.errors = list(errors.values())
            leak.eofs = list(eofs.values())
            found.append(leak)
        return found

    def sink_of(self, leak: Leak, kind: PathKind, site) -> Optional[int]:
        return leak.sinks.get((kind, site))

    def _first_source_call(self, node_index: int, name: str) -> cst.CSTNode:
        for event in self.model.events[node_index].events:
            if event.var == name and self.is_source(event):
                return event.node
        return self.cfg.nodes[node_index].cst


def _parameter_node(model: SocketModel, name: str):
    for param in model.scope.node.params.params + model.scope.node.params.posonly_params:
        if param.name.value == name:
            return param
    return model.scope.node


def _assigned_value(statement) -> Optional[cst.BaseExpression]:
    if isinstance(statement, (cst.Assign, cst.AnnAssign)):
        return statement.value
    return None


def _is_call(value) -> bool:
    if isinstance(value, cst.Await):
        value = value.expression
    return isinstance(value, cst.Call)


def _is_falsy_constant(value) -> bool:
    return is_none(value) or (isinstance(value, cst.Name) and value.value == "False")


def _is_literal(value) -> bool:
    return isinstance(value, (cst.Integer, cst.Float, cst.SimpleString, cst.Tuple, cst.List, cst.Dict, cst.Set))
