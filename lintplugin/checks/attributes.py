"""SKT106 attribute-dropped and SKT107 attribute-never-closed: sockets held by objects.

A socket stored on `self` belongs to the object, and the object's methods
together must close it. Such leaks live as long as the object, often the
process: a client that sets `self.sock = None` after a failed connect(), or
rebinds it in a reconnect loop, keeps one more descriptor per failure.

SKT106 is a dataflow over one method: on a path where `self.x` holds a
socket the method acquired or did I/O on, rebinding or deleting `self.x`
without closing it drops the socket. SKT107 looks at a whole class (and its
bases in the same module): it stores a socket in `self.x`, and nothing in
the class ever closes it or lets it go. What every method of the class
releases is read by the gate from flake8's `ast` tree (ClassSummary), so the
libcst copy need not hold the methods without socket code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import EXC, EXITS, FALSE, NORMAL, RERAISE, TRUE
from lintplugin.flow.dataflow import BitTable, solve
from lintplugin.model.calls import acquisition, is_datagram
from lintplugin.model.events import EventKind, Role, SocketModel
from lintplugin.model.facts import FileFacts
from lintplugin.syntax.names import qualified_name
from lintplugin.syntax.scopes import BindingKind, Scope, Store
from lintplugin.syntax.walk import call_text, dotted_name
from lintplugin.types import Finding

# -- SKT106 attribute-dropped --------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    """Why the method answers for the socket in an attribute on this path."""

    how: str  # "opened" or "used"
    node: cst.CSTNode  # the store or the I/O call


def check(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
    if scope.parent is None or not scope.parent.is_class or not isinstance(scope.node, cst.FunctionDef):
        return
    model = facts.socket_model(scope)
    attributes = sorted(name for name in model.attributes if _on_self(name))
    if attributes:
        # A drop after an unprotected shutdown() is that shutdown's SKT304: one report per leak.
        reported = {id(call) for call, _ in facts.unprotected_shutdowns(scope)}
        yield from _Dropped(model, attributes, facts, reported).findings()


class _Dropped:
    def __init__(self, model: SocketModel, attributes: List[str], facts: FileFacts, reported: Set[int]) -> None:
        self.model = model
        self.facts = facts
        self.reported = reported
        self.slot = {name: index for index, name in enumerate(attributes)}
        self._held = BitTable()
        self.found: Dict[Tuple[str, int], Tuple[cst.CSTNode, _Held]] = {}

    def findings(self) -> Iterator[Finding]:
        solve(self.model.cfg, len(self.slot) + 1, (0,) * len(self.slot) + (1,), self._transfer)
        for (name, _), (node, held) in sorted(self.found.items(), key=lambda item: self.facts.position_of(item[1][0])):
            line, _ = self.facts.position_of(held.node)
            origin = f"used by {call_text(held.node)} on line {line}" if held.how == "used" \
                else f"opened on line {line}"
            yield Finding("SKT106", node, name, {
                "origin": origin,
                "consequence": _DROPPED.get(self.model.role(name), "in CLOSE_WAIT once the peer closes"),
            })

    def _transfer(self, index: int, state):
        node = self.model.cfg.nodes[index]
        if node.kind in EXITS:
            return {}
        after, failed = list(state), list(state)
        for event in self.model.events[index].events:
            slot = self.slot.get(event.var)
            if slot is None:
                continue
            kind = event.kind
            if kind is EventKind.SOURCE and event.method is not None:
                if not after[slot]:
                    after[slot] = failed[slot] = self._held.bit(_Held("used", event.node))
            elif kind is EventKind.ACQUIRE:
                self._drop(event.var, after[slot], event.node)
                after[slot] = self._held.bit(_Held("opened", event.node))
            elif kind is EventKind.REBIND:
                if event.how != "helper":  # a method of the class replaced it: that method is judged
                    self._drop(event.var, after[slot], event.node)
                after[slot] = 0
            elif kind in (EventKind.CLOSE, EventKind.HANDOFF, EventKind.PASS):
                after[slot] = failed[slot] = 0  # a close() that raises has let go all the same
        true_state, false_state = list(after), list(after)
        for name, none_edge in self.model.events[index].none_tests:
            slot = self.slot.get(name)
            if slot is not None:
                (true_state if none_edge == TRUE else false_state)[slot] = 0
        return {NORMAL: tuple(after), RERAISE: tuple(after), EXC: tuple(failed),
                TRUE: tuple(true_state), FALSE: tuple(false_state)}

    def _drop(self, name: str, bits: int, node: cst.CSTNode) -> None:
        for held in self._held.each(bits):
            if id(held.node) not in self.reported:
                self.found.setdefault((name, id(node)), (node, held))


_DROPPED = {
    Role.LISTENER: "and its port bound",
    Role.DATAGRAM: "a datagram socket: no CLOSE_WAIT, but one descriptor more each time",
}


# -- SKT107 attribute-never-closed --------------------------------------------------

# Bases outside the module that are known not to close sockets.
_PLAIN_BASES = frozenset({"object", "threading.Thread", "Thread", "Exception", "BaseException"})
_PROTOCOL_BASES = frozenset({
    "asyncio.Protocol", "asyncio.BaseProtocol", "asyncio.BufferedProtocol",
    "asyncio.protocols.Protocol", "asyncio.protocols.BaseProtocol",
})


def check_class(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
    if scope.parent is None or scope.parent.parent is not None:
        return  # only top-level classes: the gate sums them up as a whole
    classes = {other.name: other for other in facts.scopes if other.is_class}
    family = _family(scope, classes)
    if family is None:
        return  # a base we cannot see may close it
    protocol = any(_is_protocol_base(base, cls) for cls in family for base in cls.node.bases)
    methods = [method for cls in family for method in _methods(cls, facts.scopes)]
    held = _held(methods, protocol)
    if not held:
        return
    summaries = [facts.class_summary(cls.name) for cls in family]
    if any(summary is None for summary in summaries):
        return  # a class of the family the gate could not sum up
    released = {name for summary in summaries for name in summary.released}
    closed_elsewhere = {name for summary in summaries for name in summary.closed_elsewhere}
    for attribute, store in held.items():
        if attribute in released or attribute.split(".", 1)[1] in closed_elsewhere:
            continue
        if protocol and not any(summary.half_open for summary in summaries):
            continue
        yield Finding("SKT107", store.node, attribute, _class_words(scope, store, protocol))


def _class_words(scope: Scope, store: Store, protocol: bool) -> Dict[str, str]:
    if protocol:
        return {
            "owner": scope.name, "noun": "transport",
            "consequence": "eof_received() returns a true value, so after the peer's FIN the connection "
                           "stays half-open in CLOSE_WAIT for as long as the object lives",
            "fix": "call self.transport.close() when the exchange is done",
        }
    datagram = store.value is not None and is_datagram(store.value, scope)
    return {
        "owner": scope.name,
        "consequence": "its descriptor stays open for as long as the object lives" if datagram
        else "its descriptor stays open for as long as the object lives, in CLOSE_WAIT once the peer closes",
        "fix": "close it in a close() method (and in __exit__ for 'with' users)",
    }


def _family(scope: Scope, classes: Dict[str, Scope]) -> Optional[List[Scope]]:
    """The class and its bases defined in this module; None when a base
    outside the module may close sockets itself."""
    family, todo = [], [scope]
    while todo:
        cls = todo.pop()
        if cls in family:
            continue
        family.append(cls)
        for base in cls.node.bases:
            name = dotted_name(base.value)
            if name in classes:
                todo.append(classes[name])
                continue
            qualified = qualified_name(base.value, cls) or name or "?"
            if qualified not in _PLAIN_BASES and not _is_protocol_base(base, cls) \
                    and not qualified.endswith(("Error", "Exception")):
                return None  # socketserver servers and the like close what they keep
    return family


def _is_protocol_base(base: cst.Arg, cls: Scope) -> bool:
    return (qualified_name(base.value, cls) or "") in _PROTOCOL_BASES


def _methods(cls: Scope, scopes: List[Scope]) -> List[Scope]:
    return [other for other in scopes if other.parent is cls and isinstance(other.node, cst.FunctionDef)]


def _held(methods: List[Scope], protocol: bool) -> Dict[str, Store]:
    """self.x -> its first store, for the attributes the class stores a socket in."""
    found: Dict[str, Store] = {}
    for method in methods:
        params = {param.name.value for param in method.node.params.params}
        for store in method.stores:
            if not _on_self(store.target):
                continue
            value = store.value
            holds = acquisition(value, method) is not None or _acquired_name(value, method)
            if protocol and method.name == "connection_made" and isinstance(value, cst.Name) \
                    and value.value in params:
                holds = True  # self.transport = transport
            if holds and store.target not in found:
                found[store.target] = store
    return found


def _acquired_name(value, scope: Scope) -> bool:
    """A local name the method bound to an acquisition (`s = socket.socket(); self.sock = s`)."""
    if not isinstance(value, cst.Name):
        return False
    bindings = scope.bindings.get(value.value, [])
    return any(b.kind is BindingKind.VALUE and b.index is None and acquisition(b.value, scope) for b in bindings)


def _on_self(name) -> bool:
    return isinstance(name, str) and name.startswith("self.") and name.count(".") == 1
