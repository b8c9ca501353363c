"""The socket vocabulary, in one place and free of libcst.

The engine's fast path (a text check, then flake8's `ast` tree) and the
libcst analysis must agree on what counts as socket code, or the fast path
would skip functions a rule could report on. Both read these tables.
"""

from __future__ import annotations

# method -> (fewest, most) positional arguments of the socket method, so that
# `websocket.accept(subprotocol=...)`, `executor.shutdown(wait=True)` or a
# pipe's `recv()` are not taken for sockets.
EVIDENCE_METHODS = {
    "recv": (1, 2), "recv_into": (1, 3), "recvfrom": (1, 2), "recvfrom_into": (1, 3),
    "recvmsg": (1, 3), "recvmsg_into": (1, 3), "sendall": (1, 2), "sendto": (2, 3),
    "sendmsg": (1, 4), "accept": (0, 0), "setsockopt": (3, 4), "getsockopt": (2, 3),
    "makefile": (0, 5), "settimeout": (1, 1), "setblocking": (1, 1), "getpeername": (0, 0),
    "do_handshake": (0, 1), "connect_ex": (1, 1), "shutdown": (1, 1),
}

# Calls that create a socket, by the last part of their name.
ACQUIRING_NAMES = frozenset({
    "socket", "SocketType", "create_connection", "create_server", "fromfd", "socketpair", "wrap_socket",
})

# Cheap substrings, one of which every file with socket code contains.
PRECHECK_WORDS = (
    "recv", "accept(", "sendall", "sendto", "sendmsg", "shutdown(", "setsockopt", "getsockopt",
    "makefile", "settimeout", "setblocking", "getpeername", "do_handshake", "connect_ex", "socket",
    "create_connection", "create_server", "fromfd",
)

TRIGGER_PATTERN = (
    r"(?:" + "|".join(sorted(set(EVIDENCE_METHODS) | ACQUIRING_NAMES, key=len, reverse=True)) + r")\s*\("
)


def arity_fits(method: str, positional: int, keywords: int, starred: bool) -> bool:
    """Whether a call of `method` has the shape of the socket method."""
    bounds = EVIDENCE_METHODS.get(method)
    if bounds is None:
        return False
    if starred or method == "makefile":
        return True
    if method == "accept" and keywords:
        return False
    return bounds[0] <= positional <= bounds[1]
