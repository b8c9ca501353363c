"""What a check reports, before it has a position and a link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import libcst as cst


@dataclass(frozen=True)
class Finding:
    """A report about `node`.

    `template` is the message without code and link; `{subject}` in it is
    replaced by the socket(s) named, so that reports of one code for several
    sockets on one line can be merged into one that names them all.
    """

    code: str
    node: cst.CSTNode
    subject: str
    template: str

    def render(self, subjects: Tuple[str, ...]) -> str:
        noun = "socket" if len(subjects) == 1 else "sockets"
        joined = _join_subjects(subjects)
        return self.template.format(subject=joined, sockets=f"{noun} {joined}")


def _join_subjects(subjects: Tuple[str, ...]) -> str:
    quoted = [f"'{s}'" for s in subjects]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
