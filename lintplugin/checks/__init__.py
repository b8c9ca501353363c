"""Rule families: one module per family, each `check(scope, facts) -> Findings`.

closewait: SKT101, SKT102, SKT105 (sockets lost without a close);
receive_loops: SKT103, SKT104 (end-of-file and errors ignored); linger: SKT201 (abortive close);
graceful: SKT301-SKT304 (ungraceful close). They read the file's shared
facts (model/facts.py); none walks the tree on its own.
"""

from lintplugin.checks import closewait, graceful, linger, receive_loops

FAMILIES = (closewait, receive_loops, linger, graceful)
