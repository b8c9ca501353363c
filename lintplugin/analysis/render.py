"""From findings to reports: positions, one report per code and line, messages and links.

Reports of one code for several sockets on one line are merged into one
that names them all (rules-spec.md); the message is the rule's template
from the catalogue, filled in with the finding's fields, and every report
ends with the link that explains it.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

from lintplugin.catalogue import RULES, rule_link
from lintplugin.types import Finding, Options, Report


def render(
    findings: Sequence[Finding], position_of: Callable[[object], Tuple[int, int]], options: Options
) -> List[Report]:
    merged: Dict[Tuple[int, str], Tuple[int, Finding, List[str]]] = {}
    for finding in findings:
        line, col = position_of(finding.node)
        key = (line, finding.code)
        if key not in merged:
            merged[key] = (col, finding, [finding.subject])
            continue
        first_col, first, subjects = merged[key]
        if finding.subject not in subjects:
            subjects.append(finding.subject)
        merged[key] = (min(first_col, col), first, subjects)
    return [
        report(line, col, code, message(first, subjects), options)
        for (line, code), (col, first, subjects) in merged.items()
    ]


def message(finding: Finding, subjects: Sequence[str]) -> str:
    """The rule's message for `finding`, naming every socket in `subjects`."""
    quoted = [f"'{subject}'" for subject in subjects]
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    noun = finding.fields.get("noun", "socket")  # "connection" for an asyncio writer, "stream" for trio/anyio
    if len(subjects) > 1:
        noun += "s"
    fields = {"subject": joined, "sockets": f"{noun} {joined}", "is": "is" if len(subjects) == 1 else "are"}
    return RULES[finding.code].message.format(**{**finding.fields, **fields})


def report(line: int, col: int, code: str, text: str, options: Options) -> Report:
    return Report(line, col, f"{code} {text} ({rule_link(code, options.docs_url)})")


def not_analysed(why: str, options: Options, what: Optional[str] = None) -> Report:
    """SKT900 for the whole file, or for one part of it (`what`: "function 'f' (line 3)")."""
    if what is None:
        text = RULES["SKT900"].message.format(
            what="file", why=why, outcome="no SKT findings are reported for it")
    else:
        text = RULES["SKT900"].message.format(what=what, why=why, outcome="the rest of the file was checked")
    return report(1, 0, "SKT900", text, options)
