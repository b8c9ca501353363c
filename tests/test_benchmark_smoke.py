"""The benchmark script still runs end to end (its --quick mode, a few seconds)."""

import subprocess
import sys

from expectations import REPO


def test_benchmark_quick_run():
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench.py"), "--quick", "--corpus", "stdlib-top"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stdlib-top" in done.stdout and "ratio" in done.stdout, done.stdout
