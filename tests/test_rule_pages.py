"""Each rule page's Example reports exactly its code; its Use instead is silent."""

import re

import pytest

from expectations import REPO, lint_source
from lintplugin.catalogue import RULES

SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Known problems", "References"]


def page(code: str) -> str:
    return (REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")


def section_code(text: str, heading: str) -> str:
    match = re.search(
        rf"^## {re.escape(heading)}\s*$.*?^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL
    )
    assert match, f"no python block under '## {heading}'"
    return match.group(1)


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_has_every_section(code):
    text = page(code)
    assert text.splitlines()[0] == f"# {code}: {RULES[code].name}"
    headings = re.findall(r"^## (.+?)\s*$", text, flags=re.MULTILINE)
    missing = [heading for heading in SECTIONS if heading not in headings]
    assert not missing, f"{code} page lacks sections {missing}"
    assert [h for h in headings if h in SECTIONS] == SECTIONS, "sections out of order"


@pytest.mark.parametrize("code", sorted(RULES))
def test_example_reports_exactly_its_code(code):
    reports = lint_source(section_code(page(code), "Example"))
    assert reports, f"{code} Example reports nothing"
    assert {report.code for report in reports} == {code}, [r.text for r in reports]


@pytest.mark.parametrize("code", sorted(RULES))
def test_use_instead_is_silent(code):
    reports = lint_source(section_code(page(code), "Use instead"))
    assert not reports, [r.text for r in reports]
