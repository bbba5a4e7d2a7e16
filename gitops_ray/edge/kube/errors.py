"""API errors as users should read them: the object, the API server's message, the missing permission."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
from collections.abc import Callable
from typing import Any

from gitops_ray.model.errors import GitopsRayError


class KubeError(GitopsRayError):
    """A request failed. `status` is the HTTP status (0 when the API server could not be reached)."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409


class Unreachable(KubeError):
    """No answer: the API server is down, the network cut, or TLS failed (`status` 0)."""


class Forbidden(KubeError):
    """HTTP 403: RBAC denies the request; the message names the missing permission."""


class NotFound(KubeError):
    """HTTP 404: no such object, or the API server does not serve its kind."""


class Conflict(KubeError):
    """HTTP 409: a precondition, a resourceVersion or another field manager's ownership does not hold."""


class Invalid(KubeError):
    """HTTP 422: the API server's validation rejects the object (an immutable field, a bad value)."""


class ServerError(KubeError):
    """HTTP 5xx: the API server failed; worth retrying later."""


def error_class(status: int) -> type[KubeError]:
    """The typed error for an HTTP status (kopf's APIError classes do the same)."""
    typed: dict[int, type[KubeError]] = {
        0: Unreachable,
        403: Forbidden,
        404: NotFound,
        409: Conflict,
        422: Invalid,
    }
    return typed.get(status) or (ServerError if status >= 500 else KubeError)


def server_message(body: Any, fallback: str) -> tuple[str, str]:
    """(message, reason) from a Kubernetes `Status` body; `fallback` when the body is not one."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        status = json.loads(body) if isinstance(body, str) and body else {}
    except ValueError:
        status = {}
    if not isinstance(status, dict):
        status = {}
    message = str(status.get("message") or (body if isinstance(body, str) and body else "") or fallback)
    return message, str(status.get("reason") or "")


def request_error(
    action: str, target: str, status: int, body: Any, fallback: str, permission: str = ""
) -> KubeError:
    """`<action> <target>: <API server message>`; a 403 also names the permission gitops-ray lacks."""
    message, reason = server_message(body, fallback)
    text = f"{action} {target}: {message}"
    if status == 403 and permission:
        text += f" (missing permission: {permission})"
    return error_class(status)(text, status, reason)


def unreachable_error(action: str, target: str, error: Exception) -> KubeError:
    """`<action> <target>: API server unreachable (<cause>)`: the same words for the same cause every time
    (no object addresses, ports or timestamps), because these messages end up in committed drift reports."""
    return Unreachable(f"{action} {target}: API server unreachable ({unreachable_cause(error)})", 0)


def unreachable_cause(error: BaseException) -> str:
    """The common causes in plain words; otherwise the OS's text for the errno, else the innermost
    exception's type name. The whole chain is searched (urllib3 wraps the socket error twice)."""
    chain = _chain(error)
    for cause, matches in _CAUSES:
        if any(matches(item) for item in chain):
            return cause
    for item in chain:
        if isinstance(item, OSError) and isinstance(item.errno, int) and item.errno > 0:
            return os.strerror(item.errno).lower()
    return type(chain[-1]).__name__


def _chain(error: BaseException) -> list[BaseException]:
    """`error` and every exception it wraps (causes, contexts, `reason`, exception arguments), outer first."""
    found: list[BaseException] = []
    pending: list[object] = [error]
    while pending and len(found) < 32:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        pending.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])
    return found


def _name_in_mro(item: BaseException, *names: str) -> bool:
    """Whether a class of `item` has one of `names` (urllib3's classes, matched without importing it)."""
    return any(kind.__name__ in names for kind in type(item).__mro__)


def _api_reason(item: BaseException, prefix: str) -> bool:
    """The Kubernetes client turns some transport errors into an ApiException whose reason names them."""
    return _name_in_mro(item, "ApiException") and str(getattr(item, "reason", "")).startswith(prefix)


_CAUSES: tuple[tuple[str, Callable[[BaseException], bool]], ...] = (
    (
        "name resolution failed",
        lambda e: isinstance(e, socket.gaierror) or _name_in_mro(e, "NameResolutionError"),
    ),
    (
        "TLS error",
        lambda e: isinstance(e, ssl.SSLError) or _name_in_mro(e, "SSLError") or _api_reason(e, "SSLError"),
    ),
    ("connection refused", lambda e: isinstance(e, ConnectionRefusedError)),
    ("connection closed by the server", lambda e: isinstance(e, http.client.RemoteDisconnected)),
    ("connection reset", lambda e: isinstance(e, ConnectionResetError)),
    ("connection aborted", lambda e: isinstance(e, (ConnectionAbortedError, BrokenPipeError))),
    (
        "timed out",
        lambda e: (
            isinstance(e, TimeoutError)
            or (_name_in_mro(e, "TimeoutError") and not _name_in_mro(e, "NewConnectionError"))
        ),
    ),
)
