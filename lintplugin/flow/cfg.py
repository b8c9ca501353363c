"""A control-flow graph of one function (or a module body), from libcst.

Nodes are small: one per simple statement, one per branch test, loop
header, `with` entry and exit, `except` clause and `finally` entry. Edges
carry a kind:

* NORMAL, TRUE, FALSE: ordinary flow (TRUE/FALSE leave a test);
* EXC: an exception raised *by this node* (a call in it failed, or a
  `raise`), going to the handlers that may catch it, a `finally`, a `with`
  exit, or the function's raise exit. Every node that can raise gets one; the
  analyses decide per socket whether the node really is an exception source
  for it;
* RERAISE: an exception already in flight leaving a `finally` or `with` exit.

`finally` bodies and `with` exits are copied once per way of leaving the
protected block (falling through, exception, return, break, continue), so
that a path which entered the `finally` by `return` leaves it by `return`:
merging them would invent paths that do not exist. Copies are bounded by
the node budget; a function over budget raises AnalysisLimit.

Nested functions, classes and lambdas are single statements here: their
bodies are analysed on their own.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from lintplugin.scopes import dotted_name

NORMAL, TRUE, FALSE, EXC, RERAISE = range(5)
EDGE_NAMES = ("normal", "true", "false", "exc", "reraise")

DEFAULT_NODE_BUDGET = 250_000

Pending = List[Tuple["Node", int]]  # dangling edges waiting for their target


class AnalysisLimit(Exception):
    """The function is too large for the analysis' bounds."""


class Node:
    __slots__ = ("index", "kind", "cst", "info", "succ", "pred", "loop", "info_syntax")

    def __init__(self, index: int, kind: str, node: Optional[cst.CSTNode], info, loop: int = -1) -> None:
        self.index = index
        self.kind = kind
        self.cst = node
        self.info = info
        self.succ: List[Tuple[int, int]] = []
        self.pred: List[Tuple[int, int]] = []
        self.loop = loop  # header index of the innermost loop whose body holds this node, or -1
        self.info_syntax = None  # what the node evaluates, filled in once by the socket model

    def __repr__(self) -> str:  # for test failures
        return f"<{self.index}:{self.kind}>"


@dataclass
class CFG:
    nodes: List[Node] = field(default_factory=list)
    entry: int = 0
    exit: int = 1
    raise_exit: int = 2

    def edges(self) -> List[Tuple[int, int, int]]:
        return [(node.index, target, kind) for node in self.nodes for target, kind in node.succ]

    def in_loop(self, index: int, header: int) -> bool:
        """Whether node `index` lies in the body of the loop headed by `header`."""
        loop = self.nodes[index].loop
        while loop != -1:
            if loop == header:
                return True
            loop = self.nodes[loop].loop
        return False


# -- exception classification ---------------------------------------------

# What a handler catches, for the OSError that socket calls raise.
CATCHES_ALL = "all"  # OSError or a superclass: the exception stops here
CATCHES_SOME = "some"  # a subclass of OSError: it may stop here or go on
CATCHES_NONE = "none"

_OSERROR_ALIASES = {
    "OSError", "IOError", "EnvironmentError", "socket.error", "select.error",
    "Exception", "BaseException",
}
_RETRY_ERRORS = {
    "BlockingIOError", "InterruptedError", "ssl.SSLWantReadError", "ssl.SSLWantWriteError",
    "SSLWantReadError", "SSLWantWriteError",
}
_OSERROR_SUBCLASSES = {
    "socket.timeout", "timeout", "TimeoutError", "socket.gaierror", "gaierror", "socket.herror",
    "herror", "ssl.SSLError", "SSLError", "ssl.SSLEOFError", "ssl.SSLZeroReturnError",
    "ssl.CertificateError", "ssl.SSLCertVerificationError", "ssl.SSLSyscallError",
    "SSLEOFError", "SSLZeroReturnError", "SSLSyscallError", "SSLCertVerificationError",
    "ConnectionError", "ConnectionResetError", "ConnectionAbortedError",
    "ConnectionRefusedError", "BrokenPipeError", "FileNotFoundError", "PermissionError",
    "ChildProcessError", "ProcessLookupError", "FileExistsError", "IsADirectoryError",
    "NotADirectoryError",
} | _RETRY_ERRORS


@dataclass(frozen=True)
class HandlerInfo:
    """An `except` clause: what it catches, for the analyses."""

    names: Tuple[str, ...]  # dotted names of the caught types ("" for a bare except)
    catches: str  # CATCHES_ALL / CATCHES_SOME / CATCHES_NONE, for OSError
    retry_only: bool  # catches only non-blocking retry errors
    name: Optional[str]  # the `as` name


def exception_names(node: Optional[cst.BaseExpression]) -> Tuple[str, ...]:
    if node is None:
        return ("",)
    elements = node.elements if isinstance(node, cst.Tuple) else [node]
    names = []
    for element in elements:
        value = element.value if isinstance(element, (cst.Element, cst.StarredElement)) else element
        names.append(dotted_name(value) or "?")
    return tuple(names)


def classify_handler(names: Tuple[str, ...]) -> str:
    kinds = set()
    for name in names:
        if name == "" or name in _OSERROR_ALIASES:
            return CATCHES_ALL
        if name in _OSERROR_SUBCLASSES or name.rsplit(".", 1)[-1] in _OSERROR_SUBCLASSES:
            kinds.add(CATCHES_SOME)
        elif name == "?" or not _is_builtin_exception(name):
            # A project's own exception class (or a tuple held in a name)
            # may well wrap OSError; assuming it does keeps reports precise.
            kinds.add(CATCHES_SOME)
    return CATCHES_SOME if kinds else CATCHES_NONE


def catches_raised(names: Tuple[str, ...], raised: str) -> str:
    """What a handler catching `names` does with a `raise RAISED` statement."""
    short = raised.rsplit(".", 1)[-1]
    if raised in _OSERROR_ALIASES or raised in _OSERROR_SUBCLASSES or short in _OSERROR_SUBCLASSES:
        return classify_handler(names)
    raised_type = getattr(builtins, short, None) if "." not in raised else None
    kinds = set()
    for name in names:
        if name in ("", "Exception", "BaseException"):
            return CATCHES_ALL
        handler_type = getattr(builtins, name, None) if "." not in name else None
        if isinstance(handler_type, type) and issubclass(handler_type, BaseException):
            if isinstance(raised_type, type) and issubclass(raised_type, handler_type):
                return CATCHES_ALL
        else:
            kinds.add(CATCHES_SOME)  # a project's class: it may be the one raised
    return CATCHES_SOME if kinds else CATCHES_NONE


def _raised_name(statement: cst.Raise) -> Optional[str]:
    """The class a `raise` statement raises; None for a bare re-raise."""
    exc = statement.exc
    if exc is None:
        return None
    if isinstance(exc, cst.Call):
        exc = exc.func
    name = dotted_name(exc)
    if name is None or not name.rsplit(".", 1)[-1][:1].isupper():
        return None  # `raise error` re-raises a caught exception object: treat it like the original
    return name


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


# -- frames: what a jump (return, break, continue, raise) passes through ---


class _Frame:
    pass


class _LoopFrame(_Frame):
    def __init__(self, header: Node) -> None:
        self.header = header
        self.breaks: Pending = []


class _TryFrame(_Frame):
    def __init__(self, node: Union[cst.Try, cst.TryStar], handlers: List[Tuple[Node, HandlerInfo]]) -> None:
        self.node = node
        self.handlers = handlers
        self.catching = True  # False once the try body is done: handlers do not catch their own raises
        self.copies: Dict[str, Tuple[Node, bool]] = {}

    @property
    def has_cleanup(self) -> bool:
        return self.node.finalbody is not None


class _WithFrame(_Frame):
    def __init__(self, node: Union[cst.With], suppresses: bool) -> None:
        self.node = node
        self.suppresses = suppresses
        self.swallowed: Pending = []
        self.copies: Dict[str, Tuple[Node, bool]] = {}

    has_cleanup = True


_JUMP_EDGE = {"raise": EXC, "return": NORMAL, "break": NORMAL, "continue": NORMAL}


class _Builder:
    def __init__(self, budget: int) -> None:
        self.cfg = CFG()
        self.budget = budget
        self.frames: List[_Frame] = []
        self.add("entry")
        self.add("exit")
        self.add("raise_exit")

    # -- graph primitives -------------------------------------------------

    def add(self, kind: str, node: Optional[cst.CSTNode] = None, info=None) -> Node:
        if len(self.cfg.nodes) >= self.budget:
            raise AnalysisLimit(f"more than {self.budget} control-flow nodes")
        loop = -1
        for frame in reversed(self.frames):
            if isinstance(frame, _LoopFrame):
                loop = frame.header.index
                break
        created = Node(len(self.cfg.nodes), kind, node, info, loop)
        self.cfg.nodes.append(created)
        return created

    def link(self, pending: Pending, target: Node) -> None:
        for source, kind in pending:
            edge = (target.index, kind)
            if edge not in source.succ:
                source.succ.append(edge)
                target.pred.append((source.index, kind))

    def step(self, pending: Pending, kind: str, node: Optional[cst.CSTNode] = None, info=None, raises=True):
        """Add a node after `pending`; if it can raise, route its exception."""
        created = self.add(kind, node, info)
        self.link(pending, created)
        if raises:
            self.jump("raise", [(created, EXC)])
        return created

    # -- jumps --------------------------------------------------------------

    def jump(self, kind: str, pending: Pending, depth: Optional[int] = None, raised: Optional[str] = None) -> None:
        """Send `pending` edges where a `kind` jump goes from frame `depth` out.

        For a `raise` statement, `raised` names the exception class; other
        exceptions are the OSError family that socket calls raise.
        """
        index = len(self.frames) - 1 if depth is None else depth
        while index >= 0:
            frame = self.frames[index]
            if isinstance(frame, _LoopFrame) and kind in ("break", "continue"):
                if kind == "break":
                    frame.breaks.extend(pending)
                else:
                    self.link(pending, frame.header)
                return
            if kind == "raise" and isinstance(frame, _TryFrame) and frame.catching:
                stopped = False
                for handler_node, info in frame.handlers:
                    catches = info.catches if raised is None else catches_raised(info.names, raised)
                    if catches != CATCHES_NONE:
                        self.link(pending, handler_node)
                    if catches == CATCHES_ALL:
                        stopped = True
                        break
                if stopped:
                    return
            if kind == "raise" and isinstance(frame, _WithFrame) and frame.suppresses:
                entry = self.cleanup_copy(frame, index, "suppressed")
                self.link(pending, entry)
                return
            if getattr(frame, "has_cleanup", False):
                entry = self.cleanup_copy(frame, index, kind)
                self.link(pending, entry)
                return
            index -= 1
        if kind == "return":
            self.link(pending, self.cfg.nodes[self.cfg.exit])
        elif kind == "raise":
            self.link(pending, self.cfg.nodes[self.cfg.raise_exit])
        # break/continue outside a loop is a SyntaxError Python already reported

    def cleanup_copy(self, frame, index: int, kind: str) -> Node:
        """The copy of a `finally` body / `with` exit that a `kind` jump runs.

        Built once per frame and kind; its end carries the jump on outwards.
        """
        if kind in frame.copies:
            return frame.copies[kind]
        saved = self.frames
        self.frames = saved[:index]  # a cleanup runs outside its own protection
        try:
            if isinstance(frame, _WithFrame):
                entry = self.add("with_exit", frame.node, kind)
                frame.copies[kind] = entry
                # __exit__ of a socket does no I/O that raises; of others, it may.
                self.jump("raise", [(entry, EXC)])
                ends: Pending = [(entry, NORMAL)]
            else:
                entry = self.add("finally", frame.node, kind)
                frame.copies[kind] = entry
                ends = self.block(frame.node.finalbody.body.body, [(entry, NORMAL)])
            if kind == "suppressed":
                frame.swallowed.extend(ends)
            elif kind != "normal":
                # Branch ends keep their kind (a test's false edge carries what
                # the test learnt); plain ends of a raise copy re-raise.
                if kind == "raise":
                    ends = [(node, RERAISE if edge == NORMAL else edge) for node, edge in ends]
                self.jump(kind, ends, depth=index - 1)
            else:
                frame.normal_ends = ends
        finally:
            self.frames = saved
        return entry

    # -- statements ---------------------------------------------------------

    def block(self, statements: Sequence[cst.CSTNode], pending: Pending) -> Pending:
        for statement in statements:
            if not pending:
                # Unreachable code (after return/raise/...): analysing it
                # would report on paths that cannot run.
                break
            pending = self.statement(statement, pending)
        return pending

    def statement(self, statement: cst.CSTNode, pending: Pending) -> Pending:
        if isinstance(statement, cst.BaseSmallStatement):  # from a one-line suite `if x: return`
            return self.small_statement(statement, pending)
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in statement.body:
                if not pending:
                    break
                pending = self.small_statement(small, pending)
            return pending
        handler = getattr(self, "compound_" + type(statement).__name__, None)
        if handler is not None:
            return handler(statement, pending)
        # FunctionDef, ClassDef: binding a name (decorators and defaults may raise)
        node = self.step(pending, "stmt", statement)
        return [(node, NORMAL)]

    def small_statement(self, small: cst.BaseSmallStatement, pending: Pending) -> Pending:
        if isinstance(small, cst.Pass):
            return pending
        if isinstance(small, cst.Return):
            node = self.step(pending, "return", small, raises=_may_raise(small.value))
            self.jump("return", [(node, NORMAL)])
            return []
        if isinstance(small, cst.Raise):
            node = self.step(pending, "raise", small, raises=False)
            self.jump("raise", [(node, EXC)], raised=_raised_name(small))
            return []
        if isinstance(small, (cst.Break, cst.Continue)):
            kind = "break" if isinstance(small, cst.Break) else "continue"
            node = self.step(pending, kind, small, raises=False)
            self.jump(kind, [(node, NORMAL)])
            return []
        if isinstance(small, cst.Assert):
            node = self.step(pending, "assert", small)
            return [(node, NORMAL)]
        if isinstance(small, (cst.Global, cst.Nonlocal)):
            return pending
        node = self.step(pending, "stmt", small)
        return [(node, NORMAL)]

    def compound_If(self, statement: cst.If, pending: Pending) -> Pending:
        test = self.step(pending, "test", statement.test, info=statement)
        ends = self.block(statement.body.body, [(test, TRUE)])
        orelse = statement.orelse
        if orelse is None:
            return ends + [(test, FALSE)]
        if isinstance(orelse, cst.If):
            return ends + self.compound_If(orelse, [(test, FALSE)])
        return ends + self.block(orelse.body.body, [(test, FALSE)])

    def compound_While(self, statement: cst.While, pending: Pending) -> Pending:
        test = self.step(pending, "test", statement.test, info=statement)
        frame = _LoopFrame(test)
        self.frames.append(frame)
        try:
            ends = self.block(statement.body.body, [(test, TRUE)])
        finally:
            self.frames.pop()
        self.link(ends, test)
        after = [] if _always_true(statement.test) else [(test, FALSE)]
        if statement.orelse is not None:
            after = self.block(statement.orelse.body.body, after)
        return after + frame.breaks

    def compound_For(self, statement: cst.For, pending: Pending) -> Pending:
        iterable = self.step(pending, "for_iter", statement.iter, info=statement)
        header = self.step([(iterable, NORMAL)], "for", statement, info=statement)
        frame = _LoopFrame(header)
        self.frames.append(frame)
        try:
            ends = self.block(statement.body.body, [(header, TRUE)])
        finally:
            self.frames.pop()
        self.link(ends, header)
        after: Pending = [(header, FALSE)]
        if statement.orelse is not None:
            after = self.block(statement.orelse.body.body, after)
        return after + frame.breaks

    def compound_With(self, statement: cst.With, pending: Pending) -> Pending:
        enter = self.step(pending, "with_enter", statement, info=statement)
        frame = _WithFrame(statement, suppresses=_suppresses(statement))
        frame.normal_ends = []
        self.frames.append(frame)
        depth = len(self.frames) - 1
        try:
            ends = self.block(statement.body.body, [(enter, NORMAL)])
        finally:
            self.frames.pop()
        if ends:
            self.frames.append(frame)
            try:
                exit_node = self.cleanup_copy(frame, depth, "normal")
            finally:
                self.frames.pop()
            self.link(ends, exit_node)
            ends = [(exit_node, NORMAL)]
        return ends + frame.swallowed

    def compound_Try(self, statement: Union[cst.Try, cst.TryStar], pending: Pending) -> Pending:
        handlers = []
        for clause in statement.handlers:
            names = exception_names(clause.type)
            info = HandlerInfo(
                names=names,
                catches=classify_handler(names),
                retry_only=bool(names) and all(
                    name in _RETRY_ERRORS or name.rsplit(".", 1)[-1] in _RETRY_ERRORS for name in names
                ),
                name=clause.name.name.value
                if clause.name is not None and isinstance(clause.name.name, cst.Name)
                else None,
            )
            handlers.append((self.add("handler", clause, info), info))
        frame = _TryFrame(statement, handlers)
        frame.normal_ends = []
        self.frames.append(frame)
        depth = len(self.frames) - 1
        try:
            ends = self.block(statement.body.body, pending)
            frame.catching = False
            if statement.orelse is not None:
                ends = self.block(statement.orelse.body.body, ends)
            for (handler_node, _), clause in zip(handlers, statement.handlers):
                ends = ends + self.block(clause.body.body, [(handler_node, NORMAL)])
        finally:
            self.frames.pop()
        if statement.finalbody is None or not ends:
            return ends
        self.frames.append(frame)
        try:
            entry = self.cleanup_copy(frame, depth, "normal")
        finally:
            self.frames.pop()
        self.link(ends, entry)
        return frame.normal_ends

    compound_TryStar = compound_Try

    def compound_Match(self, statement, pending: Pending) -> Pending:
        subject = self.step(pending, "match", statement.subject, info=statement)
        ends: Pending = []
        falls: Pending = [(subject, FALSE)]
        for case in statement.cases:
            case_node = self.step([(subject, TRUE)] + falls, "case", case, info=statement,
                                  raises=case.guard is not None)
            ends += self.block(case.body.body, [(case_node, TRUE)])
            if _irrefutable(case):
                falls = []
                break
            falls = [(case_node, FALSE)]
        return ends + falls


_INERT = (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.Ellipsis)


def _may_raise(expression: Optional[cst.BaseExpression]) -> bool:
    """False for values that cannot raise (`return`, `return None`, `return x`)."""
    if expression is None or isinstance(expression, _INERT):
        return False
    if isinstance(expression, cst.Tuple):
        return any(_may_raise(element.value) for element in expression.elements)
    return True


def _always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0", "0x0", "0o0", "0b0")
    return False


def _suppresses(statement: cst.With) -> bool:
    """`with contextlib.suppress(OSError):` swallows the exceptions of its body."""
    for item in statement.items:
        call = item.item
        if isinstance(call, cst.Call):
            name = dotted_name(call.func) or ""
            if name.rsplit(".", 1)[-1] == "suppress":
                caught = tuple(dotted_name(arg.value) or "?" for arg in call.args)
                if classify_handler(caught) != CATCHES_NONE:
                    return True
    return False


def _irrefutable(case) -> bool:
    pattern = case.pattern
    if case.guard is not None:
        return False
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
        return True  # `case _:` or `case name:`
    return False


def build_cfg(scope: Union[cst.FunctionDef, cst.Module], budget: int = DEFAULT_NODE_BUDGET) -> CFG:
    """The graph of a function's body, or of a module's top-level code."""
    builder = _Builder(budget)
    if isinstance(scope, cst.Module):
        body = scope.body
    else:
        body = scope.body.body if isinstance(scope.body, cst.IndentedBlock) else [scope.body]
    entry = builder.cfg.nodes[builder.cfg.entry]
    ends = builder.block(body, [(entry, NORMAL)])
    builder.link(ends, builder.cfg.nodes[builder.cfg.exit])
    return builder.cfg
