"""Every rule code's metadata and message, in one place.

Checks fill in a rule's message template; the flake8 shell, the CLI, SARIF,
rule pages and the consistency test read the rest from here, so a code cannot
exist in one of them and not the others. This module imports nothing from
the package: every layer may read it.

Message templates are `str.format` templates. Every check may use
`{sockets}` ("socket 'conn'" / "sockets 'a' and 'b'"), `{subject}`
("'conn'") and `{is}` ("is" / "are"), which the renderer fills in when it merges reports of one code
on one line; the other fields are the check's own.
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
    message: str  # the report's text after the code, before the link
    # SARIF default level: leaks (SKT304 included: it skips the close) and
    # resets are "error"; an ungraceful close loses data only when input is
    # pending ("warning"); SKT900 is a "note" about the analysis itself.
    level: str = "error"
    enabled_by_default: bool = True


# What a leak does, in words true for the socket at hand: only a connected
# stream socket can sit in CLOSE_WAIT.
CLOSE_WAIT = "the connection stays in CLOSE_WAIT and its descriptor leaks"
PEER_CLOSE_WAIT = "the descriptor leaks and a peer that closes leaves it in CLOSE_WAIT"
UNCOLLECTED = "stays open until the socket is garbage-collected (ResourceWarning: unclosed socket)"
NEVER_CONNECTED = "it never connected, so its descriptor " + UNCOLLECTED + ", one more with every failed attempt"
LISTENER_LEAK = "the listening socket's descriptor (and its port) " + UNCOLLECTED
DATAGRAM_LEAK = "its descriptor " + UNCOLLECTED + " (a datagram socket has no connection to leave in CLOSE_WAIT)"


RULES: Dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            code="SKT101",
            name="error-path-leak",
            summary=(
                "An owned socket or async connection is left open when a call on it raises (recv, send, "
                "connect, TLS handshake, an await on a stream)."
            ),
            link="https://blog.cloudflare.com/this-is-strictly-a-violation-of-the-tcp-specification/",
            message=(
                "{sockets} ({origin}) {is} never closed {failure}: {consequence}{more}; {fix}"
            ),
        ),
        Rule(
            code="SKT102",
            name="eof-leak",
            summary="A receive returned end-of-file (b'') and that path loses the owned socket without closing it.",
            link="https://www.rfc-editor.org/rfc/rfc9293#section-3.6",
            message=(
                "{sockets} ({origin}) {is} not closed when {call} returns b'' (the peer closed its end): "
                "{sink} without closing it, so " + CLOSE_WAIT + "; {fix}"
            ),
        ),
        Rule(
            code="SKT103",
            name="eof-ignored",
            summary=(
                "A receive loop never leaves on end-of-file (b''): it spins (in a coroutine, it starves the "
                "event loop) and the socket sits in CLOSE_WAIT."
            ),
            link="https://www.rfc-editor.org/rfc/rfc9293#section-3.10.4",
            message=(
                "{call} on {subject} is in a loop that never ends on b'': when the peer closes, every "
                "receive returns b'' at once, {spin}; leave the loop (and close) when it returns b''"
            ),
        ),
        Rule(
            code="SKT104",
            name="error-swallowed",
            summary="An except clause around a receive swallows connection errors and keeps using the socket.",
            link="https://blog.cloudflare.com/when-tcp-sockets-refuse-to-die/",
            message=(
                "'{caught}' around a receive on {subject} swallows the error and {goes_on} with the same "
                "socket: after a reset or a closed peer every later call fails the same way and the socket "
                "is never closed (CLOSE_WAIT); close it (and leave the loop), or re-raise"
            ),
        ),
        Rule(
            code="SKT105",
            name="never-closed",
            summary="A socket the function acquired is lost on a normal path without being closed or handed on.",
            link="https://google.github.io/styleguide/pyguide.html#311-files-sockets-and-similar-stateful-resources",
            message=(
                "{sockets} ({how} here) {is} never closed on the normal path: {sink} without close(), so "
                "{consequence}; {fix}"
            ),
        ),
        Rule(
            code="SKT106",
            name="attribute-dropped",
            summary=(
                "A method rebinds or deletes self.x while it holds a socket the method opened or used, "
                "without closing it."
            ),
            link="https://docs.python.org/3/library/devmode.html",
            message=(
                "{sockets} ({origin}) {is} dropped here without close(): the object lets go of a "
                "connection it still holds, and its descriptor stays open ({consequence}) until the "
                "socket is garbage-collected; close it before rebinding or deleting the attribute"
            ),
        ),
        Rule(
            code="SKT107",
            name="attribute-never-closed",
            summary="A class keeps a socket in self.x and nothing in the class ever closes it or hands it on.",
            link="https://google.github.io/styleguide/pyguide.html#311-files-sockets-and-similar-stateful-resources",
            message=(
                "{sockets} {is} stored here and nothing in class '{owner}' ever closes it or hands it "
                "on: {consequence}; {fix}"
            ),
        ),
        Rule(
            code="SKT201",
            name="linger-zero",
            summary="SO_LINGER with l_onoff=1, l_linger=0 turns close() into an abortive reset (RST).",
            link=(
                "https://learn.microsoft.com/en-us/windows/win32/winsock/"
                "graceful-shutdown-linger-options-and-socket-closure-2"
            ),
            message=(
                "SO_LINGER (l_onoff={onoff}, l_linger=0) on {subject}: close() will reset the "
                "connection (RST) instead of ending it (FIN); data not yet sent is thrown away and "
                "the peer gets ECONNRESET instead of the end of the stream. Drop the option and "
                "close gracefully: shutdown(SHUT_WR), read until b'', then close()"
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
            message=(
                "{sockets} {is} closed right after answering what it received, with no {half_close}: "
                "if bytes from the peer are still unread, close() sends RST instead of FIN and the peer may "
                "lose the end of what was sent (connection reset); {lingering}"
            ),
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
            message=(
                "{sockets} {is} shut down and then closed without reading until b'': bytes from the peer "
                "still unread turn this close() into RST and the peer may lose the end of what was sent; "
                "read until b'' (bounded by a timeout or a count) between {half_close} and close()"
            ),
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
            message=(
                "sleep() before closing {sockets} only narrows the window: any bytes from the peer still "
                "unread turn close() into RST and the peer may lose the end of what was sent; "
                "{lingering}"
            ),
        ),
        Rule(
            code="SKT304",
            name="shutdown-skips-close",
            summary="An unprotected shutdown() raises when the peer is gone and skips the close() after it.",
            link="https://docs.python.org/3/library/socket.html#socket.socket.shutdown",
            message=(
                "{call} on {sockets} raises when the peer is already gone (ENOTCONN, "
                "ECONNRESET), and the close() after it is then skipped: the descriptor leaks in "
                "CLOSE_WAIT; put the close in 'finally', or the shutdown in try/except {error}"
            ),
        ),
        Rule(
            code="SKT900",
            name="not-analysed",
            summary="The file could not be analysed (unparsable for libcst, or an analysis limit was hit).",
            link=None,
            level="note",
            message="{what} not checked for socket teardown bugs: {why}; {outcome}",
        ),
    )
}


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
