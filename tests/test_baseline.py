"""The baseline: `lintplugin baseline write|check|prune` and flake8's
`--skt-baseline`, through the real commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Tuple

from flake8_run import assert_no_crash, parse, run_flake8, write

LINGER = 'conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))'
ABORT = f"""\
import socket
import struct


def abort(conn):
    {LINGER}
    conn.close()


def probe(host):
    s = socket.create_connection((host, 80))
    s.sendall(b"HEAD / HTTP/1.0\\r\\n\\r\\n")
    return s.recv(100)
"""


def lintplugin(cwd: Path, *args: str) -> Tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "lintplugin", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def gate(cwd: Path, *args: str):
    """flake8 as a CI gate would run it: (exit code, reports)."""
    code, out, err = run_flake8(cwd, "--select=SKT", "--skt-baseline=.skt-baseline.json", *args)
    assert_no_crash(code, out, err)
    return code, parse(out)


def recorded(tmp_path: Path, source: str = ABORT) -> Path:
    write(tmp_path, "legacy/abort.py", source)
    code, out, err = lintplugin(tmp_path, "baseline", "write", "--isolated", ".")
    assert code == 0, err
    assert "recorded 2 finding(s)" in out
    return tmp_path / ".skt-baseline.json"


def test_write_records_findings_without_line_numbers(tmp_path: Path):
    entries = json.loads(recorded(tmp_path).read_text(encoding="utf-8"))["findings"]
    assert entries == [
        {
            "code": "SKT105",
            "path": "legacy/abort.py",
            "scope": "probe",
            "statement": "s = socket.create_connection((host, 80))",
            "count": 1,
        },
        {"code": "SKT201", "path": "legacy/abort.py", "scope": "abort", "statement": LINGER, "count": 1},
    ]


def test_the_gate_passes_on_recorded_findings(tmp_path: Path):
    recorded(tmp_path)
    assert gate(tmp_path) == (0, [])
    code, reports = gate(tmp_path, "--jobs=2")
    assert (code, reports) == (0, [])
    code, out, _ = run_flake8(tmp_path, "--select=SKT")  # without the baseline: both findings
    assert (code, len(parse(out))) == (1, 2)


def test_a_finding_moved_down_by_inserted_lines_stays_covered(tmp_path: Path):
    recorded(tmp_path)
    write(tmp_path, "legacy/abort.py", '"""A module docstring."""\n\nTIMEOUT = 5\n\n\n' + ABORT)
    assert gate(tmp_path) == (0, [])


def test_reformatting_and_comments_keep_it_covered(tmp_path: Path):
    recorded(tmp_path)
    wrapped = (
        "conn.setsockopt(socket.SOL_SOCKET,  # abortive on purpose\n"
        '        socket.SO_LINGER, struct.pack("ii", 1, 0))'
    )
    reformatted = ABORT.replace(LINGER, wrapped)
    write(tmp_path, "legacy/abort.py", reformatted)
    assert gate(tmp_path) == (0, [])


def test_a_second_identical_finding_in_the_same_scope_is_new(tmp_path: Path):
    recorded(tmp_path)
    write(tmp_path, "legacy/abort.py", ABORT.replace(LINGER, f"{LINGER}\n    {LINGER}"))
    code, reports = gate(tmp_path)
    assert code == 1
    assert [(r.code, r.line) for r in reports] == [("SKT201", 7)]  # the later one is the new one


def test_the_same_statement_in_another_function_is_new(tmp_path: Path):
    recorded(tmp_path)
    write(tmp_path, "legacy/abort.py", ABORT.replace("def abort(conn):", "def reject(conn):"))
    code, reports = gate(tmp_path)
    assert (code, [r.code for r in reports]) == (1, ["SKT201"])


def test_an_edited_statement_is_new(tmp_path: Path):
    recorded(tmp_path)
    write(tmp_path, "legacy/abort.py", ABORT.replace('"ii", 1, 0', '"hh", 1, 0'))
    code, reports = gate(tmp_path)
    assert (code, [r.code for r in reports]) == (1, ["SKT201"])


def test_a_renamed_file_is_new(tmp_path: Path):
    recorded(tmp_path)
    (tmp_path / "legacy" / "abort.py").rename(tmp_path / "legacy" / "teardown.py")
    code, reports = gate(tmp_path)
    assert code == 1
    assert sorted(r.code for r in reports) == ["SKT105", "SKT201"]


def test_noqa_does_not_use_up_the_count(tmp_path: Path):
    recorded(tmp_path)
    doubled = ABORT.replace(LINGER, f"{LINGER}  # noqa: SKT201\n    {LINGER}")
    write(tmp_path, "legacy/abort.py", doubled)
    assert gate(tmp_path) == (0, [])


def test_check_lists_fixed_debt_and_fails_and_prune_removes_it(tmp_path: Path):
    baseline = recorded(tmp_path)
    assert lintplugin(tmp_path, "baseline", "check", "--isolated")[0] == 0
    write(tmp_path, "legacy/abort.py", ABORT.replace(f"    {LINGER}\n", ""))
    code, out, _ = lintplugin(tmp_path, "baseline", "check", "--isolated")
    assert code == 1
    assert f"legacy/abort.py: abort: SKT201 `{LINGER}` (fixed)" in out
    assert "SKT105" not in out

    code, out, _ = lintplugin(tmp_path, "baseline", "prune", "--isolated")
    assert code == 0, out
    assert [e["code"] for e in json.loads(baseline.read_text(encoding="utf-8"))["findings"]] == ["SKT105"]
    assert lintplugin(tmp_path, "baseline", "check", "--isolated")[0] == 0


def test_a_deleted_file_makes_its_entries_stale(tmp_path: Path):
    recorded(tmp_path)
    (tmp_path / "legacy" / "abort.py").unlink()
    code, out, _ = lintplugin(tmp_path, "baseline", "check", "--isolated")
    assert code == 1
    assert out.count("(fixed)") == 2


def test_the_baseline_from_a_config_file_is_relative_to_it(tmp_path: Path):
    recorded(tmp_path)
    write(tmp_path, "setup.cfg", "[flake8]\nselect = SKT\nskt-baseline = .skt-baseline.json\n")
    # Run from a subdirectory: flake8 finds setup.cfg above, and the bare file
    # name in it must mean the file beside setup.cfg.
    code, out, err = run_flake8(tmp_path / "legacy", ".", isolated=False)
    assert (code, out) == (0, ""), err


def test_a_missing_baseline_stops_the_gate_with_one_line(tmp_path: Path):
    write(tmp_path, "legacy/abort.py", ABORT)
    code, out, err = run_flake8(tmp_path, "--select=SKT", "--skt-baseline=missing.json")
    assert code != 0
    assert "Traceback" not in err
    assert "does not exist; create it with `lintplugin baseline write`" in err


def test_a_corrupt_baseline_is_reported_not_a_traceback(tmp_path: Path):
    write(tmp_path, "legacy/abort.py", ABORT)
    write(tmp_path, ".skt-baseline.json", "{not json")
    code, _, err = run_flake8(tmp_path, "--select=SKT", "--skt-baseline=.skt-baseline.json")
    assert code != 0 and "is not valid JSON" in err and "Traceback" not in err
    code, _, err = lintplugin(tmp_path, "baseline", "check", "--isolated")
    assert code == 2 and "is not valid JSON" in err


def test_pyproject_names_the_baseline_for_the_commands(tmp_path: Path):
    write(tmp_path, "legacy/abort.py", ABORT)
    write(tmp_path, "pyproject.toml", '[tool.flake8-socket-close]\nskt-baseline = "debt/skt.json"\n')
    code, out, err = lintplugin(tmp_path, "baseline", "write", "legacy")
    assert code == 0, err
    assert (tmp_path / "debt" / "skt.json").is_file()
    entries = json.loads((tmp_path / "debt" / "skt.json").read_text(encoding="utf-8"))["findings"]
    assert {e["path"] for e in entries} == {"../legacy/abort.py"}
    code, out, err = run_flake8(tmp_path, "--select=SKT", "--skt-baseline=debt/skt.json")
    assert (code, out) == (0, ""), err
