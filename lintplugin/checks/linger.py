"""SKT2xx: abortive close through SO_LINGER.

SKT201 linger-zero: `setsockopt(SOL_SOCKET, SO_LINGER, <l_onoff != 0, l_linger == 0>)`.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional, Tuple

import libcst as cst

from lintplugin.model.facts import FileFacts
from lintplugin.syntax.names import (
    NOT_CONSTANT,
    constant_value,
    defining_expression,
    qualified_name,
    struct_format_of,
)
from lintplugin.syntax.scopes import Scope
from lintplugin.types import Finding

_SO_LINGER = {"socket.SO_LINGER", "_socket.SO_LINGER"}
_INTEGER_CODES = frozenset("bBhHiIlLqQnN")
_FORMAT_ITEM = re.compile(r"\s*(\d*)([a-zA-Z?])\s*")


def check(scope: Scope, facts: FileFacts) -> Iterator[Finding]:
    for call in scope.calls:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "setsockopt"):
            continue
        if len(call.args) != 3 or any(arg.keyword or arg.star for arg in call.args):
            continue
        if qualified_name(call.args[1].value, scope) not in _SO_LINGER:
            continue
        pair = linger_pair(call.args[2].value, scope)
        if pair is None:
            continue
        onoff, linger = pair
        if onoff != 0 and linger == 0:
            yield Finding("SKT201", call, facts.source_of(func.value), {"onoff": onoff})


def linger_pair(node: cst.BaseExpression, scope: Scope) -> Optional[Tuple[int, int]]:
    """(l_onoff, l_linger) of a SO_LINGER value, or None when not known."""
    node, scope = defining_expression(node, scope)
    if isinstance(node, cst.Call):
        packed = struct_format_of(node, scope)
        if packed is not NOT_CONSTANT:
            return _pair_from_pack(*packed)
    value = constant_value(node, scope)
    if isinstance(value, bytes):
        return _pair_from_bytes(value)
    return None


def integer_items(fmt: Any) -> Optional[int]:
    """How many integers a struct format packs, or None if it packs anything else."""
    if isinstance(fmt, bytes):
        try:
            fmt = fmt.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(fmt, str):
        return None
    body = fmt.lstrip()
    if body[:1] in ("@", "=", "<", ">", "!"):
        body = body[1:]
    count = 0
    position = 0
    while position < len(body):
        match = _FORMAT_ITEM.match(body, position)
        if match is None or match.end() == position:
            return None
        repeat, code = match.groups()
        if code not in _INTEGER_CODES:
            return None
        count += int(repeat) if repeat else 1
        position = match.end()
    return count


def _pair_from_pack(fmt: Any, args: Tuple[Any, ...]) -> Optional[Tuple[int, int]]:
    if integer_items(fmt) != 2 or len(args) != 2:
        return None
    if all(isinstance(arg, int) for arg in args):
        return int(args[0]), int(args[1])
    return None


def _pair_from_bytes(value: bytes) -> Optional[Tuple[int, int]]:
    # struct linger is two C ints on POSIX (8 bytes) and two u_shorts on
    # Windows (4 bytes); either byte order gives the same zero/non-zero answer.
    if len(value) not in (4, 8, 16):
        return None
    half = len(value) // 2
    onoff = int.from_bytes(value[:half], "little")
    linger = int.from_bytes(value[half:], "little")
    return onoff, linger
