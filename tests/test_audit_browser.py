"""The audit's HTML page: rendered by a real headless browser, and read as text.

The browser tests use Debian's chromium. Without one they skip, except in
CI (CI=true), where a missing browser is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from expectations import REPO
from flake8_run import parse, run_flake8, write
from lintplugin.catalogue import RULES
from lintplugin.cli.audit_html import inline_to_html, markdown_to_html
from lintplugin.pages import rule_page

WINDOW = (1280, 2000)


def find_browser() -> Optional[str]:
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.isfile("/usr/bin/chromium") else None)


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no chromium found, and CI=true: the browser tests must run in CI (.ci/run installs it)")
        pytest.skip("no chromium on PATH or at /usr/bin/chromium")
    return found


def write_html(folder: Path, *args: str, cwd: Path = REPO) -> Path:
    page = folder / "audit.html"
    done = subprocess.run(
        [sys.executable, "-m", "lintplugin", "audit", *args, "--isolated", "--html", str(page)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    return page


@pytest.fixture(scope="module")
def examples_page(tmp_path_factory) -> Path:
    return write_html(tmp_path_factory.mktemp("audit"), "examples")


def flake8_counts() -> Tuple[int, Dict[str, int]]:
    code, out, err = run_flake8(REPO, "--select", "SKT", "examples/")
    assert code == 1, err
    counts = Counter(report.code for report in parse(out))
    return sum(counts.values()), {code: counts[code] for code in RULES}


# --------------------------------------------------------------------------- in a browser


def run_browser(browser: str, profile: Path, page: Path, *action: str) -> subprocess.CompletedProcess:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--disable-extensions",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        # No network: a dead proxy and no name resolution, so a page that
        # needed anything from outside would show it missing, not fetch it.
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *action,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, timeout=180)


class DomReader(HTMLParser):
    """Text by element id, and the chart's bars."""

    def __init__(self) -> None:
        super().__init__()
        self.text_by_id: Dict[str, str] = {}
        self.open_ids: List[Tuple[str, str]] = []  # (tag, id) of the elements being read
        self.bars: Dict[str, Tuple[int, float]] = {}  # code -> (count, width)
        self.in_chart = False
        self.tags: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags[tag] += 1
        if tag == "svg" and "chart" in (attributes.get("class") or "").split():
            self.in_chart = True
        if self.in_chart and tag == "rect" and "bar" in (attributes.get("class") or "").split():
            self.bars[attributes["data-code"]] = (int(attributes["data-count"]), float(attributes["width"]))
        if "id" in attributes:
            self.open_ids.append((tag, attributes["id"]))
            self.text_by_id[attributes["id"]] = ""

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_chart = False
        if self.open_ids and self.open_ids[-1][0] == tag:
            self.open_ids.pop()

    def handle_data(self, data):
        for _, element in self.open_ids:
            self.text_by_id[element] += data


def read_dom(markup: str) -> DomReader:
    reader = DomReader()
    reader.feed(markup)
    reader.close()
    return reader


def test_browser_shows_the_counts_and_a_bar_per_rule_with_findings(browser, examples_page, tmp_path):
    done = run_browser(browser, tmp_path / "profile", examples_page, "--dump-dom")
    dom = done.stdout.decode("utf-8")
    assert done.returncode == 0 and "</html>" in dom, done.stderr.decode(errors="replace")[-2000:]
    page = read_dom(dom)
    total, per_rule = flake8_counts()

    assert page.text_by_id["files-scanned"].strip() == str(len(list((REPO / "examples").rglob("*.py"))))
    assert page.text_by_id["findings-total"].strip() == str(total)
    for code, count in per_rule.items():
        assert page.text_by_id[f"count-{code}"].strip() == str(count), code
    with_findings = {code: count for code, count in per_rule.items() if count}
    assert {code: count for code, (count, _) in page.bars.items()} == with_findings
    widths = {code: width for code, (_, width) in page.bars.items()}
    most = max(with_findings, key=with_findings.get)
    for code, count in with_findings.items():
        assert widths[code] == pytest.approx(widths[most] * count / with_findings[most], abs=1.5)
    for code in with_findings:
        assert f"rule-{code}" in page.text_by_id, f"no section for {code}"


def test_browser_renders_a_page_that_is_not_blank(browser, examples_page, tmp_path):
    shot = tmp_path / "shot.png"
    done = run_browser(browser, tmp_path / "profile", examples_page, f"--screenshot={shot}")
    assert done.returncode == 0 and shot.is_file(), done.stderr.decode(errors="replace")[-2000:]
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == WINDOW
    # Text, bars and highlighted code give hundreds of colours; a blank or
    # failed page has one or two.
    assert len(set(pixels)) > 50


def png_pixels(data: bytes) -> Tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines (filter bytes left in) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, size = 8, [], (0, 0)
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    return size[0], size[1], zlib.decompress(b"".join(chunks))


# --------------------------------------------------------------------------- as text


class ResourceFinder(HTMLParser):
    """Every way a page can make a browser load something."""

    LOADING_TAGS = {"script", "link", "img", "iframe", "frame", "object", "embed", "source", "video", "audio",
                    "image", "use", "track", "base", "form", "input", "picture", "meta"}
    LOADING_ATTRIBUTES = {"src", "srcset", "href", "xlink:href", "data", "poster", "action", "background",
                          "formaction", "ping", "manifest", "codebase"}

    def __init__(self) -> None:
        super().__init__()
        self.loads: List[str] = []
        self.links: List[str] = []
        self.styles: List[str] = []
        self.in_style = False
        self.meta: List[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta":
            self.meta.append(attributes)
            if "http-equiv" in attributes and attributes["http-equiv"].lower() == "refresh":
                self.loads.append(f"meta refresh {attributes.get('content')}")
        elif tag in self.LOADING_TAGS:
            self.loads.append(f"<{tag}>")
        for name, value in attrs:
            if name == "href" and tag == "a":
                self.links.append(value or "")
            elif name in self.LOADING_ATTRIBUTES:
                self.loads.append(f"<{tag} {name}={value}>")
            elif name == "style":
                self.styles.append(value or "")
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)


def test_the_page_loads_nothing_from_anywhere(examples_page):
    markup = examples_page.read_text(encoding="utf-8")
    found = ResourceFinder()
    found.feed(markup)
    assert found.loads == []
    assert found.styles, "the CSS must be inline"
    for css in found.styles:
        assert "url(" not in css and "@import" not in css
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", markup.replace("<a href", "<a-link"), re.I)
    policies = [meta["content"] for meta in found.meta if meta.get("http-equiv") == "Content-Security-Policy"]
    assert policies and "default-src 'none'" in policies[0]
    assert "<svg" in markup, "the chart is inline SVG"
    # Links to the rules' references, for a reader to follow, are allowed; nothing else.
    assert found.links
    for link in found.links:
        assert link.startswith(("https://", "http://", "#")), link


HOSTILE = """\
import socket

BANNER = "<script>alert('pwned')</script> & </pre><b>bold</b>"


def greet(host):
    sock = socket.socket()
    sock.connect((host, 80))  # "<img src=x onerror=alert(1)>"
    sock.sendall(BANNER.encode())
    sock.close()
"""


def test_code_excerpts_are_escaped(tmp_path):
    # A form feed line first: the excerpt must still be the lines flake8 numbers.
    write(tmp_path, "hostile.py", HOSTILE.replace("import socket\n", "import socket\n\x0c\n"))
    page = write_html(tmp_path, ".", cwd=tmp_path)
    markup = page.read_text(encoding="utf-8")
    assert "<script>" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    found = ResourceFinder()
    found.feed(markup)
    assert found.loads == []
    marked = re.findall(r'<span class="line hit"><span class="number">\s*(\d+)</span>(.*?)</span>', markup, re.S)
    assert marked == [("9", "    sock.connect((host, 80))  # &quot;&lt;img src=x onerror=alert(1)&gt;&quot;\n")]
    excerpt = re.search(r'<pre class="excerpt">(.*?)</pre>', markup, re.S).group(1)
    numbers = re.findall(r'<span class="number">\s*(\d+)</span>', excerpt)
    assert numbers == ["7", "8", "9", "10", "11"]


# --------------------------------------------------------------------------- the markdown renderer


def test_markdown_blocks():
    page = (
        "# Title\n\nA paragraph\nover two lines.\n\n"
        "- one\n  continued\n- two\n\n- three after a blank line\n\n"
        "1. first\n2. second\n\n"
        "```python\nif a < b and c > d:\n    x = '&'\n```\n\n"
        "## Next `code`\n\nEnd.\n"
    )
    assert markdown_to_html(page, heading_shift=2).split("\n") == [
        "<h3>Title</h3>",
        "<p>A paragraph over two lines.</p>",
        "<ul>",
        "<li>one continued</li>",
        "<li>two</li>",
        "<li>three after a blank line</li>",
        "</ul>",
        "<ol>",
        "<li>first</li>",
        "<li>second</li>",
        "</ol>",
        '<pre><code class="language-python">if a &lt; b and c &gt; d:',
        "    x = &#x27;&amp;&#x27;</code></pre>",
        "<h4>Next <code>code</code></h4>",
        "<p>End.</p>",
    ]


def test_markdown_escapes_everything_it_does_not_render():
    assert inline_to_html("<b>x</b> & <script>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;"
    assert inline_to_html("`<tag>` and `a & b`") == "<code>&lt;tag&gt;</code> and <code>a &amp; b</code>"
    assert inline_to_html("[RFC](https://example.org/a?b=1&c=2)") == (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">RFC</a>'
    )
    assert inline_to_html('[x](https://e.org/"onmouseover=1)') == (
        '<a href="https://e.org/&quot;onmouseover=1" rel="noopener noreferrer">x</a>'
    )
    assert inline_to_html("[click](javascript:alert(1))") == "[click](javascript:alert(1))"
    assert inline_to_html("[click](javascript:alert)") == "click"
    assert inline_to_html("[`SO_LINGER`](https://man7.org/x)") == (
        '<a href="https://man7.org/x" rel="noopener noreferrer"><code>SO_LINGER</code></a>'
    )
    assert inline_to_html("`[not](https://a.link)`") == "<code>[not](https://a.link)</code>"
    unclosed = markdown_to_html("```\n<still code>\n")
    assert unclosed == "<pre><code>&lt;still code&gt;</code></pre>"


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_page_renders_its_sections_and_references(code):
    page = rule_page(code)
    assert page is not None
    rendered = markdown_to_html(page, heading_shift=3)
    headings = re.findall(r"^#{2} (.+)$", page, re.M)
    assert headings, f"{code}: no sections found, the loop below would check nothing"
    for heading in headings:
        assert f"<h5>{inline_to_html(heading)}</h5>" in rendered
    references = re.findall(r"\[[^\]]+\]\((https?://[^)\s]+)\)", page)
    hrefs = re.findall(r'<a href="([^"]+)"', rendered)
    assert [href.replace("&amp;", "&") for href in hrefs] == references
    assert rendered.count("<pre><code") == page.count("\n```") // 2
    assert "```" not in rendered
