"""The same input gives byte-identical output, run after run and with --jobs."""

from __future__ import annotations

import shutil

from flake8_run import assert_no_crash, run_flake8
from expectations import REPO


def test_byte_identical_across_runs_and_jobs(tmp_path):
    for folder in ("examples", "tests/eval_files"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    outputs = []
    for jobs in ("1", "1", "2"):
        code, out, err = run_flake8(tmp_path, "--select", "SKT", "--jobs", jobs, ".")
        assert_no_crash(code, out, err)
        outputs.append(out.encode())
    assert outputs[0], "no findings at all: the comparison would prove nothing"
    assert outputs[0] == outputs[1] == outputs[2]
