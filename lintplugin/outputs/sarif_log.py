"""The SARIF 2.1.0 log that `flake8 --format=skt-sarif` writes.

One run per flake8 invocation. Every SKT rule is described in full (its
page as help.markdown); other plugins' codes that occur get an entry with
their id. Paths are relative to the working directory (%SRCROOT%), and
fingerprints use the enclosing scope and statement text, not line numbers,
so code scanning keeps tracking an alert when lines above it move.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from collections import Counter
from pathlib import Path
from typing import Dict, Optional, Tuple

from lintplugin import __version__
from lintplugin.catalogue import RULES, Rule, rule_link
from lintplugin.outputs.fingerprints import Place, StatementIndex, normalise
from lintplugin.pages import rule_page

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "flake8SocketClose/v1"
SRCROOT = "%SRCROOT%"


def sarif_log(violations, root: str, docs_url: Optional[str] = None) -> dict:
    ordered = sorted(violations, key=lambda v: (v.filename, v.line_number, v.column_number, v.code))
    other_codes = sorted({v.code for v in ordered if v.code not in RULES})
    rules = [_skt_rule(rule, docs_url) for rule in RULES.values()] + [{"id": code} for code in other_codes]
    index = {entry["id"]: number for number, entry in enumerate(rules)}
    fingerprints = _Fingerprints(root)
    results = [_result(v, index[v.code], root, fingerprints) for v in ordered]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flake8-socket-close",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [{"executionSuccessful": True}],
                "originalUriBaseIds": {SRCROOT: {"uri": Path(root).resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _skt_rule(rule: Rule, docs_url: Optional[str]) -> dict:
    link = rule_link(rule.code, docs_url)
    page = rule_page(rule.code) or f"# {rule.code}: {rule.name}\n\n{rule.summary}\n"
    entry = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _what_it_does(page) or rule.summary},
        "help": {"text": f"{rule.summary} See: {link}", "markdown": page},
        "defaultConfiguration": {"level": rule.level, "enabled": rule.enabled_by_default},
        "properties": {"tags": ["reliability", "networking", "tcp"], "precision": "high"},
    }
    if link.startswith(("http://", "https://")):
        entry["helpUri"] = link
    return entry


def _what_it_does(page: str) -> str:
    """The first paragraph of the page's "What it does" section, as plain text."""
    match = re.search(r"^## What it does\s*\n+(.*?)(?:\n\s*\n|\Z)", page, flags=re.S | re.M)
    if not match:
        return ""
    return " ".join(match.group(1).split()).replace("`", "")


def _result(violation, rule_index: int, root: str, fingerprints: "_Fingerprints") -> dict:
    rule = RULES.get(violation.code)
    location, within_root = _artifact_location(violation.filename, root)
    result = {
        "ruleId": violation.code,
        "ruleIndex": rule_index,
        "level": rule.level if rule else "warning",
        "message": {"text": violation.text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {
                        "startLine": max(violation.line_number, 1),
                        "startColumn": max(violation.column_number, 1),
                    },
                }
            }
        ],
    }
    result["partialFingerprints"] = {FINGERPRINT: fingerprints.of(violation, location["uri"])}
    return result


def _artifact_location(filename: str, root: str) -> Tuple[dict, bool]:
    absolute = os.path.abspath(filename)
    relative = os.path.relpath(absolute, root) if _same_drive(absolute, root) else None
    if relative is None or relative.startswith(".."):
        return {"uri": Path(absolute).as_uri()}, False
    return {"uri": relative.replace(os.sep, "/"), "uriBaseId": SRCROOT}, True


def _same_drive(path: str, root: str) -> bool:
    return os.path.splitdrive(path)[0].lower() == os.path.splitdrive(root)[0].lower()


class _Fingerprints:
    """sha256 of (code, path, scope, statement) plus the occurrence number of
    that tuple, so two identical findings in one scope stay distinct."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.indexes: Dict[str, Optional[StatementIndex]] = {}
        self.seen: Counter = Counter()

    def of(self, violation, uri: str) -> str:
        place = self._place(violation)
        key = (violation.code, uri, place.scope, place.statement)
        self.seen[key] += 1
        digest = hashlib.sha256("\0".join(key).encode("utf-8")).hexdigest()[:32]
        return f"{digest}:{self.seen[key]}"

    def _place(self, violation) -> Place:
        index = self._index(violation.filename)
        if index is not None:
            return index.place(violation.line_number, max(violation.column_number - 1, 0))
        return Place("", normalise(violation.physical_line or ""))

    def _index(self, filename: str) -> Optional[StatementIndex]:
        if filename not in self.indexes:
            self.indexes[filename] = _statement_index(filename)
        return self.indexes[filename]


def _statement_index(filename: str) -> Optional[StatementIndex]:
    from lintplugin.outputs.flake8_files import read_lines

    try:
        lines = read_lines(filename)
        return StatementIndex(ast.parse("".join(lines)), lines)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # unparsable (E999) or stdin: the reported line's text stands in
