"""Bad input never crashes flake8 through this plugin, and never yields a false finding.

Each odd file is linted by the real flake8 beside a file with one known
finding. flake8 must exit 0 or 1 with no traceback, still report the known
finding, and report nothing from this plugin for the odd file but, at most,
an SKT900 that says why.
"""

from __future__ import annotations

import sys

import pytest

from flake8_run import assert_no_crash, parse, run_flake8

KNOWN = b"""\
import socket
import struct


def reject(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        conn.close()
"""
KNOWN_AT = ("known.py", 7)

SOCKET_FUNCTION = """
def handle(conn):
    try:
        data = conn.recv(1024)
        if data:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(1024):
                pass
    except OSError:
        pass
    finally:
        conn.close()
"""


def deep_expression() -> bytes:
    # Nested calls cost libcst's own visitor about six frames per level and
    # pyflakes about two: 150 levels are past the first's default recursion
    # limit and short of the second's, so only our handling is on trial.
    nested = "wrap(" * 150 + "b'x'" + ")" * 150
    chain = " + ".join(["n"] * 300)
    return f"import socket\n\ndef f(conn, n, wrap):\n    conn.sendall({nested})\n    return {chain}\n".encode()


def deep_blocks() -> bytes:
    lines = ["import socket", "", "def f(conn, flag):"]
    indent = "    "
    for _ in range(95):  # Python allows 100 indentation levels
        lines.append(f"{indent}if flag:")
        indent += "    "
    lines.append(f"{indent}conn.sendall(b'x')")
    return ("\n".join(lines) + "\n").encode()


def deep_parentheses() -> bytes:
    return ("import socket\n\ndef f(conn):\n    conn.sendall(" + "(" * 180 + "b'x'" + ")" * 180 + ")\n").encode()


def ten_thousand_branches() -> bytes:
    body = "".join(f"        if flags[{i}]:\n            data = conn.recv({i + 1})\n" for i in range(10000))
    return ("import socket\n\n\ndef handle(addr, flags):\n"
            "    with socket.create_connection(addr) as conn:\n" + body).encode()


def five_megabytes() -> bytes:
    filler = "# " + "x" * 76 + "\n"
    head = "import socket\n" + SOCKET_FUNCTION
    return (head + filler * (5 * 1024 * 1024 // len(filler))).encode()


def newer_syntax() -> bytes:
    if sys.version_info < (3, 12):
        return b"import socket\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n"
    return b"import socket\n\ndef greet(conn, name):\n    conn.sendall(t'hello {name}')\n"  # PEP 750


ODD_FILES = {
    "null-bytes": b"import socket\n\x00\ndef f(conn):\n    conn.sendall(b'x')\n",
    "invalid-utf8": b"import socket\n# caf\xe9 \xff\xfe\ndef f(conn):\n    conn.sendall(b'\xff')\n",
    "bom": b"\xef\xbb\xbf" + ("import socket\n" + SOCKET_FUNCTION).encode(),
    "crlf": ("import socket\n" + SOCKET_FUNCTION).replace("\n", "\r\n").encode(),
    "lone-cr": ("import socket\n" + SOCKET_FUNCTION).replace("\n", "\r").encode(),
    "tabs-and-form-feeds": ("import socket\n\x0c\n" + SOCKET_FUNCTION.replace("    ", "\t")).encode(),
    "python2": b"import socket\n\ndef f(conn):\n    print 'sending'\n    conn.sendall('x')\n",
    "deep-expression": deep_expression(),
    "deep-blocks": deep_blocks(),
    "deep-parentheses": deep_parentheses(),
    "newer-syntax": newer_syntax(),
}


def lint_beside_known(tmp_path, name: str, content: bytes, *extra: str):
    (tmp_path / "known.py").write_bytes(KNOWN)
    (tmp_path / f"odd_{name}.py").write_bytes(content)
    code, out, err = run_flake8(tmp_path, "--select", "SKT,E9", *extra, ".")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert (KNOWN_AT + ("SKT201",)) in [(r.path, r.line, r.code) for r in reports], out
    odd = [r for r in reports if r.path == f"odd_{name}.py" and r.code.startswith("SKT")]
    for report in odd:
        assert report.code == "SKT900" and report.line == 1, report
    return odd, reports


def python_rejects_null_bytes_with_value_error() -> bool:
    """Before 3.11.? `ast.parse` raised ValueError on null bytes, which flake8's
    own build_ast does not catch: flake8 crashes before any plugin runs."""
    try:
        compile("x = 1\x00\n", "<probe>", "exec")
    except ValueError:
        return True
    except SyntaxError:
        return False
    return False


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_file_never_crashes_nor_misleads(tmp_path, name):
    if name == "null-bytes" and python_rejects_null_bytes_with_value_error():
        pytest.skip("flake8 itself crashes on null bytes with this Python, before any plugin runs")
    lint_beside_known(tmp_path, name, ODD_FILES[name])


def test_deep_expression_is_analysed_or_says_why(tmp_path):
    """A file with a deep expression is either analysed, and then the bug
    beside the expression is found, or given up with an SKT900 that says why.
    (Today it is analysed.) A bug in the same file tells the two apart from a
    file silently skipped, which a loop over its reports could not."""
    linger = (
        b"\n\ndef reset(conn):\n"
        b"    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00')\n"
    )
    source = deep_expression() + linger
    bug = (source.count(b"\n"), "SKT201")  # the last line
    (tmp_path / "known.py").write_bytes(KNOWN)
    (tmp_path / "odd_deep.py").write_bytes(source)
    code, out, err = run_flake8(tmp_path, "--select", "SKT,E9", ".")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert (KNOWN_AT + ("SKT201",)) in [(r.path, r.line, r.code) for r in reports], out
    odd = [r for r in reports if r.path == "odd_deep.py"]
    gave_up = [r for r in odd if r.code == "SKT900"]
    found = {(r.line, r.code) for r in odd if r.code != "SKT900"}
    if not gave_up:
        assert found == {bug}, out
    else:  # given up on the file (nothing else) or on the deep function only (the bug is still found)
        assert found <= {bug}, out
        for report in gave_up:
            assert report.line == 1 and ("nested too deeply" in report.text or "cannot parse" in report.text), out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_huge_inputs(tmp_path, jobs):
    (tmp_path / "known.py").write_bytes(KNOWN)
    (tmp_path / "five_megabytes.py").write_bytes(five_megabytes())
    (tmp_path / "ten_thousand_branches.py").write_bytes(ten_thousand_branches())
    code, out, err = run_flake8(tmp_path, "--select", "SKT,E9", "--jobs", jobs, ".")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert [(r.path, r.line, r.code) for r in reports] == [KNOWN_AT + ("SKT201",)], out
