"""Branch tests the rules understand: end-of-file tests and None-tests.

An end-of-file test is true (or false) when a receive returned b'' (or 0
bytes): `not data`, `data == b''`, `len(data) == 0`, `n <= 0`, or the receive
itself as the test (`while conn.recv(4096):`, walrus loops). A None-test
says on which branch a name holds None (`if sock is not None:`). Both are
decided from the syntax of the test alone; which receive assigned a data
name is the event model's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import libcst as cst

from lintplugin.flow.cfg import FALSE, TRUE
from lintplugin.syntax.walk import dotted_name, is_empty_string, is_integer, is_none

# receive_of(expression) -> (socket, call) when the expression is a receive
ReceiveOf = Callable[[cst.BaseExpression], Optional[Tuple[str, cst.Call]]]


@dataclass
class EofTest:
    """A branch test that is true (or false) when a receive returned b''."""

    data: Optional[str]  # the data name tested, or None when the receive is in the test
    eof_edge: int  # TRUE or FALSE: the edge taken on end-of-file
    receive: Optional[cst.Call] = None  # when the receive call sits in the test itself
    socket: Optional[str] = None
    # "str" or "bytes" when the test compares with an empty literal of that
    # type: `data == ''` is never true for bytes (the event model decides).
    literal: Optional[str] = None
    never_true: bool = False  # the comparison can never hold: the edge above is simply always taken


def no_receive(expression: cst.BaseExpression) -> None:
    """For questions about data names only."""
    return None


def eof_test(test: cst.BaseExpression, receive_of: ReceiveOf = no_receive) -> Optional[EofTest]:
    """Which edge of `test` is taken when the tested receive returned end-of-file."""
    # `x := conn.recv(n)` or a bare `conn.recv(n)` as the whole test: false on b''
    inner = test.value if isinstance(test, cst.NamedExpr) else test
    data = test.target.value if isinstance(test, cst.NamedExpr) and isinstance(test.target, cst.Name) else None
    received = receive_of(inner)
    if received is not None:
        return EofTest(data=data, eof_edge=FALSE, receive=received[1], socket=received[0])
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        flipped = eof_test(test.expression, receive_of)
        if flipped is not None and flipped.receive is not None:
            # `if not conn.recv(1):` / `if not (data := conn.recv(n)):`
            flipped.eof_edge = TRUE if flipped.eof_edge == FALSE else FALSE
            return flipped
    compared = _comparison(test, receive_of)
    if compared is not None:
        return compared
    truthiness = _tested_name(test)
    if truthiness is not None:
        name, eof_when_true = truthiness
        return EofTest(data=name, eof_edge=TRUE if eof_when_true else FALSE)
    if isinstance(test, cst.BooleanOperation):
        # `a or not data`: end-of-file makes the whole test true; `a and data`:
        # false. The other combination (`isinstance(data, bytes) and
        # len(data) == 0`) is what the author meant as the end-of-file branch.
        certain = TRUE if isinstance(test.operator, cst.Or) else FALSE
        parts = [eof_test(side, receive_of) for side in (test.left, test.right)]
        parts = [part for part in parts if part is not None]
        for part in parts:
            if part.eof_edge == certain:
                return part
        return parts[0] if parts else None
    return None


def none_tests(test: cst.BaseExpression) -> List[Tuple[str, int]]:
    """(name, edge on which `name` is None) for `x is None`, `x is not None`,
    `x`, `not x` and `and`-chains of them (`if sock is not None and ...:`);
    names may be attribute chains (`if self.sock is not None:`)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        # the false edge of `a and b` says nothing certain about either side
        return [(name, edge) for name, edge in none_tests(test.left) + none_tests(test.right) if edge == FALSE]
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return [(name, edge) for name, edge in none_tests(test.left) + none_tests(test.right) if edge == TRUE]
    if isinstance(test, (cst.Name, cst.Attribute)):
        name = dotted_name(test)
        return [(name, FALSE)] if name is not None and name not in ("True", "False", "None") else []
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return [(name, TRUE if edge == FALSE else FALSE) for name, edge in none_tests(test.expression)]
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        left, right = test.left, target.comparator
        subject = left if is_none(right) else right if is_none(left) else None
        name = dotted_name(subject) if isinstance(subject, (cst.Name, cst.Attribute)) else None
        if name is not None:
            if isinstance(target.operator, (cst.Is, cst.Equal)):
                return [(name, TRUE)]
            if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                return [(name, FALSE)]
    return []


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
    stripped = _emptiness_kept(test)
    if stripped is not None:
        return stripped, False  # `if data.strip():` is false on b'' too
    return None


def _comparison(test: cst.BaseExpression, receive_of: ReceiveOf) -> Optional[EofTest]:
    """`data == b''`, `len(data) == 0`, `n <= 0`, `(data := s.recv(n)) != b''`,
    `s.recv(n) == b''`: which edge is taken on end-of-file."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    left, right, op = test.left, target.comparator, target.operator
    for subject, other, flipped in ((left, right, False), (right, left, True)):
        is_length = _length_of(subject) is not None
        name, receive, socket = _compared_subject(subject, receive_of)
        if name is None and receive is None:
            continue
        eof_when_true = _true_on_empty(op, other, is_length, flipped)
        if eof_when_true is None:
            continue
        literal = _literal_kind(other)
        return EofTest(data=name, eof_edge=TRUE if eof_when_true else FALSE, receive=receive, socket=socket,
                       literal=literal)
    return None


def _compared_subject(subject, receive_of: ReceiveOf):
    """(data name, receive call, socket) of one side of a comparison."""
    length = _length_of(subject)
    if length is not None:
        return length, None, None
    if isinstance(subject, cst.Name):
        return subject.value, None, None
    name = None
    if isinstance(subject, cst.NamedExpr) and isinstance(subject.target, cst.Name):
        name, subject = subject.target.value, subject.value
    received = receive_of(subject)
    if received is not None:
        return name, received[1], received[0]
    return name, None, None


def _true_on_empty(op, other, is_length: bool, flipped: bool) -> Optional[bool]:
    """Whether the comparison is true when its subject is empty (None: not an end-of-file test)."""
    empty = is_empty_string(other)
    zero = is_integer(other, "0", "0x0")
    if isinstance(op, (cst.Equal, cst.Is)) and (empty or zero):
        return True
    if isinstance(op, (cst.NotEqual, cst.IsNot)) and (empty or zero):
        return False
    if (is_length or zero) and not flipped:
        if isinstance(op, cst.GreaterThan) and zero:
            return False  # len(data) > 0
        if isinstance(op, cst.LessThan) and is_integer(other, "1"):
            return True  # len(data) < 1
        if isinstance(op, cst.LessThanEqual) and zero:
            return True  # n <= 0
    return None


def _literal_kind(node) -> Optional[str]:
    if not is_empty_string(node):
        return None
    return "bytes" if "b" in node.value.split(node.value[-1], 1)[0].lower() else "str"


# Methods whose result is empty when the bytes are: a test of the result is a test of them.
_KEEPS_EMPTY = frozenset({"strip", "rstrip", "lstrip", "decode", "lower", "upper", "splitlines"})


def _emptiness_kept(node: cst.BaseExpression) -> Optional[str]:
    if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _KEEPS_EMPTY and isinstance(node.func.value, cst.Name)):
        return node.func.value.value
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
