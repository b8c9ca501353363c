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

The whole analysis is one forward pass to a fixpoint over the CFG; with
bitsets, merging paths is an OR, so cost grows with the graph, not with
the number of paths through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import CFG, EXC, FALSE, NORMAL, RERAISE, TRUE
from lintplugin.flow.dataflow import reachable, reaching_back, solve
from lintplugin.sockets import Event, SocketModel

NORMAL_EDGES = (NORMAL, TRUE, FALSE)


@dataclass(frozen=True)
class PathClass:
    kind: str  # "normal", "err", "eof"
    site: object  # normal: (node, how); err: (cfg node index, first source call); eof: receive call


@dataclass
class Leak:
    """An owned socket lost on some paths, by path class."""

    name: str
    origin: Tuple[Optional[cst.CSTNode], str]  # first acquisition (node, how); (None, "parameter")
    normal: List[Tuple[cst.CSTNode, str]] = field(default_factory=list)  # acquisition sites
    errors: List[cst.CSTNode] = field(default_factory=list)  # exception sources
    eofs: List[cst.CSTNode] = field(default_factory=list)  # receive calls
    sinks: Dict[PathClass, int] = field(default_factory=dict)  # where each class was lost


class OwnershipAnalysis:
    def __init__(self, model: SocketModel, sinks_at_exit: bool) -> None:
        self.model = model
        self.cfg: CFG = model.cfg
        self.sinks_at_exit = sinks_at_exit
        self.owned = self._owned_names()
        self.slot = {name: index for index, name in enumerate(sorted(self.owned))}
        self._classes: List[PathClass] = []
        self._class_bits: Dict[Tuple[str, PathClass], int] = {}
        self._class_owner: List[str] = []
        self.data_slots: Dict[str, int] = {}
        self._receives: List[Tuple[cst.Call, str]] = []
        self._receive_ids: Dict[int, int] = {}
        self._prepare_data_slots()
        self._handoff_calls = self._resolve_passes()
        self.leaked: Dict[str, int] = {}
        self.leak_sinks: Dict[Tuple[str, int], int] = {}

    # -- ownership ------------------------------------------------------

    def _owned_names(self) -> Set[str]:
        model = self.model
        candidates = set(model.acquired) | set(model.evidence)
        candidates -= self._globals()
        owned = set()
        normal_reach = reachable(self.cfg, [self.cfg.entry], NORMAL_EDGES)
        for name in candidates:
            if name in model.acquired:
                owned.add(name)
                continue
            closes = [
                index for index, events in enumerate(model.events)
                if normal_reach[index] and any(e.kind == "close" and e.var == name for e in events.events)
            ]
            if closes:
                owned.add(name)
        return owned

    def _globals(self) -> Set[str]:
        scope = self.model.scope
        return set(scope.declared_global)

    def _resolve_passes(self) -> Set[int]:
        """Calls given an owned socket that hand it on (no close follows them)."""
        handoffs: Set[int] = set()
        for name in self.owned:
            closing_nodes = [
                index for index, events in enumerate(self.model.events)
                if any(e.kind == "close" and e.var == name for e in events.events)
            ]
            closes_later = reaching_back(self.cfg, closing_nodes, NORMAL_EDGES)
            for index, events in enumerate(self.model.events):
                for event in events.events:
                    if event.kind == "pass" and event.var == name:
                        later = any(closes_later[target] for target, kind in self.cfg.nodes[index].succ
                                    if kind in NORMAL_EDGES)
                        if not later:
                            handoffs.add(id(event.node))
        return handoffs

    def is_handoff(self, event: Event) -> bool:
        return event.kind == "handoff" or (event.kind == "pass" and id(event.node) in self._handoff_calls)

    def is_source(self, event: Event) -> bool:
        return event.kind == "source" or (event.kind == "pass" and id(event.node) not in self._handoff_calls)

    # -- classes and slots ----------------------------------------------

    def _bit(self, name: str, path_class: PathClass) -> int:
        key = (name, path_class)
        bit = self._class_bits.get(key)
        if bit is None:
            bit = len(self._classes)
            self._classes.append(path_class)
            self._class_owner.append(name)
            self._class_bits[key] = bit
        return 1 << bit

    def _prepare_data_slots(self) -> None:
        base = len(self.slot)
        for events in self.model.events:
            for event in events.events:
                if event.kind == "data" and event.var in self.owned and event.detail not in self.data_slots:
                    self.data_slots[event.detail] = base + len(self.data_slots)
                if event.kind == "data" and id(event.node) not in self._receive_ids:
                    self._receive_ids[id(event.node)] = len(self._receives)
                    self._receives.append((event.node, event.var))

    @property
    def width(self) -> int:
        return len(self.slot) + len(self.data_slots)

    # -- the dataflow ---------------------------------------------------

    def run(self) -> None:
        if not self.owned:
            return
        # The last slot is a marker that is always set, so that every
        # reachable node is visited even where no socket is open yet.
        initial = [0] * self.width + [1]
        for name in self.owned:
            if name in self.model.params:
                initial[self.slot[name]] = self._bit(name, PathClass("normal", (None, "parameter")))
        solve(self.cfg, self.width + 1, tuple(initial), self._transfer, self._edge_filter)

    def _edge_filter(self, source: int, target: int, kind: int, state):
        node = self.cfg.nodes[target]
        if kind == EXC and node.kind == "handler" and node.info.retry_only:
            # A non-blocking retry: the event loop still holds the socket.
            return (0,) * (len(state) - 1) + (1,)
        return state

    def _sink(self, state: List[int], name: str, node_index: int) -> None:
        slot = self.slot.get(name)
        if slot is None or not state[slot]:
            return
        self.leaked[name] = self.leaked.get(name, 0) | state[slot]
        bits = state[slot]
        while bits:
            low = bits & -bits
            key = (name, low.bit_length() - 1)
            if key not in self.leak_sinks:
                self.leak_sinks[key] = node_index
            bits ^= low

    def _to_class(self, name: str, bits: int, make: PathClass, raise_statement: bool = False) -> int:
        """Re-class the open paths in `bits`.

        An exception makes every open path an error path of *that* exception
        (the one that actually leaves the socket open, even if an earlier one
        was caught and the code carried on). A `raise` statement and
        end-of-file re-class only the normal paths: a bare re-raise keeps
        blaming the call that failed, and raising on end-of-file is SKT102.
        """
        if make.kind == "err" and not raise_statement:
            return self._bit(name, make) if bits else 0
        result = 0
        moved = False
        remaining = bits
        while remaining:
            low = remaining & -remaining
            remaining ^= low
            if self._classes[low.bit_length() - 1].kind == "normal":
                moved = True
            else:
                result |= low
        if moved:
            result |= self._bit(name, make)
        return result

    def _transfer(self, index: int, state):
        values = list(state)
        node = self.cfg.nodes[index]
        node_events = self.model.events[index]
        outputs = {}
        if node.kind in ("exit", "raise_exit"):
            if self.sinks_at_exit:
                for name in self.owned:
                    self._sink(values, name, index)
            return outputs
        # Exception edges: the state before this node's effects, for the
        # sockets this node is an exception source for.
        exc = [0] * len(values)
        exc[-1] = 1
        sources = {e.var for e in node_events.events if self.is_source(e)}
        for name in sources:
            slot = self.slot.get(name)
            if slot is not None and values[slot]:
                exc[slot] = self._to_class(
                    name, values[slot], PathClass("err", index), raise_statement=node.kind == "raise"
                )
        for name, slot in self.data_slots.items():
            exc[slot] = values[slot]
        outputs[EXC] = tuple(exc)
        after = self._apply(values, node_events.events, index)
        outputs[NORMAL] = tuple(after)
        outputs[RERAISE] = outputs[NORMAL]  # leaving a finally / with exit, its effects done
        true_state, false_state = after, after
        eof = node_events.eof
        if eof is not None:
            eof_state = self._eof_state(after, eof)
            if eof_state is not None:
                if eof.eof_edge == TRUE:
                    true_state = eof_state
                else:
                    false_state = eof_state
        outputs[TRUE] = tuple(true_state)
        outputs[FALSE] = tuple(false_state)
        return outputs

    def _apply(self, values: List[int], events: List[Event], index: int) -> List[int]:
        after = list(values)
        for event in events:
            name = event.var
            slot = self.slot.get(name)
            kind = event.kind
            if kind == "close" or self.is_handoff(event):
                if slot is not None:
                    after[slot] = 0
            elif kind == "acquire":
                if slot is not None:
                    self._sink(after, name, index)
                    after[slot] = self._bit(name, PathClass("normal", (event.node, event.detail)))
            elif kind == "rebind":
                if slot is not None:
                    self._sink(after, name, index)
                    after[slot] = 0
                    value = _assigned_value(event.node)
                    if name not in self.model.acquired and _is_call(value):
                        # a socket it got from another call, and closes somewhere
                        after[slot] = self._bit(name, PathClass("normal", (value, "obtained")))
            elif kind == "move":
                target = self.slot.get(event.other)
                if target is not None and target != slot:
                    self._sink(after, event.other, index)
                    after[target] = self._rename(name, event.other, after[slot]) if slot is not None else 0
                if slot is not None:
                    after[slot] = 0
            elif kind == "data":
                data_slot = self.data_slots.get(event.detail)
                if data_slot is not None:
                    after[data_slot] = 1 << self._receive_ids[id(event.node)]
            elif kind == "data_clear":
                data_slot = self.data_slots.get(event.detail)
                if data_slot is not None:
                    after[data_slot] = 0
        return after

    def _rename(self, source: str, target: str, bits: int) -> int:
        result = 0
        while bits:
            low = bits & -bits
            bits ^= low
            result |= self._bit(target, self._classes[low.bit_length() - 1])
        return result

    def _eof_state(self, after: List[int], eof) -> Optional[List[int]]:
        receives: List[Tuple[cst.Call, str]] = []
        if eof.receive is not None and eof.socket is not None:
            receives.append((eof.receive, eof.socket))
        elif eof.data is not None and eof.data in self.data_slots:
            bits = after[self.data_slots[eof.data]]
            while bits:
                low = bits & -bits
                bits ^= low
                receives.append(self._receives[low.bit_length() - 1])
        if not receives:
            return None
        state = list(after)
        for call, name in receives:
            slot = self.slot.get(name)
            if slot is None or not state[slot] or name in self.model.datagram:
                continue
            state[slot] = self._to_class(name, state[slot], PathClass("eof", call))
        return state

    # -- results ----------------------------------------------------------

    def leaks(self) -> List[Leak]:
        found = []
        for name in sorted(self.leaked):
            bits = self.leaked[name]
            acquisitions = self.model.acquired.get(name)
            origin = acquisitions[0] if acquisitions else (None, "parameter")
            leak = Leak(name=name, origin=origin)
            while bits:
                low = bits & -bits
                bits ^= low
                bit = low.bit_length() - 1
                path_class = self._classes[bit]
                sink = self.leak_sinks.get((name, bit))
                leak.sinks[path_class] = sink
                if path_class.kind == "normal":
                    site, how = path_class.site
                    if site is not None and how not in ("obtained", "parameter"):
                        leak.normal.append(path_class.site)
                elif path_class.kind == "err":
                    leak.errors.append(self._first_source_call(path_class.site, name))
                else:
                    leak.eofs.append(path_class.site)
            found.append(leak)
        return found

    def _first_source_call(self, node_index: int, name: str) -> cst.CSTNode:
        for event in self.model.events[node_index].events:
            if event.var == name and self.is_source(event):
                return event.node
        return self.cfg.nodes[node_index].cst


def _assigned_value(statement) -> Optional[cst.BaseExpression]:
    if isinstance(statement, (cst.Assign, cst.AnnAssign)):
        return statement.value
    return None


def _is_call(value) -> bool:
    if isinstance(value, cst.Await):
        value = value.expression
    return isinstance(value, cst.Call)
