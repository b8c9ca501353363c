"""The project's own code passes flake8 (with this plugin) at its line length."""

from flake8_run import run_flake8
from expectations import REPO


def test_own_code_is_clean():
    code, out, err = run_flake8(REPO, "--max-line-length", "120", "lintplugin", "benchmarks")
    assert (code, out) == (0, ""), out + err
