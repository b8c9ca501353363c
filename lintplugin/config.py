"""Settings for the `lintplugin` commands, from the same places as flake8's.

flake8 itself reads our options from its config files (setup.cfg, tox.ini,
.flake8) through `--skt-docs-url` and `--skt-baseline`. The `lintplugin`
commands read those files too, then `[tool.flake8-socket-close]` in
pyproject.toml with the same names (it wins, being ours alone), then the
command line (which wins over both). Relative paths in a config file are
relative to that file's directory, as in flake8.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Tuple

from flake8 import defaults, utils
from flake8.options.config import load_config

PYPROJECT_TABLE = "flake8-socket-close"

# name in config files -> (kind, Settings field)
OPTIONS: Dict[str, Tuple[str, str]] = {
    "skt-docs-url": ("text", "docs_url"),
    "skt-baseline": ("path", "baseline"),
    "exclude": ("paths", "exclude"),
    "extend-exclude": ("paths", "extend_exclude"),
    "filename": ("paths", "filename"),
}


class ConfigError(Exception):
    """A config file cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    docs_url: Optional[str] = None
    baseline: Optional[str] = None  # absolute path, or None when not configured
    exclude: Tuple[str, ...] = tuple(defaults.EXCLUDE)
    extend_exclude: Tuple[str, ...] = ()
    filename: Tuple[str, ...] = ("*.py",)

    @property
    def excluded(self) -> List[str]:
        return [*self.exclude, *self.extend_exclude]


def load_settings(config: Optional[str] = None, isolated: bool = False) -> Settings:
    """flake8's config files, then pyproject.toml's table, in the current directory."""
    settings = Settings()
    if isolated:
        return settings
    settings = _from_flake8_config(settings, config)
    return _from_pyproject(settings, _find_upwards("pyproject.toml"))


def with_command_line(settings: Settings, **given) -> Settings:
    """Options given on the command line win; None means not given."""
    changes = {name: value for name, value in given.items() if value is not None}
    for name in ("exclude", "extend_exclude", "filename"):
        if name in changes:
            changes[name] = tuple(utils.normalize_paths(utils.parse_comma_separated_list(changes[name])))
    if changes.get("baseline"):
        changes["baseline"] = os.path.abspath(changes["baseline"])
    return replace(settings, **changes)


def _from_flake8_config(settings: Settings, config: Optional[str]) -> Settings:
    try:
        parser, directory = load_config(config, [], isolated=False)
    except Exception as error:  # flake8 raises its own ExecutionError for unreadable files
        raise ConfigError(str(error)) from None
    if not parser.has_section("flake8"):
        return settings
    values = {}
    for name in OPTIONS:
        for spelling in (name, name.replace("-", "_")):
            if parser.has_option("flake8", spelling):
                values[name] = parser.get("flake8", spelling)
    return _apply(settings, values, directory)


def _from_pyproject(settings: Settings, path: Optional[str]) -> Settings:
    if path is None:
        return settings
    table = _pyproject_table(path)
    if table is None:
        return settings
    unknown = sorted(set(table) - set(OPTIONS) - {name.replace("-", "_") for name in OPTIONS})
    if unknown:
        raise ConfigError(
            f"{path}: [tool.{PYPROJECT_TABLE}] has unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(OPTIONS)}"
        )
    values = {name: table.get(name, table.get(name.replace("-", "_"))) for name in OPTIONS}
    values = {name: value for name, value in values.items() if value is not None}
    return _apply(settings, values, os.path.dirname(path))


def _pyproject_table(path: str) -> Optional[dict]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older Pythons
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    table = data.get("tool", {}).get(PYPROJECT_TABLE)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{PYPROJECT_TABLE}] must be a table")
    return table


def _apply(settings: Settings, values: Dict[str, object], directory: str) -> Settings:
    changes: Dict[str, object] = {}
    for name, raw in values.items():
        kind, attribute = OPTIONS[name]
        if kind == "text":
            changes[attribute] = str(raw).strip() or None
        elif kind == "path":
            text = str(raw).strip()
            changes[attribute] = os.path.abspath(os.path.join(directory, text)) if text else None
        else:
            items = raw if isinstance(raw, list) else utils.parse_comma_separated_list(str(raw))
            changes[attribute] = tuple(utils.normalize_paths([str(item) for item in items], parent=directory))
    return replace(settings, **changes)


def _find_upwards(name: str, start: Optional[str] = None) -> Optional[str]:
    directory = os.path.abspath(start or os.curdir)
    while True:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def baseline_for_flake8(options) -> Optional[str]:
    """The absolute baseline path from flake8's parsed options.

    flake8 leaves a bare file name from a config file (no '/') relative to
    the current directory; it is meant relative to the config file, as the
    other paths there are. A value given on the command line is relative to
    the current directory.
    """
    value = (getattr(options, "skt_baseline", None) or "").strip()
    if not value:
        return None
    if os.path.isabs(value):
        return value
    directory = _config_directory_holding(options, value)
    return os.path.abspath(os.path.join(directory or os.curdir, value))


def _config_directory_holding(options, value: str) -> Optional[str]:
    if getattr(options, "isolated", False):
        return None
    try:
        parser, directory = load_config(
            getattr(options, "config", None), list(getattr(options, "append_config", None) or []), isolated=False
        )
    except Exception:
        return None
    for spelling in ("skt-baseline", "skt_baseline"):
        if parser.has_option("flake8", spelling) and parser.get("flake8", spelling).strip() == value:
            return directory
    return None
