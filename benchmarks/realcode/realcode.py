#!/usr/bin/env python3
"""Precision and recall of flake8-socket-close on pinned real-world packages.

Stdlib only (Python 3.9+). Downloads the packages pinned in packages.txt with
pip into a cache outside git, checks each archive against the sha256 pinned
beside it (and refuses a mismatch), extracts them, runs flake8 with only the SKT
codes selected on each one, and joins the reports with the human verdicts in
labels.csv (one row per report) and misses.csv (findings the rule
specification requires that the plugin does not report).

    python benchmarks/realcode/realcode.py --python /path/to/venv/bin/python

See README.md beside this file.
"""

import argparse
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "skt-realcode")
REPORT_RE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<text>.*)$")
RULES = ["SKT101", "SKT102", "SKT103", "SKT104", "SKT105", "SKT106", "SKT107",
         "SKT201", "SKT301", "SKT302", "SKT303", "SKT304", "SKT900"]
SCOPES = ("library", "test")


# --------------------------------------------------------------------- inputs

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
COMMENT_PIN_RE = re.compile(r"sha256=([0-9a-f]{64})(?:\s+|$)")


class Package:
    def __init__(self, name, version, kind, comment, sha256=None):
        self.name = name            # as pinned (PyPI spelling)
        self.version = version
        self.kind = kind            # "sdist" or "wheel"
        self.comment = comment
        self.sha256 = sha256        # hex digest of the archive, or None when not pinned
        self.root = None            # extracted package root (absolute)
        self.prefix = None          # first path component of every reported path

    @property
    def pin(self):
        return "%s==%s" % (self.name, self.version)


def read_packages(path):
    """Lines `name==version  sha256=<hex>  # [wheel] what it is`; [wheel] = no
    usable sdist; sha256 = the hash of the archive pip downloads. The pin may
    also open the comment (`name==version  # [wheel] sha256=<hex> what it is`)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line, _, comment = raw.partition("#")
            fields = line.split()
            if not fields:
                continue
            where = "%s:%d" % (os.path.basename(path), lineno)
            if "==" not in fields[0]:
                raise SystemExit("%s: not name==version: %r" % (where, raw.rstrip()))
            name, version = (x.strip() for x in fields[0].split("==", 1))
            sha256 = None
            for field in fields[1:]:
                key, sep, value = field.partition("=")
                if key != "sha256" or not sep:
                    raise SystemExit("%s: unknown field %r (expected sha256=<64 hex digits>)" % (where, field))
                if not SHA256_RE.match(value):
                    raise SystemExit("%s: sha256 must be 64 lowercase hex digits, got %r" % (where, value))
                sha256 = value
            comment = comment.strip()
            kind = "sdist"
            # the comment may also carry the pin: `# [wheel] sha256=<hex> what it is`
            while True:
                if comment.startswith("[wheel]"):
                    kind = "wheel"
                    comment = comment[len("[wheel]"):].strip()
                    continue
                m = COMMENT_PIN_RE.match(comment)
                if m:
                    if sha256 is not None and sha256 != m.group(1):
                        raise SystemExit("%s: two different sha256 pins" % where)
                    sha256 = m.group(1)
                    comment = comment[m.end():].strip()
                    continue
                break
            out.append(Package(name, version, kind, comment, sha256))
    return out


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def read_csv(path, fields):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows, 2):
        missing = [k for k in fields if not (row.get(k) or "").strip()]
        if missing:
            raise SystemExit("%s:%d: empty %s" % (os.path.basename(path), i, ", ".join(missing)))
        row["line"] = int(row["line"])
        row["code"] = row["code"].strip()
        row["package"] = norm(row["package"])
        row["path"] = row["path"].strip()
        if "verdict" in row:
            row["verdict"] = row["verdict"].strip().upper()
            if row["verdict"] not in ("TRUE", "FALSE"):
                raise SystemExit("%s:%d: verdict must be TRUE or FALSE" % (os.path.basename(path), i))
    return rows


def is_test_path(path):
    parts = path.replace("\\", "/").split("/")
    return any(p in ("test", "tests") for p in parts[:-1]) or parts[-1].startswith("test_")


# ----------------------------------------------------------- download, extract

def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(pkg, archive, fresh):
    """Refuse an archive whose sha256 is not the one pinned in packages.txt.
    Returns the digest. A freshly downloaded archive that does not match is
    deleted; a cached one is left for the user to inspect."""
    got = sha256_of(archive)
    if pkg.sha256 is None:
        raise SystemExit(
            "%s is not pinned by hash: add `sha256=%s` after `%s` in packages.txt "
            "(check it against the hash PyPI publishes for %s first)"
            % (pkg.pin, got, pkg.pin, os.path.basename(archive)))
    if got != pkg.sha256:
        if fresh:
            os.remove(archive)
            what = "pip downloaded %s (now deleted), whose" % os.path.basename(archive)
            advice = ("the index served a different file (another index, or a re-upload); "
                      "change the pin only after checking the hash PyPI publishes")
        else:
            what = "the cached archive %s, whose" % archive
            advice = "if the cached copy is damaged, delete %s and run again" % os.path.dirname(archive)
        raise SystemExit(
            "sha256 mismatch for %s: %s sha256 is %s, but packages.txt pins %s. "
            "Refusing to analyse a file that is not the pinned release: %s."
            % (pkg.pin, what, got, pkg.sha256, advice))
    return got


def download(pkg, cache, pip_python):
    """The archive of `pkg` in the cache (downloaded with pip when missing),
    verified against its sha256 pin; returns (path, sha256)."""
    ddir = os.path.join(cache, "downloads", "%s-%s" % (norm(pkg.name), pkg.version))
    have = [f for f in os.listdir(ddir)] if os.path.isdir(ddir) else []
    have = [f for f in have if f.endswith((".tar.gz", ".zip", ".whl", ".tar.bz2"))]
    if len(have) > 1:
        raise SystemExit("%s: more than one archive in %s: %s" % (pkg.pin, ddir, sorted(have)))
    if have:
        archive = os.path.join(ddir, have[0])
        return archive, verify(pkg, archive, fresh=False)
    os.makedirs(ddir, exist_ok=True)
    fmt = ["--no-binary", ":all:"] if pkg.kind == "sdist" else ["--only-binary", ":all:"]
    cmd = [pip_python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "-q", "-d", ddir] + fmt + [pkg.pin]
    print("downloading %s (%s) ..." % (pkg.pin, pkg.kind), file=sys.stderr)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    have = [f for f in os.listdir(ddir) if f.endswith((".tar.gz", ".zip", ".whl", ".tar.bz2"))]
    if proc.returncode != 0 or len(have) != 1:
        sys.stderr.write(proc.stdout[-3000:])
        raise SystemExit("pip download failed for %s (archives in %s: %s)" % (pkg.pin, ddir, sorted(have)))
    archive = os.path.join(ddir, have[0])
    return archive, verify(pkg, archive, fresh=True)


def _safe_members_tar(tf, dest):
    dest = os.path.realpath(dest)
    for m in tf.getmembers():
        target = os.path.realpath(os.path.join(dest, m.name))
        if not (target == dest or target.startswith(dest + os.sep)):
            raise SystemExit("unsafe path in archive: %s" % m.name)
        if m.issym() or m.islnk() or m.isdev():
            continue
        yield m


def extract(pkg, archive, digest, cache):
    """Extract into cache/src/<name>-<version>/; returns (root, prefix).
    The marker file holds the sha256 of the archive the tree came from, so a
    tree from another archive is extracted again."""
    base = os.path.join(cache, "src", "%s-%s" % (norm(pkg.name), pkg.version))
    marker = os.path.join(base, ".extracted")
    done = None
    if os.path.exists(marker):
        with open(marker, encoding="ascii") as f:
            done = f.read().strip()
    if done != digest:
        if os.path.isdir(base):
            shutil.rmtree(base)
        os.makedirs(base)
        if archive.endswith(".whl"):
            # a wheel has no top directory: give it one, named like an sdist's
            top = os.path.join(base, "%s-%s" % (norm(pkg.name).replace("-", "_"), pkg.version))
            os.makedirs(top)
            with zipfile.ZipFile(archive) as zf:
                for n in zf.namelist():
                    t = os.path.realpath(os.path.join(top, n))
                    if not t.startswith(os.path.realpath(top) + os.sep):
                        raise SystemExit("unsafe path in archive: %s" % n)
                zf.extractall(top)
        elif archive.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(base)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(base, members=list(_safe_members_tar(tf, base)))
        with open(marker, "w", encoding="ascii") as f:
            f.write(digest + "\n")
    tops = [d for d in os.listdir(base) if not d.startswith(".") and os.path.isdir(os.path.join(base, d))]
    if len(tops) != 1:
        raise SystemExit("%s: expected one top directory in %s, found %s" % (pkg.pin, base, tops))
    return base, tops[0]


def count_python(root, prefix):
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, prefix)):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
        for fn in filenames:
            if fn.endswith(".py"):
                files += 1
                with open(os.path.join(dirpath, fn), "rb") as f:
                    lines += f.read().count(b"\n")
    return files, lines


# ---------------------------------------------------------------------- flake8

def run_flake8(pkg, python, jobs, timeout):
    cmd = [python, "-m", "flake8", "--select", "SKT", "--isolated", "-j", str(jobs),
           "--format", "%(path)s:%(row)d:%(col)d: %(code)s %(text)s", pkg.prefix]
    proc = subprocess.run(cmd, cwd=pkg.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit("flake8 failed (exit %d) on %s" % (proc.returncode, pkg.pin))
    reports = []
    for line in proc.stdout.splitlines():
        m = REPORT_RE.match(line)
        if not m:
            if line.strip():
                print("unparsed flake8 line: %s" % line, file=sys.stderr)
            continue
        path = m.group("path").replace("\\", "/")
        if path.startswith("./"):
            path = path[2:]
        reports.append({
            "package": norm(pkg.name), "path": path, "line": int(m.group("line")),
            "col": int(m.group("col")), "code": m.group("code"), "text": m.group("text"),
        })
    if proc.stderr.strip():
        sys.stderr.write("flake8 stderr for %s:\n%s\n" % (pkg.pin, proc.stderr[-2000:]))
    return reports


# ---------------------------------------------------------------------- tables

def key(r):
    return (r["package"], r["path"], r["line"], r["code"])


def compute(reports, labels, misses, selected):
    lab = {}
    for row in labels:
        if row["package"] not in selected:
            continue
        k = key(row)
        if k in lab:
            print("duplicate label: %s" % (k,), file=sys.stderr)
        lab[k] = row
    rep_keys = {key(r) for r in reports}
    stats = {s: defaultdict(Counter) for s in SCOPES + ("all",)}
    unlabelled = []
    for r in reports:
        scope = "test" if is_test_path(r["path"]) else "library"
        row = lab.get(key(r))
        what = "unlabelled" if row is None else row["verdict"]
        r["verdict"] = None if row is None else row["verdict"]
        for s in (scope, "all"):
            stats[s][r["code"]]["reports"] += 1
            stats[s][r["code"]][what] += 1
        if row is None:
            unlabelled.append(r)
    stale = [row for k, row in sorted(lab.items()) if k not in rep_keys]
    found_misses = []
    for m in misses:
        if m["package"] not in selected:
            continue
        if key(m) in rep_keys:
            found_misses.append(m)      # now reported: judge it in labels.csv, drop it here
            continue
        scope = "test" if is_test_path(m["path"]) else "library"
        for s in (scope, "all"):
            stats[s][m["code"]]["misses"] += 1
    return stats, unlabelled, stale, found_misses


def pct(num, den):
    return "-" if den == 0 else "%.0f%%" % (100.0 * num / den)


def table(stats_scope):
    head = "| rule | reports | TRUE | FALSE | unlabelled | precision | misses | recall |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    tot = Counter()
    codes = RULES + sorted(c for c in stats_scope if c not in RULES)
    for code in codes:
        c = stats_scope[code]
        tot.update(c)
        lines.append(row(code, c))
    lines.append(row("**all**", tot))
    return "\n".join(lines)


def row(name, c):
    t, f = c["TRUE"], c["FALSE"]
    return "| %s | %d | %d | %d | %d | %s | %d | %s |" % (
        name, c["reports"], t, f, c["unlabelled"], pct(t, t + f), c["misses"], pct(t, t + c["misses"]))


def render(pkgs, stats, unlabelled, stale, found_misses, pkginfo):
    out = io.StringIO()
    w = out.write
    w("## Packages\n\n| package | version | kind | .py files | lines of Python | reports (library / test) |\n")
    w("|---|---|---|---:|---:|---:|\n")
    for p in pkgs:
        info = pkginfo[norm(p.name)]
        w("| %s | %s | %s | %d | %d | %d / %d |\n" % (p.name, p.version, p.kind, info["files"], info["lines"],
                                                      info["library"], info["test"]))
    for scope in SCOPES + ("all",):
        w("\n## %s code\n\n" % {"library": "Library", "test": "Test", "all": "All"}[scope])
        w(table(stats[scope]) + "\n")
    w("\nprecision = TRUE / (TRUE + FALSE); recall = TRUE / (TRUE + misses), misses being the findings in "
      "misses.csv that the plugin does not report.\n")
    if unlabelled:
        w("\n## Unlabelled reports (%d)\n\n" % len(unlabelled))
        for r in unlabelled:
            w("- %s %s:%d %s %s\n" % (r["package"], r["path"], r["line"], r["code"], r["text"]))
    if stale:
        w("\n## Stale labels: no such report (%d)\n\n" % len(stale))
        for r in stale:
            w("- %s %s:%d %s (%s)\n" % (r["package"], r["path"], r["line"], r["code"], r["verdict"]))
    if found_misses:
        w("\n## Misses that are now reported (%d): move them to labels.csv\n\n" % len(found_misses))
        for r in found_misses:
            w("- %s %s:%d %s\n" % (r["package"], r["path"], r["line"], r["code"]))
    return out.getvalue()


# ------------------------------------------------------------------------ main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable,
                    help="Python that has flake8 and flake8-socket-close installed (default: this one)")
    ap.add_argument("--pip-python", default=sys.executable,
                    help="Python whose pip downloads the packages (default: this one)")
    ap.add_argument("--cache", default=DEFAULT_CACHE, help="download/extract cache (default %(default)s)")
    ap.add_argument("--package", action="append", default=[], metavar="NAME",
                    help="only this package (repeatable)")
    ap.add_argument("--packages", default=os.path.join(HERE, "packages.txt"))
    ap.add_argument("--labels", default=os.path.join(HERE, "labels.csv"))
    ap.add_argument("--misses", default=os.path.join(HERE, "misses.csv"))
    ap.add_argument("--jobs", "-j", type=int, default=2, help="flake8 --jobs (default 2)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per flake8 run")
    ap.add_argument("--markdown", metavar="FILE", help="also write the tables as Markdown to FILE")
    ap.add_argument("--json", metavar="FILE", help="also write every report with its verdict as JSON")
    ap.add_argument("--check", action="store_true", help="exit 1 if any report is unlabelled")
    args = ap.parse_args(argv)

    pkgs = read_packages(args.packages)
    if args.package:
        want = {norm(n) for n in args.package}
        unknown = want - {norm(p.name) for p in pkgs}
        if unknown:
            raise SystemExit("not in packages.txt: %s" % ", ".join(sorted(unknown)))
        pkgs = [p for p in pkgs if norm(p.name) in want]
    labels = read_csv(args.labels, ["package", "path", "line", "code", "verdict", "reason"])
    misses = read_csv(args.misses, ["package", "path", "line", "code", "reason"])

    cache = os.path.abspath(args.cache)
    # flake8 runs inside each package's tree, so a relative interpreter path would point nowhere;
    # abspath (not realpath) keeps a venv's python symlink, which is what selects the venv.
    for attr in ("python", "pip_python"):
        if os.sep in getattr(args, attr):
            setattr(args, attr, os.path.abspath(getattr(args, attr)))
    reports, pkginfo = [], {}
    for p in pkgs:
        archive, digest = download(p, cache, args.pip_python)
        p.root, p.prefix = extract(p, archive, digest, cache)
        files, lines = count_python(p.root, p.prefix)
        print("flake8 %s ..." % p.pin, file=sys.stderr)
        got = run_flake8(p, args.python, args.jobs, args.timeout)
        nt = sum(1 for r in got if is_test_path(r["path"]))
        pkginfo[norm(p.name)] = {"files": files, "lines": lines, "library": len(got) - nt, "test": nt}
        reports.extend(got)

    selected = {norm(p.name) for p in pkgs}
    stats, unlabelled, stale, found_misses = compute(reports, labels, misses, selected)
    text = render(pkgs, stats, unlabelled, stale, found_misses, pkginfo)
    print(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("# flake8-socket-close on real code\n\n" + text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"packages": [p.pin for p in pkgs], "reports": reports}, f, indent=1)
    if args.check and unlabelled:
        print("%d unlabelled report(s)" % len(unlabelled), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
