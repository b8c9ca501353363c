"""What an audit found: the data the text, JSON and HTML summaries show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from lintplugin.catalogue import RULES

TOP_FILES = 10
EXCERPT_CONTEXT = 2  # lines shown above and below a finding in the HTML page
JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the current directory, with '/'
    line: int
    column: int  # 1-based, as flake8 prints it
    code: str
    message: str  # the report's text without its leading code
    excerpt: Tuple[Tuple[int, str], ...] = ()  # (line number, text) around the finding


@dataclass
class Audit:
    paths: List[str]
    files_scanned: int = 0
    socket_files: int = 0
    findings: List[Finding] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)  # (path, why)

    @property
    def files_with_findings(self) -> int:
        return len(self.per_file())

    def per_rule(self) -> Dict[str, int]:
        """Every code of the catalogue, in catalogue order, 0 included."""
        counts = Counter(finding.code for finding in self.findings)
        return {code: counts[code] for code in RULES}

    def per_file(self) -> Dict[str, int]:
        return dict(sorted(Counter(finding.path for finding in self.findings).items()))

    def top_files(self, limit: int = TOP_FILES) -> List[Tuple[str, int]]:
        ranked = sorted(self.per_file().items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]

    def by_rule(self) -> Dict[str, List[Finding]]:
        """Only the codes with findings, in catalogue order."""
        groups: Dict[str, List[Finding]] = {code: [] for code in RULES}
        for finding in self.findings:
            groups.setdefault(finding.code, []).append(finding)
        return {code: found for code, found in groups.items() if found}

    def by_file(self) -> Dict[str, List[Finding]]:
        groups: Dict[str, List[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.path, []).append(finding)
        return dict(sorted(groups.items()))


# --------------------------------------------------------------------------- command line


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
