"""`POST /hooks/git`: who may ask for a poll (GitHub's HMAC signature, GitLab's token), what every other
request gets, and where the secret comes from."""

from __future__ import annotations

import hashlib
import hmac
import io
from pathlib import Path

import pytest

from gitops_ray.app.settings import ControllerSettings, SettingsError
from gitops_ray.app.webhook import MAX_BODY_BYTES, Webhook, webhook_secret

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
# GitHub's documented example: this secret and body give this signature.
GITHUB_EXAMPLE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def github_signature(body: bytes, secret: bytes = SECRET) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class Polls:
    """The controller side: counts requested polls; `leading` False is a stand-by replica."""

    def __init__(self, leading: bool = True) -> None:
        self.requested = 0
        self.leading = leading

    def __call__(self) -> bool:
        if self.leading:
            self.requested += 1
        return self.leading


def deliver(
    polls: Polls, signature: str | None = None, token: str | None = None, body: bytes = BODY, **kw: int | None
) -> tuple[int, bytes]:
    length = kw.get("length", len(body))
    reply = Webhook(SECRET, polls).handle(signature, token, io.BytesIO(body), length)
    return reply.status, reply.body


def test_githubs_documented_example_signature_is_what_we_compute() -> None:
    assert github_signature(BODY) == GITHUB_EXAMPLE


@pytest.mark.parametrize(
    ("signature", "token"),
    [(GITHUB_EXAMPLE, None), (None, SECRET.decode())],
    ids=["github signature", "gitlab token"],
)
def test_an_authenticated_delivery_requests_one_poll(signature: str | None, token: str | None) -> None:
    polls = Polls()
    assert deliver(polls, signature, token) == (202, b"poll requested\n")
    assert polls.requested == 1


@pytest.mark.parametrize(
    ("signature", "token", "body", "expected"),
    [
        (None, None, BODY, b"signature required\n"),
        (github_signature(BODY, b"another secret"), None, BODY, b"bad signature\n"),
        (GITHUB_EXAMPLE, None, b"Hello, World?", b"bad signature\n"),
        (GITHUB_EXAMPLE.removeprefix("sha256="), None, BODY, b"bad signature\n"),
        ("sha256=", None, BODY, b"bad signature\n"),
        (None, "another secret", BODY, b"bad signature\n"),
        (None, "", BODY, b"bad signature\n"),
    ],
    ids=[
        "no signature",
        "signed with another secret",
        "body changed",
        "no sha256= prefix",
        "empty signature",
        "wrong gitlab token",
        "empty gitlab token",
    ],
)
def test_an_unauthenticated_delivery_is_401_and_requests_nothing(
    signature: str | None, token: str | None, body: bytes, expected: bytes
) -> None:
    polls = Polls()
    assert deliver(polls, signature, token, body) == (401, expected)
    assert polls.requested == 0


def test_a_body_over_the_limit_is_413_before_it_is_read() -> None:
    polls = Polls()
    assert deliver(polls, GITHUB_EXAMPLE, length=MAX_BODY_BYTES + 1) == (413, b"payload too large\n")
    assert polls.requested == 0


def test_a_delivery_without_content_length_is_411() -> None:
    assert deliver(Polls(), GITHUB_EXAMPLE, length=None) == (411, b"Content-Length required\n")


def test_a_body_shorter_than_announced_is_400_even_when_what_came_is_signed() -> None:
    polls = Polls()
    assert deliver(polls, GITHUB_EXAMPLE, length=len(BODY) + 10) == (400, b"incomplete body\n")
    assert polls.requested == 0


def test_a_standby_replica_answers_202_and_polls_nothing() -> None:
    polls = Polls(leading=False)
    assert deliver(polls, GITHUB_EXAMPLE) == (202, b"standing by: the leader polls at its interval\n")
    assert polls.requested == 0


def test_the_secret_never_appears_in_the_webhooks_repr() -> None:
    assert "Secret" not in repr(Webhook(SECRET, Polls()))


# --- where the secret comes from ----------------------------------------------------------------------


def test_without_a_secret_the_webhook_is_off() -> None:
    assert webhook_secret(ControllerSettings(repo="r"), {}) is None


def test_the_secret_comes_from_the_environment() -> None:
    assert webhook_secret(ControllerSettings(repo="r"), {"GITOPS_RAY_WEBHOOK_SECRET": "s3cret"}) == b"s3cret"


def test_the_secret_comes_from_a_file_without_its_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"s3cret\n")
    settings = ControllerSettings(repo="r", webhook_secret_file=str(tmp_path / "secret"))
    assert webhook_secret(settings, {}) == b"s3cret"


@pytest.mark.parametrize(
    ("content", "environ", "message"),
    [
        (None, {}, "webhook_secret_file: cannot read {file}: No such file or directory"),
        (b"\n", {}, "webhook_secret_file: {file} is empty"),
        (
            b"s3cret",
            {"GITOPS_RAY_WEBHOOK_SECRET": "other"},
            "webhook_secret_file: set either it or GITOPS_RAY_WEBHOOK_SECRET, not both",
        ),
    ],
    ids=["missing file", "empty file", "both"],
)
def test_an_unusable_secret_is_an_error_naming_the_file_never_the_value(
    tmp_path: Path, content: bytes | None, environ: dict[str, str], message: str
) -> None:
    file = tmp_path / "secret"
    if content is not None:
        file.write_bytes(content)
    with pytest.raises(SettingsError) as raised:
        webhook_secret(ControllerSettings(repo="r", webhook_secret_file=str(file)), environ)
    assert str(raised.value) == message.format(file=file)
