"""Walking libcst trees cheaply, and the small questions every layer asks of them.

libcst's own visitors rebuild every node they pass and recurse; the analysis
walks large functions many times, so it reads the dataclass fields that hold
code instead (several times cheaper, no recursion limit) and stops at nested
scopes, which are analysed on their own.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

# A nested function, class or lambda is a scope of its own: walks of one
# scope stop at them.
NESTED_SCOPES: Tuple[type, ...] = (cst.Lambda, cst.FunctionDef, cst.ClassDef)

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
_NODE_TYPES: Dict[type, bool] = {}


def syntax_children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """A node's sub-nodes that hold code, in source order."""
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


def _is_node_type(kind: type) -> bool:
    # isinstance() against libcst's abstract base class is slow; types are few.
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


def walk(roots: Iterable[cst.CSTNode], stop_at: Tuple[type, ...] = NESTED_SCOPES) -> Iterator[cst.CSTNode]:
    """Every node under `roots` in source order (pre-order); a node of a
    `stop_at` type is yielded, but not entered."""
    stop = frozenset(stop_at)
    stack = list(reversed(list(roots)))
    while stack:
        current = stack.pop()
        yield current
        if type(current) not in stop:
            stack.extend(reversed(syntax_children(current)))


def dotted_name(node: cst.CSTNode) -> Optional[str]:
    """`a.b.c` as text, for Name/Attribute chains only (None for anything else)."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def bound_names(target: cst.CSTNode) -> List[str]:
    """The names (and dotted attributes, `self.sock`) an assignment target binds."""
    if isinstance(target, (cst.Tuple, cst.List)):
        names: List[str] = []
        for element in target.elements:
            names.extend(bound_names(element.value))
        return names
    if isinstance(target, cst.StarredElement):
        return bound_names(target.value)
    name = dotted_name(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
    return [name] if name else []


def named_parameters(params: cst.Parameters) -> Sequence[cst.Param]:
    """Positional-only, ordinary and keyword-only parameters (not *args, **kwargs)."""
    return list(params.posonly_params) + list(params.params) + list(params.kwonly_params)


def all_parameters(params: cst.Parameters) -> Sequence[cst.Param]:
    found = list(named_parameters(params))
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def called_name(call: cst.Call) -> Optional[str]:
    """`m` for `x.m(...)` or `m(...)`."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def call_text(node: cst.CSTNode) -> str:
    """`recv()` for `conn.recv(n)`: how a message names a call."""
    name = called_name(node) if isinstance(node, cst.Call) else None
    return f"{name}()" if name is not None else "the call"


def method_of(call: cst.BaseExpression) -> Optional[str]:
    """`m` for `x.m(...)`, None for a plain function call or anything else."""
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    return None


def is_none(node: Optional[cst.CSTNode]) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def is_empty_string(node: Optional[cst.CSTNode]) -> bool:
    """`b''`, `''`, `""` and their triple-quoted forms."""
    return isinstance(node, cst.SimpleString) and node.value.lstrip("bBrRuU") in ('""', "''", '""""""', "''''''")


def is_integer(node: Optional[cst.CSTNode], *values: str) -> bool:
    return isinstance(node, cst.Integer) and node.value in values


def unawaited(value: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`x` for `await x`: an awaited call is judged like the call."""
    return value.expression if isinstance(value, cst.Await) else value
