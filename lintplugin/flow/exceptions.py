"""What an `except` clause catches of the exceptions socket code raises.

Socket calls raise OSError (timeouts and ssl errors included); `raise X`
statements raise X. The control-flow graph routes each exception to the
handlers that may catch it, and the rules ask whether a handler catches
connection errors (SKT104) or only non-blocking retries (ownership). All of
them read these tables, so "what catches a reset" is decided in one place.
"""

from __future__ import annotations

import builtins
import enum
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import libcst as cst

from lintplugin.syntax.walk import dotted_name

# What an exception class expression names, import spellings resolved
# (`s.error` after `import socket as s` is "socket.error").
Resolve = Callable[[cst.BaseExpression], Optional[str]]


class Catches(enum.Enum):
    """What a handler does with an exception raised in its `try` body."""

    ALL = "all"  # OSError or a superclass: the exception stops here
    SOME = "some"  # a subclass of OSError, or a class we cannot see: it may stop here or go on
    NONE = "none"


_OSERROR_ALIASES = frozenset({
    "OSError", "IOError", "EnvironmentError", "socket.error", "select.error",
    "Exception", "BaseException",
})
RETRY_ERRORS = frozenset({
    "BlockingIOError", "InterruptedError", "ssl.SSLWantReadError", "ssl.SSLWantWriteError",
    "SSLWantReadError", "SSLWantWriteError",
})
_OSERROR_SUBCLASSES = frozenset({
    "socket.timeout", "timeout", "TimeoutError", "socket.gaierror", "gaierror", "socket.herror",
    "herror", "ssl.SSLError", "SSLError", "ssl.SSLEOFError", "ssl.SSLZeroReturnError",
    "ssl.CertificateError", "ssl.SSLCertVerificationError", "ssl.SSLSyscallError",
    "SSLEOFError", "SSLZeroReturnError", "SSLSyscallError", "SSLCertVerificationError",
    "ConnectionError", "ConnectionResetError", "ConnectionAbortedError",
    "ConnectionRefusedError", "BrokenPipeError", "FileNotFoundError", "PermissionError",
    "ChildProcessError", "ProcessLookupError", "FileExistsError", "IsADirectoryError",
    "NotADirectoryError",
}) | RETRY_ERRORS

# trio's and anyio's stream errors play the part of OSError (spec: async connections).
RESOURCE_ERRORS = frozenset({
    "trio.BrokenResourceError", "trio.ClosedResourceError", "anyio.BrokenResourceError",
    "anyio.ClosedResourceError", "BrokenResourceError", "ClosedResourceError",
})
# What an await on a connection raises besides those: cancellation gets past
# `except Exception`, IncompleteReadError and EndOfStream past `except OSError`.
AWAIT_ERRORS = frozenset({
    "asyncio.CancelledError", "CancelledError", "asyncio.IncompleteReadError", "IncompleteReadError",
    "anyio.EndOfStream", "EndOfStream", "asyncio.TimeoutError", "trio.TooSlowError", "trio.Cancelled",
}) | RESOURCE_ERRORS

# Handlers that catch what a reset or closed peer raises (SKT104); "" is a bare except.
CONNECTION_ERRORS = frozenset({
    "", "OSError", "IOError", "EnvironmentError", "socket.error", "error", "select.error",
    "Exception", "BaseException", "ConnectionError", "ConnectionResetError",
    "ConnectionAbortedError", "BrokenPipeError", "ssl.SSLError", "SSLError",
    "ssl.SSLEOFError", "SSLEOFError", "ssl.SSLZeroReturnError", "SSLZeroReturnError",
}) | RESOURCE_ERRORS


@dataclass(frozen=True)
class HandlerInfo:
    """An `except` clause: what it catches, for the analyses."""

    names: Tuple[str, ...]  # dotted names of the caught types ("" for a bare except)
    catches: Catches  # for the OSError of a socket call
    retry_only: bool  # catches only non-blocking retry errors
    name: Optional[str]  # the `as` name

    @property
    def catches_connection_errors(self) -> bool:
        return any(name in CONNECTION_ERRORS or is_oserror_alias(name) for name in self.names)


def handler_info(clause: cst.ExceptHandler, resolve: Resolve = dotted_name) -> HandlerInfo:
    names = exception_names(clause.type, resolve)
    bound = clause.name.name.value if clause.name is not None and isinstance(clause.name.name, cst.Name) else None
    return HandlerInfo(
        names=names,
        catches=classify_handler(names),
        retry_only=bool(names) and all(_is_retry_error(name) for name in names),
        name=bound,
    )


def exception_names(node: Optional[cst.BaseExpression], resolve: Resolve = dotted_name) -> Tuple[str, ...]:
    if node is None:
        return ("",)
    elements = node.elements if isinstance(node, cst.Tuple) else [node]
    names = []
    for element in elements:
        value = element.value if isinstance(element, (cst.Element, cst.StarredElement)) else element
        names.append(resolve(value) or dotted_name(value) or "?")
    return tuple(names)


def is_oserror_alias(name: str) -> bool:
    """OSError in any spelling, compat constants included (`pika.compat.SOCKET_ERROR`)."""
    return name in _OSERROR_ALIASES or name.rsplit(".", 1)[-1].lower() == "socket_error"


def classify_handler(names: Tuple[str, ...]) -> Catches:
    kinds = set()
    for name in names:
        if name == "" or is_oserror_alias(name):
            return Catches.ALL
        if name in _OSERROR_SUBCLASSES or name.rsplit(".", 1)[-1] in _OSERROR_SUBCLASSES:
            kinds.add(Catches.SOME)
        elif name == "?" or not _is_builtin_exception(name):
            # A project's own exception class (or a tuple held in a name)
            # may well wrap OSError; assuming it does keeps reports precise.
            kinds.add(Catches.SOME)
    return Catches.SOME if kinds else Catches.NONE


def catches_raised(names: Tuple[str, ...], raised: str) -> Catches:
    """What a handler catching `names` does with a `raise RAISED` statement."""
    short = raised.rsplit(".", 1)[-1]
    if is_oserror_alias(raised) or raised in _OSERROR_SUBCLASSES or short in _OSERROR_SUBCLASSES:
        return classify_handler(names)
    raised_type = getattr(builtins, short, None) if "." not in raised else None
    kinds = set()
    for name in names:
        if name in ("", "Exception", "BaseException"):
            return Catches.ALL
        handler_type = getattr(builtins, name, None) if "." not in name else None
        if isinstance(handler_type, type) and issubclass(handler_type, BaseException):
            if isinstance(raised_type, type) and issubclass(raised_type, handler_type):
                return Catches.ALL
        else:
            kinds.add(Catches.SOME)  # a project's class: it may be the one raised
    return Catches.SOME if kinds else Catches.NONE


def catches_awaited(names: Tuple[str, ...]) -> Catches:
    """What a handler does with what an await on a connection raises: OSError,
    the stream errors, or cancellation, which only a bare except or
    BaseException stops for sure."""
    if any(name in ("", "BaseException") for name in names):
        return Catches.ALL
    cancellation = any(name.rsplit(".", 1)[-1] in ("CancelledError", "Cancelled") for name in names)
    if cancellation and classify_handler(names) is Catches.ALL:
        return Catches.ALL  # `except (asyncio.CancelledError, Exception):`
    if classify_handler(names) is not Catches.NONE or any(name in AWAIT_ERRORS for name in names):
        return Catches.SOME
    return Catches.NONE


def raised_name(statement: cst.Raise, resolve: Resolve = dotted_name) -> Optional[str]:
    """The class a `raise` statement raises; None for a bare re-raise."""
    exc = statement.exc
    if exc is None:
        return None
    if isinstance(exc, cst.Call):
        exc = exc.func
    name = dotted_name(exc)
    if name is not None:
        name = resolve(exc) or name
    if name is None or not name.rsplit(".", 1)[-1][:1].isupper():
        return None  # `raise error` re-raises a caught exception object: treat it like the original
    return name


def suppressed_by(statement: cst.With, resolve: Resolve = dotted_name) -> Optional[HandlerInfo]:
    """`with contextlib.suppress(OSError):` is a handler for what it names,
    and for nothing else (`suppress(BlockingIOError)` lets a reset through)."""
    for item in statement.items:
        call = item.item
        if isinstance(call, cst.Call):
            name = resolve(call.func) or dotted_name(call.func) or ""
            if name.rsplit(".", 1)[-1] == "suppress" and call.args:
                caught = tuple(resolve(arg.value) or dotted_name(arg.value) or "?" for arg in call.args)
                return HandlerInfo(
                    names=caught,
                    catches=classify_handler(caught),
                    retry_only=all(_is_retry_error(name) for name in caught),
                    name=None,
                )
    return None


def _is_retry_error(name: str) -> bool:
    return name in RETRY_ERRORS or name.rsplit(".", 1)[-1] in RETRY_ERRORS


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)
