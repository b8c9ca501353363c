"""What socket code does, node by node: the one event model every rule reads.

For one function (or the module body) and its control-flow graph, the model
decides which expressions hold sockets (names, and attributes such as
`self.sock`) and, for every CFG node, what the node does to each of them:
acquire, close, hand on, rebind, raise on it (an exception source), receive
from it, send on it, shut it down; and what the node does to the whole
function (sleep) or to received data (test it for end-of-file). Each call is
classified here once; the ownership dataflow (SKT101/102/105), the receive
loop rules (SKT103/104) and the graceful-close family (SKT3xx) all read these
events and never look at a call's syntax again.

Ownership follows rules-spec.md: a function owns what it acquires, and a
parameter (or a socket from another call) that it closes on a normal path.
Attributes are tracked for the rules that judge any socket expression, and
never owned.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import CFG, FALSE, ROUTING, TRUE, Node, NodeKind
from lintplugin.model.calls import acquisition, is_datagram, is_socket_call, reads_to_end, shutdown_how
from lintplugin.model.classes import MethodEffect
from lintplugin.model.conditions import EofTest, eof_test, none_tests
from lintplugin.model.node_syntax import Bound, captured_names, escaping_names, node_bindings, node_calls
from lintplugin.model.vocabulary import (
    ACQUIRING_FUNCTIONS,
    CONNECT_METHODS,
    CONTAINER_METHODS,
    EXIT_STACK_METHODS,
    FILE_IO_METHODS,
    FILE_READ_METHODS,
    LOOP_SOCKET_METHODS,
    NOT_SOCKET_METHODS,
    READER_RECEIVES,
    STREAM_PAIR_FUNCTIONS,
    STREAM_RECEIVES,
    STREAM_SENDS,
    WRITER_SENDS,
    ASYNC_ACQUIRING_FUNCTIONS,
    RECEIVE_METHODS,
    RECEIVING_HELPER_WORDS,
    SELECTOR_METHODS,
    SEND_METHODS,
    SENDING_HELPER_WORDS,
    SOCKET_TYPES,
    SOURCE_METHODS,
    STREAM_RECEIVE_METHODS,
    WRAPPING_METHODS,
    closes_by_name,
    is_shutdown_helper,
    is_sleep,
    looks_without_io,
)
from lintplugin.syntax.names import qualified_name
from lintplugin.syntax.scopes import Scope
from lintplugin.syntax.walk import NESTED_SCOPES, dotted_name, method_of, named_parameters, unawaited, walk


class EventKind(enum.Enum):
    ACQUIRE = "acquire"  # `var` now holds a new socket (`how`: created, accepted, connected, wrapped)
    REBIND = "rebind"  # `var` now holds something else
    MOVE = "move"  # the socket in `var` now lives in `other` (`b = a`, ssl wrapping)
    CLOSE = "close"  # `closing` says how
    HANDOFF = "handoff"  # someone else holds it now: returned, yielded, stored, registered, detached
    PASS = "pass"  # given to a callable: handed on unless this function closes it later (then it is I/O)
    SOURCE = "source"  # the node can raise an OSError for `var`
    RECEIVE = "receive"
    SEND = "send"
    SHUTDOWN = "shutdown"  # `how`: SHUT_WR, SHUT_RDWR, SHUT_RD, "?" or "helper"
    SLEEP = "sleep"  # for the whole function (`var` is "")
    DATA_CLEAR = "data_clear"  # the name in `other` no longer holds received data


class Kind(enum.Enum):
    """What kind of connection object an expression holds."""

    SOCKET = "socket"
    WRITER = "connection"  # an asyncio StreamWriter: the (reader, writer) pair, closed through it
    READER = "reader"  # an asyncio StreamReader whose writer is not known here
    STREAM = "stream"  # a trio or anyio stream


class Role(enum.Enum):
    """What a socket is used as in a function."""

    CONNECTION = "connection"  # accepted or connected, or used to send and receive
    LISTENER = "listener"  # bound, listening or accepting: never itself connected
    DATAGRAM = "datagram"  # SOCK_DGRAM, or only recvfrom()/sendto()
    UNKNOWN = "unknown"


class Closing(enum.Enum):
    CALL = "close()"  # var.close()
    WITH = "with"  # the exit of a `with` block that holds it
    HELPER = "helper"  # closed by a call named for it: var.handle_close(), _force_close(var), closing(var), ...


class HelperRole(enum.Enum):
    """What a helper given the socket does with it, by its name (SKT3xx)."""

    SENDS = "sends"  # reply(conn, ...), send_response(conn)
    RECEIVES = "receives"  # read_request(conn)
    UNKNOWN = "unknown"


@dataclass
class Event:
    kind: EventKind
    var: str  # the socket expression: a name, an attribute chain (`self.sock`), or "" for SLEEP
    node: Optional[cst.CSTNode] = None  # the call (or statement) it comes from
    method: Optional[str] = None  # the socket (or makefile object) method called on `var`
    argument: bool = False  # `var` is passed to the call rather than being its receiver
    how: str = ""  # ACQUIRE: how it was acquired; SHUTDOWN: which way
    closing: Optional[Closing] = None
    role: Optional[HelperRole] = None  # PASS: what the helper does, by its name
    # MOVE: where the socket moves; DATA_CLEAR: the name cleared; PASS: the name the call's result is bound to
    other: Optional[str] = None
    file: bool = False  # through a makefile() object (`rfile.readline()`, `s.makefile().read()`)
    chained: bool = False  # through a makefile() made in the same expression
    into: Tuple[str, ...] = ()  # RECEIVE: the names the received bytes are bound to
    accumulates: bool = False  # RECEIVE: `buf += sock.recv(n)`
    to_end: bool = False  # RECEIVE: a read until end-of-file (`makefile().read()`)
    returns: str = "bytes"  # RECEIVE: "bytes", "str" (a text-mode makefile()) or "?"
    raises_at_eof: bool = False  # RECEIVE: readexactly(), anyio receive(): end-of-file raises, never b''


@dataclass
class NodeEvents:
    events: List[Event] = field(default_factory=list)
    eof: Optional[EofTest] = None
    # (name, edge kind on which the name is None): `if sock is not None:`
    none_tests: List[Tuple[str, int]] = field(default_factory=list)


class SocketModel:
    """Which expressions are sockets in one scope, and what each CFG node does to them."""

    def __init__(self, scope: Scope, cfg: CFG, datagram_attributes: FrozenSet[str] = frozenset(),
                 self_methods: Optional[Dict[str, MethodEffect]] = None, serves: Optional[bool] = None,
                 scope_of: Callable[[cst.CSTNode], Optional[Scope]] = lambda node: None) -> None:
        self.scope = scope
        self.scope_of = scope_of  # the scope of a nested function, from the module's scope walk
        self.cfg = cfg
        self.self_methods = self_methods or {}  # what `self.m()` does to self's sockets
        # A connection handler of a server in this module: True for asyncio's
        # start_server (it owns its pair), False for trio/anyio (it does not).
        self.serves = serves
        self.is_coroutine = isinstance(scope.node, cst.FunctionDef) and scope.node.asynchronous is not None
        self.writers: Set[str] = set()  # asyncio StreamWriters: the connection, closed through them
        self.readers: Dict[str, Optional[str]] = {}  # asyncio StreamReader -> its writer (None: not known)
        self.streams: Set[str] = set()  # trio and anyio streams
        self.handler_params: Set[str] = set()  # the connection a server hands this handler
        self.annotated_streams: Set[str] = set()  # `writer: asyncio.StreamWriter` and the like
        # `self._sock = socket.socket(AF_INET, SOCK_DGRAM)` anywhere in the file
        self.datagram_attributes = datagram_attributes
        self.is_module = isinstance(scope.node, cst.Module)
        self.params = [param.name.value for param in _parameters(scope.node)]
        self.makefiles: Dict[str, str] = {}  # file name -> socket name
        self.file_returns: Dict[str, str] = {}  # file name -> what its reads return ("bytes", "str", "?")
        self.acquired: Dict[str, List[Tuple[cst.CSTNode, str]]] = {}
        self.evidence: Set[str] = set()  # names used as sockets
        self.attributes: Set[str] = set()  # attribute chains used as sockets (`self.sock`)
        self.datagram: Set[str] = set()
        # `with socket.create_server(...) as s:` -> how many of s's acquisitions a with
        # block closes on every way out, whatever `s` is rebound to inside it
        self.with_managed: Dict[str, int] = {}
        # Every call and binding of each node, once.
        self.node_calls: List[List[cst.Call]] = [node_calls(node) for node in cfg.nodes]
        self.node_bindings: List[List[Bound]] = [node_bindings(node) for node in cfg.nodes]
        # Names holding what accept() returned, kept whole: `pair = srv.accept()`,
        # then `pair[0]` is the connection.
        self.accept_tuples: Set[str] = self._accept_tuples()
        # `conn = wrap(s)` -> {"s"}: the names a call's result was made from; built
        # on the first unwrap() seen, as few functions have one
        self._made_from: Optional[Dict[str, Set[str]]] = None
        self._collect_names()
        self.sockets: FrozenSet[str] = frozenset(self.acquired) | frozenset(self.evidence)  # names
        self.tracked: FrozenSet[str] = self.sockets | frozenset(self.attributes)
        self._received_into = self._receive_bindings()
        self.receive_calls: Dict[int, Event] = {}  # id(call) -> its RECEIVE event
        self._closed_names: Optional[Set[Optional[str]]] = None  # see closed_somewhere()
        self._closure_sockets: Optional[Dict[str, FrozenSet[str]]] = None  # see _closures()
        self.events: List[NodeEvents] = [self._node_events(node) for node in cfg.nodes]
        self._settle_literal_tests()

    # -- which expressions are sockets -------------------------------------

    def _accept_tuples(self) -> Set[str]:
        found = set()
        for bindings in self.node_bindings:
            for bound in bindings:
                value = bound.value
                if isinstance(bound.target, str) and bound.whole is None and isinstance(value, cst.Call) \
                        and method_of(value) == "accept" and not value.args:
                    found.add(bound.target)
        return found

    def made_from(self, name: str) -> Set[str]:
        """The names given to the call whose result `name` holds (`conn = wrap(s)`: {"s"})."""
        if self._made_from is None:
            self._made_from = self._results_made_from()
        return self._made_from.get(name, set())

    def _results_made_from(self) -> Dict[str, Set[str]]:
        found: Dict[str, Set[str]] = {}
        for bindings in self.node_bindings:
            for bound in bindings:
                value = unawaited(bound.value)
                if isinstance(bound.target, str) and bound.whole is None and isinstance(value, cst.Call):
                    arguments = {arg.value.value for arg in value.args if isinstance(arg.value, cst.Name)}
                    found.setdefault(bound.target, set()).update(arguments)
        return found

    def unwraps_own_layer(self, assigned: str, value: Optional[cst.BaseExpression]) -> bool:
        """`s = conn.unwrap()` where `conn = wrap(s)`: unwrap() hands back the
        socket under the TLS layer, which is the one `s` already holds."""
        layer = _unwrapped_layer(value)
        return layer is not None and assigned in self.made_from(layer)

    def name_of(self, expression: Optional[cst.BaseExpression]) -> Optional[str]:
        """The text that stands for a socket expression: a name, an attribute
        chain (`self.sock`), or the tuple name for `pair[0]` after `pair = srv.accept()`."""
        if isinstance(expression, cst.Subscript) and isinstance(expression.value, cst.Name) \
                and expression.value.value in self.accept_tuples and len(expression.slice) == 1:
            index = expression.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer) and index.value.value == "0":
                return expression.value.value
            return None
        return dotted_name(expression) if expression is not None else None

    def _collect_names(self) -> None:
        self.evidence.update(_annotated_sockets(self.scope.node, self.scope))
        self._note_handler_params()
        self._note_annotated_streams()
        not_sockets: Set[str] = set()
        for node in self.cfg.nodes:
            pairs: Dict[int, Dict[int, str]] = {}
            for bound in self.node_bindings[node.index]:
                if isinstance(bound.target, str):
                    self._note_binding(bound)
                    if node.kind is NodeKind.WITH_ENTER and self.acquisition(bound.value) is not None:
                        self.with_managed[bound.target] = self.with_managed.get(bound.target, 0) + 1
                    if bound.whole is not None and bound.element is not None:
                        pairs.setdefault(id(bound.whole), {})[bound.element] = bound.target
            self._note_stream_pairs(pairs)
            for call in self.node_calls[node.index]:
                method = method_of(call)
                if method is None:
                    continue
                if method in LOOP_SOCKET_METHODS and call.args:
                    handed = self.name_of(call.args[0].value)  # `await loop.sock_recv(sock, n)`
                    if handed is not None and "." not in handed:
                        self.evidence.add(handed)
                receiver = self.name_of(call.func.value)
                if receiver is None:
                    continue
                if method in NOT_SOCKET_METHODS or (method == "accept" and any(arg.keyword for arg in call.args)):
                    not_sockets.add(receiver)
                elif method == "accept" and _discarded(node, call):
                    continue  # `await websocket.accept()`: a handshake, not a listening socket
                elif self.is_coroutine and method in ("read", "readline") and _awaited(node, call):
                    self.readers.setdefault(receiver, None)  # `await reader.readline()`
                    if "." not in receiver:
                        self.evidence.add(receiver)
                elif is_socket_call(method, call) and (method != "shutdown" or shutdown_how(call, self.scope) != "?"):
                    (self.evidence if "." not in receiver else self.attributes).add(receiver)
                    self._note_stream_kind(receiver, method)
                elif method == "connect" and "." in receiver and _positional(call) == 1:
                    self.attributes.add(receiver)  # `self.sock.connect(addr)`: what an object keeps
        self.evidence -= not_sockets
        self.attributes -= not_sockets
        self._pair_lone_reader()
        for reader, writer in self.readers.items():
            if writer is not None:
                self.evidence.discard(reader)  # its reads are the writer's connection's
        for name in list(self.acquired):
            for value, _ in self.acquired[name]:
                if isinstance(value, cst.Call) and method_of(value) == "accept":
                    owner = _receiver_name(value)
                    if owner is not None:
                        self.evidence.add(owner)
        self.evidence.difference_update(self.makefiles)
        self.evidence.discard("self")
        self.evidence.discard("cls")  # a class's own recv() method: a wrapper, not the socket

    def _note_binding(self, bound: Bound) -> None:
        name, value = bound.target, bound.value
        if bound.element == 0 and isinstance(bound.whole, cst.Name) and bound.whole.value in self.accept_tuples:
            self.evidence.add(name)  # conn, addr = pair: the connection moves to conn
            return
        how = self.acquisition(value)
        if how is not None:
            self.acquired.setdefault(name, []).append((value, how))
            if is_datagram(value, self.scope):
                self.datagram.add(name)
            opener = self.acquisition_name(unawaited(value))
            if opener in STREAM_PAIR_FUNCTIONS:
                self.writers.add(name)
            elif opener in ASYNC_ACQUIRING_FUNCTIONS or (
                    isinstance(value, cst.Await) and method_of(value.expression) == "accept"):
                self.streams.add(name)  # trio/anyio: `await listener.accept()` too
        elif isinstance(value, cst.Call) and method_of(value) == "makefile":
            owner = _receiver_name(value)
            if owner is not None:
                self.makefiles[name] = owner
                self.file_returns[name] = _file_returns(value)

    def _note_handler_params(self) -> None:
        """A server's connection handler: asyncio's gets (reader, writer), trio's and anyio's a stream."""
        if self.serves is None:
            return
        params = [name for name in (p.name.value for p in _parameters(self.scope.node)) if name not in ("self", "cls")]
        if self.serves and len(params) >= 2:
            reader, writer = params[0], params[1]
            self.readers[reader] = writer
            self.writers.add(writer)
            self.evidence.add(writer)
            self.handler_params.add(writer)
        elif not self.serves and params:
            self.streams.add(params[0])
            self.evidence.add(params[0])
            self.handler_params.add(params[0])

    def _note_stream_pairs(self, pairs: Dict[int, Dict[int, str]]) -> None:
        """`reader, writer = await asyncio.open_connection(...)`: reads on the reader are the writer's."""
        for elements in pairs.values():
            writer = elements.get(1)
            reader = elements.get(0)
            if writer in self.writers and reader is not None:
                self.readers[reader] = writer

    def _note_annotated_streams(self) -> None:
        """`reader: asyncio.StreamReader`, `writer: asyncio.StreamWriter`, `stream: trio.abc.Stream`."""
        for param in _parameters(self.scope.node):
            if param.annotation is None:
                continue
            annotation = param.annotation.annotation
            name = (qualified_name(annotation, self.scope) or dotted_name(annotation) or "").rsplit(".", 1)[-1]
            if name == "StreamWriter":
                self.writers.add(param.name.value)
                self.evidence.add(param.name.value)
            elif name == "StreamReader":
                self.readers.setdefault(param.name.value, None)
            elif name in ("Stream", "SocketStream", "ByteStream", "SSLStream", "HalfCloseableStream"):
                self.streams.add(param.name.value)
                self.evidence.add(param.name.value)
            else:
                continue
            self.annotated_streams.add(param.name.value)

    def _pair_lone_reader(self) -> None:
        """One reader and one writer in a coroutine are one connection (`async def f(reader, writer)`)."""
        lone = [reader for reader, writer in self.readers.items() if writer is None]
        if len(lone) == 1 and len(self.writers) == 1:
            self.readers[lone[0]] = next(iter(self.writers))

    def _note_stream_kind(self, receiver: str, method: str) -> None:
        """What an async connection is, by a method only it has."""
        if method == "drain":  # a transport has write_eof() too, and a server wait_closed(): not drain()
            self.writers.add(receiver)
        elif method in ("readexactly", "readuntil"):
            self.readers.setdefault(receiver, None)
        elif method in ("receive_some", "send_all", "send_eof"):
            self.streams.add(receiver)

    def is_connection(self, var: str) -> bool:
        """A socket, or an async stream known to be a connection: acquired,
        given by a server, or annotated as one. Streams known only by their
        methods are as often in-memory test streams or SSH channels."""
        if self.connection_kind(var) is Kind.SOCKET:
            return True
        return var in self.acquired or var in self.handler_params or var in self.annotated_streams

    def connection_kind(self, var: str) -> "Kind":
        if var in self.writers:
            return Kind.WRITER
        if var in self.streams:
            return Kind.STREAM
        if var in self.readers:
            return Kind.READER
        return Kind.SOCKET

    def is_datagram(self, var: str) -> bool:
        """Datagram sockets have no end-of-file and no teardown."""
        return var in self.datagram or var in self.datagram_attributes

    def wrapped_socket(self, value) -> Optional[str]:
        """`raw` in `ctx.wrap_socket(raw, ...)`: the wrapper takes the socket over."""
        if (
            isinstance(value, cst.Call)
            and method_of(value) in WRAPPING_METHODS
            and value.args
            and isinstance(value.args[0].value, cst.Name)
            and value.args[0].value.value in self.sockets
        ):
            return value.args[0].value.value
        return None

    def unwrapped_socket(self, assigned: str, value) -> Optional[str]:
        """`tls` in `plain = tls.unwrap()`: the same connection, without its TLS layer, moves to `plain`."""
        layer = _unwrapped_layer(value)
        if layer in self.sockets and layer != assigned and not self.unwraps_own_layer(assigned, value):
            return layer
        return None

    def origin(self, name: str, seen=()) -> Tuple[Optional[cst.CSTNode], str]:
        """Where the socket a name holds was acquired: for an ssl wrapper,
        where the raw socket was (they are one socket for reporting)."""
        for value, how in self.acquired.get(name, []):
            wrapped = self.wrapped_socket(value)
            if wrapped is not None and wrapped not in seen:
                return self.origin(wrapped, seen + (name,))
            return value, how
        return None, "parameter"

    def acquisition(self, value: Optional[cst.BaseExpression]) -> Optional[str]:
        """How `value` acquires a socket here. ssl wrapping acquires only a
        socket this function acquired itself: wrapping a parameter, or what
        another call returned, leaves it with whoever owns it."""
        how = acquisition(value, self.scope)
        if how == "wrapped":
            call = unawaited(value)
            first = call.args[0].value if isinstance(call, cst.Call) and call.args else None
            owned_local = isinstance(first, cst.Name) and first.value in self.acquired
            made_here = first is not None and not isinstance(first, cst.Name) \
                and acquisition(first, self.scope) not in (None, "wrapped")  # wrap_socket(socket.socket())
            if not (owned_local or made_here):
                return None
        return how

    # -- questions the rules ask of a node, answered from its events ---------

    def of(self, index: int, var: str) -> Iterator[Event]:
        return (event for event in self.events[index].events if event.var == var)

    def closed_somewhere(self, name: str) -> bool:
        """Whether anything in the function closes `name`, tracked as a socket or
        not: `conn.close()` on what a helper made from a socket."""
        if self._closed_names is None:
            self._closed_names = {
                event.var for events in self.events for event in events.events if event.kind is EventKind.CLOSE
            } | {
                _closed_receiver(call) for calls in self.node_calls for call in calls
            }
        return name in self._closed_names

    def closes(self, index: int, var: str) -> bool:
        """Whether node `index` closes (or detaches) the socket `var`."""
        return any(
            event.kind is EventKind.CLOSE or (event.kind is EventKind.HANDOFF and event.method == "detach")
            for event in self.of(index, var)
        )

    def rebinds(self, index: int, var: str) -> bool:
        """Whether node `index` binds `var` to something new."""
        for event in self.events[index].events:
            if event.var == var and event.kind in (EventKind.ACQUIRE, EventKind.REBIND):
                return True
            if event.kind is EventKind.MOVE and event.other == var:
                return True
        return False

    def uses(self, index: int, var: str) -> bool:
        """Whether node `index` calls an I/O method of `var` or of its makefile()."""
        return any(
            event.kind is EventKind.SOURCE and event.method is not None and not event.argument
            for event in self.of(index, var)
        )

    def is_stream_receive(self, event: Event) -> bool:
        """A receive on a stream connection (not a datagram socket)."""
        if event.kind is not EventKind.RECEIVE or self.is_datagram(event.var):
            return False
        return event.file or event.method in STREAM_RECEIVE_METHODS

    def stream_receives(self, index: int) -> Iterator[Event]:
        return (event for event in self.events[index].events if self.is_stream_receive(event))

    def role(self, var: str) -> "Role":
        """What the socket in `var` is used as here, for messages that must be
        true for it: only a connected stream socket can sit in CLOSE_WAIT."""
        if self.is_datagram(var):
            return Role.DATAGRAM
        hows = {how for _, how in self.acquired.get(var, ())}
        if hows & {"accepted", "connected"}:
            return Role.CONNECTION
        methods = {event.method for events in self.events for event in events.events
                   if event.var == var and event.kind is EventKind.SOURCE and event.method}
        if methods & (CONNECT_METHODS | STREAM_RECEIVE_METHODS | {"send", "sendall", "sendfile", "do_handshake"}):
            return Role.CONNECTION
        if methods & {"bind", "listen", "accept"} or any(
                self.acquisition_name(value) == "socket.create_server" for value, _ in self.acquired.get(var, ())):
            return Role.LISTENER
        if methods and methods <= {"recvfrom", "recvfrom_into", "sendto", "recvmsg", "sendmsg"}:
            return Role.DATAGRAM
        return Role.UNKNOWN

    def acquisition_name(self, value) -> Optional[str]:
        return qualified_name(value.func, self.scope) if isinstance(value, cst.Call) else None

    def receive_of(self, expression: cst.BaseExpression) -> Optional[Tuple[str, cst.Call]]:
        """(socket, call) when `expression` is a receive (awaited, or under `asyncio.wait_for`)."""
        value = within_timeout(expression)
        event = self.receive_calls.get(id(value)) if isinstance(value, cst.Call) else None
        return (event.var, value) if event is not None else None

    # -- events per node ------------------------------------------------

    def _node_events(self, node: Node) -> NodeEvents:
        result = NodeEvents()
        if node.cst is None or node.kind in ROUTING:
            return result
        if node.kind is NodeKind.WITH_EXIT:
            result.events.extend(self._with_exit_events(node.cst))
            return result
        events = result.events
        for call in self.node_calls[node.index]:
            events.extend(self._call_events(call, node))
        if node.kind is NodeKind.RAISE:
            events.extend(Event(EventKind.SOURCE, name, node.cst) for name in sorted(self.sockets))
        if node.kind is NodeKind.FOR:
            events.extend(self._iteration_events(node.statement))
        for name in escaping_names(node):
            if name in self.sockets:
                events.append(Event(EventKind.HANDOFF, name, node.cst))
        for bound in self.node_bindings[node.index]:
            events.extend(self._binding_events(bound, node))
        events.extend(self._chained_store_events(node))
        if self.sockets:
            for name in captured_names(node, self.sockets):
                events.append(Event(EventKind.HANDOFF, name, node.cst))
            events.extend(self._closure_use_events(node))
        if node.kind is NodeKind.TEST:
            result.eof = eof_test(node.cst, self.receive_of) or self._at_eof_test(node.cst)
            result.none_tests = none_tests(node.cst)
        elif node.kind is NodeKind.ASSERT:
            result.eof = eof_test(node.cst.test, self.receive_of)
        return result

    def _closure_use_events(self, node: Node) -> Iterator[Event]:
        """`def serve(): with sock: ...` defined before `sock` is acquired, then
        `Thread(target=serve)` or `serve()`: the closure takes the socket when it
        is handed on or run, not where it was defined."""
        closures = self._closures()
        if not closures:
            return
        for call in self.node_calls[node.index]:
            used = [call.func] + [arg.value for arg in call.args]
            for expression in used:
                if isinstance(expression, cst.Name):
                    for name in sorted(closures.get(expression.value, ())):
                        yield Event(EventKind.HANDOFF, name, call)

    def _closures(self) -> Dict[str, FrozenSet[str]]:
        """Nested functions of this scope -> the socket names they use."""
        if self._closure_sockets is None:
            self._closure_sockets = {}
            for node in self.cfg.nodes:
                if node.kind is NodeKind.STMT and isinstance(node.cst, cst.FunctionDef):
                    captured = frozenset(captured_names(node, self.sockets)) - self._own_names(node.cst)
                    if captured:
                        self._closure_sockets[node.cst.name.value] = captured
        return self._closure_sockets

    def _own_names(self, function: cst.FunctionDef) -> FrozenSet[str]:
        """Names a nested function binds itself (parameters, assignments), which
        are not this function's even when spelled the same; unknown: none."""
        nested = self.scope_of(function)
        if nested is None:
            return frozenset()
        return frozenset(nested.bindings) - nested.declared_nonlocal - nested.declared_global

    def _iteration_events(self, loop: cst.For) -> Iterator[Event]:
        """`for line in rfile:` reads the socket. `for sock in pair:` over a
        `socketpair()` held whole reads nothing; a loop that closes each end
        closes the pair."""
        iterated = dotted_name(loop.iter)
        if iterated in self.acquired and all(_is_socketpair(value) for value, _ in self.acquired[iterated]):
            if isinstance(loop.target, cst.Name) and _closes_in(loop.body, loop.target.value):
                yield Event(EventKind.CLOSE, iterated, loop.iter, closing=Closing.CALL)
            return
        owner = self._socket_behind(iterated)
        if owner is not None and "." not in owner:
            yield Event(EventKind.SOURCE, owner, loop.iter)

    def _at_eof_test(self, test: cst.BaseExpression) -> Optional[EofTest]:
        """`reader.at_eof()` (true at end-of-file), `not reader.at_eof()`."""
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        call = test.expression if negated else test
        if not (isinstance(call, cst.Call) and method_of(call) == "at_eof" and not call.args):
            return None
        owner = self._socket_behind(self.name_of(call.func.value))
        if owner is None:
            return None
        return EofTest(data=None, eof_edge=FALSE if negated else TRUE, socket=owner)

    def _settle_literal_tests(self) -> None:
        """`data == ''` on bytes from recv() is never true (and `data != ''`
        always is): on end-of-file the other edge is taken."""
        returns: Dict[str, Set[str]] = {}
        for events in self.events:
            for event in events.events:
                if event.kind is EventKind.RECEIVE:
                    for name in event.into:
                        returns.setdefault(name, set()).add(event.returns)
        for events in self.events:
            eof = events.eof
            if eof is None or eof.literal is None:
                continue
            kinds = {self.receive_calls[id(eof.receive)].returns} if eof.receive is not None \
                else returns.get(eof.data or "", set())
            if kinds and "?" not in kinds and eof.literal not in kinds:
                eof.eof_edge = FALSE if eof.eof_edge == TRUE else TRUE
                eof.never_true = True

    def _socket_behind(self, receiver: Optional[str]) -> Optional[str]:
        """The socket an expression stands for: itself, or the socket of a makefile() object."""
        if receiver is None:
            return None
        if receiver in self.tracked:
            return receiver
        writer = self.readers.get(receiver)
        if writer is not None:
            return writer
        return self.makefiles.get(receiver)

    def _call_events(self, call: cst.Call, node: Node) -> Iterator[Event]:
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if isinstance(func.value, cst.Call) and method_of(func.value) == "makefile":
                yield from self._inline_file_events(func.value, method, call)
                return
            receiver = self.name_of(func.value)
            owner = self._socket_behind(receiver)
            if owner is None and receiver is not None and receiver.endswith(".transport"):
                owner = self._socket_behind(receiver[: -len(".transport")])  # writer.transport.close()
                if owner is not None and owner in self.writers and method in ("close", "abort"):
                    yield Event(EventKind.CLOSE, owner, call, method=method, closing=Closing.CALL)
                return
            if owner is not None:
                if receiver in self.makefiles:
                    yield from self._file_events(owner, method, call)
                elif receiver in self.readers or owner in self.writers or owner in self.streams:
                    yield from self._stream_events(owner, method, call)
                else:
                    yield from self._method_events(owner, method, call)
                return
            if method in LOOP_SOCKET_METHODS and call.args:
                handed = self.name_of(call.args[0].value)
                if handed in self.tracked:
                    yield from self._method_events(handed, LOOP_SOCKET_METHODS[method], call, shaped=True)
                    return
        function = qualified_name(func, self.scope) or dotted_name(func) or ""
        if is_sleep(function):
            yield Event(EventKind.SLEEP, "", call)
            return
        for name in self._sockets_in_arguments(call):
            yield from self._argument_events(name, call, node)
        yield from self._closing_callbacks(call)
        yield from self._closing_helper_on_self(call)
        yield from self._self_method_effects(call)

    def _inline_file_events(self, makefile: cst.Call, method: str, call: cst.Call) -> Iterator[Event]:
        """`conn.makefile("rb").readline()`: I/O through a file made on the spot."""
        owner = self.name_of(makefile.func.value)
        if owner not in self.tracked or method not in FILE_IO_METHODS:
            return
        yield Event(EventKind.SOURCE, owner, call, method=method, file=True, chained=True)
        if method in FILE_READ_METHODS:
            yield self._receive(owner, method, call, file=True, chained=True, returns=_file_returns(makefile))
        else:
            yield Event(EventKind.SEND, owner, call, method=method, file=True, chained=True)

    def _file_events(self, owner: str, method: str, call: cst.Call) -> Iterator[Event]:
        """A makefile() object's reads and writes are I/O on its socket."""
        if method not in FILE_IO_METHODS:
            return
        yield Event(EventKind.SOURCE, owner, call, method=method, file=True)
        if method in FILE_READ_METHODS:
            returns = self.file_returns.get(dotted_name(call.func.value) or "", "?")
            yield self._receive(owner, method, call, file=True, returns=returns)
        else:
            yield Event(EventKind.SEND, owner, call, method=method, file=True)

    def _stream_events(self, owner: str, method: str, call: cst.Call) -> Iterator[Event]:
        """asyncio StreamReader/StreamWriter, trio and anyio stream methods (spec: async connections)."""
        if method in READER_RECEIVES or method in STREAM_RECEIVES:
            raises = READER_RECEIVES.get(method, STREAM_RECEIVES.get(method))
            yield Event(EventKind.SOURCE, owner, call, method=method)
            yield self._receive(owner, method, call, file=True, raises_at_eof=raises)
        elif method in WRITER_SENDS:
            yield Event(EventKind.SEND, owner, call, method=method)  # buffered: drain() is the source
        elif method in STREAM_SENDS:
            yield Event(EventKind.SOURCE, owner, call, method=method)
            yield Event(EventKind.SEND, owner, call, method=method)
        elif method in ("drain", "wait_closed", "wait_send_all_might_not_block"):
            yield Event(EventKind.SOURCE, owner, call, method=method)
        elif method in ("write_eof", "send_eof"):
            yield Event(EventKind.SOURCE, owner, call, method=method)
            yield Event(EventKind.SHUTDOWN, owner, call, method="shutdown", how="SHUT_WR")
        elif method in ("close", "aclose", "abort"):
            yield Event(EventKind.CLOSE, owner, call, method=method, closing=Closing.CALL)
        elif closes_by_name(method):
            yield Event(EventKind.CLOSE, owner, call, method=method, closing=Closing.HELPER)

    def _method_events(self, owner: str, method: str, call: cst.Call, shaped: bool = False) -> Iterator[Event]:
        if method in SOURCE_METHODS:
            yield Event(EventKind.SOURCE, owner, call, method=method)
        if method in RECEIVE_METHODS and (shaped or is_socket_call(method, call)):
            yield self._receive(owner, method, call)
        elif method in SEND_METHODS:
            yield Event(EventKind.SEND, owner, call, method=method)
        if method == "shutdown":
            if is_socket_call(method, call):
                yield Event(EventKind.SHUTDOWN, owner, call, method=method, how=shutdown_how(call, self.scope))
        elif method == "detach":
            # detach() gives the descriptor to someone else (an SSLSocket, a
            # file): ownership ends, but it is no evidence that we close it.
            yield Event(EventKind.HANDOFF, owner, call, method=method)
        elif is_shutdown_helper(method):
            yield Event(EventKind.SHUTDOWN, owner, call, method=method, how="helper")
        elif method == "close" or closes_by_name(method):
            how = Closing.CALL if method == "close" and not call.args else Closing.HELPER
            yield Event(EventKind.CLOSE, owner, call, method=method, closing=how)

    def _receive(self, owner: str, method: str, call: cst.Call, file: bool = False, chained: bool = False,
                 returns: str = "bytes", raises_at_eof: bool = False) -> Event:
        into, accumulates = self._received_into.get(id(call), ((), False))
        event = Event(
            EventKind.RECEIVE, owner, call, method=method, file=file, chained=chained,
            into=into, accumulates=accumulates, to_end=file and method == "read" and reads_to_end(call),
            returns=returns, raises_at_eof=raises_at_eof,
        )
        self.receive_calls[id(call)] = event
        return event

    def _receive_bindings(self) -> Dict[int, Tuple[Tuple[str, ...], bool]]:
        """id(call) -> (names, accumulates) for receives whose whole result is
        bound to names: `data = conn.recv(n)`, `(data := conn.recv(n))`,
        `buf += conn.recv(n)`."""
        found: Dict[int, Tuple[Tuple[str, ...], bool]] = {}
        for node in self.cfg.nodes:
            statement = node.cst
            if node.kind is NodeKind.STMT and isinstance(statement, cst.AugAssign):
                value = within_timeout(statement.value)
                if isinstance(statement.target, cst.Name) and isinstance(value, cst.Call):
                    found[id(value)] = ((statement.target.value,), True)
                continue
            for bound in self.node_bindings[node.index]:
                value = within_timeout(bound.value)
                if isinstance(bound.target, str) and isinstance(value, cst.Call):
                    names, _ = found.get(id(value), ((), False))
                    found[id(value)] = (names + (bound.target,), False)
        return found

    def _sockets_in_arguments(self, call: cst.Call) -> Iterator[str]:
        for arg in call.args:
            yield from self._sockets_in(arg.value)

    def _sockets_in(self, value: cst.BaseExpression) -> Iterator[str]:
        """Sockets passed directly or inside a tuple/list literal (`args=(conn,)`)."""
        if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
            name = self.name_of(value)
            if name in self.tracked:
                yield name
        elif isinstance(value, (cst.Tuple, cst.List, cst.Set)):
            for element in value.elements:
                yield from self._sockets_in(element.value)

    def _argument_events(self, name: str, call: cst.Call, node: Node) -> Iterator[Event]:
        """A call given the socket: it looks, hands on, closes, shuts down, or does I/O."""
        function = dotted_name(call.func) or ""
        short = function.rsplit(".", 1)[-1]
        qualified = qualified_name(call.func, self.scope) or function
        is_method = isinstance(call.func, cst.Attribute)
        if looks_without_io(function):
            return
        if is_method and short in SELECTOR_METHODS:
            if short == "register":
                yield Event(EventKind.HANDOFF, name, call, argument=True)  # the event loop now holds it
            return
        if is_method and short in CONTAINER_METHODS:
            yield Event(EventKind.HANDOFF, name, call, argument=True)
            return
        if is_shutdown_helper(short):
            yield Event(EventKind.SHUTDOWN, name, call, argument=True, how="helper")
        elif qualified in ("contextlib.closing", "closing") or closes_by_name(short) or short in EXIT_STACK_METHODS:
            yield Event(EventKind.CLOSE, name, call, argument=True, closing=Closing.HELPER)
        elif short in WRAPPING_METHODS or qualified in ACQUIRING_FUNCTIONS:
            # ssl wrapping: `tls = ctx.wrap_socket(raw)` moves the socket to
            # `tls` (see the binding); returned or passed on inline, it
            # leaves with the wrapper.
            if not _is_assigned_to_name(node.cst, call):
                yield Event(EventKind.HANDOFF, name, call, argument=True)
        else:
            # Any other callable: a hand-off unless this function closes the
            # socket after it (then it is a helper doing I/O: an exception source).
            yield Event(EventKind.PASS, name, call, argument=True, role=_helper_role(short),
                        other=_assigned_name(node.cst, call))

    def _closing_callbacks(self, call: cst.Call) -> Iterator[Event]:
        """`stack.callback(s.close)`, `self.addCleanup(s.close)`: closed later, on every path."""
        for arg in call.args:
            target = arg.value
            if isinstance(target, cst.Attribute) and (closes_by_name(target.attr.value)
                                                      or target.attr.value == "detach"):
                owner = self._socket_behind(self.name_of(target.value))
                if owner is not None:
                    yield Event(EventKind.CLOSE, owner, call, argument=True, closing=Closing.HELPER)

    def _closing_helper_on_self(self, call: cst.Call) -> Iterator[Event]:
        """`self.handle_close()`: closes what is stored on self (never owned here)."""
        func = call.func
        if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"
                and not call.args and closes_by_name(func.attr.value)):
            for var in sorted(self.attributes):
                if var.startswith("self."):
                    yield Event(EventKind.CLOSE, var, call, closing=Closing.HELPER)

    def _self_method_effects(self, call: cst.Call) -> Iterator[Event]:
        """`self._rebuild_pair()`: what that method of the class closes or replaces, one level deep."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"):
            return
        effect = self.self_methods.get(func.attr.value)
        if effect is None:
            return
        for var in sorted(effect.closes & self.attributes):
            yield Event(EventKind.CLOSE, var, call, closing=Closing.HELPER)
        for var in sorted(effect.rebinds & self.attributes):
            yield Event(EventKind.REBIND, var, call, how="helper")

    def _with_exit_events(self, statement: cst.With) -> Iterator[Event]:
        """What the exit of a `with` block closes: `with sock:`, `with closing(sock):`,
        `with socket.create_connection(...) as sock:`."""
        for item in statement.items:
            value = item.item
            held = self.name_of(value) if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)) else None
            if held is not None:
                if held in self.tracked:
                    yield Event(EventKind.CLOSE, held, statement, closing=Closing.WITH)
                continue
            function = (qualified_name(value.func, self.scope) or dotted_name(value.func) or "") \
                if isinstance(value, cst.Call) else ""
            if function.rsplit(".", 1)[-1] == "closing":
                for owner in self._sockets_in_arguments(value):
                    yield Event(EventKind.CLOSE, owner, statement, closing=Closing.WITH)
            elif item.asname is not None:
                bound = dotted_name(item.asname.name)
                if bound in self.tracked:
                    yield Event(EventKind.CLOSE, bound, statement, closing=Closing.WITH)

    def _binding_events(self, bound: Bound, node: Node) -> Iterator[Event]:
        assigned, value = bound.target, bound.value
        if not isinstance(assigned, str):
            yield from self._store_events(bound, node)
            return
        if bound.element == 0 and isinstance(bound.whole, cst.Name) and bound.whole.value in self.accept_tuples:
            yield Event(EventKind.MOVE, bound.whole.value, node.cst, other=assigned)  # conn, addr = pair
            return
        if isinstance(value, cst.Name) and value.value in self.sockets and value.value != assigned:
            yield Event(EventKind.MOVE, value.value, node.cst, other=assigned)
            return
        if isinstance(value, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
            for name in self._names_in(value):
                yield Event(EventKind.HANDOFF, name, node.cst)
        wrapped = self.wrapped_socket(value) or self.unwrapped_socket(assigned, value)
        if wrapped is not None:
            yield Event(EventKind.MOVE, wrapped, value, other=assigned)
            return
        if assigned in self.sockets and not self.unwraps_own_layer(assigned, value):
            how = self.acquisition(value) if value is not None else None
            if how is not None:
                yield Event(EventKind.ACQUIRE, assigned, value, how=how)
            else:
                yield Event(EventKind.REBIND, assigned, node.cst)
        elif value is not None and self.receive_of(value) is not None:
            return  # the receive's event says which name holds its data
        yield Event(EventKind.DATA_CLEAR, "", node.cst, other=assigned)

    def _chained_store_events(self, node: Node) -> Iterator[Event]:
        """`self.sock = s = socket.socket()` (either order): the socket is
        stored at once, so `s` is handed on as soon as it is bound. Sockets
        gathered in a literal to loop over or add to a list (`for s in [a, b]:`,
        `socks += [a, b]`) are in the hands of that loop or list."""
        statement = node.cst
        gathered = None
        if node.kind is NodeKind.FOR_ITER:
            gathered = statement
        elif node.kind is NodeKind.STMT and isinstance(statement, cst.AugAssign):
            gathered = statement.value
        if isinstance(gathered, (cst.Tuple, cst.List, cst.Set)):
            for name in self._names_in(gathered):
                yield Event(EventKind.HANDOFF, name, statement)
        if node.kind is not NodeKind.STMT or not isinstance(statement, cst.Assign) or len(statement.targets) < 2:
            return
        if all(isinstance(target.target, cst.Name) for target in statement.targets):
            return
        for target in statement.targets:
            if isinstance(target.target, cst.Name) and target.target.value in self.sockets:
                yield Event(EventKind.HANDOFF, target.target.value, statement)

    def _store_events(self, bound: Bound, node: Node) -> Iterator[Event]:
        """Stored into an attribute, subscript or container: handed on. An
        attribute that held a socket is rebound."""
        if bound.value is not None:
            for name in self._names_in(bound.value):
                yield Event(EventKind.HANDOFF, name, node.cst)
        target = bound.name
        value = unawaited(bound.value)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and dotted_name(value.func.value) == target:
            return  # `self.sock = self.sock.unwrap()`: the same connection, rebound
        if target is not None and target in self.attributes:
            how = self.acquisition(bound.value) if bound.value is not None else None
            kind = EventKind.ACQUIRE if how is not None else EventKind.REBIND
            yield Event(kind, target, node.cst, how=how or "")

    def _names_in(self, value: cst.BaseExpression) -> Iterator[str]:
        """Socket names in a value that is stored or returned (`(conn, addr)`)."""
        if isinstance(value, cst.Name):
            if value.value in self.sockets:
                yield value.value
        elif isinstance(value, (cst.Tuple, cst.List, cst.Set)):
            for element in value.elements:
                yield from self._names_in(element.value)


def within_timeout(value: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`await asyncio.wait_for(reader.read(n), t)`: the receive inside, which can also time out."""
    value = unawaited(value)
    if isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "wait_for" \
            and value.args:
        return unawaited(value.args[0].value)
    return value


def _file_returns(makefile: cst.Call) -> str:
    """What reads of a makefile() object return: its mode decides (default "r": text)."""
    mode = None
    for position, arg in enumerate(makefile.args):
        if (arg.keyword is None and position == 0) or (arg.keyword is not None and arg.keyword.value == "mode"):
            mode = arg.value
    if mode is None:
        return "str"
    if isinstance(mode, cst.SimpleString):
        return "bytes" if "b" in str(mode.evaluated_value) else "str"
    return "?"


def _awaited(node: Node, call: cst.Call) -> bool:
    """Whether `call` is awaited where it stands (`await reader.readline()`)."""
    return any(isinstance(current, cst.Await) and current.expression is call
               for current in walk([node.cst], NESTED_SCOPES)) if node.cst is not None else False


def _discarded(node: Node, call: cst.Call) -> bool:
    """The call is a statement of its own: what it returns is thrown away."""
    return isinstance(node.cst, cst.Expr) and unawaited(node.cst.value) is call


def _positional(call: cst.Call) -> int:
    return sum(1 for arg in call.args if arg.keyword is None and not arg.star)


def _helper_role(name: str) -> HelperRole:
    lowered = name.lower()
    if any(word in lowered for word in SENDING_HELPER_WORDS):
        return HelperRole.SENDS
    if any(word in lowered for word in RECEIVING_HELPER_WORDS):
        return HelperRole.RECEIVES
    return HelperRole.UNKNOWN


def _is_assigned_to_name(statement, call: cst.Call) -> bool:
    if isinstance(statement, (cst.Assign, cst.AnnAssign)) and statement.value is call:
        targets = statement.targets if isinstance(statement, cst.Assign) else [statement]
        return all(isinstance(t.target, cst.Name) for t in targets)
    return False


def _assigned_name(statement, call: cst.Call) -> Optional[str]:
    """`conn = helper(sock)`: the one name the call's result is bound to."""
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
    elif isinstance(statement, cst.AnnAssign):
        target = statement.target
    else:
        return None
    if unawaited(statement.value) is call and isinstance(target, cst.Name):
        return target.value
    return None


def _is_socketpair(value: cst.CSTNode) -> bool:
    call = unawaited(value)
    return isinstance(call, cst.Call) and (dotted_name(call.func) or "").rsplit(".", 1)[-1] == "socketpair"


def _closes_in(body: cst.CSTNode, name: str) -> bool:
    """Whether `body` calls `name.close()` (or another closing method) anywhere."""
    return any(isinstance(node, cst.Call) and _closed_receiver(node) == name for node in walk([body]))


def _closed_receiver(call: cst.Call) -> Optional[str]:
    """`conn` in `conn.close()` (or another closing method: `conn.aclose()`, `conn.disconnect()`)."""
    return _receiver_name(call) if closes_by_name(method_of(call) or "") else None


def _unwrapped_layer(value: Optional[cst.BaseExpression]) -> Optional[str]:
    """`tls` in `tls.unwrap()`: the TLS layer whose socket the call hands back."""
    call = unawaited(value)
    if isinstance(call, cst.Call) and method_of(call) == "unwrap":
        return _receiver_name(call)
    return None


def _receiver_name(call: cst.Call) -> Optional[str]:
    if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name):
        return call.func.value.value
    return None


def _parameters(node) -> List[cst.Param]:
    return list(named_parameters(node.params)) if isinstance(node, cst.FunctionDef) else []


def _annotated_sockets(node, scope: Scope) -> Set[str]:
    found = set()
    for param in _parameters(node):
        if param.annotation is not None:
            annotation = param.annotation.annotation
            name = qualified_name(annotation, scope) or dotted_name(annotation) or ""
            if name in SOCKET_TYPES or name.rsplit(".", 1)[-1] == "SSLSocket":
                found.add(param.name.value)
    return found
