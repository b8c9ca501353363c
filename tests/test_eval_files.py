"""Every eval file reports exactly what its annotations say."""

from pathlib import Path

import pytest

from expectations import REPO, actual_reports, assert_annotations_match, expected_reports

EVAL_FILES = sorted((REPO / "tests" / "eval_files").glob("*.py"))


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda path: path.name)
def test_eval_file(path: Path) -> None:
    assert_annotations_match(path)


def test_harness_notices_a_missing_report() -> None:
    source = "import socket\n\ndef f(s):\n    s.recv(1)  # SKT201\n"
    assert expected_reports(source) == {(4, "SKT201")}
    assert actual_reports(source) == set()


def test_every_eval_file_expects_something() -> None:
    assert EVAL_FILES, "no eval files found"
    for path in EVAL_FILES:
        assert expected_reports(path.read_text(encoding="utf-8")), f"{path.name} annotates nothing"
