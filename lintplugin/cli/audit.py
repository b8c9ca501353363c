"""`lintplugin audit PATH...`: a report on a whole legacy tree.

It checks the files flake8 would check, with the engine the plugin runs and
`# noqa` honoured, so its numbers are those of `flake8 --select SKT`. It
prints a summary (text or JSON) and can write a self-contained HTML page.

Exit status: 0 without findings, 1 with findings (as `flake8 --select SKT`,
which does not fail on files it cannot parse either: those are listed as
skipped), 2 for usage and configuration errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, List, Optional, Sequence, TextIO, Tuple

from lintplugin import __version__
from lintplugin.catalogue import RULES
from lintplugin.cli.audit_summary import EXCERPT_CONTEXT, JSON_FORMAT_VERSION, TOP_FILES, Audit, Finding, plural
from lintplugin.cli.common import add_tree_arguments, settings_from
from lintplugin.cli.runner import FileResult, check_paths, discover, display_path
from lintplugin.types import Options, Report


class UsageError(Exception):
    """A command line that cannot work; reported in one line, status 2."""


def register(commands) -> None:
    parser = commands.add_parser("audit", help="analyse a whole tree and summarise its findings")
    add_tree_arguments(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="the summary on stdout (default: text)"
    )
    parser.add_argument(
        "--html", metavar="FILE", help="also write a self-contained HTML report (no network needed to view it)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)  # exits with status 2 itself on a bad config file
    try:
        _check_usage(args.paths, settings.docs_url, args.html)
        files = discover(args.paths, settings)
        audit = _collect_with_progress(args.paths, files, Options(docs_url=settings.docs_url))
        if args.html:
            _write_html(args.html, audit, settings.docs_url)
    except UsageError as error:
        print(f"lintplugin: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lintplugin: interrupted", file=sys.stderr)
        return 130
    _emit(as_json(audit) if args.format == "json" else as_text(audit, args.html))
    return 1 if audit.findings else 0


def _collect_with_progress(paths: Sequence[str], files: Sequence[str], options: Options) -> Audit:
    """Progress goes to a terminal only: in pipes and CI logs it would be noise."""
    if not _is_terminal(sys.stderr):
        return collect(paths, files, options)
    progress = Progress(sys.stderr)
    try:
        return collect(paths, files, options, progress)
    finally:
        progress.erase()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _check_usage(paths: Sequence[str], docs_url: Optional[str], html: Optional[str]) -> None:
    """Fail before a long run, not after it."""
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    if docs_url:
        try:
            docs_url.format(code="SKT101", name="error-path-leak")
        except (KeyError, IndexError, AttributeError, ValueError) as error:
            raise UsageError(f"--skt-docs-url {docs_url!r} cannot be formatted ({error!r}); use {{code}} and {{name}}")
    if html:
        folder = os.path.dirname(os.path.abspath(html))
        if not os.path.isdir(folder):
            raise UsageError(f"--html {html}: directory {display_path(folder)} does not exist")


def _write_html(path: str, audit: Audit, docs_url: Optional[str]) -> None:
    from lintplugin.cli.audit_html import render  # only runs that ask for the page pay for it

    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(render(audit, docs_url))
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _emit(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # `lintplugin audit | head`: the reader left; say nothing more, and
        # keep Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# --------------------------------------------------------------------------- collecting


def collect(
    paths: Sequence[str],
    files: Sequence[str],
    options: Options,
    progress: Optional[Callable[[int, int, str], None]] = None,
) -> Audit:
    audit = Audit(paths=list(paths))
    for result in check_paths(files, options, progress=progress):
        _add_result(audit, result)
    audit.findings.sort(key=lambda finding: (finding.path, finding.line, finding.column, finding.code))
    audit.skipped.sort()
    return audit


def _add_result(audit: Audit, result: FileResult) -> None:
    path = display_path(result.path)
    audit.files_scanned += 1
    if result.problem is not None:
        audit.skipped.append((path, result.problem))
        return
    audit.socket_files += result.socket_code
    # flake8 ignores codes that are off by default unless selected; so does the audit.
    reports = [r for r in result.reports if r.code not in RULES or RULES[r.code].enabled_by_default]
    audit.findings.extend(finding_from(report, path, result.lines) for report in reports)


def finding_from(report: Report, path: str, lines: Sequence[str]) -> Finding:
    message = report.text[len(report.code):].strip()
    return Finding(path, report.line, report.col + 1, report.code, message, excerpt(lines, report.line))


def excerpt(lines: Sequence[str], line: int, context: int = EXCERPT_CONTEXT) -> Tuple[Tuple[int, str], ...]:
    first = max(1, line - context)
    last = min(len(lines), line + context)
    return tuple((number, lines[number - 1].rstrip("\r\n")) for number in range(first, last + 1))


# --------------------------------------------------------------------------- progress


class Progress:
    """"scanned 120/900 files" on one terminal line, redrawn in place.

    Nothing is drawn during the first `delay` seconds, so quick runs leave
    no trace; after that at most one redraw per `interval`, because writing
    to a terminal for every file would slow big runs down. `erase` blanks
    the line so the summary starts clean.
    """

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 0.5,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.delay = delay
        self.interval = interval
        self.started = clock()
        self.drawn_at: Optional[float] = None
        self.width = 0

    def __call__(self, number: int, total: int, path: str) -> None:
        now = self.clock()
        if now - self.started < self.delay:
            return
        if self.drawn_at is not None and now - self.drawn_at < self.interval:
            return
        self.drawn_at = now
        self._draw(f"scanned {number - 1}/{total} files")

    def _draw(self, text: str) -> None:
        padding = " " * max(0, self.width - len(text))  # cover a longer previous line
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self.width = max(self.width, len(text))

    def erase(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


# --------------------------------------------------------------------------- text and JSON


def as_text(audit: Audit, html: Optional[str] = None) -> str:
    lines = [
        f"files scanned:           {audit.files_scanned}",
        f"files with socket code:  {audit.socket_files}",
        f"files skipped:           {len(audit.skipped)}",
        f"findings:                {len(audit.findings)} in {plural(audit.files_with_findings, 'file')}",
        "",
        "findings per rule:",
        *_rule_lines(audit),
    ]
    top = audit.top_files()
    if top:
        lines += ["", f"files with most findings (top {TOP_FILES}):"]
        width = len(str(top[0][1]))
        lines += [f"  {count:>{width}}  {path}" for path, count in top]
    if audit.skipped:
        lines += ["", "files skipped (unreadable or not valid Python):"]
        lines += [f"  {path}: {why}" for path, why in audit.skipped]
    if html:
        lines += ["", f"HTML report: {display_path(html)}"]
    return "\n".join(lines) + "\n"


def _rule_lines(audit: Audit) -> List[str]:
    counts = audit.per_rule()
    name_width = max(len(RULES[code].name) if code in RULES else 0 for code in counts)
    count_width = max(len(str(count)) for count in counts.values())
    return [f"  {code}  {_name(code):<{name_width}}  {count:>{count_width}}" for code, count in counts.items()]


def _name(code: str) -> str:
    return RULES[code].name if code in RULES else ""


def as_json(audit: Audit) -> str:
    data = {
        "format_version": JSON_FORMAT_VERSION,
        "tool": {"name": "flake8-socket-close", "version": __version__},
        "paths": audit.paths,
        "files_scanned": audit.files_scanned,
        "files_with_socket_code": audit.socket_files,
        "files_with_findings": audit.files_with_findings,
        "findings_total": len(audit.findings),
        "findings_per_rule": audit.per_rule(),
        "top_files": [{"path": path, "findings": count} for path, count in audit.top_files()],
        "skipped_files": [{"path": path, "reason": why} for path, why in audit.skipped],
        "findings_by_file": [
            {"path": path, "findings": [_finding_json(finding) for finding in found]}
            for path, found in audit.by_file().items()
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _finding_json(finding: Finding) -> dict:
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "message": finding.message,
    }
