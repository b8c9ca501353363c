"""Rule families: one module per family, each `check(scope, facts) -> Findings`.

closewait: SKT101-SKT105 (CLOSE_WAIT leaks); linger: SKT201 (abortive close);
graceful: SKT301-SKT304 (ungraceful close). They read the file's shared
facts (model/facts.py); none walks the tree on its own.
"""

from lintplugin.checks import closewait, graceful, linger

FAMILIES = (closewait, linger, graceful)
