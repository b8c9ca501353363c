"""Shutdown protection: which shutdown() calls can skip the close after them.

shutdown() raises OSError (ENOTCONN, ECONNRESET) when the peer is already
gone. A shutdown is protected when the close of the same socket still runs
after that exception: the close sits in a `finally`, after a try/except
OSError that holds the shutdown but not the close, or a `with` block closes
the socket. SKT304 reports the unprotected ones, and SKT101 yields to it when
such a shutdown is also a socket's first leaking call, so both read this.
"""

from __future__ import annotations

from typing import Dict, List, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import EXC, NORMAL_EDGES, NodeKind
from lintplugin.flow.exceptions import Catches
from lintplugin.flow.dataflow import reachable
from lintplugin.model.events import EventKind, SocketModel


def unprotected_shutdowns(model: SocketModel) -> List[Tuple[cst.Call, str]]:
    """(shutdown call, socket) for the shutdown() calls whose exception can
    leave the function without the close that follows them on a normal path
    (a close(), a `with` exit, or a helper whose name says it closes)."""
    cfg = model.cfg
    found = []
    closing: Dict[str, Set[int]] = {}
    for index in range(len(cfg.nodes)):
        for event in model.events[index].events:
            if event.kind is not EventKind.SHUTDOWN or event.method != "shutdown" or model.is_datagram(event.var) \
                    or not model.is_connection(event.var):
                continue
            socket = event.var
            if socket not in closing:
                closing[socket] = {i for i in range(len(cfg.nodes)) if model.closes(i, socket)}
            closes = closing[socket]
            after = reachable(cfg, [t for t, k in cfg.nodes[index].succ if k in NORMAL_EDGES], NORMAL_EDGES)
            if not any(after[close] for close in closes):
                continue  # not closed after it on a normal path: not this rule's business
            if _escapes_without(model, index, closes, socket):
                found.append((event.node, socket))
    return found


def _escapes_without(model: SocketModel, start: int, closes: Set[int], socket: str) -> bool:
    """Whether an exception raised at `start` can leave the function without
    passing one of the `closes` nodes. A branch on which the socket is None
    (`if self.sock is not None: self.sock.close()`) cannot be taken: the
    shutdown was called on it."""
    cfg = model.cfg
    todo = [target for target, kind in cfg.nodes[start].succ if kind == EXC]
    # A handler of connection errors (OSError, trio's BrokenResourceError...)
    # is what a failing shutdown raises into; what else an await may raise
    # (cancellation) is not this rule's business.
    catching = [target for target in todo if _catches_connection_errors(cfg.nodes[target])]
    if catching:
        todo = catching
    seen = set(todo)
    while todo:
        current = todo.pop()
        if current in closes:
            continue
        if current == cfg.raise_exit and socket in model.handler_params and model.serves:
            continue  # out of an asyncio handler: asyncio closes the transport
        if current in (cfg.exit, cfg.raise_exit):
            return True
        node = cfg.nodes[current]
        impossible = {edge for name, edge in model.events[current].none_tests if name == socket}
        for target, kind in node.succ:
            follow = (kind != EXC or node.kind is NodeKind.RAISE) and kind not in impossible
            if follow and target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def _catches_connection_errors(node) -> bool:
    info = node.handler
    return info is not None and (info.catches is Catches.ALL or info.catches_connection_errors)
