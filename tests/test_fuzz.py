"""Generated programs never crash the analysis or make it give up.

Two generators: hypothesmith writes arbitrary Python from the grammar (the
parser and traversal side), and a generator of our own composes socket calls
with every kind of control flow (the graph and dataflow side). Both are
bounded for CI; set SKT_FUZZ_EXAMPLES to run longer.
"""

from __future__ import annotations

import ast
import os

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lintplugin.analysis.file import analyse

EXAMPLES = int(os.environ.get("SKT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# Appended to every hypothesmith program so that the engine parses it with libcst.
SOCKET_TAIL = "\n\ndef _skt_tail(conn):\n    conn.sendall(b'x')\n    conn.close()\n"


def lint(source: str):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # flake8 reports E999 and never runs the plugin
    return analyse(tree, source.splitlines(keepends=True))


def assert_never_gave_up(reports, source: str) -> None:
    for report in reports or ():
        if report.code == "SKT900":
            # libcst has known gaps on valid code; anything else is our bug
            assert "libcst cannot parse it" in report.text, f"{report.text}\n--- source ---\n{source}"


@FUZZ
@given(hypothesmith.from_grammar())
def test_grammar_programs(program):
    source = program + SOCKET_TAIL
    assert_never_gave_up(lint(source), source)


# -- socket programs --------------------------------------------------------------

SOCKETS = ("conn", "sock", "self.sock")
SIMPLE = st.one_of(
    st.sampled_from([
        "data = {s}.recv(1024)",
        "{s}.sendall(data)",
        "{s}.close()",
        "{s}.shutdown(socket.SHUT_WR)",
        "{s} = socket.create_connection(addr)",
        "conn, peer = listener.accept()",
        "n = {s}.recv_into(buffer)",
        "time.sleep(0.1)",
        "handler({s})",
        "threads.append(threading.Thread(target=serve, args=({s},)))",
        "{s}.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
        "tls = ctx.wrap_socket({s})",
        "err = {s} = None",
        "pass",
    ]),
    st.sampled_from(["return {s}", "return None", "raise OSError('x')", "break", "continue", "raise"]),
)
TESTS = st.sampled_from(["not data", "data", "{s} is not None", "n == 0", "flag", "len(data) < 10", "True"])


def statements(depth: int):
    simple = st.builds(lambda text, s: text.format(s=s), SIMPLE, st.sampled_from(SOCKETS)).map(lambda t: [t])
    if depth == 0:
        return simple

    inner = st.lists(statements(depth - 1), min_size=1, max_size=3).map(lambda blocks: sum(blocks, []))

    def indent(lines):
        return ["    " + line for line in lines]

    def test_of(text, s):
        return text.format(s=s)

    test = st.builds(test_of, TESTS, st.sampled_from(SOCKETS))
    compound = st.one_of(
        st.builds(lambda t, a, b: [f"if {t}:"] + indent(a) + ["else:"] + indent(b), test, inner, inner),
        st.builds(lambda t, a: [f"while {t}:"] + indent(a), test, inner),
        st.builds(lambda a: ["for item in items:"] + indent(a), inner),
        st.builds(lambda a, b: ["try:"] + indent(a) + ["except OSError:"] + indent(b), inner, inner),
        st.builds(lambda a, b: ["try:"] + indent(a) + ["finally:"] + indent(b), inner, inner),
        st.builds(
            lambda a, b, c: ["try:"] + indent(a) + ["except (BlockingIOError, socket.timeout):"] + indent(b)
            + ["else:"] + indent(c), inner, inner, inner,
        ),
        st.builds(lambda a: ["with socket.create_connection(addr) as conn:"] + indent(a), inner),
        st.builds(lambda a: ["with contextlib.suppress(OSError):"] + indent(a), inner),
    )
    return st.one_of(simple, compound)


@st.composite
def socket_programs(draw):
    body = sum(draw(st.lists(statements(3), min_size=1, max_size=6)), [])
    lines = [
        "import contextlib, socket, struct, threading, time",
        "",
        "def handle(conn, sock, addr, listener, ctx, items, flag, buffer, handler, threads, serve):",
    ]
    lines += ["    data = b''", "    n = 0", "    err = None", "    tls = None"]
    lines += ["    " + line for line in body]
    return "\n".join(lines) + "\n"


def valid(source: str) -> bool:
    try:
        compile(source, "<fuzz>", "exec")  # `break` outside a loop and the like are SyntaxErrors
    except SyntaxError:
        return False
    return True


@FUZZ
@given(socket_programs().filter(valid))
def test_socket_programs(source):
    first = lint(source)
    assert first is not None
    assert not [r for r in first if r.code == "SKT900"], "\n".join(r.text for r in first) + "\n" + source
    # the same input gives the same reports
    assert lint(source) == first


@FUZZ
@given(hypothesmith.from_grammar())
def test_fingerprints_name_every_statement_of_generated_programs(program):
    """The baseline and SARIF name a finding by scope and statement; that
    must work wherever a report can point, in any valid program."""
    from lintplugin.outputs.fingerprints import StatementIndex

    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    lines = program.splitlines(keepends=True)
    index = StatementIndex(tree, lines)
    for node in ast.walk(tree):
        if isinstance(node, (ast.stmt, ast.expr)):
            place = index.place(node.lineno, node.col_offset)
            assert place.scope and isinstance(place.statement, str)
