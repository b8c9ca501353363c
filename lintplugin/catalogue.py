"""Every rule code's metadata, in one place.

Checks, the flake8 shell, the CLI, rule pages and the consistency test all
read from here, so a code cannot exist in one of them and not the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # one line, for `lintplugin rules` and SARIF short descriptions
    link: Optional[str]  # best public explanation; None when no public page fits
    enabled_by_default: bool = True

    @property
    def family(self) -> str:
        return self.code[:4]


RULES: Dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            code="SKT201",
            name="linger-zero",
            summary="SO_LINGER with l_onoff=1, l_linger=0 turns close() into an abortive reset (RST).",
            link=(
                "https://learn.microsoft.com/en-us/windows/win32/winsock/"
                "graceful-shutdown-linger-options-and-socket-closure-2"
            ),
        ),
        Rule(
            code="SKT900",
            name="not-analysed",
            summary="The file could not be analysed (unparsable for libcst, or an analysis limit was hit).",
            link=None,
        ),
    )
}

DEFAULT_DOCS_URL: Optional[str] = None  # None: each rule's public link


def rule_link(code: str, docs_url_template: Optional[str] = None) -> str:
    """The explanation a report points to.

    An organisation can serve its own copy of `rules/` and set a template
    such as ``https://wiki.example/skt/{code}.html``; otherwise the rule's
    public reference is used, and codes without one point to the offline
    page every installation carries.
    """
    rule = RULES[code]
    if docs_url_template:
        return docs_url_template.format(code=rule.code, name=rule.name)
    if rule.link:
        return rule.link
    return f"run: lintplugin explain {rule.code}"
