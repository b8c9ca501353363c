"""What the tree-checking commands share: finding files and settings."""

from __future__ import annotations

import argparse
import sys

from lintplugin.config import ConfigError, Settings, load_settings, with_command_line


def add_tree_arguments(parser: argparse.ArgumentParser, paths: bool = True) -> None:
    if paths:
        parser.add_argument("paths", nargs="*", default=["."], help="files and directories (default: .)")
    parser.add_argument("--config", metavar="FILE", help="flake8 config file to read instead of the one found")
    parser.add_argument("--isolated", action="store_true", help="read no config file (flake8's or pyproject's)")
    parser.add_argument("--exclude", metavar="PATTERNS", help="comma-separated patterns to skip (replaces flake8's)")
    parser.add_argument("--extend-exclude", metavar="PATTERNS", help="patterns to skip as well as the excluded ones")
    parser.add_argument("--skt-docs-url", metavar="TEMPLATE", help="link reports to your copy of the rule pages")


def settings_from(args: argparse.Namespace) -> Settings:
    """Config files, then the command line. Exits with a one-line message
    (status 2) when a config file cannot be used."""
    try:
        settings = load_settings(config=args.config, isolated=args.isolated)
    except ConfigError as error:
        print(f"lintplugin: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    return with_command_line(
        settings,
        exclude=args.exclude,
        extend_exclude=args.extend_exclude,
        docs_url=args.skt_docs_url,
        baseline=getattr(args, "baseline", None),
    )
