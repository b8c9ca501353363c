"""What an expression stands for: import spellings, aliases and constants.

`qualified_name` turns `s.SO_LINGER` (after `import socket as s`),
`SO_LINGER` (after `from socket import *`) or `opt` (after
`opt = socket.SO_LINGER`) into "socket.SO_LINGER". `constant_value` folds
literals, module and local constants, tuples unpacked into names and
`struct.pack(...)` into Python values. Both give up (return None / NOT_CONSTANT)
rather than guess: a name bound more than once, a parameter, anything
computed at run time. Rules stay silent on what cannot be resolved.
"""

from __future__ import annotations

import ast
import struct
from functools import lru_cache
from typing import Any, FrozenSet, Optional, Tuple

import libcst as cst

from lintplugin.syntax.scopes import Binding, BindingKind, Scope

NOT_CONSTANT: Any = object()
_MAX_DEPTH = 12  # alias chains longer than this are not followed


@lru_cache(maxsize=None)
def module_exports(module: str) -> FrozenSet[str]:
    """Names a `from MODULE import *` can bring in, for the modules we care about."""
    if module not in _STAR_MODULES:
        return frozenset()
    imported = __import__(module)
    names = getattr(imported, "__all__", None)
    if names is None:
        names = [name for name in dir(imported) if not name.startswith("_")]
    return frozenset(names)


_STAR_MODULES = frozenset({"socket", "ssl", "struct", "time", "select", "selectors", "errno"})


def single_binding(name: str, scope: Scope) -> Tuple[Optional[Binding], Optional[Scope]]:
    """The only binding of `name` visible from `scope`, or (None, None)."""
    for candidate in scope.lookup_scopes():
        bindings = candidate.bindings.get(name)
        if bindings:
            if len(bindings) == 1:
                return bindings[0], candidate
            return None, None
        for module in candidate.star_imports:
            if name in module_exports(module):
                return Binding(BindingKind.IMPORT, qualified=f"{module}.{name}"), candidate
    return None, None


def defining_expression(node: cst.BaseExpression, scope: Scope) -> Tuple[cst.BaseExpression, Scope]:
    """Follow a name to the one expression assigned to it (`LINGER = pack(...)`)."""
    for _ in range(_MAX_DEPTH):
        if not isinstance(node, cst.Name):
            break
        binding, where = single_binding(node.value, scope)
        if binding is None or binding.kind is not BindingKind.VALUE or binding.index is not None:
            break
        node, scope = binding.value, where
    return node, scope


def qualified_name(node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Optional[str]:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, cst.Name):
        binding, where = single_binding(node.value, scope)
        if binding is None:
            return None
        if binding.kind is BindingKind.IMPORT:
            return binding.qualified
        if binding.kind is BindingKind.VALUE and binding.index is None and binding.value is not None:
            return qualified_name(binding.value, where, depth + 1)
        return None
    if isinstance(node, cst.Attribute):
        base = qualified_name(node.value, scope, depth + 1)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _literal(node: cst.BaseExpression) -> Any:
    try:
        return ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return NOT_CONSTANT


def constant_value(node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Any:
    """The value `node` always has, or NOT_CONSTANT."""
    if depth > _MAX_DEPTH:
        return NOT_CONSTANT
    if isinstance(node, (cst.Integer, cst.SimpleString, cst.ConcatenatedString)):
        return _literal(node)
    if isinstance(node, cst.Name):
        if node.value in ("True", "False"):
            return node.value == "True"
        return _name_value(node.value, scope, depth)
    if isinstance(node, cst.UnaryOperation):
        operand = constant_value(node.expression, scope, depth + 1)
        if operand is not NOT_CONSTANT and isinstance(operand, int):
            return _unary(node.operator, operand)
        return NOT_CONSTANT
    if isinstance(node, (cst.Tuple, cst.List)):
        return _sequence_value(node.elements, scope, depth)
    if isinstance(node, cst.Call):
        return _call_value(node, scope, depth)
    return NOT_CONSTANT


def _unary(operator: cst.BaseUnaryOp, operand: int) -> Any:
    if isinstance(operator, cst.Minus):
        return -operand
    if isinstance(operator, cst.Plus):
        return +operand
    if isinstance(operator, cst.BitInvert):
        return ~operand
    if isinstance(operator, cst.Not):
        return not operand
    return NOT_CONSTANT


def _name_value(name: str, scope: Scope, depth: int) -> Any:
    binding, where = single_binding(name, scope)
    if binding is None or binding.kind is not BindingKind.VALUE or binding.value is None:
        return NOT_CONSTANT
    value = constant_value(binding.value, where, depth + 1)
    if binding.index is None:
        return value
    if isinstance(value, tuple) and binding.index < len(value):
        return value[binding.index]
    return NOT_CONSTANT


def _sequence_value(elements, scope: Scope, depth: int) -> Any:
    return _expanded(
        ((element.value, isinstance(element, cst.StarredElement)) for element in elements), scope, depth
    )


def call_arguments(call: cst.Call, scope: Scope, depth: int = 0) -> Any:
    """Positional arguments of `call` as a tuple of constants (`*consts` expanded)."""
    if any(arg.keyword is not None or arg.star == "**" for arg in call.args):
        return NOT_CONSTANT
    return _expanded(((arg.value, arg.star == "*") for arg in call.args), scope, depth)


def _expanded(items, scope: Scope, depth: int) -> Any:
    """(expression, starred) items as one tuple of constants, or NOT_CONSTANT."""
    values = []
    for expression, starred in items:
        value = constant_value(expression, scope, depth + 1)
        if value is NOT_CONSTANT or (starred and not isinstance(value, tuple)):
            return NOT_CONSTANT
        if starred:
            values.extend(value)
        else:
            values.append(value)
    return tuple(values)


def struct_format_of(call: cst.Call, scope: Scope, depth: int = 0) -> Any:
    """The format a `struct.pack(fmt, ...)`, `struct.Struct(fmt).pack(...)` or
    `packer.pack(...)` call packs with, and the arguments it packs."""
    func = call.func
    if qualified_name(func, scope) == "struct.pack":
        args = call_arguments(call, scope, depth)
        if args is NOT_CONSTANT or not args:
            return NOT_CONSTANT
        return args[0], args[1:]
    if isinstance(func, cst.Attribute) and func.attr.value == "pack":
        packer = _struct_constructor(func.value, scope, depth)
        if packer is not None:
            fmt = call_arguments(packer, scope, depth)
            args = call_arguments(call, scope, depth)
            if fmt is NOT_CONSTANT or args is NOT_CONSTANT or len(fmt) != 1:
                return NOT_CONSTANT
            return fmt[0], args
    return NOT_CONSTANT


def _struct_constructor(node: cst.BaseExpression, scope: Scope, depth: int) -> Optional[cst.Call]:
    """The `struct.Struct(fmt)` call `node` is, directly or through one name."""
    if isinstance(node, cst.Name):
        binding, where = single_binding(node.value, scope)
        if binding is None or binding.kind is not BindingKind.VALUE or binding.index is not None:
            return None
        node, scope = binding.value, where
    if isinstance(node, cst.Call) and qualified_name(node.func, scope) == "struct.Struct":
        return node
    return None


def _call_value(call: cst.Call, scope: Scope, depth: int) -> Any:
    packed = struct_format_of(call, scope, depth)
    if packed is NOT_CONSTANT:
        return NOT_CONSTANT
    fmt, args = packed
    try:
        return struct.pack(fmt, *args)
    except (struct.error, TypeError, ValueError, OverflowError):
        return NOT_CONSTANT
