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

Stdlib only (plus flake8, of course).
"""

from __future__ import annotations

import os
import sys

PLUGIN_DISTRIBUTION = "flake8-socket-close"
WITHOUT_FLAG = "--without-skt"
_ENV = "SKT_BENCHMARK_WITHOUT_PLUGIN"


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


def main(argv: list[str]) -> int:
    without = WITHOUT_FLAG in argv
    argv = [arg for arg in argv if arg != WITHOUT_FLAG]
    if without:
        os.environ[_ENV] = "1"
        _drop_our_plugin()
    from flake8.main import cli

    return cli.main(argv)


if os.environ.get(_ENV) == "1":  # a spawned -j N worker of a --without-skt run
    _drop_our_plugin()

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
