"""`POST /hooks/git`: a push notification from GitHub or GitLab makes the controller poll at once.

The request only says "look now": its payload is never parsed or trusted, the poll fetches from the
configured remote as usual. A request must prove it knows the shared secret: GitHub's
`X-Hub-Signature-256` (HMAC-SHA256 of the body) or GitLab's `X-Gitlab-Token`, compared in constant time.
Without a secret the endpoint does not exist (404).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gitops_ray.app.settings import ControllerSettings, SettingsError

PATH = "/hooks/git"
SECRET_ENV = "GITOPS_RAY_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Hub-Signature-256"  # GitHub: "sha256=" + hex HMAC-SHA256 of the body
TOKEN_HEADER = "X-Gitlab-Token"  # GitLab: the secret token itself
MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
CHUNK_BYTES = 64 * 1024
DELIVERY_HEADERS = ("X-GitHub-Delivery", "X-Gitlab-Event-UUID")  # logged: which delivery this was


def webhook_secret(settings: ControllerSettings, environ: Mapping[str, str]) -> bytes | None:
    """The shared secret from `GITOPS_RAY_WEBHOOK_SECRET` or the file `webhook_secret_file` names (a
    mounted Secret; its trailing newline dropped); None when neither is set (the webhook is off). Errors
    name the file, never the value."""
    if environ.get(SECRET_ENV) and settings.webhook_secret_file:
        raise SettingsError(f"webhook_secret_file: set either it or {SECRET_ENV}, not both")
    if environ.get(SECRET_ENV):
        return environ[SECRET_ENV].encode()
    if not settings.webhook_secret_file:
        return None
    path = Path(settings.webhook_secret_file)
    try:
        secret = path.read_bytes().rstrip(b"\r\n")
    except OSError as error:
        raise SettingsError(f"webhook_secret_file: cannot read {path}: {error.strerror or error}") from None
    if not secret:
        raise SettingsError(f"webhook_secret_file: {path} is empty")
    return secret


class Body(Protocol):
    """The request body stream (the HTTP handler's `rfile`)."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class HookReply:
    status: int
    body: bytes
    reason: str  # for the log line: why it was accepted or refused


@dataclass(frozen=True)
class Webhook:
    """Authenticates a delivery and asks for a poll. `request_poll` returns False on a stand-by replica,
    which answers 202 too but does nothing: the leader polls at its interval (see README)."""

    secret: bytes = field(repr=False)
    request_poll: Callable[[], bool]

    def handle(self, signature: str | None, token: str | None, body: Body, length: int | None) -> HookReply:
        """The reply to a POST with headers `SIGNATURE_HEADER` and `TOKEN_HEADER` (None when absent) whose
        body (`length` bytes, None when unknown) is still unread in `body`. A refused request reads no more
        than it must; nothing changes unless it is authenticated."""
        if length is None:
            return HookReply(411, b"Content-Length required\n", "no content length")
        if length > MAX_BODY_BYTES:
            return HookReply(413, b"payload too large\n", f"body of {length} bytes")
        if token is None and signature is None:
            return HookReply(401, b"signature required\n", f"no {SIGNATURE_HEADER} or {TOKEN_HEADER}")
        digest = hmac.new(self.secret, digestmod=hashlib.sha256)
        received = 0
        for chunk in _chunks(body, length):
            digest.update(chunk)
            received += len(chunk)
        if received < length:
            return HookReply(400, b"incomplete body\n", f"{received} of {length} bytes received")
        if token is not None:
            valid = hmac.compare_digest(token.encode(), self.secret)
        else:
            valid = hmac.compare_digest(str(signature).encode(), f"sha256={digest.hexdigest()}".encode())
        if not valid:
            return HookReply(401, b"bad signature\n", "bad token" if token is not None else "bad signature")
        if not self.request_poll():
            return HookReply(202, b"standing by: the leader polls at its interval\n", "standing by")
        return HookReply(202, b"poll requested\n", "poll requested")


def _chunks(body: Body, length: int) -> Iterator[bytes]:
    """The body's `length` bytes, one chunk at a time (fewer if the client hangs up)."""
    left = length
    while left > 0:
        chunk = body.read(min(CHUNK_BYTES, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk
