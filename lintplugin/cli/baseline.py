"""`lintplugin baseline write|check|prune`: manage the baseline file.

    write PATH...   record today's SKT findings (replaces the file)
    check           list entries that no longer match a finding (fixed debt); exit 1 if any
    prune           remove those entries

check and prune look only at the files the baseline names, so they need no
paths; a file that is gone makes all its entries stale.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from typing import Dict, List

from lintplugin.outputs import baseline as store
from lintplugin.cli.common import add_tree_arguments, settings_from
from lintplugin.config import Settings
from lintplugin.types import Options
from lintplugin.cli.runner import FileResult, check_file, check_paths, discover, display_path


def register(commands) -> None:
    parser = commands.add_parser("baseline", help="record today's findings so the gate fails only on new ones")
    actions = parser.add_subparsers(dest="action", required=True)

    write = actions.add_parser("write", help="record today's SKT findings in the baseline file")
    add_tree_arguments(write)
    _add_file_argument(write)
    write.set_defaults(handler=_write)

    check = actions.add_parser("check", help="list entries that match nothing any more (fixed debt); exit 1 if any")
    add_tree_arguments(check, paths=False)
    _add_file_argument(check)
    check.set_defaults(handler=_check)

    prune = actions.add_parser("prune", help="remove the entries that match nothing any more")
    add_tree_arguments(prune, paths=False)
    _add_file_argument(prune)
    prune.set_defaults(handler=_prune)


def _add_file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help=f"the baseline file (default: skt-baseline from config, else ./{store.DEFAULT_FILE})",
    )


def _location(settings: Settings) -> str:
    return settings.baseline or store.find_default()


def _write(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    location = _location(settings)
    options = Options(docs_url=settings.docs_url)
    root = os.path.dirname(location)
    keys: List[store.Key] = []
    files = discover(args.paths, settings)
    for result in check_paths(files, options):
        keys.extend(_keys(result, root))
    baseline = store.new_baseline(location, keys)
    store.dump(baseline)
    entries = len(baseline.entries())
    in_files = len({key.path for key in keys})
    print(
        f"lintplugin: recorded {len(keys)} finding(s) as {entries} entr{'y' if entries == 1 else 'ies'} "
        f"from {in_files} of {len(files)} file(s) in {display_path(location)}"
    )
    return 0


def _keys(result: FileResult, root: str) -> List[store.Key]:
    positions = [(report.code, report.line, report.col) for report in result.reports]
    return store.keys_of(positions, store.relative_path(result.path, root), result.tree, result.lines)


def _current_keys(baseline: store.Baseline, options: Options) -> Counter:
    """Today's findings in the files the baseline names."""
    current: Counter = Counter()
    for path in sorted({key.path for key in baseline.counts}):
        filename = os.path.join(baseline.root, *path.split("/"))
        if os.path.isfile(filename):
            current.update(_keys(check_file(filename, options), baseline.root))
    return current


def _stale(args: argparse.Namespace):
    settings = settings_from(args)
    try:
        baseline = store.load(_location(settings))
    except store.BaselineError as error:
        print(f"lintplugin: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    current = _current_keys(baseline, Options(docs_url=settings.docs_url))
    return baseline, store.stale(baseline, current.elements())


def _describe(stale: Dict[store.Key, int], baseline: store.Baseline) -> List[str]:
    lines = []
    for key, gone in stale.items():
        recorded = baseline.counts[key]
        amount = "fixed" if gone == recorded else f"{gone} of {recorded} fixed"
        lines.append(f"{key.path}: {key.scope}: {key.code} `{key.statement}` ({amount})")
    return lines


def _check(args: argparse.Namespace) -> int:
    baseline, stale = _stale(args)
    shown = display_path(baseline.location)
    if not stale:
        total = sum(baseline.counts.values())
        print(f"lintplugin: {shown} is up to date: all {total} recorded finding(s) still occur")
        return 0
    for line in _describe(stale, baseline):
        print(line)
    print(
        f"lintplugin: {sum(stale.values())} recorded finding(s) no longer occur (fixed, or the code moved); "
        f"run `lintplugin baseline prune` to drop them from {shown}"
    )
    return 1


def _prune(args: argparse.Namespace) -> int:
    baseline, stale = _stale(args)
    for line in _describe(stale, baseline):
        print(f"removed: {line}")
    for key, gone in stale.items():
        baseline.counts[key] -= gone
    store.dump(baseline)
    left = sum(count for count in baseline.counts.values() if count > 0)
    print(
        f"lintplugin: removed {sum(stale.values())} finding(s) from {display_path(baseline.location)}; "
        f"{left} remain"
    )
    return 0
