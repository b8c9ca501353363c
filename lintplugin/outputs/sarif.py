"""`flake8 --format=skt-sarif`: SARIF 2.1.0 for GitHub code scanning.

flake8 imports every installed formatter on every run, so this module stays
light; the log itself is built by `sarif_log` when the run ends.
"""

from __future__ import annotations

import json
import os
from typing import List, Optional

from flake8.formatting.base import BaseFormatter


class SarifFormatter(BaseFormatter):
    """Collects every violation, writes one SARIF log when flake8 stops."""

    def after_init(self) -> None:
        self.violations: List = []

    def start(self) -> None:
        # flake8's base formatter appends to --output-file; a SARIF file is
        # one JSON document, so each run writes it afresh.
        if self.filename:
            directory = os.path.dirname(self.filename)
            if directory:
                os.makedirs(directory, exist_ok=True)
            self.output_fd = open(self.filename, "w", encoding="utf-8")

    def handle(self, error) -> None:
        self.violations.append(error)

    def format(self, error) -> Optional[str]:
        return None

    def show_statistics(self, statistics) -> None:
        """--statistics text would corrupt the JSON document."""

    def show_benchmarks(self, benchmarks) -> None:
        """--benchmark text would corrupt the JSON document."""

    def stop(self) -> None:
        from lintplugin.outputs.sarif_log import sarif_log

        docs_url = getattr(self.options, "skt_docs_url", None)
        log = sarif_log(self.violations, os.getcwd(), docs_url)
        self._write(json.dumps(log, indent=2, ensure_ascii=False))
        super().stop()
