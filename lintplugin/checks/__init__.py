"""Rule families. Each module exposes `check(scope, context)` yielding Findings.

The engine runs every family on every scope it analyses, from the facts the
single traversal collected; no family walks the tree on its own.
"""

from lintplugin.checks import closewait, graceful, linger

FAMILIES = (closewait, linger, graceful)
