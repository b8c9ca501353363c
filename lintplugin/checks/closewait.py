"""SKT101, SKT102, SKT105: owned sockets lost without a close (CLOSE_WAIT leaks).

They come from the ownership dataflow (model/ownership.py): each path class
that reaches a sink with the socket open names one of them. SKT103 and
SKT104, the rest of the family, judge receive loops (receive_loops.py).
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional

import libcst as cst

from lintplugin.catalogue import CLOSE_WAIT, DATAGRAM_LEAK, LISTENER_LEAK, NEVER_CONNECTED, PEER_CLOSE_WAIT
from lintplugin.flow.cfg import NodeKind
from lintplugin.model.events import Kind, Role, SocketModel
from lintplugin.model.facts import FileFacts
from lintplugin.model.ownership import Leak, OwnershipAnalysis, PathKind
from lintplugin.model.vocabulary import LOOP_SOCKET_METHODS
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import call_text, called_name
from lintplugin.types import Finding

# Calls that fail before a connection exists: no CLOSE_WAIT, but a descriptor per failure.
_SETUP_CALLS = frozenset({"connect", "connect_ex", "bind", "listen", "setsockopt"})


def check(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
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
        yield Finding("SKT105", site, leak.name, {
            "how": how,
            "sink": _sink_phrase(sink, leak.name, analysis, facts),
            "consequence": _LOST.get(analysis.model.role(leak.name), PEER_CLOSE_WAIT),
            **_words(analysis.model, leak.name),
        })
        return  # one report per leaked socket
    origin = _origin(leak, analysis, facts)
    first_error = _first_leaking_call(leak, analysis, facts)
    if first_error is not None:
        first, more = first_error
        yield Finding("SKT101", first, leak.name, {
            "origin": origin,
            "failure": "when this 'raise' leaves" if isinstance(first, cst.Raise) else f"if {call_text(first)} raises",
            "consequence": _consequence(first, analysis.model.role(leak.name)),
            "more": f" ({more} more {'calls leak' if more > 1 else 'call leaks'} it the same way)" if more else "",
            **_words(analysis.model, leak.name),
        })
    for receive in sorted(leak.eofs, key=facts.position_of):
        sink = analysis.sink_of(leak, PathKind.EOF, receive)
        yield Finding("SKT102", receive, leak.name, {
            "origin": origin,
            "call": call_text(receive),
            "sink": _sink_phrase(sink, leak.name, analysis, facts),
            **_words(analysis.model, leak.name, eof=True),
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


def _words(model: SocketModel, name: str, eof: bool = False) -> Dict[str, str]:
    """What to call the connection and how to fix the leak, in the words of its API."""
    kind = model.connection_kind(name)
    return {"noun": kind.value, "fix": _FIX[kind] if not eof else _EOF_FIX[kind]}


_FIX = {
    Kind.SOCKET: "close it in 'finally' or use 'with'",
    Kind.READER: "close its writer in 'finally'",
    Kind.WRITER: "close the writer in 'finally' (writer.close(), then await writer.wait_closed())",
    Kind.STREAM: "close it in 'finally' (await stream.aclose()) or use 'async with'",
}
_EOF_FIX = {
    Kind.SOCKET: "close it before leaving, or use 'with'",
    Kind.READER: "close its writer before leaving",
    Kind.WRITER: "close the writer before leaving (writer.close(), then await writer.wait_closed())",
    Kind.STREAM: "close it before leaving (await stream.aclose()), or use 'async with'",
}


def _origin(leak: Leak, analysis: OwnershipAnalysis, facts: FileFacts) -> str:
    node, how = leak.origin
    if leak.name in analysis.model.handler_params:
        return "the connection the server gave this handler"
    if node is None:
        return "a parameter this function closes"
    line, _ = facts.position_of(node)
    if how == "obtained":
        return f"from {call_text(node)} on line {line}, and closed here on some paths"
    return f"{how} on line {line}"


_LOST = {Role.LISTENER: LISTENER_LEAK, Role.DATAGRAM: DATAGRAM_LEAK}


def _consequence(node: cst.CSTNode, role: Role) -> str:
    """What an exception at `node` does to the socket left open."""
    if isinstance(node, cst.Call) and LOOP_SOCKET_METHODS.get(called_name(node), called_name(node)) in _SETUP_CALLS:
        return NEVER_CONNECTED
    return _LOST.get(role, CLOSE_WAIT)


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
