"""Credentials and repository settings: where secrets come from, how git gets them, what is redacted."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from gitops_ray.edge.git import Credentials, GitConfigError, RepoSettings, credentials_from_env, redact
from gitops_ray.edge.git.credentials import auth_environment, split_userinfo, ssh_command


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, Credentials(), id="nothing"),
        pytest.param(
            {"GITOPS_RAY_GIT_TOKEN": "t0k"},
            Credentials(username="x-access-token", password="t0k"),
            id="token",
        ),
        pytest.param(
            {"GITOPS_RAY_GIT_TOKEN": "t0k", "GITOPS_RAY_GIT_USERNAME": "oauth2"},
            Credentials(username="oauth2", password="t0k"),
            id="token-with-username",
        ),
        pytest.param(
            {"GITOPS_RAY_GIT_USERNAME": "me", "GITOPS_RAY_GIT_PASSWORD": "pw"},
            Credentials(username="me", password="pw"),
            id="username-password",
        ),
        pytest.param(
            {
                "GITOPS_RAY_GIT_SSH_KEY_FILE": "/secrets/id_ed25519",
                "GITOPS_RAY_GIT_KNOWN_HOSTS_FILE": "/secrets/known_hosts",
            },
            Credentials(
                ssh_key_file=Path("/secrets/id_ed25519"), known_hosts_file=Path("/secrets/known_hosts")
            ),
            id="ssh-key",
        ),
        pytest.param(
            {"GITOPS_RAY_GIT_SSH_STRICT_HOST_KEY_CHECKING": "accept-new"},
            Credentials(strict_host_key_checking="accept-new"),
            id="ssh-accept-new",
        ),
    ],
)
def test_credentials_from_env(environ: dict[str, str], expected: Credentials) -> None:
    assert credentials_from_env(environ) == expected


def test_a_secret_is_read_from_a_mounted_file_without_its_newline(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("t0k-from-file\n")
    found = credentials_from_env({"GITOPS_RAY_GIT_TOKEN_FILE": str(tmp_path / "token")})
    assert (found.username, found.password) == ("x-access-token", "t0k-from-file")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param(
            {"GITOPS_RAY_GIT_TOKEN": "a", "GITOPS_RAY_GIT_PASSWORD": "b"},
            "set a GITOPS_RAY_GIT_TOKEN or a GITOPS_RAY_GIT_PASSWORD, not both",
            id="token-and-password",
        ),
        pytest.param(
            {"GITOPS_RAY_GIT_TOKEN": "a", "GITOPS_RAY_GIT_TOKEN_FILE": "/x"},
            "set GITOPS_RAY_GIT_TOKEN or GITOPS_RAY_GIT_TOKEN_FILE, not both",
            id="value-and-file",
        ),
        pytest.param(
            {"GITOPS_RAY_GIT_PASSWORD_FILE": "/no/such/file"},
            "cannot read credential file /no/such/file: No such file or directory",
            id="missing-file",
        ),
        pytest.param(
            {"GITOPS_RAY_GIT_SSH_STRICT_HOST_KEY_CHECKING": "maybe"},
            "strict host key checking 'maybe': expected one of yes, accept-new, no",
            id="bad-host-key-checking",
        ),
    ],
)
def test_bad_credential_settings_are_refused_with_a_clear_error(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(GitConfigError) as raised:
        credentials_from_env(environ)
    assert str(raised.value) == message


def test_secret_values_are_not_in_the_repr() -> None:
    assert repr(Credentials(username="me", password="pw-123")) == (
        "Credentials(ssh_key_file=None, known_hosts_file=None, strict_host_key_checking='yes')"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://me:pw@git.example/r.git", ("https://git.example/r.git", "me", "pw"), id="user-password"
        ),
        pytest.param(
            "https://t0k@git.example/r.git", ("https://git.example/r.git", "t0k", ""), id="user-only"
        ),
        pytest.param("https://git.example/r.git", ("https://git.example/r.git", "", ""), id="clean"),
        pytest.param(
            "git@git.example:org/r.git", ("git@git.example:org/r.git", "", ""), id="scp-like-ssh-kept"
        ),
        pytest.param(
            "ssh://git@git.example/r.git", ("ssh://git@git.example/r.git", "", ""), id="ssh-user-kept"
        ),
    ],
)
def test_split_userinfo(url: str, expected: tuple[str, str, str]) -> None:
    assert split_userinfo(url) == expected


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        pytest.param(
            "fatal: unable to access 'https://me:pw@host/r.git/'",
            (),
            "fatal: unable to access 'https://***@host/r.git/'",
            id="userinfo",
        ),
        pytest.param("token s3cret rejected", ("s3cret",), "token *** rejected", id="known-secret"),
        pytest.param("nothing secret here", ("",), "nothing secret here", id="empty-secret-ignored"),
    ],
)
def test_redact(text: str, secrets: tuple[str, ...], expected: str) -> None:
    assert redact(text, secrets) == expected


def test_ssh_command_is_strict_batch_and_bounded_by_default() -> None:
    credentials = Credentials(known_hosts_file=Path("/secrets/known hosts"))
    assert ssh_command(credentials, Path("/secrets/id_ed25519"), connect_timeout=20) == (
        "ssh -o BatchMode=yes -o ConnectTimeout=20 -o StrictHostKeyChecking=yes "
        "-o 'UserKnownHostsFile=/secrets/known hosts' -i /secrets/id_ed25519 -o IdentitiesOnly=yes"
    )


def test_the_askpass_helper_answers_from_the_environment_and_holds_no_secret() -> None:
    with auth_environment(Credentials(username="me", password="pw-123"), connect_timeout=5) as env:
        helper = Path(env["GIT_ASKPASS"])
        answers = [
            subprocess.run([helper, prompt], env=env, capture_output=True, text=True, check=True).stdout
            for prompt in ("Username for 'https://host': ", "Password for 'https://me@host': ")
        ]
        assert "pw-123" not in helper.read_text()
        assert stat.S_IMODE(helper.parent.stat().st_mode) == 0o700
    assert answers == ["me\n", "pw-123\n"]
    assert not helper.parent.exists()


def test_a_group_readable_ssh_key_is_used_through_a_private_copy(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    key.chmod(0o644)  # how Kubernetes mounts a Secret by default
    with auth_environment(Credentials(ssh_key_file=key), connect_timeout=5) as env:
        copy = Path(env["GIT_SSH_COMMAND"].split(" -i ")[1].split()[0])
        assert (stat.S_IMODE(copy.stat().st_mode), copy.read_text()) == (0o600, key.read_text())
    assert not copy.exists()


def test_an_owner_only_ssh_key_is_used_in_place(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("key\n")
    os.chmod(key, 0o600)
    with auth_environment(Credentials(ssh_key_file=key), connect_timeout=5) as env:
        assert f" -i {key} " in env["GIT_SSH_COMMAND"]


def test_repo_settings_move_url_credentials_out_of_the_url() -> None:
    settings = RepoSettings(url="https://bot:t0k@git.example/r.git")
    assert settings.url == "https://git.example/r.git"
    assert (settings.credentials.username, settings.credentials.password) == ("bot", "t0k")
    assert "t0k" not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"url": ""}, "repository url is empty", id="empty-url"),
        pytest.param(
            {"ref": "--upload-pack=x"}, "https://git.example/r.git: invalid ref '--upload-pack=x'", id="ref"
        ),
        pytest.param(
            {"ref": "HEAD"},
            "https://git.example/r.git: ref 'HEAD' is ambiguous: name the branch, tag or commit to track",
            id="head",
        ),
        pytest.param(
            {"path": "../elsewhere"},
            "https://git.example/r.git: path '../elsewhere' must be a relative path inside the repository",
            id="path-escapes",
        ),
        pytest.param(
            {"push_attempts": 0},
            "https://git.example/r.git: push_attempts must be >= 1 and 0 <= push_backoff <= push_backoff_max",
            id="no-attempts",
        ),
        pytest.param(
            {"message_template": "render {sha}"},
            "https://git.example/r.git: message template 'render {sha}' is invalid (KeyError('sha')); "
            "it may use {revision}, {short_revision}, {branch}",
            id="unknown-template-field",
        ),
        pytest.param(
            {"url": "https://a:b@git.example/r.git", "credentials": Credentials(password="c")},
            "https://***@git.example/r.git: credentials given both in the URL and separately",
            id="credentials-twice",
        ),
    ],
)
def test_bad_repo_settings_are_refused_with_a_clear_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(GitConfigError) as raised:
        RepoSettings(**{"url": "https://git.example/r.git", **changes})  # type: ignore[arg-type]
    assert str(raised.value) == message
