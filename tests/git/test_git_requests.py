"""Every git command that talks to the remote is told to the source's observer with its result, on real
repositories: what the controller counts in `gitops_ray_git_requests_total{operation,result}`."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_repos import TOKEN_USER, HttpRemote, UserClone

from gitops_ray.edge.git import (
    CommitBack,
    Credentials,
    GitSource,
    Outputs,
    PushRejected,
    RemoteUnavailable,
    RepoSettings,
)

pytestmark = pytest.mark.git

OUTPUTS = Outputs({"rendered/a.yaml": b"a\n"}, ("rendered",))


def no_recompute(head: object) -> None:
    return None


class Seen(list[tuple[str, str]]):
    """An observer that keeps what it is told, in order."""

    def __call__(self, operation: str, result: str) -> None:
        self.append((operation, result))


def test_a_first_sync_is_one_clone_and_one_fetch(settings: RepoSettings) -> None:
    seen = Seen()
    with GitSource(settings, seen) as source:
        source.sync()
    assert seen == [("clone", "ok"), ("fetch", "ok")]


def test_a_remote_renamed_away_is_an_unreachable_fetch(settings: RepoSettings, remote: Path) -> None:
    seen = Seen()
    with GitSource(settings, seen) as source:
        source.sync()
        remote.rename(remote.with_name("gone.git"))
        with pytest.raises(RemoteUnavailable):
            source.sync()
    assert seen == [("clone", "ok"), ("fetch", "ok"), ("fetch", "unreachable")]


def test_commit_back_counts_its_fetch_and_its_push(settings: RepoSettings, user: UserClone) -> None:
    seen = Seen()
    with GitSource(settings, seen) as source:
        checkout = source.sync()
        seen.clear()
        CommitBack(source).publish(OUTPUTS, checkout, no_recompute)
    assert seen == [("fetch", "ok"), ("push", "ok")]


def test_a_push_a_hook_declines_is_a_rejected_push(settings: RepoSettings, remote: Path) -> None:
    hook = remote / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    seen = Seen()
    with GitSource(settings, seen) as source:
        checkout = source.sync()
        seen.clear()
        with pytest.raises(PushRejected):
            CommitBack(source).publish(OUTPUTS, checkout, no_recompute)
    assert seen == [("fetch", "ok"), ("push", "rejected")]


def test_a_wrong_token_is_an_auth_failure(http_remote: HttpRemote, tmp_path: Path) -> None:
    settings = RepoSettings(
        url=http_remote.url,
        cache_dir=tmp_path / "cache",
        credentials=Credentials(username=TOKEN_USER, password="wrong-t0ken-value"),
    )
    seen = Seen()
    with GitSource(settings, seen) as source, pytest.raises(RemoteUnavailable):
        source.sync()
    assert seen == [("clone", "auth")]
