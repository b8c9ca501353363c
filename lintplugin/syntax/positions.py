"""Where nodes start, computed in one lean code-generation pass.

libcst's PositionProvider tracks line and column on every token and builds
start and end ranges for every node; it costs several times a plain
code generation. Reports need only start positions, so this pass records
each node's start (after the whitespace it owns, as PositionProvider's
syntactic positions do) and counts lines lazily, only when a node starts.
It runs only for files with something to report.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")

# Nodes no report is ever placed on: leaving them out keeps the table of
# starts (one entry per node otherwise) a fraction of the tree's size.
_NEVER_REPORTED = frozenset({
    cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline,
    cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
    cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.AssignEqual, cst.Comment,
    cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Modulo, cst.Equal, cst.NotEqual, cst.LessThan,
    cst.GreaterThan, cst.Is, cst.IsNot, cst.In, cst.NotIn, cst.And, cst.Or, cst.Not, cst.AddAssign,
    cst.ImportStar, cst.Asynchronous, cst.Annotation,
})


class _StartRecordingState(CodegenState):
    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.starts: Dict[int, Tuple[int, int]] = {}
        self._scanned = 0
        self._line = 1
        self._column = 0

    def _here(self) -> Tuple[int, int]:
        tokens = self.tokens
        for index in range(self._scanned, len(tokens)):
            token = tokens[index]
            if "\n" in token or "\r" in token:
                segments = _NEWLINE.split(token)
                self._line += len(segments) - 1
                self._column = len(segments[-1])
            else:
                self._column += len(token)
        self._scanned = len(tokens)
        return self._line, self._column

    def before_codegen(self, node: cst.CSTNode) -> None:
        if type(node) not in _NEVER_REPORTED:  # whitespace and punctuation: most of the nodes
            self.starts[id(node)] = self._here()

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> Iterator[None]:
        # The node's syntactic start: after the leading lines and whitespace it owns.
        if start_node is not None and id(start_node) in self.starts:
            self.starts[id(node)] = self.starts[id(start_node)]
        else:
            self.starts[id(node)] = self._here()
        yield


def node_starts(module: cst.Module) -> Dict[int, Tuple[int, int]]:
    """(line, column) where each node of `module` starts, keyed by id(node)."""
    state = _StartRecordingState(module)
    module._codegen(state)
    return state.starts
