"""Analysis cost grows with the function, never with the number of paths.

Cost is counted, not timed: CFG nodes, and the dataflow's transfer-function
calls (node visits), which `lintplugin.flow.dataflow.WORK` adds up. Counts do
not depend on how busy the machine is; wall-clock figures live in
benchmarks/, as ratios against plain flake8.
"""

import ast

import pytest

from lintplugin.analysis.file import analyse
from lintplugin.flow.dataflow import MAX_VISITS_PER_NODE, WORK


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


def plain_branches(branches: int) -> str:
    """A function of N sequential `if` branches, each receiving."""
    body = "".join(f"        if flags[{i}]:\n            data = conn.recv({i + 1})\n" for i in range(branches))
    return (
        "import socket\n\n\ndef handle(addr, flags):\n"
        "    with socket.create_connection(addr) as conn:\n" + body
    )


def counted(source: str):
    """(reports, CFG nodes solved, transfer calls) for one file."""
    WORK.reset()
    reports = analyse(ast.parse(source), source.splitlines(keepends=True))
    return reports, WORK.nodes, WORK.transfers


def test_the_counter_counts():
    _, nodes, transfers = counted(plain_branches(10))
    assert nodes >= 2 * 10 and transfers >= nodes // 2  # most nodes of a solved graph are visited


def test_3000_branches_cost_what_300_do_per_branch():
    small_reports, small_nodes, small_work = counted(plain_branches(300))
    large_reports, large_nodes, large_work = counted(plain_branches(3000))
    assert small_reports == large_reports == []
    # Every solve visits each node a bounded number of times...
    assert large_work <= MAX_VISITS_PER_NODE * large_nodes
    # ...and that number does not grow with the function: ten times the
    # branches is ten times the work (a quadratic analysis would be 100 times).
    assert large_nodes <= 10.5 * small_nodes
    assert large_work / large_nodes <= 1.1 * (small_work / small_nodes)


def test_every_leaking_branch_is_found_without_path_explosion():
    reports, nodes, work = counted(branching_function(300, leaky=True))
    assert [r.code for r in reports].count("SKT102") == 300
    # 2**300 paths, and still a few visits per node
    assert work <= 8 * nodes


@pytest.mark.parametrize("size", [300, 3000])
def test_work_per_branch_stays_flat_in_loops(size):
    _, small_nodes, small_work = counted(branching_function(size // 10, leaky=False))
    _, large_nodes, large_work = counted(branching_function(size, leaky=False))
    assert large_nodes <= 10.5 * small_nodes
    assert large_work / large_nodes <= 1.1 * (small_work / small_nodes)
