"""A baseline: today's findings, recorded so that a gate fails only on new ones.

Each entry is (code, path, scope, statement) with a count; never a line
number, so inserting lines above a finding does not make it new. A second
identical finding in the same scope exceeds the count and is new; an edited
statement or a renamed file is new.

flake8 applies the baseline inside the plugin (a formatter cannot change
flake8's exit code); `lintplugin baseline` writes, checks and prunes it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from lintplugin.outputs.fingerprints import places

DEFAULT_FILE = ".skt-baseline.json"
FORMAT_VERSION = 1


class Key(NamedTuple):
    code: str
    path: str  # relative to the baseline file's directory, with '/'
    scope: str
    statement: str


class BaselineError(Exception):
    """The baseline file cannot be used; the message says why and what to do."""


@dataclass
class Baseline:
    location: str  # absolute path of the baseline file
    counts: Counter

    @property
    def root(self) -> str:
        return os.path.dirname(self.location)

    def relative(self, filename: str) -> str:
        return relative_path(filename, self.root)

    def entries(self) -> List[dict]:
        return [dict(key._asdict(), count=count) for key, count in sorted(self.counts.items()) if count > 0]


def relative_path(filename: str, root: str) -> str:
    path = os.path.relpath(os.path.abspath(filename), root)
    return path.replace(os.sep, "/")


def keys_of(code_positions: Sequence[Tuple[str, int, int]], path: str, tree, lines) -> List[Key]:
    """The key of each (code, line, col) report of one file, in the given order."""
    found = places(tree, lines, [(line, col) for _, line, col in code_positions])
    return [Key(code, path, *found[(line, col)]) for code, line, col in code_positions]


def uncovered(reports: Sequence, baseline: Baseline, filename: str, tree, lines) -> List:
    """The reports of one file the baseline does not cover, in source order.

    `reports` have `.code`, `.line`, `.col`. When a key has more findings
    than the baseline's count, the later ones in the file are the new ones.
    """
    if not reports:
        return []
    ordered = sorted(reports, key=lambda report: (report.line, report.col))
    keys = keys_of([(r.code, r.line, r.col) for r in ordered], baseline.relative(filename), tree, lines)
    allowance = Counter({key: baseline.counts[key] for key in set(keys)})
    kept = []
    for report, key in zip(ordered, keys):
        if allowance[key] > 0:
            allowance[key] -= 1
        else:
            kept.append(report)
    return kept


def load(location: str) -> Baseline:
    location = os.path.abspath(location)
    try:
        with open(location, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(
            f"baseline file {location!r} does not exist; create it with `lintplugin baseline write`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"cannot read baseline file {location!r}: {error}") from None
    except ValueError as error:
        raise BaselineError(f"baseline file {location!r} is not valid JSON: {error}") from None
    return Baseline(location, _counts(data, location))


def _counts(data, location: str) -> Counter:
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(
            f"baseline file {location!r} has no 'findings' list; rewrite it with `lintplugin baseline write`"
        )
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        raise BaselineError(
            f"baseline file {location!r} has format {data.get('format')!r}; this version reads format {FORMAT_VERSION}"
        )
    counts: Counter = Counter()
    for number, entry in enumerate(data["findings"], start=1):
        try:
            key = Key(*(str(entry[field]) for field in Key._fields))
            count = int(entry.get("count", 1))
        except (TypeError, KeyError, ValueError, AttributeError):
            raise BaselineError(
                f"baseline file {location!r}: entry {number} needs {', '.join(Key._fields)} and a count"
            ) from None
        counts[key] += max(count, 0)
    return counts


def dump(baseline: Baseline) -> None:
    """Write the file sorted and indented, so that its diffs review well."""
    data = {
        "tool": "flake8-socket-close",
        "format": FORMAT_VERSION,
        "findings": baseline.entries(),
    }
    directory = os.path.dirname(baseline.location)
    if directory:
        os.makedirs(directory, exist_ok=True)
    temporary = baseline.location + ".tmp"
    with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(temporary, baseline.location)


def stale(baseline: Baseline, current: Iterable[Key]) -> Dict[Key, int]:
    """Entries (with how many of their count) that no longer match a finding."""
    now = Counter(current)
    return {key: count - now[key] for key, count in sorted(baseline.counts.items()) if count > now[key]}


_cache: Dict[str, Tuple[Tuple[float, int], Baseline]] = {}


def load_cached(location: str) -> Baseline:
    """The plugin runs once per file: read the baseline once per process
    (again only if the file changed)."""
    location = os.path.abspath(location)
    status = os.stat(location) if os.path.exists(location) else None
    stamp = (status.st_mtime, status.st_size) if status else (0.0, -1)
    cached = _cache.get(location)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    baseline = load(location)
    _cache[location] = (stamp, baseline)
    return baseline


def new_baseline(location: str, keys: Iterable[Key]) -> Baseline:
    return Baseline(os.path.abspath(location), Counter(keys))


def find_default(start: Optional[str] = None) -> str:
    return os.path.join(os.path.abspath(start or os.curdir), DEFAULT_FILE)
