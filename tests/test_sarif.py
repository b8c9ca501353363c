"""`flake8 --format=skt-sarif`, through the real flake8, validated against the
SARIF 2.1.0 JSON schema (tests/data/README.md says where the copy comes from)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from expectations import REPO
from flake8_run import parse, run_flake8, write
from lintplugin.catalogue import RULES
from lintplugin.pages import rule_page

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)

TWO_LINGERS = """\
import socket
import struct


def abort(conn):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
"""


def sarif(cwd: Path, *args: str) -> dict:
    args = args or ("--select=SKT",)
    code, out, err = run_flake8(cwd, "--format=skt-sarif", "--output-file=out/report.sarif", *args)
    assert code in (0, 1), err
    assert "Traceback" not in err, err
    log = json.loads((cwd / "out" / "report.sarif").read_text(encoding="utf-8"))
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    return log


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    for source in sorted((REPO / "examples").glob("*.py")):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


def test_the_schema_copy_rejects_what_it_should():
    # Guards against a schema that accepts anything (the test above would then prove nothing).
    VALIDATOR.check_schema(SCHEMA)
    assert list(VALIDATOR.iter_errors({"version": "2.1.0", "runs": [{"tool": {}}]}))
    assert list(VALIDATOR.iter_errors({"version": "2.0.0", "runs": []}))


def test_examples_give_a_valid_log_with_every_finding(examples: Path):
    log = sarif(examples, "--select=SKT,E501")
    _, out, _ = run_flake8(examples, "--select=SKT,E501")
    plain = parse(out)
    run = log["runs"][0]
    assert len(run["results"]) == len(plain) > 0
    assert sorted((r["ruleId"], _uri(r), _line(r)) for r in run["results"]) == sorted(
        (p.code, p.path, p.line) for p in plain
    )


def test_every_skt_rule_is_described_in_full(examples: Path):
    rules = {rule["id"]: rule for rule in sarif(examples, "--select=SKT,E501")["runs"][0]["tool"]["driver"]["rules"]}
    for code, rule in RULES.items():
        entry = rules[code]
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert len(entry["fullDescription"]["text"]) > len("Finds ")
        assert entry["help"]["markdown"] == rule_page(code)
        assert entry["defaultConfiguration"]["level"] in ("error", "warning", "note")
        if rule.link:
            assert entry["helpUri"] == rule.link
    assert rules["E501"] == {"id": "E501"}  # another plugin's code: its id at least


def test_results_point_at_their_rule_and_use_relative_paths(examples: Path):
    run = sarif(examples, "--select=SKT,E501")["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["results"], "no results: the loop below would check nothing"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == examples.resolve().as_uri() + "/"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert not location["uri"].startswith(("/", "./", "file:"))
        assert (examples / location["uri"]).is_file()


def test_the_file_is_written_afresh_each_run(examples: Path):
    (examples / "out").mkdir()
    (examples / "out" / "report.sarif").write_text("left over from an earlier run\n", encoding="utf-8")
    first = sarif(examples, "--select=SKT")
    second = sarif(examples, "--select=SKT")  # flake8's own formatters would append
    assert first == second


def test_statistics_and_benchmarks_do_not_corrupt_stdout(examples: Path):
    code, out, err = run_flake8(examples, "--format=skt-sarif", "--select=SKT", "--statistics", "--benchmark")
    assert code == 1, err
    log = json.loads(out)
    assert not list(VALIDATOR.iter_errors(log))


def test_fingerprints_survive_lines_moving(tmp_path: Path):
    write(tmp_path, "abort.py", TWO_LINGERS)
    before = sarif(tmp_path)["runs"][0]["results"]
    write(tmp_path, "abort.py", '"""Abortive closes."""\n\n# moved down by three lines\n' + TWO_LINGERS)
    after = sarif(tmp_path)["runs"][0]["results"]
    assert [_line(r) + 3 for r in before] == [_line(r) for r in after]
    assert _fingerprints(before) == _fingerprints(after)


def test_identical_findings_in_one_function_have_distinct_fingerprints(tmp_path: Path):
    write(tmp_path, "abort.py", TWO_LINGERS)
    results = sarif(tmp_path)["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["SKT201", "SKT201"]
    assert len(set(_fingerprints(results))) == 2


def test_an_edited_statement_changes_its_fingerprint(tmp_path: Path):
    write(tmp_path, "abort.py", TWO_LINGERS)
    before = _fingerprints(sarif(tmp_path)["runs"][0]["results"])
    write(tmp_path, "abort.py", TWO_LINGERS.replace('"ii", 1, 0', '"hh", 1, 0', 1))
    after = _fingerprints(sarif(tmp_path)["runs"][0]["results"])
    # The untouched statement is now the first of its kind; the edited one is new.
    assert after[1] == before[0]
    assert after[0] not in before


def test_an_unparsable_file_still_gives_a_valid_log(tmp_path: Path):
    write(tmp_path, "broken.py", "def broken(:\n    pass\n")
    results = sarif(tmp_path, "--select=SKT,E999")["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["E999"]


def _uri(result: dict) -> str:
    return result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def _line(result: dict) -> int:
    return result["locations"][0]["physicalLocation"]["region"]["startLine"]


def _fingerprints(results) -> list:
    return [r["partialFingerprints"]["flake8SocketClose/v1"] for r in results]
