"""Analysis cost grows with the function, never with the number of paths."""

import ast
import time

import pytest

from lintplugin.engine import analyse


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


def test_3000_branches_well_under_a_second():
    elapsed, reports = timed(branching_function(3000, leaky=False))
    assert not [r for r in reports if r.code == "SKT900"]
    assert elapsed < 2.0  # about 0.8 s on a 2-core CI machine, libcst's parse included


def test_every_leaking_branch_is_found_without_path_explosion():
    elapsed, reports = timed(branching_function(300, leaky=True))
    codes = [r.code for r in reports]
    assert codes.count("SKT102") == 300
    assert elapsed < 2.0


@pytest.mark.parametrize("size", [200, 2000])
def test_time_per_branch_stays_flat(size):
    small, _ = timed(branching_function(size // 10, leaky=False))
    large, _ = timed(branching_function(size, leaky=False))
    # 10 times the branches: well under 10 times 3 the time (no quadratic blow-up),
    # with slack for noise and libcst's parser.
    assert large < 30 * max(small, 0.005)
