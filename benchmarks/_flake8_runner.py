"""Run flake8 in-process, optionally with flake8-socket-close not loaded at all.

Usage (from the repository root, with the environment's python):

    python benchmarks/_flake8_runner.py [--without-skt] <flake8 arguments>

Without ``--without-skt`` this is plain ``flake8 <arguments>``. With it, the
plugin discovery function ``flake8.plugins.finder.find_plugins`` (flake8 >= 5
API: ``find_plugins(cfg, opts) -> list[Plugin]``) is wrapped so that every
plugin whose distribution (``Plugin.package``) is ``flake8-socket-close`` is
dropped before flake8 loads anything: the plugin's module is never imported,
its options are never registered and it never runs.

This matters because ``--select``/``--ignore`` only filter *reports*: flake8
still runs every loaded plugin on every file. Both sides of the benchmark go
through this same runner so their start-up cost is identical except for the
plugin itself.

Check which plugins are loaded with ``--version``:

    python benchmarks/_flake8_runner.py --version
    python benchmarks/_flake8_runner.py --without-skt --version

When the environment variable SKT_BENCHMARK_RSS_FILE names a file, the
runner writes its peak memory there as JSON when flake8 is done (see
peak_rss_kib). bench.py uses that; plain use of the runner does not need it.

Stdlib only (plus flake8, of course).
"""

from __future__ import annotations

import os
import sys

PLUGIN_DISTRIBUTION = "flake8-socket-close"
WITHOUT_FLAG = "--without-skt"
_ENV = "SKT_BENCHMARK_WITHOUT_PLUGIN"
# bench.py sets this to a file path; the runner writes its peak memory there.
_RSS_ENV = "SKT_BENCHMARK_RSS_FILE"


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _drop_our_plugin() -> None:
    from flake8.plugins import finder

    original = finder.find_plugins
    if getattr(original, "_skt_benchmark_wrapper", False):
        return

    def find_plugins_without_skt(*args, **kwargs):
        plugins = original(*args, **kwargs)
        return [p for p in plugins if _normalise(p.package) != PLUGIN_DISTRIBUTION]

    find_plugins_without_skt._skt_benchmark_wrapper = True  # type: ignore[attr-defined]
    # flake8.options.parse_args looks the function up as `finder.find_plugins`
    # at call time, so replacing the module attribute is enough. -j N workers
    # forked on Linux inherit the already loaded plugins; workers started with
    # "spawn" re-import this file as __mp_main__ and re-run parse_args, which
    # is why the choice is also passed on in the environment (see below).
    finder.find_plugins = find_plugins_without_skt


def peak_rss_kib() -> dict:
    """This process's own peak RSS, and the largest of its reaped children's.

    VmHWM (Linux) is the high-water mark of this process's address space,
    which starts afresh at exec. getrusage's ru_maxrss does not: Linux carries
    it across exec, so a child of a big parent (the benchmark driver, spawned
    with vfork) would report the parent's peak. ru_maxrss of RUSAGE_CHILDREN
    covers -j N workers (forked after exec, so no such inheritance).
    """
    import resource

    peak = {"vmhwm_kib": None, "children_maxrss_kib": None, "self_maxrss_kib": None}
    scale = 1 / 1024 if sys.platform == "darwin" else 1  # macOS reports bytes
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak["vmhwm_kib"] = float(line.split()[1])
                    break
    except OSError:
        pass
    peak["self_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    peak["children_maxrss_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return peak


def main(argv: list[str]) -> int:
    without = WITHOUT_FLAG in argv
    argv = [arg for arg in argv if arg != WITHOUT_FLAG]
    if without:
        os.environ[_ENV] = "1"
        _drop_our_plugin()
    from flake8.main import cli

    rss_file = os.environ.pop(_RSS_ENV, None)  # popped: -j N workers must not write it
    try:
        return cli.main(argv)
    finally:
        if rss_file:
            import json

            with open(rss_file, "w", encoding="utf-8") as out:
                json.dump(peak_rss_kib(), out)


if os.environ.get(_ENV) == "1":  # a spawned -j N worker of a --without-skt run
    _drop_our_plugin()

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
