"""The audit as one self-contained HTML page.

The page is read from disk, mailed around and archived next to CI logs, so
it must show the same thing offline and in ten years: the CSS is inline,
the chart is inline SVG, and a Content-Security-Policy forbids loading
anything. Only the explanations' references are links, for a reader to
follow. Every piece of text that came from a file or a rule page is
escaped: the audited code is untrusted input.
"""

from __future__ import annotations

import html
import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from lintplugin import __version__
from lintplugin.catalogue import RULES, rule_link
from lintplugin.cli.audit_summary import TOP_FILES, Audit, Finding, plural
from lintplugin.pages import rule_page

# --------------------------------------------------------------------------- the page


def render(audit: Audit, docs_url: Optional[str] = None) -> str:
    body = "\n".join(
        [
            f"<h1>Socket teardown audit of {_esc(', '.join(audit.paths))}</h1>",
            f'<p class="meta">flake8-socket-close {_esc(__version__)}</p>',
            _summary(audit),
            _rules_overview(audit),
            _top_files(audit),
            _skipped(audit),
            _findings(audit, docs_url),
        ]
    )
    return _document("Socket teardown audit", body)


def _document(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title>
<style>
{STYLE}
</style>
</head>
<body>
{body}
</body>
</html>
"""


STYLE = """\
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
  max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 0.2rem 0.9rem 0.2rem 0; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.5rem 0.7rem; overflow-x: auto; }
pre.excerpt { padding: 0.4rem 0; }
pre.excerpt .line { display: block; padding: 0 0.7rem; }
pre.excerpt .hit { background: #fff1c2; box-shadow: inset 3px 0 #d9a400; }
pre.excerpt .number { display: inline-block; min-width: 3.5em; color: #888; user-select: none; }
svg.chart { max-width: 100%; height: auto; }
.chart .bar.skt1 { fill: #c0392b; }
.chart .bar.skt2 { fill: #8e44ad; }
.chart .bar.skt3 { fill: #d35400; }
.chart .bar.skt9 { fill: #7f8c8d; }
.chart text { font: 12px system-ui, sans-serif; fill: #1d1d1f; }
.chart text.code { font-family: ui-monospace, Menlo, Consolas, monospace; }
.chart .zero { fill: #999; }
section.rule { margin-top: 2rem; }
.rule h3 { margin-bottom: 0.2rem; }
.rule .count { color: #666; font-weight: normal; }
ol.findings { padding-left: 1.4rem; }
li.finding { margin: 1rem 0; }
.where { font-weight: 600; margin: 0; }
.message { margin: 0.2rem 0; }
details.explanation { margin: 0.6rem 0 1rem; border-left: 3px solid #ddd; padding-left: 0.8rem; }
details.explanation summary { cursor: pointer; color: #0b57d0; }
.none { color: #666; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------- summary sections


def _summary(audit: Audit) -> str:
    rows = [
        ("files-scanned", "Files scanned", audit.files_scanned),
        ("files-with-socket-code", "Files with socket code", audit.socket_files),
        ("findings-total", "Findings", len(audit.findings)),
        ("files-with-findings", "Files with findings", audit.files_with_findings),
        ("files-skipped", "Files skipped (unreadable or not valid Python)", len(audit.skipped)),
    ]
    cells = "\n".join(
        f'<tr><th scope="row">{_esc(label)}</th><td class="number" id="{key}">{value}</td></tr>'
        for key, label, value in rows
    )
    return f'<section id="summary">\n<h2>Summary</h2>\n<table>\n{cells}\n</table>\n</section>'


def _rules_overview(audit: Audit) -> str:
    counts = audit.per_rule()
    rows = "\n".join(_rule_row(code, count) for code, count in counts.items())
    return (
        '<section id="per-rule">\n<h2>Findings per rule</h2>\n'
        f"{bar_chart(counts)}\n"
        '<table class="rules">\n<tr><th>Code</th><th>Name</th><th>Findings</th></tr>\n'
        f"{rows}\n</table>\n</section>"
    )


def _rule_row(code: str, count: int) -> str:
    label = f'<a href="#rule-{code}">{code}</a>' if count else code
    return (
        f'<tr><td><code>{label}</code></td><td>{_esc(_name(code))}</td>'
        f'<td class="number" id="count-{code}">{count}</td></tr>'
    )


def _name(code: str) -> str:
    return RULES[code].name if code in RULES else ""


def _top_files(audit: Audit) -> str:
    top = audit.top_files()
    if not top:
        return '<section id="top-files">\n<h2>Files with most findings</h2>\n<p class="none">None.</p>\n</section>'
    rows = "\n".join(
        f'<tr><td class="number">{count}</td><td><code>{_esc(path)}</code></td></tr>' for path, count in top
    )
    return (
        f'<section id="top-files">\n<h2>Files with most findings (top {TOP_FILES})</h2>\n'
        f"<table>\n<tr><th>Findings</th><th>File</th></tr>\n{rows}\n</table>\n</section>"
    )


def _skipped(audit: Audit) -> str:
    if not audit.skipped:
        return ""
    items = "\n".join(f"<li><code>{_esc(path)}</code>: {_esc(why)}</li>" for path, why in audit.skipped)
    return (
        '<section id="skipped">\n<h2>Files skipped (unreadable or not valid Python)</h2>\n'
        f"<ul>\n{items}\n</ul>\n</section>"
    )


# --------------------------------------------------------------------------- the chart

_ROW = 24
_LABEL_WIDTH = 230
_BAR_SPACE = 420
_COUNT_SPACE = 50


def bar_chart(counts: Dict[str, int]) -> str:
    """One row per rule; a bar only where there are findings, so an empty
    row reads as a clean rule rather than a tiny one."""
    most = max(counts.values(), default=0)
    width = _LABEL_WIDTH + _BAR_SPACE + _COUNT_SPACE
    height = _ROW * len(counts) + 4
    rows = "\n".join(_chart_row(index, code, count, most) for index, (code, count) in enumerate(counts.items()))
    total = sum(counts.values())
    return (
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="Findings per rule: {total} in all">\n'
        f"<title>Findings per rule</title>\n{rows}\n</svg>"
    )


def _chart_row(index: int, code: str, count: int, most: int) -> str:
    top = index * _ROW + 2
    middle = top + _ROW // 2 + 4
    label = (
        f'<text class="code" x="0" y="{middle}">{code}</text>'
        f'<text x="60" y="{middle}">{_esc(_name(code))}</text>'
    )
    if not count:
        zero = f'<text class="zero" x="{_LABEL_WIDTH}" y="{middle}">0</text>'
        return f'<g class="row" data-code="{code}">{label}{zero}</g>'
    length = max(2, round(_BAR_SPACE * count / most))
    family = code[:4].lower()
    bar = (
        f'<rect class="bar {family}" data-code="{code}" data-count="{count}" x="{_LABEL_WIDTH}" y="{top + 3}" '
        f'width="{length}" height="{_ROW - 6}"><title>{code} {_esc(_name(code))}: {count}</title></rect>'
        f'<text class="value" x="{_LABEL_WIDTH + length + 6}" y="{middle}">{count}</text>'
    )
    return f'<g class="row" data-code="{code}">{label}{bar}</g>'


# --------------------------------------------------------------------------- findings by rule


def _findings(audit: Audit, docs_url: Optional[str]) -> str:
    groups = audit.by_rule()
    if not groups:
        return '<section id="findings">\n<h2>Findings</h2>\n<p class="none">No findings.</p>\n</section>'
    sections = "\n".join(_rule_section(code, found, docs_url) for code, found in groups.items())
    return f'<section id="findings">\n<h2>Findings by rule</h2>\n{sections}\n</section>'


def _rule_section(code: str, found: Sequence[Finding], docs_url: Optional[str]) -> str:
    rule = RULES.get(code)
    summary = f'<p class="summary">{_esc(rule.summary)}</p>' if rule else ""
    items = "\n".join(_finding_item(finding) for finding in found)
    return (
        f'<section class="rule" id="rule-{_esc(code)}">\n'
        f'<h3>{_esc(code)} {_esc(_name(code))} <span class="count">({plural(len(found), "finding")})</span></h3>\n'
        f"{summary}\n{_reference(code, docs_url)}\n{_explanation(code)}\n"
        f'<ol class="findings">\n{items}\n</ol>\n</section>'
    )


def _reference(code: str, docs_url: Optional[str]) -> str:
    if code not in RULES:
        return ""
    link = rule_link(code, docs_url)
    if _safe_url(link):
        return f'<p class="reference">Reference: <a href="{_esc(link)}">{_esc(link)}</a></p>'
    # Codes without a public page point to the offline explanation.
    return f'<p class="reference">Reference: <code>lintplugin explain {_esc(code)}</code></p>'


def _explanation(code: str) -> str:
    page = rule_page(code)
    if page is None:
        return ""
    return (
        '<details class="explanation">\n<summary>Explanation</summary>\n'
        f"{markdown_to_html(page, heading_shift=3)}\n</details>"
    )


def _finding_item(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}:{finding.column}"
    return (
        f'<li class="finding" data-code="{_esc(finding.code)}">\n'
        f'<p class="where"><code>{_esc(where)}</code></p>\n'
        f'<p class="message">{_esc(finding.message)}</p>\n'
        f"{_excerpt(finding)}\n</li>"
    )


def _excerpt(finding: Finding) -> str:
    if not finding.excerpt:
        return ""
    width = len(str(finding.excerpt[-1][0]))
    lines = []
    for number, text in finding.excerpt:
        css = "line hit" if number == finding.line else "line"
        lines.append(
            # The line end inside the span: copied text keeps its lines, and no blank line shows.
            f'<span class="{css}"><span class="number">{number:>{width}}</span>{_esc(_printable(text))}\n</span>'
        )
    return f'<pre class="excerpt">{"".join(lines)}</pre>'


# Control characters are invalid in HTML text (NUL is replaced, others shown
# as boxes or dropped): tabs and line ends stay, the rest becomes U+FFFD.
_CONTROLS = {code: "\ufffd" for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}


def _printable(text: str) -> str:
    return text.translate(_CONTROLS)


# --------------------------------------------------------------------------- markdown

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s{0,3})([-*+]|\d{1,9}[.)])\s+(.*)$")
_INLINE = re.compile(r"(?P<ticks>`+)(?P<code>.+?)(?P=ticks)|\[(?P<label>[^\]]+)\]\((?P<url>[^()\s]+)\)")


def markdown_to_html(text: str, heading_shift: int = 0) -> str:
    """The markdown of the rule pages, as HTML with every piece of text
    escaped: ATX headings, paragraphs, fenced code, `-`/`*`/`1.` lists
    (one level, with indented continuation lines), inline code and links.
    Anything else is shown as the text it is, never as markup."""
    lines = text.expandtabs(4).splitlines()
    return "\n".join(_blocks(lines, heading_shift))


def _blocks(lines: List[str], heading_shift: int) -> Iterator[str]:
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
        elif _FENCE.match(line):
            index, block = _fenced(lines, index)
            yield block
        elif _HEADING.match(line):
            yield _heading(line, heading_shift)
            index += 1
        elif _ITEM.match(line):
            index, block = _list(lines, index)
            yield block
        else:
            index, block = _paragraph(lines, index)
            yield block


def _starts_block(line: str) -> bool:
    return bool(_FENCE.match(line) or _HEADING.match(line) or _ITEM.match(line))


def _fenced(lines: List[str], start: int) -> Tuple[int, str]:
    opening = _FENCE.match(lines[start])
    assert opening is not None
    fence, language = opening.group(1), opening.group(2)
    end = start + 1
    # The closing fence is the same character, at least as long; an unclosed
    # fence runs to the end of the page, as in CommonMark.
    while end < len(lines) and not _closes(lines[end], fence):
        end += 1
    code = "\n".join(lines[start + 1:end])
    css = f' class="language-{_esc(language)}"' if language else ""
    return end + 1, f"<pre><code{css}>{_esc(_printable(code))}</code></pre>"


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def _heading(line: str, shift: int) -> str:
    match = _HEADING.match(line)
    assert match is not None
    level = min(6, len(match.group(1)) + shift)
    return f"<h{level}>{inline_to_html(match.group(2))}</h{level}>"


def _paragraph(lines: List[str], start: int) -> Tuple[int, str]:
    end = start
    while end < len(lines) and lines[end].strip() and (end == start or not _starts_block(lines[end])):
        end += 1
    text = " ".join(line.strip() for line in lines[start:end])
    return end, f"<p>{inline_to_html(text)}</p>"


def _list(lines: List[str], start: int) -> Tuple[int, str]:
    first = _ITEM.match(lines[start])
    assert first is not None
    ordered = first.group(2)[0].isdigit()
    items: List[str] = []
    index = start
    while index < len(lines):
        match = _ITEM.match(lines[index])
        if match is None or match.group(2)[0].isdigit() != ordered:
            break
        index, item = _list_item(lines, index, match.group(3))
        items.append(item)
        index = _skip_blank_inside_list(lines, index)
    tag = "ol" if ordered else "ul"
    body = "\n".join(f"<li>{inline_to_html(item)}</li>" for item in items)
    return index, f"<{tag}>\n{body}\n</{tag}>"


def _list_item(lines: List[str], start: int, text: str) -> Tuple[int, str]:
    parts = [text.strip()]
    index = start + 1
    while index < len(lines) and lines[index].startswith((" ", "\t")) and lines[index].strip():
        if _ITEM.match(lines[index]):
            break
        parts.append(lines[index].strip())
        index += 1
    return index, " ".join(parts)


def _skip_blank_inside_list(lines: List[str], index: int) -> int:
    """A blank line between two items keeps the list going (a loose list)."""
    following = index
    while following < len(lines) and not lines[following].strip():
        following += 1
    if following < len(lines) and following > index and _ITEM.match(lines[following]):
        return following
    return index


def inline_to_html(text: str) -> str:
    """Code spans and links; everything else escaped as text."""
    pieces: List[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        pieces.append(_esc(text[position:match.start()]))
        pieces.append(_inline_piece(match))
        position = match.end()
    pieces.append(_esc(text[position:]))
    return "".join(pieces)


def _inline_piece(match: "re.Match[str]") -> str:
    if match.group("ticks"):
        return f"<code>{_esc(match.group('code').strip())}</code>"
    label, url = match.group("label"), match.group("url")
    if not _safe_url(url):
        return inline_to_html(label)
    return f'<a href="{_esc(url)}" rel="noopener noreferrer">{inline_to_html(label)}</a>'


def _safe_url(url: str) -> bool:
    """Links a reader may follow: web pages and anchors in this page. A
    relative path would point next to wherever the page was saved, and any
    other scheme (javascript:, data:) is not a reference."""
    return url.startswith(("https://", "http://", "#"))
