"""Every .py file of the running Python's standard library, tests included:
no crash, and no SKT900 on code Python itself accepts."""

from __future__ import annotations

import ast
import os
import sysconfig
import tokenize
from pathlib import Path

import pytest

from lintplugin.analysis.file import analyse

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files():
    for folder, subfolders, files in os.walk(STDLIB):
        subfolders[:] = sorted(name for name in subfolders if name not in ("site-packages", "__pycache__"))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(folder) / name


def read(path: Path):
    """Source lines as flake8 reads them, or None when Python rejects the file."""
    try:
        with tokenize.open(path) as handle:
            text = handle.read()
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return None
    return tree, text.splitlines(keepends=True)


@pytest.mark.skipif(not STDLIB.is_dir(), reason="no standard library sources on this Python")
def test_whole_standard_library():
    checked = not_analysed = 0
    failures = []
    for path in stdlib_files():
        parsed = read(path)
        if parsed is None:
            continue
        checked += 1
        for report in analyse(*parsed):
            if report.code == "SKT900":
                not_analysed += 1
                failures.append(f"{path.relative_to(STDLIB)}: {report.text}")
    assert checked > 1000, f"only {checked} files read from {STDLIB}"
    assert not failures, "SKT900 on valid code:\n" + "\n".join(failures[:20])
