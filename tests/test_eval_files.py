"""Every eval file reports exactly what its annotations say, and the harness that says so can fail."""

import textwrap
from pathlib import Path

import pytest

from expectations import (
    REPO,
    AnnotationError,
    actual_reports,
    annotations,
    assert_annotations_match,
    check_source,
    expected_reports,
    unpinned,
)

EVAL_FILES = sorted((REPO / "tests" / "eval_files").glob("*.py"))


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda path: path.name)
def test_eval_file(path: Path) -> None:
    assert_annotations_match(path)


def test_every_eval_file_expects_something() -> None:
    assert EVAL_FILES, "no eval files found"
    for path in EVAL_FILES:
        assert expected_reports(path.read_text(encoding="utf-8")), f"{path.name} annotates nothing"


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda path: path.name)
def test_eval_annotations_pin_column_and_words(path: Path) -> None:
    # A bare `# SKT101` would let the column or the message drift unnoticed.
    loose = unpinned(path.read_text(encoding="utf-8"))
    assert not loose, f"{path.name}: give a column and key words: " + "; ".join(f"line {n.line}: {n}" for n in loose)


# The harness's self-tests. One finding the analysis has always given: SO_LINGER
# (1, 0) on line 5, at flake8 column 5, with a message naming SO_LINGER and 'sock'.
LINGER = """\
import socket
import struct

def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)){}

def quiet(sock):
    sock.close(){}
"""


def linger(first: str = "", second: str = "") -> str:
    return LINGER.format(first, second)


def test_harness_notices_a_missing_report() -> None:
    source = "import socket\n\ndef f(s):\n    s.recv(1)  # SKT201\n"
    assert expected_reports(source) == {(4, "SKT201")}
    assert actual_reports(source) == set()
    assert "expected SKT201 is not reported" in check_source(source)


def test_harness_accepts_the_right_annotations() -> None:
    # The control for the tests below: each of them changes one thing.
    assert check_source(linger("  # SKT201:5 SO_LINGER 'sock' \"l_onoff=1, l_linger=0\"")) == ""
    assert check_source(linger("  # SKT201", "  # MISSING: SKT304 a reason")) == ""
    assert check_source(linger("  # SPURIOUS: SKT201:5 a reason")) == ""


def test_harness_catches_a_wrong_column() -> None:
    failure = check_source(linger("  # SKT201:6 SO_LINGER"))
    assert "expected SKT201:6 SO_LINGER is not reported" in failure
    assert "reported  SKT201:5 SO_LINGER (l_onoff=1" in failure, "the table shows the actual report in full"


def test_harness_catches_a_missing_key_word() -> None:
    failure = check_source(linger("  # SKT201:5 SO_LINGER \"TIME_WAIT forever\""))
    assert 'expected SKT201:5 SO_LINGER "TIME_WAIT forever" is not reported' in failure


def test_harness_catches_an_unannotated_report() -> None:
    assert "line 5: " in check_source(linger())
    assert "SKT201:5 is reported but not annotated" in check_source(linger())


def test_harness_catches_a_missing_marker_that_is_reported() -> None:
    failure = check_source(linger("  # MISSING: SKT201 the resolver cannot read struct.pack"))
    assert "SKT201 is reported now: turn the MISSING marker into an expectation" in failure
    assert "not annotated" not in failure, "one problem per report"


def test_harness_catches_a_spurious_marker_that_is_not_reported() -> None:
    failure = check_source(linger("  # SKT201:5 SO_LINGER", "  # SPURIOUS: SKT301:5 close() after nothing"))
    assert "SKT301 is no longer reported: the false alarm is fixed, remove the SPURIOUS marker" in failure


@pytest.mark.parametrize("marker", ["MISSING", "SPURIOUS"])
def test_harness_rejects_a_marker_without_a_reason(marker: str) -> None:
    with pytest.raises(AnnotationError, match="needs a reason"):
        annotations(f"x = 1  # {marker}: SKT201:5\n")
    assert "needs a reason" in check_source(linger(f"  # {marker}: SKT201  "))


def test_harness_rejects_an_unreadable_annotation() -> None:
    # The old comma form would silently lose its second code if read leniently.
    assert "cannot read annotation" in check_source(linger("  # SKT201, SKT105"))


def test_annotation_syntax() -> None:
    source = textwrap.dedent("""\
        a()  # SKT101:9 recv() "never closed"; SKT105:12 'conn'
        b()  # a plain comment mentioning SKT101 is not an annotation
        c()  # MISSING: SKT102 the EOF test is a helper call; SPURIOUS: SKT103:4 bounded by a deadline
        """)
    assert [str(note) for note in annotations(source)] == [
        'SKT101:9 recv() "never closed"',
        "SKT105:12 'conn'",
        "MISSING: SKT102 the EOF test is a helper call",
        "SPURIOUS: SKT103:4 bounded by a deadline",
    ]
    assert expected_reports(source) == {(1, "SKT101"), (1, "SKT105")}


def test_unpinned_notices_a_bare_annotation() -> None:
    # The check test_eval_annotations_pin_column_and_words relies on.
    assert [str(note) for note in unpinned("a()  # SKT201\nb()  # SKT201:5\nc()  # SPURIOUS: SKT103 why\n")] == [
        "SKT201",
        "SKT201:5",
        "SPURIOUS: SKT103 why",
    ]
    assert unpinned("a()  # SKT201:5 SO_LINGER; MISSING: SKT105 why\n") == []
