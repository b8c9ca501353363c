"""Every option from flake8's config files (setup.cfg, tox.ini, .flake8), and
`[tool.flake8-socket-close]` in pyproject.toml for the `lintplugin` commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flake8_run import parse, run_flake8, write
from lintplugin.config import ConfigError, load_settings
from test_baseline import ABORT, lintplugin

DOCS = "https://wiki.example.com/skt/{code}.html"


@pytest.fixture
def in_tmp(tmp_path: Path):
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("config_file", ["setup.cfg", "tox.ini", ".flake8"])
def test_flake8_reads_every_option_from_its_config_files(tmp_path: Path, config_file: str):
    write(tmp_path, "legacy/abort.py", ABORT)
    assert lintplugin(tmp_path, "baseline", "write", "--isolated", "--baseline=debt.json", "legacy")[0] == 0
    # A new finding next to the recorded ones shows both options at work.
    write(tmp_path, "legacy/fresh.py", ABORT)
    write(tmp_path, config_file, f"[flake8]\nselect = SKT\nskt-docs-url = {DOCS}\nskt-baseline = debt.json\n")
    code, out, err = run_flake8(tmp_path, ".", isolated=False)
    reports = parse(out)
    assert code == 1, err
    assert sorted((r.path, r.code) for r in reports) == [("legacy/fresh.py", "SKT105"), ("legacy/fresh.py", "SKT201")]
    assert all(r.text.endswith("(https://wiki.example.com/skt/%s.html)" % r.code) for r in reports)


def test_underscored_spellings_work_too(tmp_path: Path):
    write(tmp_path, "legacy/abort.py", ABORT)
    write(tmp_path, "setup.cfg", f"[flake8]\nselect = SKT\nskt_docs_url = {DOCS}\n")
    _, out, _ = run_flake8(tmp_path, ".", isolated=False)
    assert parse(out) and all("wiki.example.com" in r.text for r in parse(out))


def test_commands_read_flake8_config_then_pyproject_then_the_command_line(in_tmp: Path):
    write(in_tmp, "setup.cfg", "[flake8]\nskt-docs-url = https://from-setup-cfg/{code}\nextend-exclude = build\n")
    assert load_settings().docs_url == "https://from-setup-cfg/{code}"
    write(in_tmp, "pyproject.toml", '[tool.flake8-socket-close]\nskt-docs-url = "https://from-pyproject/{code}"\n')
    settings = load_settings()
    assert settings.docs_url == "https://from-pyproject/{code}"
    assert settings.extend_exclude == ("build",)  # still from setup.cfg
    assert load_settings(isolated=True).docs_url is None


def test_pyproject_paths_are_relative_to_it_and_lists_or_strings_work(in_tmp: Path):
    write(
        in_tmp,
        "pyproject.toml",
        '[tool.flake8-socket-close]\nskt-baseline = "ci/skt.json"\nexclude = ["vendor", "third_party/*"]\n'
        'extend_exclude = "gen,build"\n',
    )
    (in_tmp / "sub").mkdir()
    os.chdir(in_tmp / "sub")  # found by walking up, as flake8 finds its config
    settings = load_settings()
    assert settings.baseline == str(in_tmp / "ci" / "skt.json")
    assert settings.exclude == ("vendor", str(in_tmp / "third_party" / "*"))
    assert settings.extend_exclude == ("gen", "build")


def test_unknown_pyproject_options_are_an_error_not_ignored(in_tmp: Path):
    write(in_tmp, "pyproject.toml", '[tool.flake8-socket-close]\nskt-baseline = "x.json"\nbaseline = "y.json"\n')
    with pytest.raises(ConfigError, match="unknown option.*baseline"):
        load_settings()
    code, _, err = lintplugin(in_tmp, "baseline", "check")
    assert code == 2 and "unknown option(s) baseline" in err


def test_excludes_from_pyproject_apply_to_the_commands(tmp_path: Path):
    write(tmp_path, "app/abort.py", ABORT)
    write(tmp_path, "vendor/abort.py", ABORT)
    write(tmp_path, "pyproject.toml", '[tool.flake8-socket-close]\nextend-exclude = ["vendor"]\n')
    code, out, err = lintplugin(tmp_path, "baseline", "write", ".")
    assert code == 0, err
    paths = {e["path"] for e in json.loads((tmp_path / ".skt-baseline.json").read_text())["findings"]}
    assert paths == {"app/abort.py"}
    # As in flake8, the command line replaces the configured value.
    code, out, err = lintplugin(tmp_path, "baseline", "write", "--extend-exclude=app", ".")
    paths = {e["path"] for e in json.loads((tmp_path / ".skt-baseline.json").read_text())["findings"]}
    assert paths == {"vendor/abort.py"}
