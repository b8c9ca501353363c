"""How much does flake8-socket-close add to a flake8 run?

Times flake8 WITH and WITHOUT the plugin over the same files, in one run,
interleaving the two, and prints with/without ratios (wall time and peak
memory) per corpus next to their budgets. Stdlib only.

    python benchmarks/bench.py                      # everything, repeat 5
    python benchmarks/bench.py --corpus stdlib-top  # one corpus
    python benchmarks/bench.py --quick              # smoke run, a few seconds
    python benchmarks/bench.py --json out.json --check

"Without" is flake8 with the plugin not loaded at all (see
benchmarks/_flake8_runner.py); "with" is the same runner without the flag.
See benchmarks/README.md for how to read the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RUNNER = os.path.join(HERE, "_flake8_runner.py")
PLUGIN_DISTRIBUTION = "flake8-socket-close"
WITHOUT_FLAG = "--without-skt"
RUNNER_ENV = "SKT_BENCHMARK_WITHOUT_PLUGIN"
RSS_ENV = "SKT_BENCHMARK_RSS_FILE"

CORPORA = ("stdlib-top", "socket-dense", "scaling", "stdlib-all", "asyncio")
DEFAULT_CORPORA = ("stdlib-top", "socket-dense", "scaling")  # what `all` runs; stdlib-all is long
TIME_BUDGETS = {"stdlib-top": 1.05, "socket-dense": 1.5, "asyncio": 1.5}
# Peak memory may exceed plain flake8's by this much per process, and must not
# grow with the number of files (stdlib-all against stdlib-top shows that).
# libcst's import and first parse alone cost about 10 MiB.
MEMORY_BUDGET_MIB = 16.0
MEMORY_BUDGET_CORPORA = ("stdlib-top", "socket-dense", "stdlib-all")
SKT_SAMPLE = 100  # SKT report lines kept in the JSON per corpus

DEFAULT_SCALING_N = (100, 1000, 10000)
QUICK_SCALING_N = (10, 50)
QUICK_MAX_FILES = 6

# Standard-library modules that open, serve or wrap sockets (relative to the
# stdlib directory); whichever exist on the running Python are used.
SOCKET_STDLIB = (
    "socket.py",
    "socketserver.py",
    "ssl.py",
    "ftplib.py",
    "smtplib.py",
    "poplib.py",
    "imaplib.py",
    "nntplib.py",
    "telnetlib.py",
    "asyncore.py",
    "asynchat.py",
    "smtpd.py",
    "http/client.py",
    "http/server.py",
    "urllib/request.py",
    "xmlrpc/client.py",
    "xmlrpc/server.py",
    "multiprocessing/connection.py",
    "multiprocessing/resource_sharer.py",
    "asyncio/selector_events.py",
    "asyncio/base_events.py",
    "asyncio/streams.py",
    "asyncio/sslproto.py",
    "wsgiref/simple_server.py",
    "logging/handlers.py",
)

# Set by --snapshot: PYTHONPATH for both sides, so the plugin is imported
# from a frozen copy of this checkout's lintplugin/.
EXTRA_ENV: Dict[str, str] = {}

_REPORT_LINE = re.compile(r":\d+:\d+: ([A-Z]+[0-9]+) ")


# --------------------------------------------------------------------------
# one child run


@dataclass
class RunResult:
    wall: float
    cpu: Optional[float]  # user + sys of the child (and its reaped children)
    maxrss_kib: Optional[float]
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str


def _child_env(without: bool, rss_file: Optional[str] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop(RUNNER_ENV, None)  # the runner sets it itself for --without-skt
    env.pop(RSS_ENV, None)
    if rss_file:
        env[RSS_ENV] = rss_file
    env.update(EXTRA_ENV)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _peak_from_runner(rss_path: str) -> Optional[float]:
    """Peak RSS the runner measured on itself (VmHWM, and -j N workers)."""
    try:
        with open(rss_path, encoding="utf-8") as f:
            peak = json.load(f)
    except (OSError, ValueError):
        return None
    if peak.get("vmhwm_kib") is None:
        return None
    return max(peak["vmhwm_kib"], peak.get("children_maxrss_kib") or 0.0)


def run_flake8(python: str, flake8_args: Sequence[str], without: bool, timeout: float, workdir: str) -> RunResult:
    """One flake8 process; wall time, CPU time and its own peak RSS.

    The child is reaped with os.wait4(), whose rusage belongs to that child
    alone (unlike getrusage(RUSAGE_CHILDREN), which accumulates over every
    child ever waited for): CPU time comes from there. Peak memory comes
    from the runner itself (VmHWM): Linux carries ru_maxrss across exec, so
    wait4's figure is at least this script's own peak (it spawns with vfork),
    which after generating the big scaling files exceeds small flake8 runs.
    wait4's ru_maxrss is the fallback where /proc is missing. Output goes to
    files so pipe buffering costs the same on both sides.
    """
    cmd = [python, RUNNER]
    if without:
        cmd.append(WITHOUT_FLAG)
    cmd.extend(flake8_args)
    out_path = os.path.join(workdir, "stdout.txt")
    err_path = os.path.join(workdir, "stderr.txt")
    rss_path = os.path.join(workdir, "rss.json")
    if os.path.exists(rss_path):
        os.unlink(rss_path)
    timed_out = []

    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=_child_env(without, rss_path), cwd=REPO
        )

        def kill() -> None:
            timed_out.append(True)
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                # Linux reports KiB, macOS bytes.
                maxrss = usage.ru_maxrss / 1024 if sys.platform == "darwin" else float(usage.ru_maxrss)
            else:  # pragma: no cover - Windows: no per-child rusage
                proc.wait()
                wall = time.perf_counter() - start
                cpu = maxrss = None
        finally:
            timer.cancel()

    own_peak = _peak_from_runner(rss_path)
    if own_peak is not None:
        maxrss = own_peak
    with open(out_path, encoding="utf-8", errors="replace") as f:
        stdout = f.read()
    with open(err_path, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    return RunResult(wall, cpu, maxrss, proc.returncode, bool(timed_out), stdout, stderr)


# --------------------------------------------------------------------------
# a measured pair


@dataclass
class Side:
    walls: List[float] = field(default_factory=list)
    cpus: List[float] = field(default_factory=list)
    rss: List[float] = field(default_factory=list)

    def add(self, r: RunResult) -> None:
        self.walls.append(r.wall)
        if r.cpu is not None:
            self.cpus.append(r.cpu)
        if r.maxrss_kib is not None:
            self.rss.append(r.maxrss_kib)

    def summary(self) -> dict:
        return {
            "wall_min": min(self.walls) if self.walls else None,
            "wall_median": statistics.median(self.walls) if self.walls else None,
            "walls": [round(w, 4) for w in self.walls],
            "cpu_min": min(self.cpus) if self.cpus else None,
            "maxrss_kib_max": max(self.rss) if self.rss else None,
            "maxrss_kib": self.rss,
        }


@dataclass
class Measurement:
    name: str
    files: List[str]
    lines: int
    repeat: int
    with_: Side = field(default_factory=Side)
    without: Side = field(default_factory=Side)
    skt_reports: int = 0
    other_reports: int = 0
    skt900: List[str] = field(default_factory=list)
    skt_sample: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    failed: bool = False

    def extra_mib(self) -> Optional[float]:
        """Peak memory with the plugin minus without, in MiB."""
        with_, without = self.with_.summary().get("maxrss_kib_max"), self.without.summary().get("maxrss_kib_max")
        if with_ is None or without is None:
            return None
        return (with_ - without) / 1024

    def ratio(self, key: str) -> Optional[float]:
        w, wo = self.with_.summary()[key], self.without.summary()[key]
        if w is None or not wo:
            return None
        return w / wo

    def delta(self) -> Optional[float]:
        w, wo = self.with_.summary()["wall_min"], self.without.summary()["wall_min"]
        if w is None or wo is None:
            return None
        return w - wo

    def to_json(self) -> dict:
        return {
            "files": len(self.files),
            "lines": self.lines,
            "repeat": self.repeat,
            "with": self.with_.summary(),
            "without": self.without.summary(),
            "ratio_wall_min": self.ratio("wall_min"),
            "ratio_wall_median": self.ratio("wall_median"),
            "ratio_cpu_min": self.ratio("cpu_min"),
            "ratio_maxrss": self.ratio("maxrss_kib_max"),
            "delta_wall_min_s": self.delta(),
            "skt_reports": self.skt_reports,
            "other_reports": self.other_reports,
            "skt900": self.skt900,
            "skt_sample": self.skt_sample,
            "problems": self.problems,
            "failed": self.failed,
        }


def _split_reports(output: str) -> Tuple[List[str], List[str]]:
    skt, other = [], []
    for line in output.splitlines():
        match = _REPORT_LINE.search(line)
        if match and match.group(1).startswith("SKT"):
            skt.append(line)
        else:
            other.append(line)
    return skt, other


def _check_run(m: Measurement, r: RunResult, side: str, timeout: float) -> bool:
    if r.timed_out:
        m.problems.append(f"{side}: timed out after {timeout:.0f}s (killed)")
        return False
    if r.returncode != 0:  # --exit-zero: anything but 0 is a crash
        tail = "\n".join(r.stderr.strip().splitlines()[-15:])
        m.problems.append(f"{side}: flake8 exited {r.returncode}\n{tail}")
        return False
    if r.stderr.strip():
        m.problems.append(f"{side}: stderr: " + "\n".join(r.stderr.strip().splitlines()[-15:]))
    return True


PLUGIN_SOURCE = os.path.join(REPO, "lintplugin")  # --snapshot points it at the copy


def plugin_fingerprint() -> Optional[str]:
    """A hash of the plugin's source in this checkout (or the --snapshot
    copy), to notice edits made while the benchmark runs (the package is
    installed editable)."""
    import hashlib

    root = PLUGIN_SOURCE
    if not os.path.isdir(root):
        return None
    digest = hashlib.sha1()
    for folder, dirs, names in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, root).encode())
                try:
                    with open(path, "rb") as f:
                        digest.update(f.read())
                except OSError:
                    pass
    return digest.hexdigest()[:12]


def measure(
    name: str,
    files: List[str],
    repeat: int,
    opts: argparse.Namespace,
    workdir: str,
    warmup: bool,
    log,
) -> Measurement:
    lines = 0
    for path in files:
        with open(path, "rb") as f:
            lines += f.read().count(b"\n")
    m = Measurement(name=name, files=files, lines=lines, repeat=repeat)
    source_before = plugin_fingerprint()
    args = ["-j", str(opts.jobs), "--isolated", "--exit-zero", *opts.extra_flake8_args, *files]

    first: Dict[bool, RunResult] = {}
    if warmup:  # compile .pyc files, fill the page cache; not timed
        for without in (False, True):
            r = run_flake8(opts.python, args, without, opts.timeout, workdir)
            if not _check_run(m, r, "without" if without else "with", opts.timeout):
                m.failed = True
                return m
            first[without] = r

    for k in range(repeat):
        # alternate which side goes first so slow drift hits both equally
        order = (False, True) if k % 2 == 0 else (True, False)
        for without in order:
            r = run_flake8(opts.python, args, without, opts.timeout, workdir)
            side = "without" if without else "with"
            if not _check_run(m, r, side, opts.timeout):
                m.failed = True
                return m
            (m.without if without else m.with_).add(r)
            first.setdefault(without, r)
        log(".")

    if plugin_fingerprint() != source_before:
        m.problems.append("the plugin's source changed during this measurement: its numbers may mix versions")
    skt, other_with = _split_reports(first[False].stdout)
    skt_without, other_without = _split_reports(first[True].stdout)
    m.skt_reports = len(skt)
    m.other_reports = len(other_with)
    m.skt900 = [line for line in skt if ": SKT900 " in line]
    m.skt_sample = skt[:SKT_SAMPLE]
    if skt_without:
        m.problems.append(f"the 'without' run reported {len(skt_without)} SKT lines: plugin not unloaded?")
    if other_with != other_without:
        m.problems.append(
            f"non-SKT output differs with the plugin loaded ({len(other_with)} vs {len(other_without)} lines)"
        )
    return m


# --------------------------------------------------------------------------
# corpora


def stdlib_dir() -> str:
    return os.path.dirname(os.__file__)


def corpus_stdlib_top() -> List[str]:
    root = stdlib_dir()
    return sorted(
        os.path.join(root, name)
        for name in os.listdir(root)
        if name.endswith(".py") and os.path.isfile(os.path.join(root, name))
    )


def corpus_stdlib_all() -> List[str]:
    """Every module of the standard library, tests included, site-packages not."""
    root = stdlib_dir()
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        found.extend(os.path.join(folder, name) for name in sorted(names) if name.endswith(".py"))
    return found


def corpus_asyncio() -> List[str]:
    """The standard library's asyncio package: dense in async connection code."""
    folder = os.path.join(stdlib_dir(), "asyncio")
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py"))


def corpus_socket_dense() -> List[str]:
    root = stdlib_dir()
    files = [os.path.join(root, rel) for rel in SOCKET_STDLIB if os.path.isfile(os.path.join(root, rel))]
    for folder in ("examples", os.path.join("tests", "eval_files")):
        path = os.path.join(REPO, folder)
        if os.path.isdir(path):
            files.extend(sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith(".py")))
    return files


def _branch(i: int) -> List[str]:
    # No branch rebinds a name: pyflakes checks every rebinding inside a try
    # body against all statements of that body (quadratic), which would make
    # plain flake8 take minutes on N=10000 and bury the plugin's share.
    variant = i % 4
    if variant == 0:
        return [f"if flags[{i}]:", "    chunks.append(sock.recv(1024))"]
    if variant == 1:
        return [f"if flags[{i}]:", "    sock.sendall(payload)"]
    if variant == 2:
        return [
            f"if flags[{i}]:",
            "    try:",
            "        chunks.append(sock.recv(4096))",
            "    except OSError:",
            "        chunks.clear()",
        ]
    return [
        f"if flags[{i}]:",
        "    try:",
        '        sock.sendall(b"".join(chunks))',
        "    except OSError:",
        "        sock.close()",
        '        return b""',
    ]


def gen_branches(n: int) -> str:
    """One function of n sequential branches on one socket, inside one
    try/except, with the close at the end."""
    out = [
        f'"""Benchmark input: one function, {n} sequential socket branches."""',
        "",
        "import socket",
        "",
        "",
        "def exchange(host, port, flags, payload):",
        "    sock = socket.create_connection((host, port))",
        "    chunks = []",
        "    try:",
    ]
    for i in range(n):
        out.extend("        " + line for line in _branch(i))
    out += [
        "    except OSError:",
        "        chunks.clear()",
        "    sock.close()",
        '    return b"".join(chunks)',
        "",
    ]
    return "\n".join(out)


def _function(i: int) -> List[str]:
    variant = i % 4
    if variant == 0:
        return [
            f"def fetch_{i}(host, port):",
            "    sock = socket.create_connection((host, port))",
            "    try:",
            f'        sock.sendall(b"ping {i}")',
            "        return sock.recv(1024)",
            "    except OSError:",
            '        return b""',
            "    finally:",
            "        sock.close()",
        ]
    if variant == 1:
        return [
            f"def push_{i}(host, port, payload):",
            "    with socket.create_connection((host, port)) as sock:",
            "        sock.sendall(payload)",
            "        sock.shutdown(socket.SHUT_WR)",
            "        while sock.recv(4096):",
            "            pass",
        ]
    if variant == 2:
        return [
            f"def serve_{i}(listener):",
            "    conn, _ = listener.accept()",
            "    try:",
            "        data = conn.recv(1024)",
            "        if data:",
            "            conn.sendall(data)",
            "    finally:",
            "        conn.close()",
        ]
    return [
        f"def linger_{i}(host, port):",
        "    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
        "    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_5S)",
        "    try:",
        "        sock.connect((host, port))",
        '        sock.sendall(b"bye")',
        "    finally:",
        "        sock.close()",
    ]


def gen_functions(n: int) -> str:
    """n small socket functions in one module."""
    out = [
        f'"""Benchmark input: {n} small socket functions."""',
        "",
        "import socket",
        "import struct",
        "",
        'LINGER_5S = struct.pack("ii", 1, 5)  # graceful: l_linger != 0',
    ]
    for i in range(n):
        out += ["", ""]
        out += _function(i)
    out.append("")
    return "\n".join(out)


SCALING_SHAPES = (("branches", gen_branches), ("functions", gen_functions))


def scaling_repeat(n: int, opts: argparse.Namespace) -> int:
    if opts.scaling_repeat:
        return opts.scaling_repeat
    if n <= 100:
        return opts.repeat
    if n <= 1000:
        return max(1, min(opts.repeat, 3))
    return max(1, min(opts.repeat, 2))


# --------------------------------------------------------------------------
# reporting


def _fmt(value: Optional[float], spec: str, missing: str = "-") -> str:
    if value is None:
        width = re.match(r"\d*", spec).group()
        return missing.rjust(int(width)) if width else missing
    return format(value, spec)


def _status(value: Optional[float], budget: Optional[float]) -> str:
    if budget is None or value is None:
        return ""
    return "ok" if value <= budget else "OVER"


def print_corpus_table(results: List[Measurement]) -> None:
    head = (
        f"{'corpus':<13} {'files':>5} {'lines':>7} {'rep':>3} "
        f"{'without s':>9} {'with s':>9} {'ratio':>6} {'budget':>6} {'':>4} "
        f"{'med.ratio':>9} {'cpu.ratio':>9} {'MiB w/o':>7} {'MiB with':>8} {'+MiB':>5} {'budget':>6} {'':>4} {'SKT':>5}"
    )
    print(head)
    print("-" * len(head))
    for m in results:
        if m.failed:
            print(f"{m.name:<13} {len(m.files):>5} {m.lines:>7} FAILED (see problems below)")
            continue
        s_w, s_wo = m.with_.summary(), m.without.summary()
        ratio = m.ratio("wall_min")
        budget = TIME_BUDGETS.get(m.name)
        mem = m.extra_mib()
        mem_budget = MEMORY_BUDGET_MIB if m.name in MEMORY_BUDGET_CORPORA else None
        print(
            f"{m.name:<13} {len(m.files):>5} {m.lines:>7} {m.repeat:>3} "
            f"{_fmt(s_wo['wall_min'], '9.3f')} {_fmt(s_w['wall_min'], '9.3f')} "
            f"{_fmt(ratio, '6.3f')} {_fmt(budget, '6.2f')} {_status(ratio, budget):>4} "
            f"{_fmt(m.ratio('wall_median'), '9.3f')} {_fmt(m.ratio('cpu_min'), '9.3f')} "
            f"{_fmt(_mib(s_wo['maxrss_kib_max']), '7.1f')} {_fmt(_mib(s_w['maxrss_kib_max']), '8.1f')} "
            f"{_fmt(mem, '5.1f')} {_fmt(mem_budget, '6.1f')} {_status(mem, mem_budget):>4} {m.skt_reports:>5}"
        )


def _mib(kib: Optional[float]) -> Optional[float]:
    return None if kib is None else kib / 1024


def print_scaling_table(rows: List[Tuple[str, int, Measurement]]) -> None:
    head = (
        f"{'shape':<10} {'N':>6} {'lines':>7} {'rep':>3} {'without s':>9} {'with s':>9} "
        f"{'delta s':>8} {'us/N':>9} {'marg.us/N':>9} {'ratio':>6} {'cpu.ratio':>9} {'mem':>5} {'SKT':>5}"
    )
    print(head)
    print("-" * len(head))
    previous: Dict[str, Tuple[int, float]] = {}
    for shape, n, m in rows:
        if m.failed:
            print(f"{shape:<10} {n:>6} {m.lines:>7} FAILED (see problems below)")
            continue
        s_w, s_wo = m.with_.summary(), m.without.summary()
        delta = m.delta()
        per_unit = None if delta is None else delta / n * 1e6
        marginal = None
        if shape in previous and delta is not None:
            n0, d0 = previous[shape]
            marginal = (delta - d0) / (n - n0) * 1e6
        if delta is not None:
            previous[shape] = (n, delta)
        print(
            f"{shape:<10} {n:>6} {m.lines:>7} {m.repeat:>3} "
            f"{_fmt(s_wo['wall_min'], '9.3f')} {_fmt(s_w['wall_min'], '9.3f')} "
            f"{_fmt(delta, '8.3f')} {_fmt(per_unit, '9.1f')} {_fmt(marginal, '9.1f')} "
            f"{_fmt(m.ratio('wall_min'), '6.3f')} {_fmt(m.ratio('cpu_min'), '9.3f')} "
            f"{_fmt(m.ratio('maxrss_kib_max'), '5.2f')} {m.skt_reports:>5}"
        )


def scaling_series(rows: List[Tuple[str, int, Measurement]]) -> Dict[str, List[dict]]:
    series: Dict[str, List[dict]] = {}
    for shape, n, m in rows:
        delta = None if m.failed else m.delta()
        entry = {"n": n, **m.to_json()}
        entry["us_per_n"] = None if delta is None else delta / n * 1e6
        series.setdefault(shape, []).append(entry)
    for entries in series.values():
        for before, after in zip(entries, entries[1:]):
            if before["delta_wall_min_s"] is not None and after["delta_wall_min_s"] is not None:
                after["marginal_us_per_n"] = (
                    (after["delta_wall_min_s"] - before["delta_wall_min_s"]) / (after["n"] - before["n"]) * 1e6
                )
    return series


# --------------------------------------------------------------------------
# main


def verify_runner(python: str) -> Tuple[str, str]:
    """The plugin is in `--version` with the runner, and absent with --without-skt."""
    lines = {}
    for without in (False, True):
        cmd = [python, RUNNER] + ([WITHOUT_FLAG] if without else []) + ["--version"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(without), cwd=REPO)
        text = " ".join((proc.stdout + proc.stderr).split())
        if proc.returncode != 0:
            raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{proc.stderr}")
        lines[without] = text
    if PLUGIN_DISTRIBUTION not in lines[False]:
        raise SystemExit(f"bench: {PLUGIN_DISTRIBUTION} is not loaded by flake8 ({lines[False]}); is it installed?")
    if PLUGIN_DISTRIBUTION in lines[True]:
        raise SystemExit(f"bench: {WITHOUT_FLAG} did not unload {PLUGIN_DISTRIBUTION} ({lines[True]})")
    return lines[False], lines[True]


def git_state() -> str:
    """Which plugin code was measured: HEAD, plus '+ local changes' when dirty.

    Read-only: --no-optional-locks keeps `git status` from touching the index."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO, timeout=30
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    if not head:
        return "unknown (not a git checkout)"
    return f"git {head}" + (" + local changes" if dirty else "")


def take_snapshot(python: str, into: str, source: str = REPO) -> str:
    """Copy `source`/lintplugin/ and make both sides import the copy
    (PYTHONPATH wins over the editable install's .pth entry); return the
    copy's location."""
    import shutil

    global PLUGIN_SOURCE
    target = os.path.join(into, "lintplugin")
    shutil.copytree(os.path.join(source, "lintplugin"), target, ignore=shutil.ignore_patterns("__pycache__"))
    EXTRA_ENV["PYTHONPATH"] = os.pathsep.join(p for p in (into, os.environ.get("PYTHONPATH")) if p)
    PLUGIN_SOURCE = target
    proc = subprocess.run(
        # sys.path[0] as the runner has it (its own folder, not the cwd)
        [python, "-c", "import sys; sys.path[0] = sys.argv[1]; import lintplugin.plugin as p; print(p.__file__)", HERE],
        capture_output=True,
        text=True,
        env=_child_env(False),
        cwd=REPO,
    )
    where = proc.stdout.strip()
    if proc.returncode != 0 or not os.path.realpath(where).startswith(os.path.realpath(target)):
        raise SystemExit(f"bench: --snapshot: the plugin is imported from {where or proc.stderr!r}, not {target}")
    return target


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python benchmarks/bench.py",
        description="flake8 with vs without flake8-socket-close: time and memory ratios.",
    )
    p.add_argument(
        "--corpus",
        action="append",
        choices=CORPORA + ("all",),
        help="corpus to run (repeatable; default: all)",
    )
    p.add_argument("--repeat", type=int, default=None, help="timed runs per side (default 5; --quick: 1)")
    p.add_argument(
        "--scaling-repeat",
        type=int,
        default=None,
        help="timed runs per side for scaling files (default: --repeat up to N=100, at most 3 up to 1000, "
        "at most 2 above)",
    )
    p.add_argument(
        "--scaling-n",
        default=None,
        help="comma-separated N values (default 100,1000,10000; --quick: 10,50)",
    )
    p.add_argument("--jobs", "-j", type=int, default=1, help="flake8 --jobs (default 1)")
    p.add_argument(
        "--max-files", type=int, default=None, help=f"use at most M files per corpus (--quick: {QUICK_MAX_FILES})"
    )
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up run of each side")
    p.add_argument("--timeout", type=float, default=900.0, help="kill a flake8 run after this many seconds")
    p.add_argument("--flake8-args", default="", help="extra arguments for both sides, one shell-quoted string")
    p.add_argument("--python", default=sys.executable, help="interpreter that has flake8 and the plugin")
    p.add_argument(
        "--snapshot",
        action="store_true",
        help="measure a copy of lintplugin/ taken at start (for an editable install whose source is being edited)",
    )
    p.add_argument(
        "--plugin-from",
        metavar="DIR",
        help="measure the lintplugin/ of another checkout (e.g. `git worktree add DIR REV`), "
        "copied like --snapshot: before and after a change, each against plain flake8 in its own run",
    )
    p.add_argument("--scaling-dir", default=None, help="write the generated scaling files here (kept)")
    p.add_argument("--quick", action="store_true", help="smoke run: repeat 1, few files, small N, no warm-up")
    p.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a ratio is over its budget")
    opts = p.parse_args(argv)

    corpora = opts.corpus or ["all"]
    opts.corpora = list(DEFAULT_CORPORA) if "all" in corpora else [c for c in CORPORA if c in corpora]
    if opts.repeat is None:
        opts.repeat = 1 if opts.quick else 5
    if opts.quick:
        opts.no_warmup = True
        if opts.max_files is None:
            opts.max_files = QUICK_MAX_FILES
    if opts.scaling_n:
        opts.scaling_ns = [int(x) for x in opts.scaling_n.split(",") if x.strip()]
    else:
        opts.scaling_ns = list(QUICK_SCALING_N if opts.quick else DEFAULT_SCALING_N)
    if opts.repeat < 1 or (opts.scaling_repeat is not None and opts.scaling_repeat < 1):
        p.error("repeat counts must be >= 1")
    if any(n < 1 for n in opts.scaling_ns):
        p.error("--scaling-n values must be >= 1")
    opts.extra_flake8_args = shlex.split(opts.flake8_args)
    return opts


def main(argv: Optional[Sequence[str]] = None) -> int:
    opts = parse_args(argv)

    def log(text: str) -> None:
        sys.stdout.flush()
        sys.stderr.write(text)
        sys.stderr.flush()

    with tempfile.TemporaryDirectory(prefix="skt-bench-") as workdir:
        snapshot = None
        if opts.snapshot or opts.plugin_from:
            snapshot = take_snapshot(opts.python, os.path.join(workdir, "snapshot"), opts.plugin_from or REPO)
        with_version, without_version = verify_runner(opts.python)
        tree = git_state()
        fingerprint = plugin_fingerprint()
        if fingerprint:
            tree += f", lintplugin/*.py sha1 {fingerprint}"
        if snapshot:
            tree += " (frozen --snapshot copy)"
        print("flake8-socket-close benchmark: flake8 WITH vs WITHOUT the plugin (ratios = with / without)")
        print(f"python   : {platform.python_implementation()} {platform.python_version()} ({opts.python})")
        print(f"platform : {platform.platform()}, {os.cpu_count()} CPUs")
        print(f"with     : flake8 {with_version}")
        print(f"without  : flake8 {without_version}")
        print(f"tree     : {tree}")
        print(
            f"method   : flake8 -j {opts.jobs} --isolated --exit-zero {opts.flake8_args} <files>; "
            f"sides interleaved; {'no warm-up' if opts.no_warmup else '1 untimed warm-up per side'}; "
            f"ratio of minimum wall times"
        )
        print()

        report: dict = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "flake8_with": with_version,
            "flake8_without": without_version,
            "tree": tree,
            "jobs": opts.jobs,
            "quick": opts.quick,
            "budgets": {
                "time": TIME_BUDGETS,
                "memory_extra_mib": {c: MEMORY_BUDGET_MIB for c in MEMORY_BUDGET_CORPORA},
            },
            "corpora": {},
        }
        corpus_results: List[Measurement] = []
        scaling_rows: List[Tuple[str, int, Measurement]] = []

        for name in opts.corpora:
            if name == "scaling":
                continue
            files = {"stdlib-top": corpus_stdlib_top, "socket-dense": corpus_socket_dense,
                     "stdlib-all": corpus_stdlib_all, "asyncio": corpus_asyncio}[name]()
            if opts.max_files:
                files = files[: opts.max_files]
            if not files:
                print(f"{name}: no files found, skipped")
                continue
            log(f"{name}: {len(files)} files, repeat {opts.repeat} ")
            t0 = time.perf_counter()
            m = measure(name, files, opts.repeat, opts, workdir, not opts.no_warmup, log)
            log(f" {time.perf_counter() - t0:.0f}s\n")
            corpus_results.append(m)
            report["corpora"][name] = m.to_json()
            report["corpora"][name]["file_list"] = files

        if "scaling" in opts.corpora:
            gen_dir = opts.scaling_dir or os.path.join(workdir, "scaling")
            os.makedirs(gen_dir, exist_ok=True)
            for shape, generate in SCALING_SHAPES:
                for n in opts.scaling_ns:
                    path = os.path.join(gen_dir, f"{shape}_{n}.py")
                    source = generate(n)
                    compile(source, path, "exec")  # generated code must be valid Python
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(source)
                    repeat = scaling_repeat(n, opts)
                    log(f"scaling {shape} N={n}: repeat {repeat} ")
                    t0 = time.perf_counter()
                    m = measure(f"scaling/{shape}/{n}", [path], repeat, opts, workdir, not opts.no_warmup, log)
                    log(f" {time.perf_counter() - t0:.0f}s\n")
                    scaling_rows.append((shape, n, m))
            report["scaling"] = scaling_series(scaling_rows)

        source_changed = bool(fingerprint) and plugin_fingerprint() != fingerprint  # before the snapshot goes
        report["source_changed_during_run"] = source_changed

    failures: List[str] = []
    if corpus_results:
        print_corpus_table(corpus_results)
        print()
    if scaling_rows:
        print("scaling: extra time per N unit (branch or function) = (with - without) / N; it should stay flat")
        print("         marg.us/N = extra time between this N and the previous one, per added unit")
        print_scaling_table(scaling_rows)
        print()

    all_measurements = corpus_results + [m for _, _, m in scaling_rows]
    for m in all_measurements:
        for line in m.skt900:
            print(f"SKT900 (plugin could not analyse a file) in {m.name}: {line}")
        for problem in m.problems:
            print(f"PROBLEM in {m.name}: {problem}")

    for m in corpus_results:
        if m.failed:
            continue
        budget = TIME_BUDGETS.get(m.name)
        ratio = m.ratio("wall_min")
        if budget is not None and ratio is not None and ratio > budget:
            failures.append(f"{m.name}: time ratio {ratio:.3f} > {budget}")
        mem = m.extra_mib()
        if m.name in MEMORY_BUDGET_CORPORA and mem is not None and mem > MEMORY_BUDGET_MIB:
            failures.append(f"{m.name}: peak memory +{mem:.1f} MiB over plain flake8 > {MEMORY_BUDGET_MIB}")
    crashed = [m.name for m in all_measurements if m.failed]

    if source_changed:
        print("WARNING: the plugin's source changed while the benchmark ran; rerun (or use --snapshot)")
    report["over_budget"] = failures
    report["failed_runs"] = crashed
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        print(f"numbers written to {opts.json}")
    if opts.quick:
        print("(--quick: repeat 1 over a few files; the ratios are a smoke test, not a measurement)")

    for failure in failures:
        print(f"OVER BUDGET: {failure}")
    if crashed:
        print(f"FAILED RUNS: {', '.join(crashed)}")
        return 2
    if opts.check and failures:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
