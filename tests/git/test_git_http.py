"""The network path: a remote served by `git http-backend` on 127.0.0.1 behind HTTP basic auth (a token).

SSH is not exercised end to end: the test machines have no sshd. The SSH command line is tested in
test_git_credentials.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from git_repos import TOKEN, TOKEN_USER, HttpRemote, UserClone, child_processes, git

from gitops_ray.edge.git import (
    CommitBack,
    Credentials,
    GitSource,
    Outputs,
    RemoteUnavailable,
    RepoSettings,
)

pytestmark = pytest.mark.git


def no_recompute(head: object) -> None:
    return None


def token_settings(http_remote: HttpRemote, tmp_path: Path, password: str = TOKEN) -> RepoSettings:
    return RepoSettings(
        url=http_remote.url,
        cache_dir=tmp_path / "cache",
        credentials=Credentials(username=TOKEN_USER, password=password),
    )


def files_containing(root: Path, needle: bytes) -> list[str]:
    return sorted(str(path) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes())


def test_sync_and_commit_back_over_http_with_a_token(
    http_remote: HttpRemote, tmp_path: Path, user: UserClone
) -> None:
    with GitSource(token_settings(http_remote, tmp_path)) as source:
        checkout = source.sync()
        publication = CommitBack(source).publish(
            Outputs({"rendered/a.yaml": b"a\n"}, ("rendered",)), checkout, no_recompute
        )
    assert checkout.revision == user.head()
    assert publication is not None
    assert user.remote_head() == publication.commit
    assert any("POST /remote.git/git-receive-pack" in line for line in http_remote.requests())


def test_credentials_in_the_url_reach_neither_disk_nor_logs_nor_commits(
    http_remote: HttpRemote, tmp_path: Path, user: UserClone, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    settings = RepoSettings(url=http_remote.authenticated_url, cache_dir=tmp_path / "cache")
    assert settings.url == http_remote.url
    assert TOKEN not in repr(settings)
    with GitSource(settings) as source:
        checkout = source.sync()
        CommitBack(source).publish(
            Outputs({"rendered/a.yaml": b"a\n"}, ("rendered",)), checkout, no_recompute
        )
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + caplog.text
    assert files_containing(tmp_path / "cache", TOKEN.encode()) == []
    assert TOKEN not in git(user.path.parent / "remote.git", "log", "--all", "--format=%an %ae %cn %ce %B")


def test_a_wrong_token_fails_with_an_error_that_names_the_url_but_not_the_token(
    http_remote: HttpRemote, tmp_path: Path
) -> None:
    wrong = "wrong-t0ken-value"
    settings = token_settings(http_remote, tmp_path, password=wrong)
    with GitSource(settings) as source, pytest.raises(RemoteUnavailable) as raised:
        source.sync()
    assert str(raised.value).startswith(f"cannot clone {http_remote.url}: ")
    assert "Authentication failed" in str(raised.value)
    assert wrong not in str(raised.value)


def test_an_http_remote_down_then_back(http_remote: HttpRemote, tmp_path: Path, user: UserClone) -> None:
    settings = token_settings(http_remote, tmp_path)
    with GitSource(settings) as source:
        first = source.sync()
        http_remote.stop()
        with pytest.raises(
            RemoteUnavailable, match=rf"^cannot fetch from {http_remote.url}: .*Couldn't connect to server$"
        ):
            source.sync()
        http_remote.start()
        user.write("clusters/team-a/b.yaml", "name: b\n")
        user.commit("while the server was down")
        user.push()
        second = source.sync()
    assert (first.revision != second.revision, second.revision) == (True, user.head())
    assert child_processes() == []
