"""Rule families: one module per family, each `check(scope, facts) -> Findings`.

closewait: SKT101, SKT102, SKT105 (sockets lost without a close);
receive_loops: SKT103, SKT104 (end-of-file and errors ignored); attributes: SKT106, SKT107
(sockets held by objects; `check_class` judges a class as a whole); linger: SKT201 (abortive close);
graceful: SKT301-SKT304 (ungraceful close). They read the file's shared
facts (model/facts.py); none walks the tree on its own.
"""

from lintplugin.checks import attributes, closewait, graceful, linger, receive_loops

FAMILIES = (closewait, receive_loops, attributes, linger, graceful)
