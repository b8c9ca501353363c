"""Analysis limits give an SKT900 naming the function, never a hang or a traceback."""

from expectations import lint_source
from lintplugin.flow import cfg

SOURCE = """\
import socket


def huge(addr, flags):
    conn = socket.create_connection(addr)
""" + "".join(f"    if flags[{i}]:\n        conn.sendall(b'{i}')\n" for i in range(60)) + """\
    conn.close()


def small(addr):
    s = socket.create_connection(addr)
    return s.recv(10)
"""


def test_node_budget_reports_the_function_and_keeps_the_others(monkeypatch):
    monkeypatch.setattr(cfg, "DEFAULT_NODE_BUDGET", 100)
    reports = lint_source(SOURCE)
    limits = [r for r in reports if r.code == "SKT900"]
    assert len(limits) == 1
    assert limits[0].line == 1
    assert "function 'huge' (line 4) not checked" in limits[0].text
    assert "too large to analyse" in limits[0].text
    # the other function is still analysed and reported
    small_line = SOURCE.splitlines().index("    s = socket.create_connection(addr)") + 1
    assert any(r.code == "SKT105" and r.line == small_line for r in reports)


def test_without_the_limit_the_function_is_analysed():
    reports = lint_source(SOURCE)
    assert not [r for r in reports if r.code == "SKT900"]
    assert any(r.code == "SKT101" and r.line == 7 for r in reports)
