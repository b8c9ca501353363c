"""Each rule page's Example blocks report exactly its code; its Use instead blocks are silent.

Every python block under `## Example` counts, those of its subsections
(`### asyncio`) included, and so does every block under `## Use instead`.
"""

import re
from typing import List, NamedTuple

import pytest

from expectations import REPO, lint_source
from lintplugin.catalogue import RULES

SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Known problems", "References"]

# The rules that judge asyncio connections as they judge sockets: each page
# shows an asyncio example and its fix (SKT900 is about files, not code).
ASYNCIO_PAGES = ["SKT101", "SKT102", "SKT103", "SKT104", "SKT105", "SKT201", "SKT301", "SKT302", "SKT303", "SKT304"]

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


class Block(NamedTuple):
    section: str  # the `## ` heading above the block
    subsection: str  # the `### ` heading above it within that section, or ""
    source: str

    def __str__(self) -> str:
        return f"'## {self.section}'" + (f" / '### {self.subsection}'" if self.subsection else "")


def page(code: str) -> str:
    return (REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")


def python_blocks(text: str) -> List[Block]:
    """Every fenced python block of a page, with the headings it sits under.
    Lines inside a fence are code, never headings (a `## ` comment stays code)."""
    blocks = []
    section = subsection = ""
    fence = None  # the opening fence while inside a block
    language = ""
    lines: List[str] = []
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if fence is not None:
            # The closing fence: the opening's character, at least as many, nothing else.
            closing = stripped.strip()
            if set(closing) == {fence[0]} and len(closing) >= len(fence):
                if language == "python":
                    blocks.append(Block(section, subsection, "".join(lines)))
                fence = None
            else:
                lines.append(line)
            continue
        opening = _FENCE.match(stripped)
        if opening:
            fence, language, lines = opening.group(1), opening.group(2), []
            continue
        heading = _HEADING.match(stripped)
        if heading and len(heading.group(1)) == 2:
            section, subsection = heading.group(2), ""
        elif heading and len(heading.group(1)) == 3:
            subsection = heading.group(2)
    assert fence is None, "a code block is never closed"
    return blocks


def section_blocks(code: str, heading: str) -> List[Block]:
    blocks = [block for block in python_blocks(page(code)) if block.section == heading]
    assert blocks, f"{code}: no python block under '## {heading}'"
    return blocks


def test_python_blocks_reads_subsections_and_skips_code_comments():
    text = (
        "# T\n\n## Example\n\n```python\n## not a heading\nx = 1\n```\n\n"
        "### asyncio\n\n```python\ny = 2\n```\n\n```text\nz\n```\n\n## Use instead\n\n```python\nw = 3\n```\n"
    )
    assert python_blocks(text) == [
        Block("Example", "", "## not a heading\nx = 1\n"),
        Block("Example", "asyncio", "y = 2\n"),
        Block("Use instead", "", "w = 3\n"),
    ]


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_has_every_section(code):
    text = page(code)
    assert text.splitlines()[0] == f"# {code}: {RULES[code].name}"
    headings = re.findall(r"^## (.+?)\s*$", text, flags=re.MULTILINE)
    missing = [heading for heading in SECTIONS if heading not in headings]
    assert not missing, f"{code} page lacks sections {missing}"
    assert [h for h in headings if h in SECTIONS] == SECTIONS, "sections out of order"


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_example_reports_exactly_its_code(code):
    failures = []
    for block in section_blocks(code, "Example"):
        reports = lint_source(block.source)
        if not reports:
            failures.append(f"{block} reports nothing")
        elif {report.code for report in reports} != {code}:
            failures.append(f"{block} reports {[report.text for report in reports]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_use_instead_is_silent(code):
    failures = []
    for block in section_blocks(code, "Use instead"):
        reports = lint_source(block.source)
        if reports:
            failures.append(f"{block} reports {[report.text for report in reports]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("code", ASYNCIO_PAGES)
def test_asyncio_example_and_fix(code):
    for heading in ("Example", "Use instead"):
        subsections = [block.subsection for block in section_blocks(code, heading)]
        assert "asyncio" in subsections, f"{code}: no python block under '## {heading}' / '### asyncio'"
