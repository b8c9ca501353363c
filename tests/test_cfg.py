"""The control-flow graph: every construct routes normal, exception and jump edges right."""

import textwrap

import libcst as cst
import pytest

from lintplugin.flow.cfg import EXC, FALSE, NORMAL, RERAISE, TRUE, AnalysisLimit, build_cfg

EMPTY = cst.Module([])


def graph(source: str, budget: int = 250_000):
    module = cst.parse_module(textwrap.dedent(source))
    function = next(node for node in module.body if isinstance(node, cst.FunctionDef))
    return build_cfg(function, budget=budget)


def code(node) -> str:
    if node.cst is None:
        return node.kind
    text = EMPTY.code_for_node(node.cst).strip()
    return text.splitlines()[0] if text else node.kind


def find(cfg, text: str, kind: str = None):
    """The node whose code starts with `text` (first in creation order)."""
    for node in cfg.nodes:
        if (kind is None or node.kind == kind) and node.cst is not None and code(node).startswith(text):
            return node
    raise AssertionError(f"no node {text!r} ({kind}) in {[code(n) for n in cfg.nodes]}")


def reaches(cfg, start, goal, avoid=(), kinds=(NORMAL, TRUE, FALSE, EXC, RERAISE)) -> bool:
    avoid = {node.index for node in avoid}
    seen, todo = {start.index}, [start.index]
    while todo:
        current = todo.pop()
        if current == goal.index:
            return True
        for target, kind in cfg.nodes[current].succ:
            if kind in kinds and target not in seen and target not in avoid:
                seen.add(target)
                todo.append(target)
    return False


def exit_node(cfg):
    return cfg.nodes[cfg.exit]


def raise_exit(cfg):
    return cfg.nodes[cfg.raise_exit]


def test_if_else_both_branches_reach_the_exit():
    cfg = graph("""
        def f(s):
            if s.x:
                a()
            else:
                b()
            c()
    """)
    test = find(cfg, "s.x", "test")
    assert {kind for _, kind in test.succ} >= {TRUE, FALSE}
    assert reaches(cfg, find(cfg, "a()"), find(cfg, "c()"))
    assert reaches(cfg, find(cfg, "b()"), find(cfg, "c()"))
    assert not reaches(cfg, find(cfg, "a()"), find(cfg, "b()"))


def test_one_line_suites_are_statements():
    cfg = graph("""
        def f(data):
            if not data: return None
            use(data)
    """)
    ret = find(cfg, "return None", "return")
    assert reaches(cfg, ret, exit_node(cfg))
    assert not reaches(cfg, ret, find(cfg, "use(data)"))


def test_while_true_leaves_only_by_break():
    cfg = graph("""
        def f(conn):
            while True:
                data = conn.recv(10)
                if not data:
                    break
                conn.sendall(data)
            conn.close()
    """)
    close = find(cfg, "conn.close()")
    brk = find(cfg, "break", "break")
    loop = find(cfg, "True", "test")
    assert TRUE in {kind for _, kind in loop.succ}, "the loop test must lead into the body"
    assert all(kind != FALSE for _, kind in loop.succ)  # no exit from `while True` itself
    assert reaches(cfg, brk, close)
    assert not reaches(cfg, loop, close, avoid=[brk], kinds=(NORMAL, TRUE, FALSE))
    assert reaches(cfg, find(cfg, "conn.sendall(data)"), loop)  # back edge


def test_for_else_runs_on_exhaustion_not_on_break():
    cfg = graph("""
        def f(items):
            for item in items:
                if item:
                    break
            else:
                none_found()
            after()
    """)
    header = find(cfg, "for item in items", "for")
    assert reaches(cfg, header, find(cfg, "none_found()"))
    assert not reaches(cfg, find(cfg, "break", "break"), find(cfg, "none_found()"))
    assert reaches(cfg, find(cfg, "break", "break"), find(cfg, "after()"))


def test_continue_goes_back_to_the_loop_header():
    cfg = graph("""
        def f(conn):
            while running:
                try:
                    data = conn.recv(10)
                except OSError:
                    continue
                handle(data)
    """)
    cont = find(cfg, "continue", "continue")
    assert cont.succ == [(find(cfg, "running", "test").index, NORMAL)]


def test_socket_call_in_try_has_exception_edge_to_oserror_handler_only():
    cfg = graph("""
        def f(conn):
            try:
                data = conn.recv(10)
            except ValueError:
                bad()
            except OSError:
                gone()
            except Exception:
                never()
    """)
    recv = find(cfg, "data = conn.recv(10)")
    handlers = {code(cfg.nodes[target]) for target, kind in recv.succ if kind == EXC}
    assert handlers == {"except OSError:"}


def test_subclass_handler_may_catch_or_let_through():
    cfg = graph("""
        def f(conn):
            try:
                data = conn.recv(10)
            except socket.timeout:
                retry()
    """)
    recv = find(cfg, "data = conn.recv(10)")
    targets = {cfg.nodes[target].kind for target, kind in recv.succ if kind == EXC}
    assert targets == {"handler", "raise_exit"}


def test_raise_statement_goes_to_matching_handlers_only():
    cfg = graph("""
        def f(conn):
            try:
                raise ValueError("bad")
            except OSError:
                gone()
            except LookupError:
                nope()
            except ValueError:
                caught()
    """)
    raise_node = find(cfg, "raise ValueError", "raise")
    assert [code(cfg.nodes[t]) for t, _ in raise_node.succ] == ["except ValueError:"]


def test_finally_runs_on_every_way_out_and_keeps_the_way():
    cfg = graph("""
        def f(conn, flag):
            try:
                if flag:
                    return conn.recv(1)
                conn.sendall(b"x")
            finally:
                conn.close()
            after()
    """)
    copies = [node for node in cfg.nodes if node.kind == "finally"]
    assert sorted(node.way for node in copies) == ["normal", "raise", "return"]
    by_kind = {node.way: node for node in copies}
    assert reaches(cfg, by_kind["return"], exit_node(cfg))
    assert not reaches(cfg, by_kind["return"], find(cfg, "after()"))
    assert reaches(cfg, by_kind["normal"], find(cfg, "after()"))
    assert reaches(cfg, by_kind["raise"], raise_exit(cfg))
    assert not reaches(cfg, by_kind["raise"], find(cfg, "after()"))
    reraise = [kind for node in cfg.nodes if node.kind == "stmt" for t, kind in node.succ
               if t == cfg.raise_exit and code(node) == "conn.close()"]
    assert RERAISE in reraise


def test_return_inside_finally_swallows_the_exception():
    cfg = graph("""
        def f(conn):
            try:
                conn.sendall(b"x")
            finally:
                return None
    """)
    raise_copy = next(node for node in cfg.nodes if node.kind == "finally" and node.way == "raise")
    assert not reaches(cfg, raise_copy, raise_exit(cfg))
    assert reaches(cfg, raise_copy, exit_node(cfg))


def test_break_through_finally_reaches_after_the_loop():
    cfg = graph("""
        def f(conn):
            while True:
                try:
                    if not conn.recv(1):
                        break
                finally:
                    tick()
            done()
    """)
    break_copy = next(node for node in cfg.nodes if node.kind == "finally" and node.way == "break")
    assert reaches(cfg, find(cfg, "break", "break"), break_copy)
    assert reaches(cfg, break_copy, find(cfg, "done()"))


def test_with_exit_runs_on_normal_and_exception_paths():
    cfg = graph("""
        def f(addr):
            with socket.create_connection(addr) as s:
                s.sendall(b"x")
            after()
    """)
    exits = {node.way: node for node in cfg.nodes if node.kind == "with_exit"}
    assert set(exits) == {"normal", "raise"}
    send = find(cfg, "s.sendall")
    assert (exits["raise"].index, EXC) in send.succ
    assert reaches(cfg, exits["normal"], find(cfg, "after()"))
    assert reaches(cfg, exits["raise"], raise_exit(cfg))
    assert not reaches(cfg, exits["raise"], find(cfg, "after()"))


def test_suppress_swallows_the_exception():
    cfg = graph("""
        def f(conn):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
    """)
    shutdown = find(cfg, "conn.shutdown")
    exc_targets = [cfg.nodes[t] for t, kind in shutdown.succ if kind == EXC]
    # Without an exception edge the `all` below would hold vacuously.
    assert exc_targets, "shutdown() must have an exception edge"
    assert raise_exit(cfg) not in exc_targets, "suppress(OSError) must catch it, not let it propagate"
    # Swallowed: the close after the block runs, over normal edges only.
    close = find(cfg, "conn.close()")
    assert all(reaches(cfg, target, close, kinds=(NORMAL,)) for target in exc_targets)


def test_exception_in_handler_is_not_caught_by_its_own_try():
    cfg = graph("""
        def f(conn):
            try:
                conn.connect(addr)
            except OSError:
                conn.sendall(b"bye")
            except Exception:
                other()
    """)
    send = find(cfg, "conn.sendall")
    assert [cfg.nodes[t].kind for t, kind in send.succ if kind == EXC] == ["raise_exit"]


def test_nested_function_and_lambda_are_single_statements():
    cfg = graph("""
        def f(conn):
            def inner():
                conn.close()
            cb = lambda: conn.close()
            inner()
    """)
    # The statements are there (else the check below would hold vacuously), their bodies are not.
    find(cfg, "def inner():")
    find(cfg, "cb = lambda: conn.close()")
    find(cfg, "inner()")
    assert not any(node for node in cfg.nodes if node.cst is not None and code(node) == "conn.close()")


def test_match_cases_fall_through_to_after():
    cfg = graph("""
        def f(cmd, conn):
            match cmd:
                case "quit":
                    conn.close()
                case _:
                    conn.sendall(b"?")
            after()
    """)
    assert reaches(cfg, find(cfg, "conn.close()"), find(cfg, "after()"))
    match = find(cfg, "cmd", "match")
    assert reaches(cfg, match, find(cfg, 'conn.sendall(b"?")'))


def test_except_star_is_a_try():
    cfg = graph("""
        def f(conn):
            try:
                conn.recv(1)
            except* OSError:
                conn.close()
    """)
    assert reaches(cfg, find(cfg, "conn.recv(1)"), find(cfg, "conn.close()"))


def test_code_after_return_is_left_out():
    cfg = graph("""
        def f(conn):
            return None
            conn.close()
    """)
    find(cfg, "return None")  # the graph is not empty: the check below has something to look at
    assert all(code(node) != "conn.close()" for node in cfg.nodes if node.cst is not None)


def test_assert_may_raise():
    cfg = graph("""
        def f(conn):
            assert conn.fileno() > 0
            conn.close()
    """)
    node = find(cfg, "assert", "assert")
    assert any(kind == EXC for _, kind in node.succ)


def branch_graph(branches: int):
    body = "".join(f"    if flag{i}:\n        data = conn.recv({i})\n" for i in range(branches))
    return graph(f"def f(conn):\n{body}    conn.close()\n")


def edge_count(cfg) -> int:
    return sum(len(node.succ) for node in cfg.nodes)


def test_size_is_linear_in_branches():
    """Each branch adds the same nodes and edges, for 300 branches as for
    3,000: counted, not timed, so a busy machine cannot fail it."""
    base, small, large = branch_graph(0), branch_graph(300), branch_graph(3000)
    assert len(large.nodes) <= 3 * 3000 + 10
    assert len(large.nodes) - len(base.nodes) == 10 * (len(small.nodes) - len(base.nodes))
    assert edge_count(large) - edge_count(base) == 10 * (edge_count(small) - edge_count(base))


def test_budget_raises_analysis_limit():
    body = "".join(f"    a{i}()\n" for i in range(100))
    with pytest.raises(AnalysisLimit):
        graph(f"def f():\n{body}", budget=50)


def test_nested_finally_copies_stay_bounded():
    source = "def f(conn):\n"
    indent = "    "
    for depth in range(6):
        source += f"{indent}try:\n"
        indent += "    "
    source += f"{indent}if conn.recv(1):\n{indent}    return 1\n"
    for depth in reversed(range(6)):
        indent = indent[:-4]
        source += f"{indent}finally:\n{indent}    tick{depth}()\n"
    cfg = graph(source)
    assert len(cfg.nodes) < 200
