"""`lintplugin audit`, run the way a user runs it, checked against the real flake8.

The numbers are never compared with numbers the audit itself produced: the
reference is `flake8 --isolated --select SKT` on the same tree, and what the
examples are known to contain.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from expectations import REPO
from flake8_run import parse, run_flake8, write
from lintplugin.catalogue import RULES
from lintplugin.cli.audit import Progress

EXAMPLES = REPO / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.py"))


def audit(*args: str, cwd: Path = REPO) -> Tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "lintplugin", "audit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def audit_json(*args: str, cwd: Path = REPO) -> dict:
    code, out, err = audit(*args, "--format", "json", cwd=cwd)
    assert code in (0, 1), err
    return json.loads(out)


def assert_no_traceback(*streams: str) -> None:
    for stream in streams:
        assert "Traceback" not in stream, stream


def read_text_summary(out: str) -> dict:
    """The numbers of the text summary, read the way a person reads them."""
    summary: dict = {"rules": {}, "top": [], "skipped": []}
    section = None
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.split(":")[0]
            number = re.match(r"^[a-z ]+:\s+(\d+)(?: in (\d+) files?)?$", line)
            if number:
                summary[section] = int(number.group(1))
                if number.group(2):
                    summary["files with findings"] = int(number.group(2))
            continue
        if section == "findings per rule":
            code, _name, count = line.split()
            summary["rules"][code] = int(count)
        elif section == "files with most findings (top 10)":
            count, path = line.split(maxsplit=1)
            summary["top"].append((path, int(count)))
        elif section == "files skipped (unreadable or not valid Python)":
            summary["skipped"].append(line.strip().split(": ", 1)[0])
    return summary


def flake8_reports(cwd: Path, *args: str):
    code, out, err = run_flake8(cwd, "--select", "SKT", *args)
    assert code in (0, 1), err
    return parse(out)


def per_rule(reports) -> Dict[str, int]:
    counts = Counter(report.code for report in reports)
    return {code: counts[code] for code in RULES}


def ranked_files(reports) -> List[Tuple[str, int]]:
    counts = Counter(report.path for report in reports)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]


# --------------------------------------------------------------------------- examples/ against flake8


def test_examples_summary_matches_flake8():
    code, out, err = audit("examples", "--isolated")
    assert_no_traceback(out, err)
    assert err == ""
    reports = flake8_reports(REPO, "examples/")
    assert reports, "flake8 found nothing in examples/: the comparison would prove nothing"
    summary = read_text_summary(out)

    assert code == 1
    assert summary["files scanned"] == len(EXAMPLE_FILES)
    # Every example is a network program, buggy or fixed.
    assert all("import socket" in path.read_text(encoding="utf-8") for path in EXAMPLE_FILES)
    assert summary["files with socket code"] == len(EXAMPLE_FILES)
    assert summary["files skipped"] == 0 and summary["skipped"] == []
    assert summary["findings"] == len(reports)
    assert summary["rules"] == per_rule(reports)
    assert list(summary["rules"]) == list(RULES), "every code of the catalogue, in its order, 0 included"
    assert summary["files with findings"] == len({report.path for report in reports})
    assert summary["top"] == ranked_files(reports)


def test_examples_json_findings_are_flake8s():
    data = audit_json("examples", "--isolated")
    reports = flake8_reports(REPO, "examples/")
    assert reports, "flake8 found nothing in examples/: the comparison would prove nothing"
    found = [finding for entry in data["findings_by_file"] for finding in entry["findings"]]
    assert sorted((f["path"], f["line"], f["column"], f["code"], f["message"]) for f in found) == sorted(
        (r.path, r.line, r.col, r.code, r.text) for r in reports
    )
    for entry in data["findings_by_file"]:
        assert {finding["path"] for finding in entry["findings"]} == {entry["path"]}
    assert [entry["path"] for entry in data["findings_by_file"]] == sorted({r.path for r in reports})
    assert data["findings_per_rule"] == per_rule(reports)
    assert [(entry["path"], entry["findings"]) for entry in data["top_files"]] == ranked_files(reports)


def test_json_and_text_give_the_same_numbers():
    _, out, _ = audit("examples", "--isolated")
    text = read_text_summary(out)
    data = audit_json("examples", "--isolated")
    assert data["format_version"] == 1
    assert data["paths"] == ["examples"]
    assert data["files_scanned"] == text["files scanned"]
    assert data["files_with_socket_code"] == text["files with socket code"]
    assert data["findings_total"] == text["findings"]
    assert data["files_with_findings"] == text["files with findings"]
    assert data["findings_per_rule"] == text["rules"]
    assert [(entry["path"], entry["findings"]) for entry in data["top_files"]] == text["top"]
    assert [entry["path"] for entry in data["skipped_files"]] == text["skipped"]
    assert sum(len(entry["findings"]) for entry in data["findings_by_file"]) == text["findings"]


@pytest.mark.parametrize("pattern", ["*_fixed.py", "linger_proxy.py,sleepy_responder*"])
def test_excludes_change_the_counts_as_flake8s_do(pattern):
    everything = audit_json("examples", "--isolated")
    data = audit_json("examples", "--isolated", "--extend-exclude", pattern)
    reports = flake8_reports(REPO, "--extend-exclude", pattern, "examples/")
    left = [path for path in EXAMPLE_FILES if not any(Path(path.name).match(p) for p in pattern.split(","))]
    assert data["files_scanned"] == len(left) < everything["files_scanned"]
    assert data["files_with_socket_code"] == len(left)
    assert data["findings_per_rule"] == per_rule(reports)
    assert data["findings_total"] == len(reports)
    if pattern == "*_fixed.py":  # the fixed programs have no findings to lose
        assert data["findings_total"] == everything["findings_total"]
    else:
        assert data["findings_per_rule"]["SKT201"] == 0 < everything["findings_per_rule"]["SKT201"]
        assert data["findings_total"] < everything["findings_total"]


def test_paths_are_relative_to_the_current_directory_with_slashes():
    from_root = audit_json(str(EXAMPLES), "--isolated")  # an absolute path on the command line
    assert {entry["path"] for entry in from_root["findings_by_file"]} == {
        f"examples/{path.name}" for path in EXAMPLE_FILES if not path.stem.endswith("_fixed")
    }
    inside = audit_json(".", "--isolated", cwd=EXAMPLES)
    assert {entry["path"] for entry in inside["findings_by_file"]} == {
        path.name for path in EXAMPLE_FILES if not path.stem.endswith("_fixed")
    }


def test_output_is_deterministic(tmp_path):
    first = audit("examples", "--isolated", "--html", str(tmp_path / "one.html"))
    second = audit("examples", "--isolated", "--html", str(tmp_path / "two.html"))
    assert first[1].replace("one.html", "") == second[1].replace("two.html", "")
    assert (tmp_path / "one.html").read_bytes() == (tmp_path / "two.html").read_bytes()
    assert audit_json("examples", "--isolated") == audit_json("examples", "--isolated")


# --------------------------------------------------------------------------- bad files


BUGGY = """\
import socket


def fetch(host):
    sock = socket.socket()
    sock.connect((host, 80))
    sock.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
    data = sock.recv(4096)
    sock.close()
    return data
"""


def bad_tree(folder: Path) -> List[str]:
    """A tree with files no parser takes; returns the names that must be skipped."""
    write(folder, "good.py", BUGGY)
    (folder / "latin1.py").write_bytes(BUGGY.replace("fetch", "r\xe9cup\xe8re").encode("latin-1"))
    write(folder, "unparsable.py", "def broken(:\n    pass\n")
    write(folder, "python2.py", 'print "hello"\n')
    (folder / "nul.py").write_bytes(b"import socket\x00\n")
    skipped = ["nul.py", "python2.py", "unparsable.py"]
    try:
        os.symlink(folder / "gone.py", folder / "dangling.py")
        skipped.insert(0, "dangling.py")
    except (OSError, NotImplementedError):
        pass  # no symlinks here: the unreadable case is not tested
    return skipped


def test_unparsable_and_undecodable_files_are_listed_never_a_traceback(tmp_path):
    skipped = bad_tree(tmp_path)
    code, out, err = audit(".", "--isolated", cwd=tmp_path)
    assert_no_traceback(out, err)
    assert err == ""
    summary = read_text_summary(out)
    assert summary["files skipped"] == len(skipped)
    assert summary["skipped"] == skipped
    assert summary["files scanned"] == len(skipped) + 2
    # The non-UTF-8 file is read as flake8 reads it (latin-1) and checked.
    reports = flake8_reports(tmp_path, "good.py", "latin1.py")
    assert {r.path for r in reports} == {"good.py", "latin1.py"}
    assert summary["rules"] == per_rule(reports)
    assert summary["top"] == ranked_files(reports)
    assert summary["files with socket code"] == 2
    assert code == 1

    data = audit_json(".", "--isolated", cwd=tmp_path)
    assert [entry["path"] for entry in data["skipped_files"]] == skipped
    reasons = {entry["path"]: entry["reason"] for entry in data["skipped_files"]}
    assert reasons["unparsable.py"].startswith("not valid Python")
    if "dangling.py" in reasons:
        assert reasons["dangling.py"].startswith("cannot read it")


def test_a_tree_without_socket_code(tmp_path):
    write(tmp_path, "plain.py", "def send(queue, item):\n    queue.put(item)\n")
    data = audit_json(".", "--isolated", cwd=tmp_path)
    assert (data["files_scanned"], data["files_with_socket_code"], data["findings_total"]) == (1, 0, 0)


def test_noqa_after_a_form_feed_is_honoured_as_flake8_does(tmp_path):
    source = BUGGY.replace("import socket\n", "import socket\n\x0c\n").replace(
        "sock.connect((host, 80))", "sock.connect((host, 80))  # noqa: SKT101"
    )
    write(tmp_path, "paged.py", source)
    assert flake8_reports(tmp_path, "paged.py") == []
    assert audit_json(".", "--isolated", cwd=tmp_path)["findings_total"] == 0


# --------------------------------------------------------------------------- exit status


def test_exit_status_is_0_without_findings_and_1_with():
    fixed = [str(path.relative_to(REPO)) for path in EXAMPLE_FILES if path.stem.endswith("_fixed")]
    assert audit(*fixed, "--isolated")[0] == 0
    assert audit("examples", "--isolated", "--extend-exclude", "*.py")[0] == 0  # nothing left to check
    assert audit("examples/linger_proxy.py", "--isolated")[0] == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["no/such/dir", "--isolated"], "no such file or directory: no/such/dir"),
        (["examples", "--isolated", "--html", "no/such/dir/audit.html"], "does not exist"),
        (["examples", "--isolated", "--skt-docs-url", "https://wiki/{nope}"], "--skt-docs-url"),
        (["examples", "--config", "no-such-config.cfg"], "no-such-config.cfg"),
        (["examples", "--isolated", "--format", "xml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_one_message(args, message):
    code, out, err = audit(*args)
    assert code == 2, (out, err)
    assert message in err
    assert out == ""
    assert_no_traceback(err)


def test_a_bad_pyproject_table_is_a_usage_error(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.flake8-socket-close]\nno-such-option = "x"\n')
    write(tmp_path, "good.py", BUGGY)
    code, out, err = audit(".", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert "no-such-option" in err
    assert_no_traceback(err)


# --------------------------------------------------------------------------- progress


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    copies = many_examples(tmp_path, copies=3)
    code, out, err = audit(".", "--isolated", cwd=tmp_path)
    assert code == 1
    assert err == ""
    assert "scanned " not in out
    assert read_text_summary(out)["files scanned"] == copies


def many_examples(folder: Path, copies: int) -> int:
    for number in range(copies):
        shutil.copytree(EXAMPLES, folder / f"copy{number}", ignore=shutil.ignore_patterns("*.md"))
    return copies * len(EXAMPLE_FILES)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_on_a_terminal_is_drawn_on_stderr_and_erased(tmp_path):
    files = many_examples(tmp_path, copies=15)  # long enough to outlast the quiet first half second
    terminal, stderr_end = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "lintplugin", "audit", ".", "--isolated"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=stderr_end,
    )
    os.close(stderr_end)
    shown = read_all(terminal)
    out, _ = process.communicate(timeout=300)
    shown.join(timeout=10)
    drawn = b"".join(shown.chunks).decode()

    assert process.returncode == 1
    assert read_text_summary(out.decode())["files scanned"] == files
    draws = re.findall(r"\rscanned (\d+)/(\d+) files", drawn)
    assert draws, repr(drawn)
    assert {total for _, total in draws} == {str(files)}
    numbers = [int(done) for done, _ in draws]
    assert numbers == sorted(numbers) and numbers[-1] < files
    assert len(draws) < files / 2, "progress must be throttled, not drawn for every file"
    assert re.search(r"\r +\r$", drawn), f"the progress line is not erased at the end: {drawn[-80:]!r}"
    assert "\n" not in drawn.replace("\r\n", "")  # one line, redrawn in place


def read_all(descriptor: int) -> threading.Thread:
    """Read a pseudo-terminal in the background, so the child never blocks on a full one."""
    chunks: List[bytes] = []

    def pump() -> None:
        while True:
            try:
                chunk = os.read(descriptor, 4096)
            except OSError:  # EIO: every writer has closed it
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(descriptor)

    reader = threading.Thread(target=pump, daemon=True)
    reader.chunks = chunks  # type: ignore[attr-defined]
    reader.start()
    return reader


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_waits_then_throttles_then_erases():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(stream, clock=clock, delay=0.5, interval=0.1)
    progress(1, 900, "a.py")
    clock.now += 0.4
    progress(2, 900, "b.py")
    assert stream.getvalue() == "", "a quick run leaves no trace"
    clock.now += 0.2
    progress(121, 900, "c.py")
    assert stream.getvalue() == "\rscanned 120/900 files"
    clock.now += 0.05
    progress(122, 900, "d.py")
    assert stream.getvalue() == "\rscanned 120/900 files", "redrawn at most every interval"
    clock.now += 0.1
    progress(123, 900, "e.py")
    assert stream.getvalue().endswith("\rscanned 122/900 files")
    progress.erase()
    assert stream.getvalue().endswith("\r" + " " * len("scanned 122/900 files") + "\r")
    length = len(stream.getvalue())
    progress.erase()
    assert len(stream.getvalue()) == length, "erasing twice writes nothing more"


def test_progress_that_never_drew_erases_nothing():
    stream = io.StringIO()
    progress = Progress(stream, clock=FakeClock())
    progress(1, 2, "a.py")
    progress.erase()
    assert stream.getvalue() == ""
