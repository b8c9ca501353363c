"""Analysis cost grows with the function, never with the number of paths."""

import ast
import time

import pytest

from lintplugin.analysis.file import analyse


def branching_function(branches: int, leaky: bool) -> str:
    step = "            return None\n" if leaky else "            break\n"
    body = "".join(
        f"        if flag{i}:\n            data = conn.recv({i + 1})\n            if not data:\n    {step}"
        for i in range(branches)
    )
    return (
        "import socket\n\n\ndef handle(addr, flags):\n"
        "    conn = socket.create_connection(addr)\n"
        "    while True:\n"
        + body
        + "    conn.close()\n"
    )


def timed(source: str):
    tree = ast.parse(source)
    started = time.perf_counter()
    reports = analyse(tree, source.splitlines(keepends=True))
    return time.perf_counter() - started, reports


def plain_branches(branches: int) -> str:
    """A function of N sequential `if` branches, each receiving."""
    body = "".join(f"        if flags[{i}]:\n            data = conn.recv({i + 1})\n" for i in range(branches))
    return (
        "import socket\n\n\ndef handle(addr, flags):\n"
        "    with socket.create_connection(addr) as conn:\n" + body
    )


def test_3000_branches_well_under_a_second():
    timed(plain_branches(10))  # imports and per-type caches
    elapsed, reports = timed(plain_branches(3000))
    assert reports == []
    assert elapsed < 1.5  # about 0.7 s on a 2-core machine, libcst's own parse included


def test_every_leaking_branch_is_found_without_path_explosion():
    elapsed, reports = timed(branching_function(300, leaky=True))
    codes = [r.code for r in reports]
    assert codes.count("SKT102") == 300
    assert elapsed < 2.0


@pytest.mark.parametrize("size", [300, 3000])
def test_time_per_branch_stays_flat(size):
    timed(branching_function(10, leaky=False))  # imports and per-type caches
    small, _ = timed(branching_function(size // 10, leaky=False))
    large, _ = timed(branching_function(size, leaky=False))
    # Ten times the branches costs about ten times the time (libcst's parser
    # grows a little faster); a quadratic analysis would cost a hundred times.
    assert large < 25 * max(small, 0.01)
