"""Running the real flake8 command from tests, and reading what it prints."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List, NamedTuple, Tuple


class Reported(NamedTuple):
    path: str
    line: int
    col: int
    code: str
    text: str


_REPORT = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) (?P<text>.*)$")


def run_flake8(cwd: Path, *args: str, isolated: bool = True) -> Tuple[int, str, str]:
    """Run the real flake8 in `cwd`; (exit code, stdout, stderr)."""
    command = [sys.executable, "-m", "flake8"]
    if isolated:
        command.append("--isolated")
    command.extend(args)
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def parse(stdout: str) -> List[Reported]:
    """Every report line of flake8's default format; anything else fails the test."""
    reports = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        match = _REPORT.match(raw)
        assert match, f"not a flake8 report line: {raw!r}"
        path = match["path"]
        if path.startswith("./"):
            path = path[2:]
        reports.append(Reported(path, int(match["line"]), int(match["col"]), match["code"], match["text"]))
    return reports


def codes_at(reports: List[Reported], code: str) -> List[Tuple[str, int, int]]:
    return sorted((r.path, r.line, r.col) for r in reports if r.code == code)


def assert_no_crash(code: int, stdout: str, stderr: str) -> None:
    assert code in (0, 1), f"flake8 exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    for stream in (stdout, stderr):
        assert "Traceback" not in stream, stream
        assert "PluginExecutionFailed" not in stream, stream
        assert "failed during execution" not in stream, stream


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def line_of(source: str, needle: str) -> int:
    """1-based number of the only line of `source` that contains `needle`."""
    lines = [n for n, text in enumerate(textwrap.dedent(source).splitlines(), 1) if needle in text]
    assert len(lines) == 1, (needle, lines)
    return lines[0]
