"""Annotated Python files: each expected report is a comment on its line.

An annotation is a comment at the end of the reported line:

    conn.close()  # SKT301:9 'conn' shutdown(SHUT_WR)
    data = conn.recv(1024)  # SKT101:16 recv() CLOSE_WAIT; SKT103:16 "never ends on b''"

`CODE:COLUMN WORD ...` expects one report: its code, its column as flake8
prints it (1-based: compare with flake8's output) and key words that must all
occur in the message (case-sensitive substrings). A word is a run of non-blank
characters, or a phrase in double quotes. `;` separates the reports expected
on one line, so it cannot occur in words or reasons.

Known limits of the analysis are written down, with their reason, the way
CodeQL's tests do (`# $ MISSING:` / `# $ SPURIOUS:`):

    # MISSING: SKT107 the class never closes self.sock (SKT107 not implemented)
    # SPURIOUS: SKT103:13 the loop cannot spin: ...

MISSING means the spec wants that report on this line but the analysis does
not give it: the harness asserts it is absent. SPURIOUS means the analysis
gives a false alarm there: the harness asserts it is present, and it counts as
annotated. Either way a fix in the analysis fails the test and asks for the
marker to be turned into an expectation or removed, so known limits cannot
go stale. Both need a reason; a column is optional (it narrows the match).

The comparison is exact: every report must be claimed by an expectation or a
SPURIOUS marker, and every expectation must be reported with its column and
words. The column and words may be left out (`# SKT201`, as examples/ does);
then only the line and code are compared. Eval files must give both
(tests/test_eval_files.py enforces it).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Set, Tuple

REPO = Path(__file__).resolve().parent.parent

# The first comment that starts with a code or a marker is the annotation:
# other comments ("# the caller closes it") are left alone.
_ANNOTATION = re.compile(r"#\s*((?:SKT\d{3}\b|MISSING:|SPURIOUS:).*)$")
# [MISSING: | SPURIOUS: ] CODE [:COLUMN] [words or reason]
_CLAUSE = re.compile(r"(?:(?P<marker>MISSING|SPURIOUS):\s*)?(?P<code>SKT\d{3})(?::(?P<col>\d+))?(?:\s+(?P<rest>.*))?")
_WORD = re.compile(r'"([^"]*)"|(\S+)')


class AnnotationError(ValueError):
    """An annotation the harness cannot read: the test must fail, not guess."""


@dataclass(frozen=True)
class Annotation:
    line: int
    code: str
    col: Optional[int]  # as flake8 prints it (1-based); None: any column
    words: Tuple[str, ...] = ()  # expectations only
    marker: str = ""  # "", "MISSING" or "SPURIOUS"
    reason: str = ""  # markers only

    def matches(self, report) -> bool:
        return (
            report.line == self.line
            and _code(report) == self.code
            and (self.col is None or report.col + 1 == self.col)
            and all(word in report.text for word in self.words)
        )

    def __str__(self) -> str:
        place = self.code if self.col is None else f"{self.code}:{self.col}"
        if self.marker:
            return f"{self.marker}: {place} {self.reason}"
        return " ".join([place, *(word if " " not in word else f'"{word}"' for word in self.words)])


def _code(report) -> str:
    return report.text.split(" ", 1)[0]


def annotations(source: str) -> List[Annotation]:
    """Every annotation of `source`, in line order; AnnotationError if one is unreadable."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _ANNOTATION.search(line)
        if not match:
            continue
        for clause in match.group(1).split(";"):
            found.append(_parse_clause(number, clause.strip()))
    return found


def _parse_clause(number: int, clause: str) -> Annotation:
    match = _CLAUSE.fullmatch(clause)
    if not match:
        raise AnnotationError(f"line {number}: cannot read annotation {clause!r} (see tests/expectations.py)")
    col = int(match["col"]) if match["col"] else None
    rest = (match["rest"] or "").strip()
    if match["marker"]:
        # A known limit without its reason is a hidden limit: refuse it.
        if not rest:
            raise AnnotationError(f"line {number}: {match['marker']}: {match['code']} needs a reason")
        return Annotation(number, match["code"], col, marker=match["marker"], reason=rest)
    words = tuple(quoted or bare for quoted, bare in _WORD.findall(rest))
    if "" in words:  # `""` would match every message
        raise AnnotationError(f"line {number}: empty key word in {clause!r}")
    return Annotation(number, match["code"], col, words)


def expected_reports(source: str) -> Set[Tuple[int, str]]:
    """(line, code) of every expected report; markers are not expectations."""
    return {(note.line, note.code) for note in annotations(source) if not note.marker}


def lint_source(source: str, options=None) -> list:
    """The analysis's reports (`.line`, 0-based `.col`, `.text`) for `source`.

    The only call into lintplugin from the harness: the package is being
    reorganised, so its path is named once, here, and imported only when
    used (test modules that need only REPO keep importing)."""
    from lintplugin.analysis.file import analyse

    lines = source.splitlines(keepends=True)
    if options is None:
        return analyse(ast.parse(source), lines)
    return analyse(ast.parse(source), lines, options)


def actual_reports(source: str) -> Set[Tuple[int, str]]:
    return {(report.line, _code(report)) for report in lint_source(source)}


def mismatches(notes: Sequence[Annotation], reports: Sequence) -> List[Tuple[int, str]]:
    """(line, problem) for every difference between annotations and reports."""
    unclaimed = list(reports)
    problems = []
    # Expectations and SPURIOUS markers each claim one report; pinned ones
    # first, so that a bare `# SKT201` cannot take the report a pinned
    # annotation on the same line describes.
    claimants = [note for note in notes if note.marker != "MISSING"]
    for note in sorted(claimants, key=lambda note: (note.col is None, -len(note.words))):
        report = next((report for report in unclaimed if note.matches(report)), None)
        if report is not None:
            unclaimed.remove(report)
        elif note.marker == "SPURIOUS":
            problem = f"{note.code} is no longer reported: the false alarm is fixed, remove the SPURIOUS marker"
            problems.append((note.line, problem))
        else:
            problem = f"expected {note} is not reported (no report with that code, column and every word)"
            problems.append((note.line, problem))
    for note in notes:
        if note.marker == "MISSING":
            for report in [report for report in unclaimed if note.matches(report)]:
                unclaimed.remove(report)  # one problem for it, not a second "not annotated" one
                problem = f"{note.code} is reported now: turn the MISSING marker into an expectation"
                problems.append((note.line, problem))
    for report in unclaimed:
        problems.append((report.line, f"{_code(report)}:{report.col + 1} is reported but not annotated"))
    return sorted(problems)


def comparison_table(source: str, notes: Sequence[Annotation], reports: Sequence, problems) -> str:
    """For each line with a problem: its source, what is annotated, what is
    reported (the whole message, to pick words from) and what is wrong."""
    lines = source.splitlines()
    rows = []
    for number in sorted({line for line, _ in problems}):
        text = lines[number - 1].strip() if number <= len(lines) else ""
        rows.append(f"line {number}: {text}")
        rows += [f"  annotated {note}" for note in notes if note.line == number] or ["  annotated -"]
        rows += [
            f"  reported  {_code(report)}:{report.col + 1} {report.text.split(' ', 1)[-1]}"
            for report in sorted(reports, key=lambda report: report.col)
            if report.line == number
        ] or ["  reported  -"]
        rows += [f"  problem   {problem}" for line, problem in problems if line == number]
    return "\n".join(rows)


def check_source(source: str, name: str = "<source>", reports: Optional[Sequence] = None) -> str:
    """'' when the reports match the annotations exactly, else a failure message with the table."""
    try:
        notes = annotations(source)
    except AnnotationError as error:
        return f"{name}: {error}"
    reports = lint_source(source) if reports is None else reports
    problems = mismatches(notes, reports)
    if not problems:
        return ""
    return f"{name}: reports differ from annotations\n" + comparison_table(source, notes, reports, problems)


def assert_annotations_match(path: Path) -> None:
    failure = check_source(path.read_text(encoding="utf-8"), path.name)
    assert not failure, failure


def unpinned(source: str) -> List[Annotation]:
    """Annotations that do not pin a report fully: an expectation without a
    column or words, a SPURIOUS without a column (it describes a real report)."""
    loose = []
    for note in annotations(source):
        if (not note.marker and not note.words) or (note.marker != "MISSING" and note.col is None):
            loose.append(note)
    return loose
