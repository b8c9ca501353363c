"""`lintplugin`: offline rule explanations, the baseline and the audit.

    lintplugin rules [--format json]          every code with its summary
    lintplugin explain CODE [--format json]   the rule's page
    lintplugin baseline write|check|prune     record today's findings (see commands/baseline.py)
    lintplugin audit PATH...                  a report on a whole tree (see commands/audit.py)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from lintplugin import __version__
from lintplugin.catalogue import RULES, Rule
from lintplugin.cli import audit, baseline
from lintplugin.pages import rule_page


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lintplugin",
        description="flake8-socket-close: rules and their explanations, offline.",
    )
    parser.add_argument("--version", action="version", version=f"flake8-socket-close {__version__}")
    commands = parser.add_subparsers(dest="command")

    rules = commands.add_parser("rules", help="list every rule code with its summary")
    _add_format(rules)
    rules.set_defaults(handler=_rules)

    explain = commands.add_parser("explain", help="print a rule's explanation page")
    explain.add_argument("code", help="a rule code such as SKT201 (or its name, e.g. linger-zero)")
    _add_format(explain)
    explain.set_defaults(handler=_explain)

    baseline.register(commands)
    audit.register(commands)
    return parser


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _rule_json(rule: Rule) -> dict:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "link": rule.link,
        "enabled_by_default": rule.enabled_by_default,
    }


def _rules(args) -> int:
    if args.format == "json":
        print(json.dumps([_rule_json(rule) for rule in RULES.values()], indent=2))
        return 0
    width = max(len(rule.name) for rule in RULES.values())
    for rule in RULES.values():
        state = "" if rule.enabled_by_default else "  (off by default)"
        print(f"{rule.code}  {rule.name:<{width}}  {rule.summary}{state}")
    return 0


def _find(code_or_name: str) -> Optional[Rule]:
    wanted = code_or_name.strip()
    for rule in RULES.values():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    return None


def _explain(args) -> int:
    rule = _find(args.code)
    if rule is None:
        print(
            f"lintplugin: unknown rule {args.code!r}; `lintplugin rules` lists them all",
            file=sys.stderr,
        )
        return 2
    page = rule_page(rule.code)
    if page is None:
        print(f"lintplugin: the page for {rule.code} is missing from this installation", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(dict(_rule_json(rule), page=page), indent=2))
    else:
        sys.stdout.write(page if page.endswith("\n") else page + "\n")
    return 0
