"""API errors as users should read them: the object, the API server's message, the missing permission."""

from __future__ import annotations

import json
from typing import Any


class KubeError(Exception):
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
    return KubeError(text, status, reason)


def unreachable_error(action: str, target: str, error: Exception) -> KubeError:
    return KubeError(f"{action} {target}: API server unreachable: {type(error).__name__}: {error}", 0)
