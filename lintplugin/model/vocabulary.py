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
    # asyncio StreamWriter / StreamReader, trio and anyio streams (spec: async connections)
    "drain": (0, 0), "readexactly": (1, 1),
    "readuntil": (0, 1), "receive_some": (0, 1), "send_all": (1, 1), "send_eof": (0, 0),
}

# Event-loop calls given a raw socket as their first argument (`await
# loop.sock_recv(sock, n)`), by the socket method they stand for.
LOOP_SOCKET_METHODS = {
    "sock_recv": "recv", "sock_recv_into": "recv_into", "sock_recvfrom": "recvfrom",
    "sock_recvfrom_into": "recvfrom_into", "sock_sendall": "sendall", "sock_sendto": "sendto",
    "sock_sendfile": "sendfile", "sock_connect": "connect",
}

# Coroutine functions that serve connections: the handler they are given
# owns its (reader, writer) pair (asyncio) or not (trio, anyio: the server
# closes the stream when the handler returns).
SERVER_FUNCTIONS = {
    "asyncio.start_server": True, "asyncio.start_unix_server": True,
    "trio.serve_tcp": False, "trio.serve_listeners": False, "trio.serve_ssl_over_tcp": False,
}
SERVE_METHODS = frozenset({"serve"})  # anyio: `await listener.serve(handler)`

# Calls that create a socket or an async connection, or hand one to the event
# loop, by the last part of their name (what the gate looks for).
ACQUIRING_NAMES = frozenset({
    "socket", "SocketType", "create_connection", "create_server", "fromfd", "socketpair", "wrap_socket",
    "open_connection", "open_unix_connection", "open_tcp_stream", "open_ssl_over_tcp_stream",
    "open_unix_socket", "connect_tcp", "connect_unix", "sock_accept",
}) | frozenset(LOOP_SOCKET_METHODS)
# Calls that make a function (or the module) worth a look although they
# create nothing: they name the handlers of a server.
SERVING_NAMES = frozenset({"start_server", "start_unix_server", "serve_tcp", "serve_listeners", "serve_ssl_over_tcp"})
# asyncio Protocol callbacks: a protocol class holds its transport (SKT107).
PROTOCOL_NAMES = frozenset({"connection_made", "eof_received"})

# Cheap substrings, one of which every file with socket code contains.
PRECHECK_WORDS = (
    "recv", "accept(", "sendall", "sendto", "sendmsg", "shutdown(", "setsockopt", "getsockopt",
    "makefile", "settimeout", "setblocking", "getpeername", "do_handshake", "connect_ex", "socket",
    "create_connection", "create_server", "fromfd", "open_connection", "start_server", "start_unix_server",
    "drain", "wait_closed", "write_eof", "readexactly", "readuntil", "receive_some", "send_all", "send_eof",
    "open_tcp_stream", "connect_tcp", "connect_unix", "sock_", "serve_tcp", "serve_listeners", "connection_made",
    ".serve(",
)

TRIGGER_PATTERN = (
    r"(?:" + "|".join(sorted(set(EVIDENCE_METHODS) | ACQUIRING_NAMES | SERVING_NAMES | PROTOCOL_NAMES,
                             key=len, reverse=True))
    + r")\s*\("
)
# anyio's `await listener.serve(handler)`: found with str.find, cheaper than one more alternative.
SERVE_CALL = ".serve("


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


# -- what socket calls do (the event model reads these) -------------------------

# Functions that return a new socket, by qualified name, and how it came to be.
ACQUIRING_FUNCTIONS = {
    "socket.socket": "created",
    "socket.SocketType": "created",
    "_socket.socket": "created",
    "socket.create_connection": "connected",
    "socket.create_server": "created",
    "socket.fromfd": "created",
    "socket.socketpair": "created",
    "ssl.wrap_socket": "wrapped",
}
WRAPPING_METHODS = frozenset({"wrap_socket"})
SOCKET_TYPES = frozenset({"socket.socket", "ssl.SSLSocket", "socket.SocketType"})

# Calls on a socket that raise OSError when the peer or network fails.
SOURCE_METHODS = frozenset({
    "connect", "connect_ex", "accept", "bind", "listen", "getpeername", "send", "sendall",
    "sendto", "sendmsg", "sendfile", "recv", "recv_into", "recvfrom", "recvfrom_into",
    "recvmsg", "recvmsg_into", "shutdown", "do_handshake", "unwrap",
})
RECEIVE_METHODS = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into"})
# Receives that return b'' (or 0) at end-of-file on a stream; the others are
# datagram-shaped (they return the sender too) and are not judged for spinning.
STREAM_RECEIVE_METHODS = frozenset({"recv", "recv_into"})
SEND_METHODS = frozenset({"send", "sendall", "sendto", "sendmsg", "sendfile"})
CONNECT_METHODS = frozenset({"connect", "connect_ex"})
# What a makefile() object does: reads and writes are I/O on the socket.
FILE_IO_METHODS = frozenset({"read", "readline", "readlines", "readinto", "read1", "write", "writelines", "flush"})
FILE_READ_METHODS = frozenset({"read", "readline", "readlines", "readinto", "read1"})
SHUTDOWN_SENDING = frozenset({"SHUT_WR", "SHUT_RDWR", "?"})  # "?": not known, taken as sending

# Calls that look at a socket without doing I/O on it or taking it over.
INERT_FUNCTIONS = frozenset({
    "print", "repr", "str", "isinstance", "hasattr", "getattr", "setattr", "len", "id", "hash",
    "type", "bool", "format", "vars", "dir", "callable", "issubclass",
})
INERT_METHOD_PREFIXES = ("assert",)
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOGGER_NAMES = frozenset({"logging", "logger", "log", "LOG", "LOGGER", "_logger", "_log"})
SELECTOR_METHODS = frozenset({"register", "unregister", "modify"})
# Storing into a container hands the socket on (whoever owns the container closes it).
CONTAINER_METHODS = frozenset({
    "append", "appendleft", "add", "extend", "insert", "put", "put_nowait", "setdefault", "update",
})
EXIT_STACK_METHODS = frozenset({"enter_context", "push"})  # an ExitStack closes it on every way out
CLOSING_WORDS = ("close", "disconnect", "abort", "cleanup", "teardown", "clean_up", "tear_down")
NOT_CLOSING = ("close_on_exec", "cloexec", "closed", "closerange")
SHUTDOWN_WORD = "shutdown"
# Helpers given the socket whose names say what they do with it (SKT3xx).
SENDING_HELPER_WORDS = ("send", "reply", "respond", "write")
RECEIVING_HELPER_WORDS = ("recv", "receive", "read")
SLEEP_FUNCTIONS = frozenset({
    "time.sleep", "eventlet.sleep", "gevent.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep",
})

# -- async connections ---------------------------------------------------------

# Functions that open a connection, by qualified name.
ASYNC_ACQUIRING_FUNCTIONS = {
    "asyncio.open_connection": "connected", "asyncio.open_unix_connection": "connected",
    "trio.open_tcp_stream": "connected", "trio.open_ssl_over_tcp_stream": "connected",
    "trio.open_unix_socket": "connected", "anyio.connect_tcp": "connected", "anyio.connect_unix": "connected",
}
# ...of which these return a (reader, writer) pair, closed through the writer.
STREAM_PAIR_FUNCTIONS = frozenset({"asyncio.open_connection", "asyncio.open_unix_connection"})
# asyncio StreamReader receives: read()/readline() return b'' at end-of-file;
# readexactly()/readuntil() raise IncompleteReadError instead.
READER_RECEIVES = {"read": False, "readline": False, "readexactly": True, "readuntil": True}
# trio/anyio stream receives: receive_some() returns b''; anyio's receive() raises EndOfStream.
STREAM_RECEIVES = {"receive_some": False, "receive": True}
STREAM_SENDS = frozenset({"send_all", "send"})
WRITER_SENDS = frozenset({"write", "writelines"})  # they only buffer: drain() is where a reset shows

# Methods sockets do not have: an object used with one is something else (an
# SSH channel, a websocket) even where it also has recv() and send(), and no
# rule judges it.
NOT_SOCKET_METHODS = frozenset({
    "recv_ready", "send_ready", "recv_stderr_ready", "recv_stderr", "recv_exit_status", "exit_status_ready",
    "exec_command", "invoke_shell", "invoke_subsystem", "get_pty", "get_transport", "open_session",
    "open_channel", "resize_pty", "set_combine_stderr", "makefile_stderr", "get_id",
    "recv_data", "recv_frame", "recv_data_frame", "send_binary", "send_frame", "ping", "pong",
    # ASGI / Starlette websockets
    "send_text", "send_json", "send_bytes", "receive_text", "receive_json", "receive_bytes",
    "iter_text", "iter_bytes", "iter_json",
    # pyOpenSSL connections over memory BIOs: TLS bytes in and out of buffers, no socket under them
    "bio_write", "bio_read", "bio_shutdown",
})


def closes_by_name(name: str) -> bool:
    """A helper whose name says it closes what it is given (`_force_close`, `handle_close`)."""
    lowered = name.lower()
    if any(word in lowered for word in NOT_CLOSING):
        return False
    return any(word in lowered for word in CLOSING_WORDS)


def is_shutdown_helper(name: str) -> bool:
    """A helper named for shutdown: a shutdown(SHUT_RDWR) that does not raise, never a close."""
    return SHUTDOWN_WORD in name.lower()


def looks_without_io(function: str) -> bool:
    """print, repr, isinstance, logging calls, test assertions: they look at
    a socket without doing I/O on it or taking it over."""
    short = function.rsplit(".", 1)[-1]
    return short in INERT_FUNCTIONS or short.startswith(INERT_METHOD_PREFIXES) or _is_logging(function)


def is_sleep(qualified: str) -> bool:
    return qualified in SLEEP_FUNCTIONS or (qualified.rsplit(".", 1)[-1] == "sleep" and qualified.startswith("time"))


def _is_logging(function: str) -> bool:
    parts = function.split(".")
    if len(parts) >= 2 and parts[-1] in LOGGING_METHODS:
        return True
    return parts[0] in LOGGER_NAMES
