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

import enum
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from lintplugin.flow.exceptions import (
    Catches,
    HandlerInfo,
    Resolve,
    catches_awaited,
    catches_raised,
    handler_info,
    raised_name,
    suppressed_by,
)
from lintplugin.syntax.walk import NESTED_SCOPES, dotted_name, walk

# Edge kinds (small ints: they sit in every successor tuple of the hot loops).
NORMAL, TRUE, FALSE, EXC, RERAISE = range(5)
NORMAL_EDGES = (NORMAL, TRUE, FALSE)  # the edges of normal (exception-free) paths

DEFAULT_NODE_BUDGET = 250_000

Pending = List[Tuple["Node", int]]  # dangling edges waiting for their target


class NodeKind(str, enum.Enum):
    ENTRY = "entry"
    EXIT = "exit"  # the function returns
    RAISE_EXIT = "raise_exit"  # an exception leaves the function
    STMT = "stmt"  # a simple statement, or a nested def/class binding its name
    RETURN = "return"
    RAISE = "raise"
    BREAK = "break"
    CONTINUE = "continue"
    ASSERT = "assert"
    TEST = "test"  # an `if`/`elif`/`while` test (TRUE/FALSE edges)
    FOR_ITER = "for_iter"  # evaluating a `for` loop's iterable
    FOR = "for"  # a `for` loop's header: TRUE into the body, FALSE when exhausted
    WITH_ENTER = "with_enter"
    WITH_EXIT = "with_exit"  # one copy per way out (`way`); a SUPPRESSED copy has its `handler`
    FINALLY = "finally"  # the entry of one copy of a `finally` body (`way`)
    HANDLER = "handler"  # an `except` clause (`handler`)
    MATCH = "match"
    CASE = "case"


class Way(str, enum.Enum):
    """How control leaves a protected block: each way gets its own copy of
    the `finally` body or `with` exit, so a path keeps the way it came in."""

    NORMAL = "normal"
    RAISE = "raise"
    RETURN = "return"
    BREAK = "break"
    CONTINUE = "continue"
    SUPPRESSED = "suppressed"  # an exception swallowed by `with suppress(...)`


# Nodes that only route control: they evaluate nothing.
ROUTING = frozenset({NodeKind.ENTRY, NodeKind.EXIT, NodeKind.RAISE_EXIT, NodeKind.FINALLY,
                     NodeKind.BREAK, NodeKind.CONTINUE})
EXITS = frozenset({NodeKind.EXIT, NodeKind.RAISE_EXIT})


class AnalysisLimit(Exception):
    """The function is too large for the analysis' bounds."""


class Node:
    """One CFG node. `cst` is the syntax it evaluates: the statement, the
    test expression of a TEST, the `for`/`with`/`try` statement of a loop
    header, `with` entry or exit and `finally` copy, the clause of a HANDLER
    or CASE. `statement` is the compound statement a TEST, FOR_ITER, FOR,
    WITH_ENTER, MATCH or CASE node belongs to."""

    __slots__ = ("index", "kind", "cst", "statement", "handler", "way", "succ", "pred", "loop", "syntax")

    def __init__(self, index: int, kind: NodeKind, node: Optional[cst.CSTNode], loop: int = -1) -> None:
        self.index = index
        self.kind = kind
        self.cst = node
        self.statement: Optional[cst.CSTNode] = None
        self.handler: Optional[HandlerInfo] = None
        self.way: Optional[Way] = None
        self.succ: List[Tuple[int, int]] = []
        self.pred: List[Tuple[int, int]] = []
        self.loop = loop  # header index of the innermost loop whose body holds this node, or -1
        self.syntax = None  # what the node evaluates, collected once by the event model

    @property
    def is_while_test(self) -> bool:
        return self.kind is NodeKind.TEST and isinstance(self.statement, cst.While)

    def __repr__(self) -> str:  # for test failures
        return f"<{self.index}:{self.kind.value}>"


@dataclass
class CFG:
    nodes: List[Node] = field(default_factory=list)
    entry: int = 0
    exit: int = 1
    raise_exit: int = 2

    def in_loop(self, index: int, header: int) -> bool:
        """Whether node `index` lies in the body of the loop headed by `header`."""
        loop = self.nodes[index].loop
        while loop != -1:
            if loop == header:
                return True
            loop = self.nodes[loop].loop
        return False


# -- frames: what a jump (return, break, continue, raise) passes through ---


class _LoopFrame:
    def __init__(self, header: Node) -> None:
        self.header = header
        self.breaks: Pending = []


class _TryFrame:
    def __init__(self, node: Union[cst.Try, cst.TryStar], handlers: List[Tuple[Node, HandlerInfo]]) -> None:
        self.node = node
        self.handlers = handlers
        self.catching = True  # False once the try body is done: handlers do not catch their own raises
        self.copies: Dict[Way, Node] = {}
        self.normal_ends: Pending = []

    @property
    def has_cleanup(self) -> bool:
        return self.node.finalbody is not None


class _WithFrame:
    has_cleanup = True

    def __init__(self, node: cst.With, suppresses: Optional[HandlerInfo]) -> None:
        self.node = node
        self.suppresses = suppresses  # `with suppress(...)`: what it catches
        self.swallowed: Pending = []
        self.copies: Dict[Way, Node] = {}
        self.normal_ends: Pending = []


_Frame = Union[_LoopFrame, _TryFrame, _WithFrame]


class _Builder:
    def __init__(self, budget: int, resolve: Resolve, in_coroutine: bool = False) -> None:
        self.cfg = CFG()
        self.budget = budget
        self.resolve = resolve
        self.in_coroutine = in_coroutine  # `async def`: awaits raise cancellation too
        self.frames: List[_Frame] = []
        self.add(NodeKind.ENTRY)
        self.add(NodeKind.EXIT)
        self.add(NodeKind.RAISE_EXIT)

    # -- graph primitives -------------------------------------------------

    def add(self, kind: NodeKind, node: Optional[cst.CSTNode] = None, statement=None) -> Node:
        if len(self.cfg.nodes) >= self.budget:
            raise AnalysisLimit(f"more than {self.budget} control-flow nodes")
        loop = -1
        for frame in reversed(self.frames):
            if isinstance(frame, _LoopFrame):
                loop = frame.header.index
                break
        created = Node(len(self.cfg.nodes), kind, node, loop)
        created.statement = statement
        self.cfg.nodes.append(created)
        return created

    def link(self, pending: Pending, target: Node) -> None:
        for source, kind in pending:
            edge = (target.index, kind)
            if edge not in source.succ:
                source.succ.append(edge)
                target.pred.append((source.index, kind))

    def step(self, pending: Pending, kind: NodeKind, node: Optional[cst.CSTNode] = None, statement=None,
             raises: bool = True) -> Node:
        """Add a node after `pending`; if it can raise, route its exception."""
        created = self.add(kind, node, statement)
        self.link(pending, created)
        if raises:
            awaits = self.in_coroutine and node is not None and _awaits(node, kind)
            self.jump(Way.RAISE, [(created, EXC)], raised=AWAITED if awaits else None)
        return created

    # -- jumps --------------------------------------------------------------

    def jump(self, way: Way, pending: Pending, depth: Optional[int] = None, raised: Optional[str] = None) -> None:
        """Send `pending` edges where a jump of this `way` goes from frame `depth` out.

        For a `raise` statement, `raised` names the exception class; other
        exceptions are the OSError family that socket calls raise.
        """
        index = len(self.frames) - 1 if depth is None else depth
        while index >= 0:
            frame = self.frames[index]
            if isinstance(frame, _LoopFrame) and way in (Way.BREAK, Way.CONTINUE):
                if way is Way.BREAK:
                    frame.breaks.extend(pending)
                else:
                    self.link(pending, frame.header)
                return
            if way is Way.RAISE and isinstance(frame, _TryFrame) and frame.catching:
                if self._route_to_handlers(frame, pending, raised):
                    return
            if way is Way.RAISE and isinstance(frame, _WithFrame) and frame.suppresses is not None:
                info = frame.suppresses
                catches = _catches(info, raised)
                if catches is not Catches.NONE:
                    self.link(pending, self.cleanup_copy(frame, index, Way.SUPPRESSED))
                if catches is Catches.ALL:
                    return
            if not isinstance(frame, _LoopFrame) and frame.has_cleanup:
                self.link(pending, self.cleanup_copy(frame, index, way))
                return
            index -= 1
        if way is Way.RETURN:
            self.link(pending, self.cfg.nodes[self.cfg.exit])
        elif way is Way.RAISE:
            self.link(pending, self.cfg.nodes[self.cfg.raise_exit])
        # break/continue outside a loop is a SyntaxError Python already reported

    def _route_to_handlers(self, frame: _TryFrame, pending: Pending, raised: Optional[str]) -> bool:
        """Link an exception to the handlers that may catch it; True when one surely does."""
        for handler_node, info in frame.handlers:
            catches = _catches(info, raised)
            if catches is not Catches.NONE:
                self.link(pending, handler_node)
            if catches is Catches.ALL:
                return True
        return False

    def cleanup_copy(self, frame, index: int, way: Way) -> Node:
        """The copy of a `finally` body / `with` exit that a jump of this `way` runs.

        Built once per frame and way; its end carries the jump on outwards.
        """
        if way in frame.copies:
            return frame.copies[way]
        saved = self.frames
        self.frames = saved[:index]  # a cleanup runs outside its own protection
        try:
            if isinstance(frame, _WithFrame):
                entry = self.add(NodeKind.WITH_EXIT, frame.node)
                entry.way = way
                if way is Way.SUPPRESSED:
                    entry.handler = frame.suppresses
                frame.copies[way] = entry
                # __exit__ of a socket does no I/O that raises; of others, it may.
                self.jump(Way.RAISE, [(entry, EXC)])
                ends: Pending = [(entry, NORMAL)]
            else:
                entry = self.add(NodeKind.FINALLY, frame.node)
                entry.way = way
                frame.copies[way] = entry
                ends = self.block(frame.node.finalbody.body.body, [(entry, NORMAL)])
            if way is Way.SUPPRESSED:
                frame.swallowed.extend(ends)
            elif way is not Way.NORMAL:
                # Branch ends keep their kind (a test's false edge carries what
                # the test learnt); plain ends of a raise copy re-raise.
                if way is Way.RAISE:
                    ends = [(node, RERAISE if edge == NORMAL else edge) for node, edge in ends]
                self.jump(way, ends, depth=index - 1)
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
        node = self.step(pending, NodeKind.STMT, statement)
        return [(node, NORMAL)]

    def small_statement(self, small: cst.BaseSmallStatement, pending: Pending) -> Pending:
        if isinstance(small, cst.Pass):
            return pending
        if isinstance(small, cst.Return):
            node = self.step(pending, NodeKind.RETURN, small, raises=_may_raise(small.value))
            self.jump(Way.RETURN, [(node, NORMAL)])
            return []
        if isinstance(small, cst.Raise):
            node = self.step(pending, NodeKind.RAISE, small, raises=False)
            self.jump(Way.RAISE, [(node, EXC)], raised=raised_name(small, self.resolve))
            return []
        if isinstance(small, (cst.Break, cst.Continue)):
            is_break = isinstance(small, cst.Break)
            way, kind = (Way.BREAK, NodeKind.BREAK) if is_break else (Way.CONTINUE, NodeKind.CONTINUE)
            node = self.step(pending, kind, small, raises=False)
            self.jump(way, [(node, NORMAL)])
            return []
        if isinstance(small, cst.Assert):
            node = self.step(pending, NodeKind.ASSERT, small)
            return [(node, NORMAL)]
        if isinstance(small, (cst.Global, cst.Nonlocal)):
            return pending
        node = self.step(pending, NodeKind.STMT, small)
        return [(node, NORMAL)]

    def compound_If(self, statement: cst.If, pending: Pending) -> Pending:
        test = self.step(pending, NodeKind.TEST, statement.test, statement=statement)
        ends = self.block(statement.body.body, [(test, TRUE)])
        orelse = statement.orelse
        if orelse is None:
            return ends + [(test, FALSE)]
        if isinstance(orelse, cst.If):
            return ends + self.compound_If(orelse, [(test, FALSE)])
        return ends + self.block(orelse.body.body, [(test, FALSE)])

    def compound_While(self, statement: cst.While, pending: Pending) -> Pending:
        test = self.step(pending, NodeKind.TEST, statement.test, statement=statement)
        frame = _LoopFrame(test)
        self.frames.append(frame)
        try:
            ends = self.block(statement.body.body, [(test, TRUE)])
        finally:
            self.frames.pop()
        self.link(ends, test)
        after = [] if always_true(statement.test) else [(test, FALSE)]
        if statement.orelse is not None:
            after = self.block(statement.orelse.body.body, after)
        return after + frame.breaks

    def compound_For(self, statement: cst.For, pending: Pending) -> Pending:
        iterable = self.step(pending, NodeKind.FOR_ITER, statement.iter, statement=statement)
        header = self.step([(iterable, NORMAL)], NodeKind.FOR, statement, statement=statement)
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
        enter = self.step(pending, NodeKind.WITH_ENTER, statement, statement=statement)
        frame = _WithFrame(statement, suppresses=suppressed_by(statement, self.resolve))
        self.frames.append(frame)
        depth = len(self.frames) - 1
        try:
            ends = self.block(statement.body.body, [(enter, NORMAL)])
        finally:
            self.frames.pop()
        if ends:
            self.frames.append(frame)
            try:
                exit_node = self.cleanup_copy(frame, depth, Way.NORMAL)
            finally:
                self.frames.pop()
            self.link(ends, exit_node)
            ends = [(exit_node, NORMAL)]
        return ends + frame.swallowed

    def compound_Try(self, statement: Union[cst.Try, cst.TryStar], pending: Pending) -> Pending:
        handlers = []
        for clause in statement.handlers:
            node = self.add(NodeKind.HANDLER, clause)
            node.handler = handler_info(clause, self.resolve)
            handlers.append((node, node.handler))
        frame = _TryFrame(statement, handlers)
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
            entry = self.cleanup_copy(frame, depth, Way.NORMAL)
        finally:
            self.frames.pop()
        self.link(ends, entry)
        return frame.normal_ends

    compound_TryStar = compound_Try

    def compound_Match(self, statement, pending: Pending) -> Pending:
        subject = self.step(pending, NodeKind.MATCH, statement.subject, statement=statement)
        ends: Pending = []
        falls: Pending = [(subject, FALSE)]
        for case in statement.cases:
            case_node = self.step([(subject, TRUE)] + falls, NodeKind.CASE, case, statement=statement,
                                  raises=case.guard is not None)
            ends += self.block(case.body.body, [(case_node, TRUE)])
            if _irrefutable(case):
                falls = []
                break
            falls = [(case_node, FALSE)]
        return ends + falls


# `raised` for a node that awaits: what it raises is not only OSError.
AWAITED = "<awaited>"


def _catches(info: HandlerInfo, raised: Optional[str]) -> Catches:
    if raised is None:
        return info.catches
    if raised is AWAITED:
        return catches_awaited(info.names)
    return catches_raised(info.names, raised)


def _awaits(node: cst.CSTNode, kind: NodeKind) -> bool:
    """Whether a node awaits (an `await`, `async with` or `async for`)."""
    if kind in (NodeKind.WITH_ENTER, NodeKind.FOR) and getattr(node, "asynchronous", None) is not None:
        return True
    if kind is NodeKind.FOR or kind is NodeKind.WITH_ENTER:
        return False
    return any(isinstance(current, cst.Await) for current in walk([node], NESTED_SCOPES))


_INERT = (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.Ellipsis)


def _may_raise(expression: Optional[cst.BaseExpression]) -> bool:
    """False for values that cannot raise (`return`, `return None`, `return x`)."""
    if expression is None or isinstance(expression, _INERT):
        return False
    if isinstance(expression, cst.Tuple):
        return any(_may_raise(element.value) for element in expression.elements)
    return True


def always_true(test: cst.BaseExpression) -> bool:
    """`while True:` and `while 1:`: the loop ends only by a jump."""
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0", "0x0", "0o0", "0b0")
    return False


def _irrefutable(case) -> bool:
    pattern = case.pattern
    if case.guard is not None:
        return False
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
        return True  # `case _:` or `case name:`
    return False


def build_cfg(
    scope: Union[cst.FunctionDef, cst.Module], budget: Optional[int] = None, resolve: Resolve = dotted_name
) -> CFG:
    """The graph of a function's body, or of a module's top-level code.

    Raises AnalysisLimit past `budget` nodes (default: DEFAULT_NODE_BUDGET,
    read at each call so that tests can lower it). `resolve` names exception
    classes with their import spellings resolved."""
    in_coroutine = isinstance(scope, cst.FunctionDef) and scope.asynchronous is not None
    builder = _Builder(DEFAULT_NODE_BUDGET if budget is None else budget, resolve, in_coroutine)
    if isinstance(scope, cst.Module):
        body = scope.body
    else:
        body = scope.body.body if isinstance(scope.body, cst.IndentedBlock) else [scope.body]
    entry = builder.cfg.nodes[builder.cfg.entry]
    ends = builder.block(body, [(entry, NORMAL)])
    builder.link(ends, builder.cfg.nodes[builder.cfg.exit])
    return builder.cfg
