"""The legacy programs in examples/ report exactly what their annotations say.

A buggy program marks each line that must report (`# SKT201`); its fixed
twin (`*_fixed.py`) carries no marks and must be silent.
"""

from pathlib import Path

import pytest

from expectations import REPO, assert_annotations_match, expected_reports

EXAMPLES = sorted((REPO / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example(path: Path) -> None:
    assert_annotations_match(path)


def test_every_buggy_example_has_a_fixed_twin_and_a_finding():
    buggy = [path for path in EXAMPLES if not path.stem.endswith("_fixed")]
    assert buggy, "no examples"
    for path in buggy:
        assert (path.parent / f"{path.stem}_fixed.py").is_file(), f"{path.name} has no fixed version"
        assert expected_reports(path.read_text(encoding="utf-8")), f"{path.name} expects no finding"
    for path in EXAMPLES:
        if path.stem.endswith("_fixed"):
            assert not expected_reports(path.read_text(encoding="utf-8")), f"{path.name} expects findings"
