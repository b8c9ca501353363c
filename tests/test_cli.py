"""The `lintplugin` command, run the ways a user runs it: `python -m lintplugin`
and the installed console script, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

import lintplugin
from lintplugin.catalogue import RULES

REPO = Path(__file__).resolve().parent.parent
EXPECTED_NAMES = {"SKT201": "linger-zero", "SKT900": "not-analysed"}


def console_script() -> str:
    """The `lintplugin` script installed beside the interpreter running the tests."""
    folder = Path(sys.executable).parent
    found = shutil.which("lintplugin", path=str(folder))
    if found is None:
        candidate = folder / ("lintplugin.exe" if os.name == "nt" else "lintplugin")
        assert candidate.is_file(), f"no lintplugin console script next to {sys.executable}"
        found = str(candidate)
    return found


MODULE = "module"
SCRIPT = "script"


def run_cli(tmp_path: Path, *args: str, how: str = MODULE) -> Tuple[int, str, str]:
    """Run `lintplugin ARGS` from a directory outside the checkout; (exit code, stdout, stderr)."""
    if how == MODULE:
        command: List[str] = [sys.executable, "-m", "lintplugin"]
    else:
        command = [console_script()]
    done = subprocess.run(
        command + list(args), cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def page_path(code: str) -> Path:
    return REPO / "rules" / f"{code}.md"


def needs_page(code: str):
    """Skip only while the page has not been written into the repository's rules/."""
    return pytest.mark.skipif(not page_path(code).is_file(), reason=f"rules/{code}.md not written yet")


BOTH_WAYS = pytest.mark.parametrize("how", [MODULE, SCRIPT])


# --------------------------------------------------------------------------- rules


@BOTH_WAYS
def test_rules_lists_every_code_with_its_name(tmp_path, how):
    code, out, err = run_cli(tmp_path, "rules", how=how)
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    for rule_code, name in EXPECTED_NAMES.items():
        matching = [line for line in lines if line.startswith(rule_code)]
        assert len(matching) == 1, out
        assert name in matching[0].split()
        assert RULES[rule_code].summary in matching[0]
    assert len(lines) == len(RULES)


@BOTH_WAYS
def test_rules_json(tmp_path, how):
    code, out, err = run_cli(tmp_path, "rules", "--format", "json", how=how)
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, list)
    by_code = {entry["code"]: entry for entry in data}
    assert len(by_code) == len(data) == len(RULES)
    assert set(by_code) == set(RULES)
    for rule_code, name in EXPECTED_NAMES.items():
        entry = by_code[rule_code]
        assert {"code", "name", "summary", "link"} <= set(entry)
        assert entry["name"] == name
        assert isinstance(entry["summary"], str) and entry["summary"].strip()
        assert entry["link"] is None or entry["link"].startswith("https://")
    assert by_code["SKT201"]["link"].startswith("https://")


# --------------------------------------------------------------------------- explain


@needs_page("SKT201")
@BOTH_WAYS
@pytest.mark.parametrize("asked", ["SKT201", "skt201", "linger-zero", "LINGER-ZERO"])
def test_explain_prints_the_page(tmp_path, how, asked):
    code, out, err = run_cli(tmp_path, "explain", asked, how=how)
    assert code == 0, err
    assert err == ""
    assert out.startswith("# SKT201")
    page = page_path("SKT201").read_text(encoding="utf-8")
    assert out.rstrip("\n") == page.rstrip("\n")


@needs_page("SKT900")
def test_explain_skt900_the_link_its_reports_point_to(tmp_path):
    # SKT900 reports say "run: lintplugin explain SKT900"; that must work.
    code, out, err = run_cli(tmp_path, "explain", "SKT900", how=SCRIPT)
    assert code == 0, err
    assert out.startswith("# SKT900")


@needs_page("SKT201")
def test_explain_json_has_the_page(tmp_path):
    code, out, err = run_cli(tmp_path, "explain", "--format", "json", "SKT201")
    assert code == 0, err
    data = json.loads(out)
    assert data["code"] == "SKT201"
    assert data["name"] == "linger-zero"
    assert data["page"].startswith("# SKT201")
    assert data["page"] == page_path("SKT201").read_text(encoding="utf-8")
    assert {"summary", "link"} <= set(data)


@BOTH_WAYS
@pytest.mark.parametrize("asked", ["SKT999", "no-such-rule"])
def test_explain_unknown_code_exits_2(tmp_path, how, asked):
    code, out, err = run_cli(tmp_path, "explain", asked, how=how)
    assert code == 2
    assert out == ""
    assert asked in err
    assert "Traceback" not in err


def test_explain_unknown_code_json_exits_2(tmp_path):
    code, out, err = run_cli(tmp_path, "explain", "--format", "json", "SKT999")
    assert code == 2
    assert out == ""
    assert "SKT999" in err


# --------------------------------------------------------------------------- the command itself


@BOTH_WAYS
def test_version(tmp_path, how):
    code, out, err = run_cli(tmp_path, "--version", how=how)
    assert code == 0, err
    assert out.strip() == f"flake8-socket-close {lintplugin.__version__}"


@BOTH_WAYS
def test_no_command_prints_help_and_exits_2(tmp_path, how):
    code, out, err = run_cli(tmp_path, how=how)
    assert code == 2
    assert "rules" in out and "explain" in out
    assert "Traceback" not in err


def test_bad_format_is_a_usage_error(tmp_path):
    code, out, err = run_cli(tmp_path, "rules", "--format", "yaml")
    assert code == 2
    assert "invalid choice" in err
    assert "Traceback" not in err
