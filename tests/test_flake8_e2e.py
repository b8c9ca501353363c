"""End to end: the real `flake8` command, in a subprocess, with the plugin installed.

Every test runs `python -m flake8` with the interpreter running the tests, in a
fresh directory, and reads what a user would read: the report lines, the exit
code, and stderr. `--isolated` keeps any configuration file out, except in the
tests that are about configuration files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

import pytest
from flake8_run import assert_no_crash, codes_at, parse, run_flake8, write

import lintplugin

PUBLIC_SKT201_LINK = (
    "https://learn.microsoft.com/en-us/windows/win32/winsock/"
    "graceful-shutdown-linger-options-and-socket-closure-2"
)
WIKI_TEMPLATE = "https://wiki.example.com/skt/{code}-{name}.html"
WIKI_SKT201 = "https://wiki.example.com/skt/SKT201-linger-zero.html"


# --------------------------------------------------------------------------- sources

# A server that refuses a connection with an abortive close. SKT201 on line 9,
# where `conn.setsockopt(` starts (column 4, flake8 prints 5).
REJECTING_SERVER = '''\
import socket
import struct

RST_ON_CLOSE = struct.pack("ii", 1, 0)


def reject(listener):
    conn, _addr = listener.accept()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST_ON_CLOSE)
    conn.close()
'''
REJECTING_SERVER_AT = (9, 5)

# A module-level client script: SKT201 at column 0 (flake8 prints 1).
ABORTING_SCRIPT = '''\
import socket
import struct

sock = socket.create_connection(("example.com", 80))
sock.sendall(b"HEAD / HTTP/1.0\\r\\n\\r\\n")
linger = struct.pack("ii", 1, 0)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
sock.close()
'''
ABORTING_SCRIPT_AT = (7, 1)

# Clean socket code: linger on with a timeout (graceful), linger off, and a
# lingering close (shutdown, drain to end-of-file, close via `with`).
GRACEFUL_SERVER = '''\
"""Echo one request per connection and close gracefully."""
import socket
import struct

LINGER_TEN_SECONDS = struct.pack("ii", 1, 10)
LINGER_OFF = struct.pack("ii", 0, 0)


def serve_once(listener):
    conn, _addr = listener.accept()
    with conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_OFF)
        request = conn.recv(4096)
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):
            pass


def configure(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_TEN_SECONDS)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
'''

NO_SOCKETS = '''\
"""Nothing to do with sockets."""


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else 0.0
'''

# Valid Python that libcst (1.x) fails to parse: `else(` with no space before
# a parenthesised lambda. The function makes a socket call so the plugin
# really parses it.
LIBCST_UNPARSABLE = '''\
def send_hello(conn):
    fallback = () if conn else(lambda: ())
    conn.sendall(b"x")
    return fallback
'''

PYTHON_SYNTAX_ERROR = '''\
import socket


def broken(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\\x01\\0\\0\\0\\0\\0\\0\\0")
'''


# --------------------------------------------------------------------------- 1. loading


def test_version_lists_the_plugin(tmp_path):
    code, out, err = run_flake8(tmp_path, "--version")
    assert code == 0, err
    assert f"flake8-socket-close: {lintplugin.__version__}" in out


def test_help_documents_the_docs_url_option(tmp_path):
    code, out, err = run_flake8(tmp_path, "--help")
    assert code == 0, err
    assert "--skt-docs-url" in out


# --------------------------------------------------------------------------- 2. position and link


def test_skt201_line_column_and_link(tmp_path):
    write(tmp_path, "server.py", REJECTING_SERVER)
    write(tmp_path, "client.py", ABORTING_SCRIPT)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", ".")
    assert_no_crash(code, out, err)
    assert code == 1
    reports = parse(out)
    assert codes_at(reports, "SKT201") == [
        ("client.py", *ABORTING_SCRIPT_AT),
        ("server.py", *REJECTING_SERVER_AT),
    ]
    assert [r.code for r in reports] == ["SKT201", "SKT201"]
    for report in reports:
        assert report.text.endswith(f"({PUBLIC_SKT201_LINK})"), report.text
        assert re.search(r"\(https://[^ )]+\)$", report.text)
    by_path = {r.path: r for r in reports}
    assert "'conn'" in by_path["server.py"].text
    assert "'sock'" in by_path["client.py"].text


MULTI_LINE_LINGER = '''\
import socket
import struct


def abort(conn):
    conn.setsockopt({comment}
        socket.SOL_SOCKET,
        socket.SO_LINGER,
        struct.pack("ii", 1, 0),
    )
    conn.close()
'''


def test_skt201_position_on_a_multi_line_call_is_its_first_line(tmp_path):
    write(tmp_path, "multi.py", MULTI_LINE_LINGER.format(comment=""))
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "multi.py")
    assert_no_crash(code, out, err)
    assert codes_at(parse(out), "SKT201") == [("multi.py", 6, 5)]


# --------------------------------------------------------------------------- 3. silence on clean code


def test_clean_socket_file_is_silent(tmp_path):
    write(tmp_path, "echo.py", GRACEFUL_SERVER)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "echo.py")
    assert (code, out, err) == (0, "", "")


def test_clean_socket_file_is_silent_with_every_default_check(tmp_path):
    # The snippet is PEP 8 clean, so with flake8's default selection (which
    # includes our codes) any output would be ours.
    write(tmp_path, "echo.py", GRACEFUL_SERVER)
    code, out, err = run_flake8(tmp_path, "echo.py")
    assert (code, out, err) == (0, "", "")


def test_file_without_socket_code_is_silent(tmp_path):
    write(tmp_path, "stats.py", NO_SOCKETS)
    code, out, err = run_flake8(tmp_path, "stats.py")
    assert (code, out, err) == (0, "", "")
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "stats.py")
    assert (code, out, err) == (0, "", "")


# --------------------------------------------------------------------------- 4. noqa

NOQA_SOURCE = '''\
import socket
import struct

conn = socket.create_connection(("127.0.0.1", 9000))
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)){comment}
conn.close()
'''


@pytest.mark.parametrize(
    "comment, reported",
    [
        ("", True),
        ("  # noqa: SKT201", False),
        ("  # noqa:SKT201,E501", False),
        ("  # noqa", False),
        ("  # noqa: E501", True),
        ("  # noqa: SKT900", True),
    ],
)
def test_noqa(tmp_path, comment, reported):
    write(tmp_path, "client.py", NOQA_SOURCE.format(comment=comment))
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "client.py")
    assert_no_crash(code, out, err)
    expected = [("client.py", 5, 1)] if reported else []
    assert codes_at(parse(out), "SKT201") == expected
    assert code == (1 if reported else 0)


def test_noqa_on_first_line_of_a_multi_line_call(tmp_path):
    # flake8 matches a noqa comment against the line of the report, which is
    # where the call starts.
    write(tmp_path, "multi.py", MULTI_LINE_LINGER.format(comment="  # noqa: SKT201"))
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "multi.py")
    assert (code, out, err) == (0, "", "")


# --------------------------------------------------------------------------- 5. per-file-ignores


@pytest.mark.parametrize("config_name", ["setup.cfg", ".flake8", "tox.ini"])
def test_per_file_ignores_from_config_file(tmp_path, config_name):
    write(
        tmp_path,
        config_name,
        """\
        [flake8]
        select = SKT
        per-file-ignores =
            legacy/*.py: SKT201
        """,
    )
    write(tmp_path, "legacy/old_server.py", REJECTING_SERVER)
    write(tmp_path, "app/server.py", REJECTING_SERVER)
    write(tmp_path, "app/client.py", ABORTING_SCRIPT)
    code, out, err = run_flake8(tmp_path, ".", isolated=False)
    assert_no_crash(code, out, err)
    assert code == 1
    assert codes_at(parse(out), "SKT201") == [
        ("app/client.py", *ABORTING_SCRIPT_AT),
        ("app/server.py", *REJECTING_SERVER_AT),
    ]
    assert "legacy" not in out


def test_per_file_ignores_for_another_code_keeps_skt201(tmp_path):
    write(
        tmp_path,
        "setup.cfg",
        """\
        [flake8]
        select = SKT
        per-file-ignores =
            legacy/*.py: E501,SKT900
        """,
    )
    write(tmp_path, "legacy/old_server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, ".", isolated=False)
    assert_no_crash(code, out, err)
    assert codes_at(parse(out), "SKT201") == [("legacy/old_server.py", *REJECTING_SERVER_AT)]


def test_isolated_ignores_the_config_file(tmp_path):
    # The control for the config tests: the same tree, --isolated, reports all.
    write(tmp_path, "setup.cfg", "[flake8]\nper-file-ignores =\n    legacy/*.py: SKT201\n")
    write(tmp_path, "legacy/old_server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", ".")
    assert_no_crash(code, out, err)
    assert codes_at(parse(out), "SKT201") == [("legacy/old_server.py", *REJECTING_SERVER_AT)]


# --------------------------------------------------------------------------- 6. docs url


def test_docs_url_option_changes_the_link(tmp_path):
    write(tmp_path, "server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "--skt-docs-url", WIKI_TEMPLATE, "server.py")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert codes_at(reports, "SKT201") == [("server.py", *REJECTING_SERVER_AT)]
    assert reports[0].text.endswith(f"({WIKI_SKT201})"), reports[0].text
    assert "learn.microsoft.com" not in out


def test_docs_url_also_links_skt900(tmp_path):
    write(tmp_path, "odd.py", LIBCST_UNPARSABLE)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "--skt-docs-url", WIKI_TEMPLATE, "odd.py")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert [(r.code, r.line) for r in reports] == [("SKT900", 1)]
    assert reports[0].text.endswith("(https://wiki.example.com/skt/SKT900-not-analysed.html)")


@pytest.mark.parametrize("config_name", ["setup.cfg", ".flake8"])
def test_docs_url_from_config_file(tmp_path, config_name):
    write(
        tmp_path,
        config_name,
        f"""\
        [flake8]
        select = SKT
        skt-docs-url = {WIKI_TEMPLATE}
        """,
    )
    write(tmp_path, "server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, "server.py", isolated=False)
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert codes_at(reports, "SKT201") == [("server.py", *REJECTING_SERVER_AT)]
    assert reports[0].text.endswith(f"({WIKI_SKT201})"), reports[0].text


def test_docs_url_that_does_not_format_falls_back_to_public_link(tmp_path):
    write(tmp_path, "server.py", REJECTING_SERVER)
    code, out, err = run_flake8(
        tmp_path, "--select", "SKT", "--skt-docs-url", "https://wiki.example.com/{rule}/{0}", "server.py"
    )
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert codes_at(reports, "SKT201") == [("server.py", *REJECTING_SERVER_AT)]
    assert reports[0].text.endswith(f"({PUBLIC_SKT201_LINK})"), reports[0].text


# --------------------------------------------------------------------------- 7. parallel runs


def _project_of_six(tmp_path: Path) -> None:
    write(tmp_path, "pkg/server.py", REJECTING_SERVER)
    write(tmp_path, "pkg/client.py", ABORTING_SCRIPT)
    write(tmp_path, "pkg/echo.py", GRACEFUL_SERVER)
    write(tmp_path, "pkg/stats.py", NO_SOCKETS)
    write(
        tmp_path,
        "pkg/proxy.py",
        '''\
        from socket import SO_LINGER, SOL_SOCKET
        from struct import pack as st_pack


        def drop(upstream, downstream):
            for side in (upstream, downstream):
                side.setsockopt(SOL_SOCKET, SO_LINGER, st_pack("hh", 1, 0))
                side.close()
        ''',
    )
    write(
        tmp_path,
        "pkg/pool.py",
        '''\
        import socket as net

        ABORT = b"\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00"


        class Pool:
            def __init__(self):
                self.idle = []

            def discard(self, sock):
                sock.setsockopt(net.SOL_SOCKET, net.SO_LINGER, ABORT)
                sock.close()

            def keep(self, sock):
                self.idle.append(sock)
        ''',
    )


EXPECTED_SIX = [
    ("pkg/client.py", *ABORTING_SCRIPT_AT),
    ("pkg/pool.py", 11, 9),
    ("pkg/proxy.py", 7, 9),
    ("pkg/server.py", *REJECTING_SERVER_AT),
]


@pytest.mark.parametrize("extra", [(), ("--skt-docs-url", WIKI_TEMPLATE)], ids=["default", "docs-url"])
def test_jobs_two_matches_jobs_one(tmp_path, extra):
    _project_of_six(tmp_path)
    serial = run_flake8(tmp_path, "--select", "SKT", "--jobs", "1", *extra, ".")
    parallel = run_flake8(tmp_path, "--select", "SKT", "--jobs", "2", *extra, ".")
    for code, out, err in (serial, parallel):
        assert_no_crash(code, out, err)
        assert code == 1
        assert codes_at(parse(out), "SKT201") == EXPECTED_SIX
        assert [r.code for r in parse(out)] == ["SKT201"] * len(EXPECTED_SIX)
        link = WIKI_SKT201 if extra else PUBLIC_SKT201_LINK
        assert out.count(f"({link})") == len(EXPECTED_SIX), out
    assert sorted(serial[1].splitlines()) == sorted(parallel[1].splitlines())


# --------------------------------------------------------------------------- 8. libcst cannot parse


def test_libcst_unparsable_file_is_skt900_and_the_run_goes_on(tmp_path):
    write(tmp_path, "odd.py", LIBCST_UNPARSABLE)
    write(tmp_path, "server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", ".")
    assert_no_crash(code, out, err)
    assert code == 1
    reports = parse(out)
    assert codes_at(reports, "SKT900") == [("odd.py", 1, 1)]
    assert codes_at(reports, "SKT201") == [("server.py", *REJECTING_SERVER_AT)]
    skt900 = next(r for r in reports if r.code == "SKT900")
    assert "libcst cannot parse it" in skt900.text
    assert "\n" not in skt900.text
    assert len(reports) == 2


def test_libcst_unparsable_file_with_default_selection(tmp_path):
    write(tmp_path, "odd.py", LIBCST_UNPARSABLE)
    write(tmp_path, "server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, ".")
    assert_no_crash(code, out, err)
    assert code == 1
    reports = parse(out)
    assert codes_at(reports, "SKT900") == [("odd.py", 1, 1)]
    assert codes_at(reports, "SKT201") == [("server.py", *REJECTING_SERVER_AT)]


# --------------------------------------------------------------------------- 9. Python cannot parse


def test_syntax_error_file_is_e999_and_the_run_goes_on(tmp_path):
    write(tmp_path, "broken.py", PYTHON_SYNTAX_ERROR)
    write(tmp_path, "server.py", REJECTING_SERVER)
    code, out, err = run_flake8(tmp_path, ".")
    assert_no_crash(code, out, err)
    assert code == 1
    reports = parse(out)
    assert [r.code for r in reports if r.path == "broken.py"] == ["E999"]
    assert [r.line for r in reports if r.path == "broken.py"] == [4]
    assert codes_at(reports, "SKT201") == [("server.py", *REJECTING_SERVER_AT)]
    assert not [r for r in reports if r.code.startswith("SKT") and r.path == "broken.py"]


# --------------------------------------------------------------------------- 10. odd input

ODD_BAD = '''\
import socket
import struct


def abort(conn):
    try:
        conn.sendall(b"bye")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        conn.close()
'''
ODD_GOOD = ODD_BAD.replace('pack("ii", 1, 0)', 'pack("ii", 1, 5)')


def _bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def _latin1(text: str) -> bytes:
    head = '# -*- coding: latin-1 -*-\nGREETING = "Grüß dich, café"\n'
    return (head + text).encode("latin-1")


def _form_feeds_and_tabs(text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        out.append("\t" * depth + stripped)
    # form feeds on their own line, and one before a def
    out[2] = "\f\n"
    out[4] = "\f" + out[4]
    return ("".join(out) + "\f\n").encode("utf-8")


def _decoded_lines(data: bytes, encoding: str) -> List[str]:
    # Python ends lines at \n, \r\n and \r only (str.splitlines would also
    # split at the form feeds).
    return re.split(r"\r\n|\r|\n", data.decode(encoding))


ODD_KINDS = {
    "bom": (_bom, "utf-8-sig"),
    "crlf": (_crlf, "utf-8"),
    "latin1-cookie": (_latin1, "latin-1"),
    "form-feeds-and-tabs": (_form_feeds_and_tabs, "utf-8"),
}


def _expected_position(data: bytes, encoding: str) -> Tuple[int, int]:
    """Where `conn.setsockopt(` starts, as flake8 prints it (1-based column)."""
    for number, text in enumerate(_decoded_lines(data, encoding), 1):
        if "setsockopt(" in text:
            return number, text.index("conn.setsockopt(") + 1
    raise AssertionError("no setsockopt in the test input")


@pytest.mark.parametrize("kind", sorted(ODD_KINDS))
def test_odd_input_still_reports_skt201_in_place(tmp_path, kind):
    build, encoding = ODD_KINDS[kind]
    data = build(ODD_BAD)
    (tmp_path / "odd.py").write_bytes(data)
    line, col = _expected_position(data, encoding)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "odd.py")
    assert_no_crash(code, out, err)
    assert code == 1
    reports = parse(out)
    assert [(r.code, r.line, r.col) for r in reports] == [("SKT201", line, col)]


@pytest.mark.parametrize("kind", sorted(ODD_KINDS))
def test_odd_input_without_finding_is_silent(tmp_path, kind):
    build, _encoding = ODD_KINDS[kind]
    (tmp_path / "odd.py").write_bytes(build(ODD_GOOD))
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "odd.py")
    assert (code, out, err) == (0, "", "")
    # with every default check too: pycodestyle may object, we may not
    code, out, err = run_flake8(tmp_path, "odd.py")
    assert_no_crash(code, out, err)
    assert not [r for r in parse(out) if r.code.startswith("SKT")], out


def test_crlf_positions_across_a_longer_file(tmp_path):
    (tmp_path / "client.py").write_bytes(_crlf(ABORTING_SCRIPT))
    (tmp_path / "server.py").write_bytes(_crlf(REJECTING_SERVER))
    code, out, err = run_flake8(tmp_path, "--select", "SKT", ".")
    assert_no_crash(code, out, err)
    assert codes_at(parse(out), "SKT201") == [
        ("client.py", *ABORTING_SCRIPT_AT),
        ("server.py", *REJECTING_SERVER_AT),
    ]


@pytest.mark.parametrize("content", [b"", b"\n", b"\xef\xbb\xbf", b"# just a comment\n"], ids=repr)
def test_empty_and_near_empty_files(tmp_path, content):
    (tmp_path / "empty.py").write_bytes(content)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "empty.py")
    assert (code, out, err) == (0, "", "")
    code, out, err = run_flake8(tmp_path, "empty.py")
    assert_no_crash(code, out, err)
    assert "SKT" not in out


# --------------------------------------------------------------------------- 11. select filters us out


def test_select_e_filters_our_reports(tmp_path):
    # The bad file also has a long line (E501), so flake8 really ran and the
    # E-selection really applied.
    write(tmp_path, "abort.py", ODD_BAD)  # line 8: SKT201, and more than 79 characters long
    write(tmp_path, "odd.py", LIBCST_UNPARSABLE)
    code, out, err = run_flake8(tmp_path, "--select", "E", ".")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert ("abort.py", 8) in [(r.path, r.line) for r in reports if r.code == "E501"]
    assert not [r for r in reports if r.code.startswith("SKT")], out
    assert "SKT" not in out


def test_extend_ignore_skt201_keeps_skt900(tmp_path):
    write(tmp_path, "server.py", REJECTING_SERVER)
    write(tmp_path, "odd.py", LIBCST_UNPARSABLE)
    code, out, err = run_flake8(tmp_path, "--select", "SKT", "--extend-ignore", "SKT201", ".")
    assert_no_crash(code, out, err)
    reports = parse(out)
    assert [(r.path, r.code) for r in reports] == [("odd.py", "SKT900")]
