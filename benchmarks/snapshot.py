"""Record every SKT report on fixed corpora, to prove a refactor changes no finding.

    python benchmarks/snapshot.py write OUT.txt     # before the change
    python benchmarks/snapshot.py compare OUT.txt   # after it: exit 1 on any difference

The corpora are the project's `examples/` and `tests/eval_files/`, and the
whole standard library of the running Python (its `Lib/` tree without
site-packages). Paths are written relative to each corpus' root, so a
snapshot taken in one checkout compares with another on the same Python.
Reports are sorted, one per line, exactly as flake8 prints them.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parent.parent


def corpora() -> List[Tuple[str, Path, List[str]]]:
    stdlib = Path(os.path.dirname(os.__file__))
    return [
        ("examples", REPO, ["examples"]),
        ("eval_files", REPO, ["tests/eval_files"]),
        (f"stdlib-{sys.version_info[0]}.{sys.version_info[1]}", stdlib, ["."]),
    ]


def reports(root: Path, paths: List[str], jobs: str) -> List[str]:
    command = [
        sys.executable, "-m", "flake8", "--isolated", "--select", "SKT", "--jobs", jobs,
        "--extend-exclude", "site-packages", *paths,
    ]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode not in (0, 1) or done.stderr.strip():
        raise SystemExit(f"flake8 failed in {root}:\n{done.stderr}")
    return sorted(line[2:] if line.startswith("./") else line for line in done.stdout.splitlines())


def snapshot(jobs: str) -> str:
    out = []
    for name, root, paths in corpora():
        found = reports(root, paths, jobs)
        out.append(f"## {name}: {len(found)} reports\n")
        out.extend(line + "\n" for line in found)
    return "".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("write", "compare"))
    parser.add_argument("file")
    parser.add_argument("--jobs", default="2")
    args = parser.parse_args(argv)
    now = snapshot(args.jobs)
    if args.action == "write":
        Path(args.file).write_text(now, encoding="utf-8")
        print(now.count("\n") - 3, "reports written to", args.file)
        return 0
    before = Path(args.file).read_text(encoding="utf-8")
    if before == now:
        print("identical:", now.count("\n") - 3, "reports")
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        before.splitlines(keepends=True), now.splitlines(keepends=True), "before", "after"))
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
