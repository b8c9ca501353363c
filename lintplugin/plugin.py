"""The flake8 entry point. Nothing raised inside the analysis leaves here."""

from __future__ import annotations

import ast
from typing import Iterator, Optional, Sequence, Tuple

from lintplugin import __version__
from lintplugin.catalogue import RULES
from lintplugin.engine import Options, analyse


class SocketCloseChecker:
    name = "flake8-socket-close"
    version = __version__

    options = Options()

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str = "") -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager) -> None:
        option_manager.add_option(
            "--skt-docs-url",
            default=None,
            parse_from_config=True,
            metavar="TEMPLATE",
            help=(
                "Link reports to your own copy of the rule pages, e.g. "
                "'https://wiki.example.com/skt/{code}.html' ({code} and {name} are "
                "replaced). Default: each rule's public reference."
            ),
        )
        disabled = [code for code, rule in RULES.items() if not rule.enabled_by_default]
        if disabled:
            option_manager.extend_default_ignore(disabled)

    @classmethod
    def parse_options(cls, options) -> None:
        cls.options = Options(docs_url=_valid_template(getattr(options, "skt_docs_url", None)))

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        for report in analyse(self.tree, self.lines, self.options):
            yield report.line, report.col, report.text, type(self)


def _valid_template(template: Optional[str]) -> Optional[str]:
    """A docs template that formats; a broken one falls back to public links."""
    if not template:
        return None
    try:
        template.format(code="SKT000", name="x")
    except (KeyError, IndexError, ValueError):
        return None
    return template
