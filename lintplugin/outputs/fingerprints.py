"""Where a finding is, in terms that survive edits elsewhere in the file.

A baseline entry and a SARIF fingerprint must still match a finding after
lines are inserted above it, so neither may use line numbers. They use the
enclosing function or class and the statement's own text, with whitespace
and comments normalised away. Only flake8's `ast` tree is needed (no libcst).
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from bisect import bisect_right
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

MODULE_SCOPE = "<module>"
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_LAYOUT_TOKENS = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


class Place(NamedTuple):
    scope: str  # dotted names of the enclosing classes and functions, or <module>
    statement: str  # the statement's normalised text (a compound statement's header only)


class _Span(NamedTuple):
    first: Tuple[int, int]  # (line, column in characters) where the text starts
    last: Tuple[int, int]  # where it ends (exclusive)
    scope: str


class StatementIndex:
    """The statements of one file, to look up the one a report points at."""

    def __init__(self, tree: Optional[ast.AST], lines: Sequence[str]) -> None:
        self.lines = lines
        self._spans: List[_Span] = []
        if isinstance(tree, ast.Module):
            self._collect(tree)
        self._spans.sort(key=lambda span: (span.first, _negated(span.last)))
        self._starts = [span.first[0] for span in self._spans]

    def place(self, line: int, col: int = 0) -> Place:
        """The place of a report at `line` and (0-based, character) `col`."""
        span = self._innermost((line, col))
        if span is None:
            return Place(MODULE_SCOPE, normalise(self._line(line)))
        return Place(span.scope, normalise(self._text(span)))

    def _innermost(self, position: Tuple[int, int]) -> Optional[_Span]:
        # Spans nest and are sorted by start, so the innermost one holding the
        # position is the last-starting one among those that hold it.
        for index in range(bisect_right(self._starts, position[0]) - 1, -1, -1):
            span = self._spans[index]
            if span.first <= position <= span.last:
                return span
        return None

    def _collect(self, tree: ast.Module) -> None:
        pending: List[Tuple[ast.AST, str]] = [(tree, MODULE_SCOPE)]
        while pending:
            node, scope = pending.pop()
            inner = scope
            if isinstance(node, _SCOPES):
                inner = node.name if scope == MODULE_SCOPE else f"{scope}.{node.name}"
            if isinstance(node, (ast.stmt, ast.excepthandler)):
                self._spans.append(self._span_of(node, scope))
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.stmt, ast.excepthandler)):
                    pending.append((child, inner))
                elif not isinstance(child, (ast.expr, ast.expr_context)):
                    pending.append((child, inner))  # match cases and the like hold statements

    def _span_of(self, node: ast.AST, scope: str) -> _Span:
        first = (node.lineno, self._column(node.lineno, node.col_offset))
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and hasattr(body[0], "lineno"):
            # A compound statement is known by its header: editing its body
            # must not make a finding on the header line look new.
            head = body[0]
            last = (head.lineno, self._column(head.lineno, head.col_offset))
        else:
            end_line = getattr(node, "end_lineno", None) or node.lineno
            end_col = getattr(node, "end_col_offset", None)
            last = (end_line, self._column(end_line, end_col) if end_col is not None else len(self._line(end_line)))
        return _Span(first, last, scope)

    def _line(self, number: int) -> str:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def _column(self, line: int, byte_offset: int) -> int:
        """ast columns count UTF-8 bytes; text slicing needs characters."""
        text = self._line(line)
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))

    def _text(self, span: _Span) -> str:
        (first_line, first_col), (last_line, last_col) = span.first, span.last
        if first_line == last_line:
            return self._line(first_line)[first_col:last_col]
        parts = [self._line(first_line)[first_col:]]
        parts.extend(self._line(number) for number in range(first_line + 1, last_line))
        parts.append(self._line(last_line)[:last_col])
        return "".join(parts)


def normalise(text: str) -> str:
    """The statement's tokens with canonical spacing: re-indenting,
    re-wrapping, re-spacing or commenting it does not change it."""
    out: List[str] = []
    previous: Optional[tokenize.TokenInfo] = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text.strip() + "\n").readline):
            if token.type in _LAYOUT_TOKENS:
                continue
            if previous is not None and _spaced(previous, token):
                out.append(" ")
            out.append(token.string)
            previous = token
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return " ".join(text.split())
    return "".join(out)


_NO_SPACE_BEFORE = frozenset({")", "]", "}", ",", ":", ".", ";"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", ".", "~"})


def _spaced(previous: tokenize.TokenInfo, token: tokenize.TokenInfo) -> bool:
    if token.string in _NO_SPACE_BEFORE or previous.string in _NO_SPACE_AFTER:
        return False
    if token.string in ("(", "["):
        # A call or a subscript hugs what it applies to; a keyword does not.
        applies = previous.type in (tokenize.NAME, tokenize.STRING) or previous.string in (")", "]", "}")
        return not applies or keyword.iskeyword(previous.string)
    return True


def _negated(position: Tuple[int, int]) -> Tuple[int, int]:
    return (-position[0], -position[1])


def places(
    tree: Optional[ast.AST], lines: Sequence[str], positions: Sequence[Tuple[int, int]]
) -> Dict[Tuple[int, int], Place]:
    """The place of each (line, col) of one file's reports, from one index."""
    if not positions:
        return {}
    index = StatementIndex(tree, lines)
    return {position: index.place(*position) for position in set(positions)}
