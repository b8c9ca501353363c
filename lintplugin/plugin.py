"""The flake8 entry point. Nothing raised inside the analysis leaves here."""

from __future__ import annotations

import ast
from typing import Iterator, Optional, Sequence, Tuple

from lintplugin import __version__
from lintplugin.analysis.file import analyse
from lintplugin.catalogue import RULES
from lintplugin.types import Options


class SocketCloseChecker:
    name = "flake8-socket-close"
    version = __version__

    options = Options()
    baseline_path: Optional[str] = None
    disable_noqa = False

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
        option_manager.add_option(
            "--skt-baseline",
            default=None,
            parse_from_config=True,
            metavar="FILE",
            help=(
                "Report only SKT findings that this baseline file (written by "
                "`lintplugin baseline write`) does not cover. Relative to the config "
                "file that sets it, or to the current directory on the command line."
            ),
        )
        disabled = [code for code, rule in RULES.items() if not rule.enabled_by_default]
        if disabled:
            option_manager.extend_default_ignore(disabled)

    @classmethod
    def parse_options(cls, options) -> None:
        cls.options = Options(docs_url=_valid_template(getattr(options, "skt_docs_url", None)))
        cls.baseline_path = None
        if getattr(options, "skt_baseline", None):
            cls._use_baseline(options)

    @classmethod
    def _use_baseline(cls, options) -> None:
        # Imported here: flake8 loads every plugin on every run, and most runs
        # have no baseline.
        from lintplugin.outputs.baseline import BaselineError, load_cached
        from lintplugin.config import baseline_for_flake8

        cls.baseline_path = baseline_for_flake8(options)
        cls.disable_noqa = bool(getattr(options, "disable_noqa", False))
        if cls.baseline_path is not None:
            try:
                load_cached(cls.baseline_path)
            except BaselineError as error:
                # A gate must not pass because its baseline went missing, nor
                # fail with a traceback: stop with one line that says why.
                raise SystemExit(f"flake8-socket-close: --skt-baseline: {error}") from None

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        reports = analyse(self.tree, self.lines, self.options)
        if reports and self.baseline_path is not None:
            reports = self._not_in_baseline(reports)
        for report in reports:
            yield report.line, report.col, report.text, type(self)

    def _not_in_baseline(self, reports):
        from lintplugin.outputs.baseline import load_cached, uncovered
        from lintplugin.outputs.flake8_files import noqa_ignored

        # Reports flake8 will drop for `# noqa` must not use up the baseline's
        # counts: `lintplugin baseline write` never recorded them.
        silenced = [] if self.disable_noqa else [r for r in reports if noqa_ignored(r, self.filename, self.lines)]
        try:
            baseline = load_cached(self.baseline_path)
            rest = [r for r in reports if r not in silenced]
            return silenced + uncovered(rest, baseline, self.filename, self.tree, self.lines)
        except Exception:  # unreadable since parse_options, or a bug here: report, never hide
            return reports


def _valid_template(template: Optional[str]) -> Optional[str]:
    """A docs template that formats; a broken one falls back to public links."""
    if not template:
        return None
    try:
        template.format(code="SKT000", name="x")
    except (KeyError, IndexError, ValueError):
        return None
    return template
