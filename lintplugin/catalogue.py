"""Every rule code's metadata, in one place.

Checks, the flake8 shell, the CLI, rule pages and the consistency test all
read from here, so a code cannot exist in one of them and not the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # one line, for `lintplugin rules` and SARIF short descriptions
    link: Optional[str]  # best public explanation; None when no public page fits
    enabled_by_default: bool = True
    # SARIF default level: leaks (SKT304 included: it skips the close) and
    # resets are "error"; an ungraceful close loses data only when input is
    # pending ("warning"); SKT900 is a "note" about the analysis itself.
    level: str = "error"

    @property
    def family(self) -> str:
        return self.code[:4]


RULES: Dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            code="SKT101",
            name="error-path-leak",
            summary="An owned socket is left open when a call on it raises (recv, send, connect, TLS handshake).",
            link="https://blog.cloudflare.com/this-is-strictly-a-violation-of-the-tcp-specification/",
        ),
        Rule(
            code="SKT102",
            name="eof-leak",
            summary="A receive returned end-of-file (b'') and that path loses the owned socket without closing it.",
            link="https://www.rfc-editor.org/rfc/rfc9293#section-3.6",
        ),
        Rule(
            code="SKT103",
            name="eof-ignored",
            summary="A receive loop never leaves on end-of-file (b''): it spins and the socket sits in CLOSE_WAIT.",
            link="https://www.rfc-editor.org/rfc/rfc9293#section-3.10.4",
        ),
        Rule(
            code="SKT104",
            name="error-swallowed",
            summary="An except clause around a receive swallows connection errors and keeps using the socket.",
            link="https://blog.cloudflare.com/when-tcp-sockets-refuse-to-die/",
        ),
        Rule(
            code="SKT105",
            name="never-closed",
            summary="A socket the function acquired is lost on a normal path without being closed or handed on.",
            link="https://google.github.io/styleguide/pyguide.html#311-files-sockets-and-similar-stateful-resources",
        ),
        Rule(
            code="SKT201",
            name="linger-zero",
            summary="SO_LINGER with l_onoff=1, l_linger=0 turns close() into an abortive reset (RST).",
            link=(
                "https://learn.microsoft.com/en-us/windows/win32/winsock/"
                "graceful-shutdown-linger-options-and-socket-closure-2"
            ),
        ),
        Rule(
            code="SKT301",
            name="close-without-shutdown",
            summary=(
                "A reply is sent and the socket closed with no shutdown(SHUT_WR): "
                "unread input turns close() into RST."
            ),
            link=(
                "https://blog.netherlabs.nl/articles/2009/01/18/"
                "the-ultimate-so_linger-page-or-why-is-my-tcp-not-reliable"
            ),
            level="warning",
        ),
        Rule(
            code="SKT302",
            name="shutdown-without-drain",
            summary=(
                "shutdown() then close() without reading until b'': "
                "unread input still turns close() into RST."
            ),
            link="https://www.rfc-editor.org/rfc/rfc6455#section-7.1.1",
            level="warning",
        ),
        Rule(
            code="SKT303",
            name="sleep-before-close",
            summary=(
                "time.sleep() between the last send and close() stands in for a graceful close; "
                "it only narrows the window."
            ),
            link="https://httpd.apache.org/docs/2.0/misc/fin_wait_2.html#appendix",
            level="warning",
        ),
        Rule(
            code="SKT304",
            name="shutdown-skips-close",
            summary="An unprotected shutdown() raises when the peer is gone and skips the close() after it.",
            link="https://docs.python.org/3/library/socket.html#socket.socket.shutdown",
        ),
        Rule(
            code="SKT900",
            name="not-analysed",
            summary="The file could not be analysed (unparsable for libcst, or an analysis limit was hit).",
            link=None,
            level="note",
        ),
    )
}

DEFAULT_DOCS_URL: Optional[str] = None  # None: each rule's public link


def rule_link(code: str, docs_url_template: Optional[str] = None) -> str:
    """The explanation a report points to.

    An organisation can serve its own copy of `rules/` and set a template
    such as ``https://wiki.example/skt/{code}.html``; otherwise the rule's
    public reference is used, and codes without one point to the offline
    page every installation carries.
    """
    rule = RULES[code]
    if docs_url_template:
        return docs_url_template.format(code=rule.code, name=rule.name)
    if rule.link:
        return rule.link
    return f"run: lintplugin explain {rule.code}"
