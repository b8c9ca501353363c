"""Which files, and which parts of them, can hold socket code: skip early.

flake8 runs every installed plugin on every file, so the cost of this
module is paid by every project that installs us. Three gates keep it small:

1. substring tests and a regular expression over the text: no
   socket-looking call, no work (libcst is not even imported);
2. flake8's own `ast` tree picks the functions that contain such calls
   *with the shape of socket code* (a socket method's arity, a socket
   factory): a generator's send() or an executor's shutdown() is not;
3. the *sparse* copy of the file that libcst then parses: every other
   function and class body is cut down to `pass` on its first line, with a
   line map back to the real file.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from lintplugin.model.vocabulary import (
    ACQUIRING_NAMES,
    PRECHECK_WORDS,
    SERVE_CALL,
    SERVING_NAMES,
    TRIGGER_PATTERN,
    arity_fits,
    closes_by_name,
    is_shutdown_helper,
    looks_without_io,
)
from lintplugin.types import ClassSummary

# Calls that socket code makes (see vocabulary.py); the rules decide the rest.
TRIGGER = re.compile(TRIGGER_PATTERN)

_LEADING_WHITESPACE = re.compile(r"[ \t\f]*")
# A top-level simple statement this long with no socket call in it is data
# (a table, a long literal): cutting it saves parsing it.
_LONG_STATEMENT_LINES = 30

_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
if hasattr(ast, "TryStar"):
    _COMPOUND += (ast.TryStar,)
if hasattr(ast, "Match"):
    _COMPOUND += (ast.Match,)


@dataclass(frozen=True)
class SocketSource:
    """The part of a file the analysis parses."""

    text: str
    line_map: Optional[List[int]]  # line i + 1 of `text` is line line_map[i] of the file; None: the same
    # Top-level classes with socket code, read from the ast only when a rule asks (see `summary`).
    class_nodes: Dict[str, ast.ClassDef] = field(default_factory=dict)
    file_text: str = ""
    _summaries: Dict[str, Optional[ClassSummary]] = field(default_factory=dict, compare=False)

    def summary(self, name: str) -> Optional[ClassSummary]:
        if name not in self._summaries:
            node = self.class_nodes.get(name)
            self._summaries[name] = _summary(node, self.file_text) \
                if node is not None and _may_hold_sockets(node) else None
        return self._summaries[name]


def socket_source(tree: Optional[ast.AST], lines: Sequence[str]) -> Optional[SocketSource]:
    """The file's socket code, or None when it has none (most files).

    Raises SyntaxError or ValueError when flake8 gave no tree and the text
    does not parse."""
    text = "".join(lines)
    # Substring tests run at memory speed; most files stop here.
    if not any(word in text for word in PRECHECK_WORDS) or not (TRIGGER.search(text) or SERVE_CALL in text):
        return None
    if not isinstance(tree, ast.Module):
        tree = ast.parse(text)
    triggers = _trigger_lines(text)
    sparse = sparse_source(lines, tree, triggers)
    if sparse is None:
        return None
    source, line_map = sparse
    classes = {node.name: node for node in tree.body
               if isinstance(node, ast.ClassDef) and _has_trigger_in(node, triggers)}
    return SocketSource(source, line_map, classes, text)


def _trigger_lines(text: str) -> List[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    offsets = [match.start() for match in TRIGGER.finditer(text)]
    position = text.find(SERVE_CALL)
    while position != -1:
        offsets.append(position)
        position = text.find(SERVE_CALL, position + 1)
    return sorted({bisect.bisect_right(starts, offset) for offset in offsets})


def sparse_source(
    lines: Sequence[str], tree: ast.Module, trigger_lines: List[int]
) -> Optional[Tuple[str, Optional[List[int]]]]:
    """The file with every definition that makes no socket call cut out.

    Each cut statement becomes `pass` on one line; `line_map[i]` is the
    original line of the sparse copy's line i + 1 (None when nothing was
    cut). Returns None when nothing is left to analyse. Module-level code is
    kept when it makes socket calls; otherwise only what resolves names in
    the functions (imports, short assignments).
    """
    builder = _SparseBuilder(lines, trigger_lines, _served_handlers(tree, "".join(lines)))
    builder.walk(tree.body, top_level=True)
    if not builder.kept_definitions and not builder.module_code_triggers:
        return None
    if not builder.module_code_triggers:
        # No rule looks at module-level code that makes no socket call: keep
        # only what resolves names in the functions (imports, short assignments).
        for first, last in builder.inessential:
            builder.blank(first, last)
    if not builder.blanked:
        return "".join(lines), None
    kept = [(line, number) for number, line in enumerate(builder.out, start=1) if line is not None]
    return "".join(line for line, _ in kept), [number for _, number in kept]


class _SparseBuilder:
    def __init__(self, lines: Sequence[str], trigger_lines: List[int], handlers: frozenset = frozenset()) -> None:
        self.lines = lines
        self.handlers = handlers  # connection handlers of a server, and protocols' connection_made()
        self.out: List[Optional[str]] = list(lines)
        self.triggers = trigger_lines
        self.kept_definitions = 0
        self.module_code_triggers = False
        self.blanked = False
        self.inessential: List[Tuple[int, int]] = []  # module/class statements no rule may need

    def has_trigger(self, first: int, last: int) -> bool:
        index = bisect.bisect_left(self.triggers, first)
        return index < len(self.triggers) and self.triggers[index] <= last

    def walk(self, body: List[ast.stmt], top_level: bool) -> None:
        for position, stmt in enumerate(body):
            first, last = _first_line(stmt), stmt.end_lineno or stmt.lineno
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if stmt.name in self.handlers or _annotated_connection(stmt) or (
                        self.has_trigger(first, last) and has_socket_evidence(stmt)):
                    self.kept_definitions += 1
                else:
                    self.blank(first, last)
            elif isinstance(stmt, ast.ClassDef):
                if self.has_trigger(first, last):
                    self.walk(stmt.body, top_level=False)
                else:
                    self.blank(first, last)
            elif isinstance(stmt, _COMPOUND):
                if self.has_trigger(stmt.lineno, _header_end(stmt)) and any(
                    has_socket_evidence(part) for part in _header_parts(stmt)
                ):
                    self.module_code_triggers = True
                for block in _blocks(stmt):
                    self.walk(block, top_level)
            elif self.has_trigger(first, last) and has_socket_evidence(stmt):
                self.module_code_triggers = True
            elif last - first >= _LONG_STATEMENT_LINES and self._owns_lines(body, position):
                self.blank(first, last)
            elif not _resolves_names(stmt, last - first) and self._owns_lines(body, position):
                self.inessential.append((first, last))

    def _owns_lines(self, body: List[ast.stmt], position: int) -> bool:
        """True when no other statement shares the first or last line."""
        stmt = body[position]
        first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
        indent = _LEADING_WHITESPACE.match(self.lines[first - 1]).end()
        if stmt.col_offset != indent:
            return False
        if position > 0 and (body[position - 1].end_lineno or 0) >= first:
            return False
        if position + 1 < len(body) and body[position + 1].lineno <= last:
            return False
        return True

    def blank(self, first: int, last: int) -> None:
        self.blanked = True
        indent = _LEADING_WHITESPACE.match(self.lines[first - 1]).group()
        self.out[first - 1] = indent + "pass\n"
        for index in range(first, last):
            self.out[index] = None  # cut: libcst would make a node of every blank line


def _has_trigger_in(node: ast.AST, trigger_lines: List[int]) -> bool:
    first, last = node.lineno, node.end_lineno or node.lineno
    index = bisect.bisect_left(trigger_lines, first)
    return index < len(trigger_lines) and trigger_lines[index] <= last


def _may_hold_sockets(node: ast.ClassDef) -> bool:
    """A class with socket code in some method and a store on self in some
    method (`self.s = self.makesocket()`), or an asyncio protocol."""
    evidence = stores = False
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if method.name == "connection_made":
            return True
        stores = stores or any(_stores_on_self(current) for current in ast.walk(method))
        evidence = evidence or has_socket_evidence(method)
    return evidence and stores


def _stores_on_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Assign) and any(_self_attribute(target) for target in node.targets)


def _summary(node: ast.ClassDef, text: str) -> ClassSummary:
    """What the class's methods do with `self.x`: release it (close it, put it
    in a `with`, return it, hand it to a call other than a look at it, store
    it elsewhere), and whether eof_received() keeps a connection half-open."""
    released = set()
    half_open = False
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for current in ast.walk(method):
            if isinstance(current, ast.Call):
                released |= _released_by_call(current)
            elif isinstance(current, ast.withitem):
                released |= _self_attributes(current.context_expr)
            elif isinstance(current, (ast.Return, ast.Yield, ast.Assign)) and current.value is not None:
                released |= _self_attributes(current.value)
                if method.name == "eof_received" and isinstance(current, ast.Return) and not (
                        isinstance(current.value, ast.Constant) and current.value.value in (None, False)):
                    half_open = True
    return ClassSummary(frozenset(released), half_open, _closed_elsewhere(text))


def _released_by_call(call: ast.Call) -> set:
    found = set()
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = _self_attribute(func.value)
        if receiver is not None and (func.attr in ("close", "detach", "abort", "aclose")
                                     or (closes_by_name(func.attr) and not is_shutdown_helper(func.attr))):
            found.add(receiver)
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    function = name if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name) \
        else f"{func.value.id}.{name}"
    if not looks_without_io(function):
        for arg in call.args:
            found |= _self_attributes(arg)  # handed on, or closed by a helper
    return found


def _self_attributes(value: ast.AST) -> set:
    if isinstance(value, (ast.Tuple, ast.List)):
        return {name for element in value.elts for name in _self_attributes(element)}
    name = _self_attribute(value)
    return {name} if name else set()


def _self_attribute(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


_CLOSED_ON_AN_OBJECT = re.compile(r"\b(\w+)\.(\w+)\.(?:close|abort|aclose)\s*\(")


def _closed_elsewhere(text: str) -> FrozenSet[str]:
    """`client.sock.close()` anywhere in the module: that attribute name is closed from outside."""
    return frozenset(match.group(2) for match in _CLOSED_ON_AN_OBJECT.finditer(text) if match.group(1) != "self")


_HANDLER = re.compile(
    r"(?:\b(?:start_server|start_unix_server|serve_tcp|serve_listeners|serve_ssl_over_tcp)|\.serve)\s*\(\s*"
    r"(?:(?:functools\.)?partial\(\s*|lambda[^:]*:\s*)?([\w.]+)"
)


def _served_handlers(tree: ast.Module, text: str) -> frozenset:
    """Names of the functions a server in this module is given as its
    connection handler (`asyncio.start_server(handle, ...)`, a method, a
    `functools.partial` or a lambda that calls it), and asyncio protocols'
    connection_made(): they hold a connection whatever calls they make.
    Read from the text: cheaper than a walk of the tree, and a name too many
    only keeps a function in the copy libcst parses."""
    found = {"connection_made"} if "connection_made" in text else set()
    if any(name in text for name in SERVING_NAMES) or SERVE_CALL in text:
        found.update(match.group(1).rsplit(".", 1)[-1] for match in _HANDLER.finditer(text))
    return frozenset(found)


CONNECTION_ANNOTATIONS = frozenset({
    "socket", "SSLSocket", "StreamReader", "StreamWriter", "Stream", "SocketStream", "ByteStream", "SSLStream",
})


def _annotated_connection(function: ast.AST) -> bool:
    """`def f(sock: socket.socket)`, `async def g(writer: asyncio.StreamWriter)`."""
    for arg in function.args.posonlyargs + function.args.args + function.args.kwonlyargs:
        annotation = arg.annotation
        name = annotation.attr if isinstance(annotation, ast.Attribute) else \
            annotation.id if isinstance(annotation, ast.Name) else None
        if name in CONNECTION_ANNOTATIONS:
            return True
    return False


def has_socket_evidence(node: ast.AST) -> bool:
    """Whether the code under `node` calls something with the shape of socket
    code: a socket method with its arity, or a socket factory."""
    for current in ast.walk(node):
        if not isinstance(current, ast.Call):
            continue
        func = current.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name is None:
            continue
        if name in ACQUIRING_NAMES or name in SERVING_NAMES or (name == "serve" and current.args):
            return True  # `await listener.serve(handler)`: the handler's stream
        if isinstance(func, ast.Attribute):
            starred = any(isinstance(arg, ast.Starred) for arg in current.args) or any(
                keyword.arg is None for keyword in current.keywords
            )
            positional = sum(1 for arg in current.args if not isinstance(arg, ast.Starred))
            if arity_fits(name, positional, len(current.keywords), starred):
                return True
            if name == "connect" and positional == 1 and isinstance(func.value, ast.Attribute):
                return True  # `self.sock.connect(addr)`: what an object keeps (SKT106)
    return False


def _header_parts(stmt: ast.stmt) -> List[ast.AST]:
    """What a compound statement evaluates before its blocks."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.iter]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [item.context_expr for item in stmt.items]
    subject = getattr(stmt, "subject", None)
    return [subject] if subject is not None else []


def _resolves_names(stmt: ast.stmt, extra_lines: int) -> bool:
    """Imports and short assignments: what resolves aliases and constants."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Global)):
        return True
    return isinstance(stmt, (ast.Assign, ast.AnnAssign)) and extra_lines < 3


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        return min(stmt.lineno, *(d.lineno for d in decorators))
    return stmt.lineno


def _header_end(stmt: ast.stmt) -> int:
    """Last line of a compound statement's header (before its first block)."""
    blocks = [block for block in _blocks(stmt) if block]
    if not blocks or not blocks[0]:
        return stmt.lineno
    return max(stmt.lineno, _first_line(blocks[0][0]) - 1)


def _blocks(stmt: ast.stmt) -> Iterable[List[ast.stmt]]:
    if isinstance(stmt, getattr(ast, "Match", ())):
        for case in stmt.cases:
            yield case.body
        return
    yield stmt.body
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    yield getattr(stmt, "orelse", [])
    yield getattr(stmt, "finalbody", [])
