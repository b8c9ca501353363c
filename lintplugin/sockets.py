"""What socket code does, node by node: the facts the rule families track.

For one function (or the module body) and its control-flow graph this
module decides which names hold sockets, and for every CFG node what it
does to each of them: acquire, close, hand on, rebind, raise on it (an
exception source), receive from it, send on it, shut it down, test a
received value for end-of-file. The rules and the dataflow read these
events; none of them looks at the syntax again.

Ownership follows rules-spec.md: a function owns what it acquires, and a
parameter (or a socket from another call) that it closes on a normal path.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from lintplugin.flow.cfg import CFG, Node
from lintplugin.names import qualified_name
from lintplugin.vocabulary import arity_fits
from lintplugin.scopes import Scope, bound_names, dotted_name

# -- vocabulary ----------------------------------------------------------------

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
WRAPPING_METHODS = {"wrap_socket"}

# Calls on a socket that raise OSError when the peer or network fails.
SOURCE_METHODS = frozenset({
    "connect", "connect_ex", "accept", "bind", "listen", "getpeername", "send", "sendall",
    "sendto", "sendmsg", "sendfile", "recv", "recv_into", "recvfrom", "recvfrom_into",
    "recvmsg", "recvmsg_into", "shutdown", "do_handshake", "unwrap",
})
RECEIVE_METHODS = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into"})
SEND_METHODS = frozenset({"send", "sendall", "sendto", "sendmsg", "sendfile"})
FILE_IO_METHODS = frozenset({"read", "readline", "readlines", "readinto", "read1", "write", "writelines", "flush"})
FILE_READ_METHODS = frozenset({"read", "readline", "readlines", "readinto", "read1"})


def is_socket_call(method: str, call: cst.Call) -> bool:
    """Whether a method call has the shape of that socket method.

    Using one on a name is what makes us treat it as a socket (see
    vocabulary.EVIDENCE_METHODS). `send`, `recv()` without arguments,
    `connect` and `bind` alone are too common elsewhere (pipes, signals, GUIs).
    """
    positional = sum(1 for arg in call.args if arg.keyword is None and not arg.star)
    keywords = sum(1 for arg in call.args if arg.keyword is not None)
    starred = any(arg.star for arg in call.args)
    return arity_fits(method, positional, keywords, starred)


SOCKET_TYPES = {"socket.socket", "ssl.SSLSocket", "socket.SocketType"}

# Calls that look at a socket without doing I/O on it or taking it over.
INERT_FUNCTIONS = frozenset({
    "print", "repr", "str", "isinstance", "hasattr", "getattr", "setattr", "len", "id", "hash",
    "type", "bool", "format", "vars", "dir", "callable", "issubclass",
})
INERT_METHOD_PREFIXES = ("assert",)
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
SELECTOR_METHODS = frozenset({"register", "unregister", "modify"})
# Storing into a container hands the socket on (whoever owns the container closes it).
CONTAINER_METHODS = frozenset({
    "append", "appendleft", "add", "extend", "insert", "put", "put_nowait", "setdefault", "update",
})
CLOSING_WORDS = ("close", "disconnect", "abort", "cleanup", "teardown", "clean_up", "tear_down")
NOT_CLOSING = ("close_on_exec", "cloexec", "closed", "closerange")
SHUTDOWN_WORD = "shutdown"
SLEEP_FUNCTIONS = {"time.sleep"}


def closes_by_name(name: str) -> bool:
    lowered = name.lower()
    if any(word in lowered for word in NOT_CLOSING):
        return False
    return any(word in lowered for word in CLOSING_WORDS)


# -- events --------------------------------------------------------------------


@dataclass
class Event:
    kind: str  # acquire, close, handoff, rebind, move, source, receive, send, shutdown, sleep, drain
    var: str
    node: Optional[cst.CSTNode] = None  # the call (or statement) it comes from
    detail: str = ""  # acquire: how ("accepted"...); receive: the data name; shutdown: how
    other: Optional[str] = None  # move: the name the socket moves to


@dataclass
class EofTest:
    """A branch test that is true (or false) when a receive returned b''."""

    data: Optional[str]  # the data name tested, or None when the receive is in the test
    eof_edge: int  # TRUE or FALSE edge kind
    receive: Optional[cst.Call] = None  # when the receive call sits in the test itself
    socket: Optional[str] = None


@dataclass
class NodeEvents:
    events: List[Event] = field(default_factory=list)
    eof: Optional[EofTest] = None
    # (name, edge kind on which the name is None): `if sock is not None:`
    none_tests: List[Tuple[str, int]] = field(default_factory=list)


# -- the per-function model -----------------------------------------------------


class SocketModel:
    """Which names are sockets in one scope, and what each CFG node does to them."""

    def __init__(self, scope: Scope, cfg: CFG, source_of, datagram_attributes=frozenset()) -> None:
        self.scope = scope
        # `self._sock = socket.socket(AF_INET, SOCK_DGRAM)` anywhere in the file
        self.datagram_attributes = datagram_attributes
        self.cfg = cfg
        self.source_of = source_of
        self.is_module = isinstance(scope.node, cst.Module)
        self.params = _parameter_names(scope.node)
        self.makefiles: Dict[str, str] = {}  # file name -> socket name
        self.acquired: Dict[str, List[Tuple[cst.CSTNode, str]]] = {}
        self.evidence: Set[str] = set()
        self.datagram: Set[str] = set()
        self.captured: Set[str] = set()
        # Every call each node makes, once: all rule families read this list.
        self.node_calls: List[List[cst.Call]] = [list(_calls(node)) for node in cfg.nodes]
        self.node_bindings = [list(_assignments(node)) for node in cfg.nodes]
        self._collect_names()
        self.sockets: FrozenSet[str] = frozenset(self.acquired) | frozenset(self.evidence)
        self.events: List[NodeEvents] = [self._node_events(node) for node in cfg.nodes]

    # -- which names are sockets ------------------------------------------

    def _collect_names(self) -> None:
        annotations = _annotated_sockets(self.scope.node, self.scope)
        self.evidence.update(annotations)
        for node in self.cfg.nodes:
            for assigned, value in self.node_bindings[node.index]:
                if not isinstance(assigned, str):
                    continue
                how = self.acquisition(value)
                if how is not None:
                    self.acquired.setdefault(assigned, []).append((value, how))
                    if is_datagram(value, self.scope):
                        self.datagram.add(assigned)
                elif isinstance(value, cst.Call) and _method(value) == "makefile":
                    owner = _receiver_name(value)
                    if owner is not None:
                        self.makefiles[assigned] = owner
            for call in self.node_calls[node.index]:
                method = _method(call)
                receiver = _receiver_name(call)
                if receiver is None or method is None:
                    continue
                if is_socket_call(method, call):
                    self.evidence.add(receiver)
        for name in list(self.acquired):
            for value, _ in self.acquired[name]:
                if isinstance(value, cst.Call) and _method(value) == "accept":
                    owner = _receiver_name(value)
                    if owner is not None:
                        self.evidence.add(owner)
        self.evidence.difference_update(self.makefiles)
        self.evidence.discard("self")

    def wrapped_socket(self, value) -> Optional[str]:
        """`raw` in `ctx.wrap_socket(raw, ...)`: the wrapper takes the socket over."""
        if (
            isinstance(value, cst.Call)
            and _method(value) in WRAPPING_METHODS
            and value.args
            and isinstance(value.args[0].value, cst.Name)
            and value.args[0].value.value in self.sockets
        ):
            return value.args[0].value.value
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
        """How `value` creates a socket ("created", "accepted", ...), or None."""
        if isinstance(value, cst.Subscript) and _is_accept(value.value):
            return "accepted"  # conn = srv.accept()[0]
        if not isinstance(value, cst.Call):
            return None
        if _is_accept(value):
            return "accepted"
        name = qualified_name(value.func, self.scope)
        if name in ACQUIRING_FUNCTIONS:
            return ACQUIRING_FUNCTIONS[name]
        if _method(value) in WRAPPING_METHODS and value.args:
            return "wrapped"
        return None

    # -- socket expressions of any shape (names and attributes) -------------

    def method_calls(self, index: int) -> Iterator[Tuple[str, str, cst.Call]]:
        """(receiver text, method, call) for the method calls a node makes on a
        name or attribute chain (`conn.recv`, `self.sock.close`)."""
        for call in self.node_calls[index]:
            func = call.func
            if isinstance(func, cst.Attribute):
                receiver = dotted_name(func.value)
                if receiver is not None:
                    yield receiver, func.attr.value, call

    def is_stream_receive(self, receiver: str, method: str, call: cst.Call) -> bool:
        """A receive that returns b'' at end-of-file, on something that is a socket."""
        if receiver in self.datagram or receiver in self.datagram_attributes:
            return False
        if receiver in ("self", "cls"):
            return False  # a class's own recv() method: a wrapper, not the socket
        if method in ("recv", "recv_into"):
            return is_socket_call(method, call)
        if method in FILE_READ_METHODS and receiver in self.makefiles:
            return method in ("read", "readline", "read1", "readinto")
        return False

    def socket_of(self, receiver: str) -> str:
        """The socket a receiver stands for (a makefile() object: its socket)."""
        return self.makefiles.get(receiver, receiver)

    def rebinds(self, index: int, receiver: str) -> bool:
        """Whether node `index` binds `receiver` to something new."""
        for target, _ in self.node_bindings[index]:
            name = target if isinstance(target, str) else dotted_name(target)
            if name == receiver:
                return True
        node = self.cfg.nodes[index]
        if node.kind == "for":
            return receiver in bound_names(node.cst.target)
        return False

    def closes(self, index: int, receiver: str) -> bool:
        """Whether node `index` closes the socket `receiver` names."""
        for other, method, call in self.method_calls(index):
            if other == receiver and (method in ("close", "detach") or closes_by_name(method)):
                return True
            if receiver.startswith("self.") and other == "self" and closes_by_name(method) and not call.args:
                return True  # self.handle_close(): closes what is stored on self
        for call in self.node_calls[index]:
            name = dotted_name(call.func) or ""
            if closes_by_name(name.rsplit(".", 1)[-1]):
                if any(dotted_name(arg.value) == receiver for arg in call.args):
                    return True
        node = self.cfg.nodes[index]
        if node.kind == "with_exit":
            for item in node.cst.items:
                if dotted_name(item.item) == receiver:
                    return True
                if item.asname is not None and dotted_name(item.asname.name) == receiver:
                    return True
        return False

    def uses(self, index: int, receiver: str) -> bool:
        """Whether node `index` does I/O on socket `receiver` or its makefile()."""
        for other, method, _ in self.method_calls(index):
            if other == receiver and method in SOURCE_METHODS:
                return True
            if self.makefiles.get(other) == receiver and method in FILE_IO_METHODS:
                return True
        return False

    def receives(self, index: int) -> Iterator[str]:
        """The sockets node `index` receives from (directly or via makefile())."""
        for call in self.node_calls[index]:
            func = call.func
            if not isinstance(func, cst.Attribute):
                continue
            method = func.attr.value
            target = func.value
            if isinstance(target, cst.Call) and _method(target) == "makefile":
                owner = dotted_name(target.func.value)  # conn.makefile("rb").readline()
                if owner is not None and method in FILE_READ_METHODS:
                    yield owner
                continue
            receiver = dotted_name(target)
            if receiver is not None and self.is_stream_receive(receiver, method, call):
                yield self.socket_of(receiver)

    # -- events per node ------------------------------------------------

    def _node_events(self, node: Node) -> NodeEvents:
        result = NodeEvents()
        if node.cst is None or node.kind in ("entry", "exit", "raise_exit", "finally", "break", "continue"):
            return result
        if node.kind == "with_exit":
            result.events.extend(self._with_exit_events(node.cst))
            return result
        events = result.events
        for call in self.node_calls[node.index]:
            events.extend(self._call_events(call, node))
        if node.kind == "raise":
            events.extend(Event("source", name, node.cst) for name in self.sockets)
        if node.kind == "for":
            iterable = node.info.iter
            owner = self._socket_behind(iterable)
            if owner is not None:
                events.append(Event("source", owner, iterable))
        for name in _escaping_names(node):
            if name in self.sockets:
                events.append(Event("handoff", name, node.cst))
        for assigned, value in self.node_bindings[node.index]:
            events.extend(self._assignment_events(assigned, value, node))
        if self.sockets:
            for name in _captured_names(node, self.sockets):
                events.append(Event("handoff", name, node.cst))
        if node.kind == "test":
            result.eof = self._eof_test(node)
            result.none_tests = none_tests(node.cst)
        return result

    def _socket_behind(self, expression: cst.BaseExpression) -> Optional[str]:
        """The socket a name stands for: itself, or the socket a makefile() came from."""
        if isinstance(expression, cst.Name):
            if expression.value in self.sockets:
                return expression.value
            return self.makefiles.get(expression.value)
        return None

    def _call_events(self, call: cst.Call, node: Node) -> Iterator[Event]:
        method = _method(call)
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        owner = self._socket_behind(receiver) if receiver is not None else None
        if owner is not None and method is not None:
            is_file = isinstance(receiver, cst.Name) and receiver.value in self.makefiles
            yield from self._method_events(owner, method, call, is_file)
            return
        # The socket passed as an argument: closed, handed on, or I/O by a helper.
        for name in self._socket_arguments(call):
            yield from self._argument_events(name, call, node)
        # self.handle_close(): closes what is stored on self (never owned here).
        # ExitStack.callback(s.close) / addCleanup(s.close): closes later, on every path.
        for arg in call.args:
            target = arg.value
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                owner = self._socket_behind(target.value)
                if owner is not None and closes_by_name(target.attr.value):
                    yield Event("close", owner, call)

    def _method_events(self, owner: str, method: str, call: cst.Call, is_file: bool) -> Iterator[Event]:
        if is_file:
            if method in FILE_IO_METHODS:
                yield Event("source", owner, call)
                if method in FILE_READ_METHODS:
                    yield Event("receive", owner, call, detail="file")
            return
        if method in SOURCE_METHODS:
            yield Event("source", owner, call)
        if method in RECEIVE_METHODS and is_socket_call(method, call):
            yield Event("receive", owner, call)
        elif method in SEND_METHODS:
            yield Event("send", owner, call)
        if method == "shutdown":
            yield Event("shutdown", owner, call, detail=shutdown_how(call, self.scope))
        elif method == "detach":
            # detach() gives the descriptor to someone else (an SSLSocket, a
            # file): ownership ends, but it is no evidence that we close it.
            yield Event("handoff", owner, call)
        elif method == "close" or (closes_by_name(method) and method != "shutdown"):
            yield Event("close", owner, call)
        elif SHUTDOWN_WORD in method.lower():
            yield Event("shutdown", owner, call, detail="helper")

    def _socket_arguments(self, call: cst.Call) -> Iterator[str]:
        for arg in call.args:
            yield from self._sockets_in(arg.value)

    def _sockets_in(self, value: cst.BaseExpression) -> Iterator[str]:
        """Socket names passed directly or inside a tuple/list literal (`args=(conn,)`)."""
        if isinstance(value, cst.Name):
            if value.value in self.sockets:
                yield value.value
        elif isinstance(value, (cst.Tuple, cst.List, cst.Set)):
            for element in value.elements:
                yield from self._sockets_in(element.value)

    def _argument_events(self, name: str, call: cst.Call, node: Node) -> Iterator[Event]:
        function = dotted_name(call.func) or ""
        short = function.rsplit(".", 1)[-1]
        qualified = qualified_name(call.func, self.scope) or function
        if looks_without_io(function):
            return
        if short in SELECTOR_METHODS and isinstance(call.func, cst.Attribute):
            if short in SELECTOR_METHODS and short == "register":
                yield Event("handoff", name, call)  # the event loop now holds it
            return
        if short in CONTAINER_METHODS and isinstance(call.func, cst.Attribute):
            yield Event("handoff", name, call)
            return
        if qualified in ("contextlib.closing", "closing") or closes_by_name(short):
            yield Event("close", name, call)
            return
        if short in ("enter_context", "push"):
            yield Event("close", name, call)  # an ExitStack closes it on every way out
            return
        if short in WRAPPING_METHODS or qualified in ACQUIRING_FUNCTIONS:
            # ssl wrapping: `tls = ctx.wrap_socket(raw)` moves the socket to
            # `tls` (see the assignment); returned or passed on inline, it
            # leaves with the wrapper.
            if not _is_assigned_to_name(node.cst, call):
                yield Event("handoff", name, call)
            return
        if SHUTDOWN_WORD in short.lower():
            yield Event("shutdown", name, call, detail="helper")
            return
        # Any other callable: a hand-off unless this function closes the
        # socket after it (then it is a helper doing I/O: an exception source).
        yield Event("pass", name, call)

    def _with_exit_events(self, statement: cst.With) -> Iterator[Event]:
        for item in statement.items:
            value = item.item
            if isinstance(value, cst.Name) and value.value in self.sockets:
                yield Event("close", value.value, statement)
            elif isinstance(value, cst.Call):
                name = qualified_name(value.func, self.scope) or dotted_name(value.func) or ""
                if name.rsplit(".", 1)[-1] == "closing":
                    for owner in self._socket_arguments(value):
                        yield Event("close", owner, statement)
            if item.asname is not None and isinstance(item.asname.name, cst.Name):
                bound = item.asname.name.value
                if bound in self.sockets and self.acquisition(value) is not None:
                    yield Event("close", bound, statement)

    def _assignment_events(self, assigned, value, node: Node) -> Iterator[Event]:
        if not isinstance(assigned, str):
            # stored into an attribute, subscript or container: handed on
            if value is not None:
                for name in self._sockets_in(value):
                    yield Event("handoff", name, node.cst)
            return
        if isinstance(value, cst.Name) and value.value in self.sockets and value.value != assigned:
            yield Event("move", value.value, node.cst, other=assigned)
            return
        if isinstance(value, (cst.Tuple, cst.List, cst.Set, cst.Dict)) and value is not None:
            for name in self._sockets_in(value):
                yield Event("handoff", name, node.cst)
        wrapped = self.wrapped_socket(value)
        if wrapped is not None:
            yield Event("move", wrapped, value, other=assigned)
            return
        if assigned in self.sockets:
            how = self.acquisition(value) if value is not None else None
            if how is not None:
                yield Event("acquire", assigned, value, detail=how)
            else:
                yield Event("rebind", assigned, node.cst)
        if value is not None and assigned not in self.sockets:
            receive = self._receive_in(value)
            if receive is not None:
                yield Event("data", receive[0], receive[1], detail=assigned)
                return
        if isinstance(assigned, str):
            yield Event("data_clear", "", node.cst, detail=assigned)

    def _receive_in(self, value: cst.BaseExpression) -> Optional[Tuple[str, cst.Call]]:
        """`conn.recv(n)` (or `rfile.readline()`) as the value assigned, if it is one."""
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            owner = self._socket_behind(value.func.value)
            method = value.func.attr.value
            if owner is not None:
                is_file = isinstance(value.func.value, cst.Name) and value.func.value.value in self.makefiles
                if (is_file and method in FILE_READ_METHODS) or (not is_file and method in RECEIVE_METHODS):
                    return owner, value
        return None

    # -- end-of-file tests -----------------------------------------------

    def _eof_test(self, node: Node) -> Optional[EofTest]:
        test = node.cst
        statement = node.info
        while_loop = isinstance(statement, cst.While)
        return eof_test(test, self._receive_in, while_loop)


# -- syntax helpers ---------------------------------------------------------------


def eof_test(test: cst.BaseExpression, receive_in, loop: bool) -> Optional[EofTest]:
    """Which edge of `test` is taken when the tested receive returned end-of-file."""
    from lintplugin.flow.cfg import FALSE, TRUE

    # `x := conn.recv(n)` or a bare `conn.recv(n)` as the whole test: false on b''
    inner = test.value if isinstance(test, cst.NamedExpr) else test
    data = test.target.value if isinstance(test, cst.NamedExpr) and isinstance(test.target, cst.Name) else None
    received = receive_in(inner)
    if received is not None:
        return EofTest(data=data, eof_edge=FALSE, receive=received[1], socket=received[0])
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        flipped = eof_test(test.expression, receive_in, loop)
        if flipped is not None and flipped.receive is not None:
            # `if not conn.recv(1):` / `if not (data := conn.recv(n)):`
            flipped.eof_edge = TRUE if flipped.eof_edge == FALSE else FALSE
            return flipped
    truthiness = _tested_name(test)
    if truthiness is not None:
        name, eof_when_true = truthiness
        return EofTest(data=name, eof_edge=TRUE if eof_when_true else FALSE)
    if isinstance(test, cst.BooleanOperation):
        # `a or not data`: end-of-file makes the whole test true; `a and data`:
        # false. The other combination (`isinstance(data, bytes) and
        # len(data) == 0`) is what the author meant as the end-of-file branch.
        certain = TRUE if isinstance(test.operator, cst.Or) else FALSE
        parts = [eof_test(side, receive_in, loop) for side in (test.left, test.right)]
        parts = [part for part in parts if part is not None]
        for part in parts:
            if part.eof_edge == certain:
                return part
        return parts[0] if parts else None
    return None


def none_tests(test: cst.BaseExpression) -> List[Tuple[str, int]]:
    """(name, edge on which `name` is None) for `x is None`, `x is not None`,
    `x`, `not x` and `and`-chains of them (`if sock is not None and ...:`)."""
    from lintplugin.flow.cfg import FALSE, TRUE

    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        # the false edge of `a and b` says nothing certain about either side
        return [(name, edge) for name, edge in none_tests(test.left) + none_tests(test.right) if edge == FALSE]
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return [(name, edge) for name, edge in none_tests(test.left) + none_tests(test.right) if edge == TRUE]
    if isinstance(test, cst.Name) and test.value not in ("True", "False", "None"):
        return [(test.value, FALSE)]
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return [(name, TRUE if edge == FALSE else FALSE) for name, edge in none_tests(test.expression)]
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        left, right = test.left, target.comparator
        subject = left if _is_none(right) else right if _is_none(left) else None
        if isinstance(subject, cst.Name):
            if isinstance(target.operator, (cst.Is, cst.Equal)):
                return [(subject.value, TRUE)]
            if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                return [(subject.value, FALSE)]
    return []


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _tested_name(test: cst.BaseExpression) -> Optional[Tuple[str, bool]]:
    """(name, True) when `test` is true on an empty value, (name, False) when false."""
    if isinstance(test, cst.Name):
        return test.value, False  # `if data:` is false on b''
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _tested_name(test.expression)
        if inner is not None:
            return inner[0], not inner[1]
        return None
    length = _length_of(test)
    if length is not None:
        return length, False  # `if len(data):`
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        left, right, op = test.left, target.comparator, target.operator
        for subject, other, flipped in ((left, right, False), (right, left, True)):
            name = subject.value if isinstance(subject, cst.Name) else _length_of(subject)
            if name is None:
                continue
            empty = _is_empty_literal(other)
            zero = _is_zero(other)
            is_length = not isinstance(subject, cst.Name)
            if isinstance(op, (cst.Equal, cst.Is)) and (empty or (zero and (is_length or True))):
                return name, True
            if isinstance(op, (cst.NotEqual, cst.IsNot)) and (empty or zero):
                return name, False
            if is_length or zero:
                if isinstance(op, cst.GreaterThan) and zero and not flipped:
                    return name, False  # len(data) > 0
                if isinstance(op, cst.LessThan) and _is_one(other) and not flipped:
                    return name, True  # len(data) < 1
                if isinstance(op, cst.LessThanEqual) and zero and not flipped:
                    return name, True  # n <= 0
    return None


def _length_of(node: cst.BaseExpression) -> Optional[str]:
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "len"
        and len(node.args) == 1
        and isinstance(node.args[0].value, cst.Name)
    ):
        return node.args[0].value.value
    return None


def _is_empty_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return node.value.lstrip("bBrRuU") in ('""', "''", '""""""', "''''''")
    return False


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value in ("0", "0x0")


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "1"


def shutdown_how(call: cst.Call, scope: Scope) -> str:
    """SHUT_RD, SHUT_WR or SHUT_RDWR for a shutdown() call, "?" when unknown."""
    if not call.args:
        return "?"
    value = call.args[0].value
    name = qualified_name(value, scope) or dotted_name(value) or ""
    short = name.rsplit(".", 1)[-1]
    if short in ("SHUT_WR", "SHUT_RDWR", "SHUT_RD"):
        return short
    if isinstance(value, cst.Integer):
        return {"0": "SHUT_RD", "1": "SHUT_WR", "2": "SHUT_RDWR"}.get(value.value, "?")
    return "?"


def _is_assigned_to_name(statement, call: cst.Call) -> bool:
    if isinstance(statement, (cst.Assign, cst.AnnAssign)) and statement.value is call:
        targets = statement.targets if isinstance(statement, cst.Assign) else [statement]
        return all(isinstance(t.target, cst.Name) for t in targets)
    return False


def _method(call: cst.Call) -> Optional[str]:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def _receiver_name(call: cst.Call) -> Optional[str]:
    if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name):
        return call.func.value.value
    return None


def _is_accept(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and _method(node) == "accept" and not node.args


def looks_without_io(function: str) -> bool:
    """print, repr, isinstance, logging calls, test assertions: they look at
    a socket without doing I/O on it or taking it over."""
    short = function.rsplit(".", 1)[-1]
    return short in INERT_FUNCTIONS or short.startswith(INERT_METHOD_PREFIXES) or _is_logging(function)


def _is_logging(function: str) -> bool:
    parts = function.split(".")
    if len(parts) >= 2 and parts[-1] in LOGGING_METHODS:
        return True
    return parts[0] in ("logging", "logger", "log", "LOG", "LOGGER", "_logger", "_log")


def is_datagram(value: cst.BaseExpression, scope: Scope) -> bool:
    if not isinstance(value, cst.Call):
        return False
    for arg in value.args:
        name = qualified_name(arg.value, scope) or dotted_name(arg.value) or ""
        if name.rsplit(".", 1)[-1] == "SOCK_DGRAM":
            return True
    return False


def _parameter_names(node) -> List[str]:
    if not isinstance(node, cst.FunctionDef):
        return []
    params = node.params
    found = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    return [param.name.value for param in found]


def _annotated_sockets(node, scope: Scope) -> Set[str]:
    if not isinstance(node, cst.FunctionDef):
        return set()
    found = set()
    params = node.params
    for param in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
        if param.annotation is not None:
            annotation = param.annotation.annotation
            name = qualified_name(annotation, scope) or dotted_name(annotation) or ""
            if name in SOCKET_TYPES or name.rsplit(".", 1)[-1] in ("SSLSocket",):
                found.add(param.name.value)
    return found


# -- walking the syntax of one CFG node -------------------------------------------

_NESTED_SCOPES = (cst.Lambda, cst.FunctionDef, cst.ClassDef)


def _roots(node: Node) -> Sequence[cst.CSTNode]:
    """The syntax a node evaluates (not the blocks of a compound statement)."""
    statement = node.cst
    if node.kind == "for":
        return [statement.target]
    if node.kind == "with_enter":
        return [item.item for item in statement.items]
    if node.kind == "handler":
        return [statement.type] if statement.type is not None else []
    if node.kind == "case":
        return [statement.guard] if statement.guard is not None else []
    if node.kind == "stmt" and isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        decorators = [decorator.decorator for decorator in statement.decorators]
        return decorators
    return [statement]


_WALKED = (cst.Call, cst.NamedExpr, cst.Yield, cst.Lambda)


def node_syntax(node: Node) -> Dict[type, List[cst.CSTNode]]:
    """The calls, walrus bindings, yields and lambdas a node evaluates,
    collected in one walk and kept on the node for every later question."""
    cached = node.info_syntax
    if cached is not None:
        return cached
    found: Dict[type, List[cst.CSTNode]] = {}
    stack = list(reversed(_roots(node)))
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind in _WALKED_SET:
            found.setdefault(kind, []).append(current)
        if kind in _NESTED_SET:
            continue
        stack.extend(reversed(syntax_children(current)))
    node.info_syntax = found
    return found


_WALKED_SET = frozenset(_WALKED)
_NESTED_SET = frozenset(_NESTED_SCOPES)


# Fields of a libcst node that never hold code: whitespace, brackets, commas.
_TRIVIA = frozenset({
    "lpar", "rpar", "comma", "semicolon", "dot", "equal", "colon", "whitespace_after_func",
    "whitespace_before_args", "whitespace_after_arg", "whitespace_after_star",
    "whitespace_before", "whitespace_after", "leading_lines", "lines_after_decorators",
    "header", "footer", "newline", "trailing_whitespace", "whitespace_before_colon",
    "whitespace_after_at", "whitespace_after_def", "whitespace_after_name",
    "whitespace_before_params", "whitespace_after_indent", "indent", "first_line",
    "empty_lines", "last_line", "whitespace_after_cast", "whitespace_after_await",
    "whitespace_after_del", "whitespace_after_assert", "whitespace_after_return",
    "whitespace_after_raise", "whitespace_after_import", "whitespace_after_from",
    "whitespace_after_if", "whitespace_after_else", "whitespace_after_in",
    "whitespace_after_for", "whitespace_before_in", "whitespace_after_while",
    "whitespace_after_with", "whitespace_before_from", "whitespace_after_lambda",
    "whitespace_before_as", "whitespace_after_as", "whitespace_after_yield",
    "whitespace_before_walrus", "whitespace_after_walrus", "whitespace_after_except",
    "whitespace_after_class", "whitespace_before_indent", "whitespace_after_global",
    "whitespace_after_nonlocal", "whitespace_after_match", "whitespace_after_case",
    "whitespace_before_expression", "whitespace_after_expression", "star_tok",
})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def syntax_children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """A node's sub-nodes that hold code, in field order.

    libcst's `.children` runs a visitor to collect them, which dominates the
    cost of walking large functions; reading the dataclass fields is several
    times cheaper and skips whitespace nodes no analysis needs.
    """
    names = _FIELDS.get(type(node))
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(node) if f.name not in _TRIVIA and not f.name.startswith("whitespace")
        )
        _FIELDS[type(node)] = names
    found: List[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            found.extend(item for item in value if _is_node_type(type(item)))
        elif _is_node_type(kind):
            found.append(value)
    return found


_NODE_TYPES: Dict[type, bool] = {}


def _is_node_type(kind: type) -> bool:
    # isinstance() against libcst's abstract base class is slow; types are few.
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


def _calls(node: Node) -> Iterator[cst.Call]:
    if node.cst is None or node.kind in ("with_exit", "finally"):
        return
    yield from node_syntax(node).get(cst.Call, ())


def _assignments(node: Node) -> Iterator[Tuple[object, Optional[cst.BaseExpression]]]:
    """(name or target node, value) pairs a node binds; value None when unknown."""
    statement = node.cst
    if statement is None:
        return
    if node.kind == "stmt":
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                yield from _bind(target.target, statement.value)
        elif isinstance(statement, cst.AnnAssign) and statement.value is not None:
            yield from _bind(statement.target, statement.value)
        elif isinstance(statement, cst.AugAssign):
            if isinstance(statement.target, cst.Name):
                yield statement.target.value, None
        elif isinstance(statement, cst.Del):
            yield from _bind(statement.target, None)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            yield statement.name.value, None
    elif node.kind == "for":
        yield from _bind(statement.target, None)
    elif node.kind == "with_enter":
        for item in statement.items:
            if item.asname is not None:
                yield from _bind(item.asname.name, item.item)
    elif node.kind == "handler" and statement.name is not None:
        yield from _bind(statement.name.name, None)
    if node.kind not in ("with_exit", "finally", "handler"):
        for current in node_syntax(node).get(cst.NamedExpr, ()):
            if isinstance(current.target, cst.Name):
                yield current.target.value, current.value


def _bind(target: cst.BaseExpression, value: Optional[cst.BaseExpression]):
    if isinstance(target, cst.Name):
        yield target.value, value
    elif isinstance(target, (cst.Tuple, cst.List)):
        elements = target.elements
        for index, element in enumerate(elements):
            inner = element.value
            element_value = None
            if value is not None and index == 0 and _is_accept(value):
                element_value = value  # conn, addr = srv.accept()
            elif (
                value is not None
                and isinstance(value, cst.Call)
                and isinstance(value.func, (cst.Attribute, cst.Name))
                and (dotted_name(value.func) or "").endswith("socketpair")
                and index < 2
            ):
                element_value = value  # a, b = socket.socketpair()
            elif isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements):
                element_value = value.elements[index].value
            yield from _bind(inner, element_value)
    elif isinstance(target, cst.StarredElement):
        yield from _bind(target.value, None)
    else:
        yield target, value  # attribute or subscript: a store


def _escaping_names(node: Node) -> Iterator[str]:
    """Names returned or yielded by this node."""
    statement = node.cst
    if statement is None or node.kind in ("with_exit", "finally"):
        return
    if isinstance(statement, cst.Return) and statement.value is not None:
        yield from _names_in_value(statement.value)
    for current in node_syntax(node).get(cst.Yield, ()):
        if current.value is not None:
            value = current.value.item if isinstance(current.value, cst.From) else current.value
            yield from _names_in_value(value)


def _names_in_value(value: cst.BaseExpression) -> Iterator[str]:
    if isinstance(value, cst.Name):
        yield value.value
    elif isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        for element in value.elements:
            yield from _names_in_value(element.value)
    elif isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                yield from _names_in_value(element.value)


def _captured_names(node: Node, wanted) -> Iterator[str]:
    """Socket names used inside a lambda or nested function defined at this node."""
    if node.cst is None or node.kind in ("with_exit", "finally"):
        return
    roots: List[cst.CSTNode] = []
    if node.kind == "stmt" and isinstance(node.cst, (cst.FunctionDef, cst.ClassDef)):
        roots.append(node.cst)
    else:
        roots.extend(node_syntax(node).get(cst.Lambda, ()))
    for root in roots:
        stack = [root]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name):
                if current.value in wanted:
                    yield current.value
                continue
            stack.extend(syntax_children(current))
