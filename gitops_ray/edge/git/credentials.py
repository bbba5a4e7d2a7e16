"""Credentials for the Git remote: where they come from, and how they reach git without touching disk or logs.

Secrets reach a git child process only through its environment: an askpass helper (a script that holds no
secret) prints them from environment variables, and SSH gets its key and known_hosts through
`GIT_SSH_COMMAND`. Nothing is written to `.git/config`, to the remote URL, or to a credential store.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from gitops_ray.edge.git.errors import GitConfigError

ENV_PREFIX = "GITOPS_RAY_GIT_"
TOKEN_USERNAME = "x-access-token"  # what GitHub expects with a token; other hosts ignore the username
STRICT_HOST_KEY_CHECKING = ("yes", "accept-new", "no")

# The askpass helper: git calls it with a prompt ("Username for ...", "Password for ..."). It holds no secret.
_ASKPASS_SCRIPT = """#!/bin/sh
case "$1" in
  Username*|username*) printf '%s\\n' "$GITOPS_RAY_ASKPASS_USERNAME" ;;
  *) printf '%s\\n' "$GITOPS_RAY_ASKPASS_PASSWORD" ;;
esac
"""
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_REDACTED = "***"


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: HTTPS username + password/token, or an SSH key checked against known_hosts.

    Secret values never appear in `repr` (and so in no log line that prints settings).
    """

    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)  # HTTPS password or token
    ssh_key_file: Path | None = None
    known_hosts_file: Path | None = None
    strict_host_key_checking: str = "yes"

    def __post_init__(self) -> None:
        if self.strict_host_key_checking not in STRICT_HOST_KEY_CHECKING:
            raise GitConfigError(
                f"strict host key checking {self.strict_host_key_checking!r}: "
                f"expected one of {', '.join(STRICT_HOST_KEY_CHECKING)}"
            )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must be redacted wherever text from git is shown."""
        return tuple(value for value in (self.password,) if value)

    @property
    def has_http_auth(self) -> bool:
        return bool(self.username or self.password)


def read_secret_file(path: Path) -> str:
    """A mounted Secret file's content minus the trailing newline. Errors name the file, never the value."""
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise GitConfigError(f"cannot read credential file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise GitConfigError(f"credential file {path} is not UTF-8 text") from None


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    """Credentials from `GITOPS_RAY_GIT_*` variables; each secret may come as `NAME` or as `NAME_FILE`.

    `TOKEN` is a password whose username defaults to `x-access-token`. `SSH_KEY_FILE` and
    `KNOWN_HOSTS_FILE` are paths; `SSH_STRICT_HOST_KEY_CHECKING` is yes (default), accept-new or no.
    """

    def value(name: str) -> str:
        direct = environ.get(ENV_PREFIX + name, "")
        file_name = environ.get(ENV_PREFIX + name + "_FILE", "")
        if direct and file_name:
            raise GitConfigError(f"set {ENV_PREFIX}{name} or {ENV_PREFIX}{name}_FILE, not both")
        return read_secret_file(Path(file_name)) if file_name else direct

    token = value("TOKEN")
    password = value("PASSWORD")
    if token and password:
        raise GitConfigError(f"set a {ENV_PREFIX}TOKEN or a {ENV_PREFIX}PASSWORD, not both")
    username = value("USERNAME") or (TOKEN_USERNAME if token else "")
    ssh_key = environ.get(ENV_PREFIX + "SSH_KEY_FILE", "")
    known_hosts = environ.get(ENV_PREFIX + "KNOWN_HOSTS_FILE", "")
    return Credentials(
        username=username,
        password=token or password,
        ssh_key_file=Path(ssh_key) if ssh_key else None,
        known_hosts_file=Path(known_hosts) if known_hosts else None,
        strict_host_key_checking=environ.get(ENV_PREFIX + "SSH_STRICT_HOST_KEY_CHECKING", "yes"),
    )


def split_userinfo(url: str) -> tuple[str, str, str]:
    """`https://user:pw@host/r.git` -> (`https://host/r.git`, `user`, `pw`): git stores a clean URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url, "", ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host)), parts.username or "", parts.password or ""


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Text safe to log: userinfo in URLs and every known secret value replaced by `***`."""
    redacted = _USERINFO.sub(lambda match: match.group("scheme") + _REDACTED + "@", text)
    for secret in secrets:
        if secret:
            redacted = redacted.replace(secret, _REDACTED)
    return redacted


def ssh_command(credentials: Credentials, key_file: Path | None, connect_timeout: int) -> str:
    """`GIT_SSH_COMMAND`: batch mode (never prompt), a bounded connect, strict host checking by default."""
    words = [
        "ssh",
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={connect_timeout}",
        "-o", f"StrictHostKeyChecking={credentials.strict_host_key_checking}",
    ]  # fmt: skip
    if credentials.known_hosts_file is not None:
        words += ["-o", f"UserKnownHostsFile={credentials.known_hosts_file}"]
    if key_file is not None:
        words += ["-i", str(key_file), "-o", "IdentitiesOnly=yes"]
    return shlex.join(words)


@contextmanager
def auth_environment(credentials: Credentials, connect_timeout: int) -> Iterator[dict[str, str]]:
    """Environment variables that let git authenticate, valid while the context is open.

    A private temporary directory (mode 0700) holds the askpass helper and, when the mounted key is readable
    by others (Kubernetes mounts Secrets 0644 by default, which ssh refuses), a 0600 copy of the SSH key.
    The directory is removed on exit.
    """
    workdir = Path(tempfile.mkdtemp(prefix="gitops-ray-auth-"))
    try:
        env: dict[str, str] = {}
        if credentials.has_http_auth:
            askpass = workdir / "askpass.sh"
            askpass.write_text(_ASKPASS_SCRIPT, encoding="utf-8")
            askpass.chmod(stat.S_IRWXU)
            env["GIT_ASKPASS"] = str(askpass)
            env["GITOPS_RAY_ASKPASS_USERNAME"] = credentials.username
            env["GITOPS_RAY_ASKPASS_PASSWORD"] = credentials.password
        env["GIT_SSH_COMMAND"] = ssh_command(
            credentials, _private_key_file(credentials.ssh_key_file, workdir), connect_timeout
        )
        yield env
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _private_key_file(key_file: Path | None, workdir: Path) -> Path | None:
    if key_file is None:
        return None
    try:
        mode = key_file.stat().st_mode
    except OSError as error:
        raise GitConfigError(f"cannot read SSH key file {key_file}: {error.strerror or error}") from None
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return key_file
    copy = workdir / "ssh-key"
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_file.read_bytes())
    return copy
