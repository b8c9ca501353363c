"""The rule pages (rules/SKTnnn.md), wherever this installation keeps them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

_PACKAGE_COPY = Path(__file__).resolve().parent / "rules"  # inside the wheel
_CHECKOUT_COPY = Path(__file__).resolve().parent.parent / "rules"  # source checkout, editable install


def rule_page(code: str) -> Optional[str]:
    for folder in (_PACKAGE_COPY, _CHECKOUT_COPY):
        page = folder / f"{code}.md"
        if page.is_file():
            return page.read_text(encoding="utf-8")
    return None
