"""The pre-commit hook, through the real `pre-commit try-repo` against this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from expectations import REPO

BAD = """\
import socket
import struct


def reject(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        conn.close()
"""
CLEAN = """\
import socket


def fetch(addr, request):
    with socket.create_connection(addr) as s:
        s.sendall(request)
        return s.recv(4096)
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path_factory.mktemp("project")
    git(folder, "init", "-q")
    (folder / "bad.py").write_text(BAD, encoding="utf-8")
    (folder / "clean.py").write_text(CLEAN, encoding="utf-8")
    git(folder, "add", ".")
    return folder


def try_repo(project: Path, *files: str):
    environment = dict(os.environ, PRE_COMMIT_HOME=str(project / ".pre-commit-home"))
    environment.setdefault("GIT_AUTHOR_NAME", "test")
    environment.setdefault("GIT_AUTHOR_EMAIL", "test@example.invalid")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "flake8-socket-close", "--verbose",
         "--files", *files],
        cwd=project, capture_output=True, text=True, timeout=900, env=environment,
    )
    return done.returncode, done.stdout + done.stderr


def test_hook_fails_on_a_bug_and_prints_the_finding_with_its_link(project):
    code, output = try_repo(project, "bad.py")
    assert code == 1, output
    assert "bad.py:7:9: SKT201" in output
    assert "(https://learn.microsoft.com/" in output


def test_hook_passes_on_clean_code(project):
    code, output = try_repo(project, "clean.py")
    assert code == 0, output
    assert "SKT" not in output.replace("flake8-socket-close", "")


def test_hook_honours_a_baseline_set_in_the_flake8_config(project):
    config = project / ".flake8"
    baseline = project / ".skt-baseline.json"
    try:
        subprocess.run(
            [sys.executable, "-m", "lintplugin", "baseline", "write", "--isolated", "bad.py"],
            cwd=project, check=True, capture_output=True, timeout=300,
        )
        config.write_text("[flake8]\nskt-baseline = .skt-baseline.json\n", encoding="utf-8")
        code, output = try_repo(project, "bad.py")
        assert code == 0, output
        assert "SKT201" not in output
    finally:
        config.unlink(missing_ok=True)
        baseline.unlink(missing_ok=True)
