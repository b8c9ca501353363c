"""Plain types that every layer passes around. Imports nothing from the package."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, FrozenSet, Mapping, Optional


@dataclass(frozen=True)
class Options:
    docs_url: Optional[str] = None  # `--skt-docs-url`: a template with {code} and {name}


@dataclass(frozen=True)
class Finding:
    """What a check found, before it has a position, a message and a link.

    `node` is the libcst node the report is placed on; `subject` is the
    socket it names ("conn", "self.sock"); `fields` fill in the rest of the
    rule's message template (see catalogue.py).
    """

    code: str
    node: Any
    subject: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """One line of flake8 output for a file."""

    line: int
    col: int  # 0-based, as flake8 expects from plugins
    text: str  # "SKT101 message (link)"

    @property
    def code(self) -> str:
        return self.text.split(" ", 1)[0]


@dataclass(frozen=True)
class ClassSummary:
    """What a whole class does with the attributes on `self`, read from
    flake8's `ast` tree by the gate (the libcst copy holds only the methods
    with socket code)."""

    released: FrozenSet[str]  # "self.x" that some method closes, returns, hands on or stores elsewhere
    half_open: bool  # an asyncio protocol whose eof_received() returns a true value
    closed_elsewhere: FrozenSet[str] = frozenset()  # attribute names the module closes on other objects
