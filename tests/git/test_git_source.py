"""GitSource against real repositories: refs, new commits, faults, timeouts and child-process hygiene."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from git_repos import UserClone, child_processes, git

from gitops_ray.edge.git import (
    GitSource,
    GitSourceError,
    RefNotFound,
    RemoteUnavailable,
    RepoSettings,
    Timeouts,
)

pytestmark = pytest.mark.git

OUTPUT_DIRS = ("rendered", "drift")


def test_sync_checks_out_the_head_of_the_tracked_branch(settings: RepoSettings, user: UserClone) -> None:
    with GitSource(settings) as source:
        checkout = source.sync()
    assert checkout.revision == user.remote_head()
    assert checkout.branch == "main"
    assert (checkout.worktree / "clusters/team-a/a.yaml").read_text() == "name: a\n"


def test_a_new_commit_is_picked_up_on_the_next_sync(settings: RepoSettings, user: UserClone) -> None:
    with GitSource(settings) as source:
        first = source.sync()
        user.write("clusters/team-a/b.yaml", "name: b\n")
        second_sha = user.commit("add b")
        user.push()
        second = source.sync()
    assert first.revision != second.revision == second_sha
    assert (second.worktree / "clusters/team-a/b.yaml").read_text() == "name: b\n"


def test_a_file_deleted_upstream_disappears_from_the_checkout(
    settings: RepoSettings, user: UserClone
) -> None:
    with GitSource(settings) as source:
        source.sync()
        user.remove("clusters/team-a/a.yaml")
        user.commit("remove a")
        user.push()
        checkout = source.sync()
    assert not (checkout.worktree / "clusters/team-a/a.yaml").exists()


def test_a_tag_is_checked_out_and_has_no_branch(settings: RepoSettings, user: UserClone) -> None:
    tagged = user.head()
    user.tag("v1")
    user.write("clusters/team-a/a.yaml", "name: a2\n")
    user.commit("after the tag")
    user.push()
    with GitSource(replace(settings, ref="v1")) as source:
        checkout = source.sync()
    assert (checkout.revision, checkout.branch) == (tagged, None)
    assert (checkout.worktree / "clusters/team-a/a.yaml").read_text() == "name: a\n"


def test_a_pinned_commit_stays_checked_out_when_the_branch_moves(
    settings: RepoSettings, user: UserClone
) -> None:
    pinned = user.head()
    user.write("clusters/team-a/a.yaml", "name: a2\n")
    user.commit("later")
    user.push()
    with GitSource(replace(settings, ref=pinned)) as source:
        checkout = source.sync()
    assert (checkout.revision, checkout.branch) == (pinned, None)
    assert (checkout.worktree / "clusters/team-a/a.yaml").read_text() == "name: a\n"


def test_a_pinned_commit_already_fetched_needs_no_remote(settings: RepoSettings, user: UserClone) -> None:
    pinned = replace(settings, ref=user.head())
    with GitSource(pinned) as source:
        source.sync()
    Path(settings.url).rename(Path(settings.url + ".away"))
    with GitSource(pinned) as source:
        assert source.sync().revision == pinned.ref


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("no-such-branch", id="unknown-name"),
        pytest.param("refs/tags/v9", id="unknown-tag"),
        pytest.param("0123456789abcdef0123456789abcdef01234567", id="unknown-commit"),
    ],
)
def test_a_bad_ref_raises_an_error_naming_the_ref(settings: RepoSettings, ref: str) -> None:
    with GitSource(replace(settings, ref=ref)) as source, pytest.raises(RefNotFound) as raised:
        source.sync()
    assert str(raised.value) == f"ref {ref!r} not found in {settings.url}: not a branch, tag or commit"


@pytest.mark.parametrize(
    ("changed_file", "digest_changes"),
    [
        pytest.param("rendered/team-a/a.yaml", False, id="rendered-only"),
        pytest.param("drift/summary.json", False, id="drift-only"),
        pytest.param("README.md", False, id="outside-the-source-path"),
        pytest.param("clusters/team-a/a.yaml", True, id="cluster-file"),
        pytest.param("gitops-ray.yaml", True, id="repo-config"),
    ],
)
def test_only_commits_to_sources_change_the_tree_digest(
    settings: RepoSettings, user: UserClone, changed_file: str, digest_changes: bool
) -> None:
    def digest(source: GitSource) -> str:
        return source.tree_digest(source.sync().revision, ("clusters", "gitops-ray.yaml"), OUTPUT_DIRS)

    with GitSource(settings) as source:
        before = digest(source)
        user.write(changed_file, "changed\n")
        user.commit(f"touch {changed_file}")
        user.push()
        after = digest(source)
    assert (before != after) is digest_changes


def test_outputs_are_excluded_from_the_digest_when_the_source_path_is_the_root(
    settings: RepoSettings, user: UserClone
) -> None:
    with GitSource(settings) as source:
        before = source.tree_digest(source.sync().revision, (".",), OUTPUT_DIRS)
        user.write("rendered/team-a/a.yaml", "kind: Pod\n")
        user.commit("outputs")
        user.push()
        after = source.tree_digest(source.sync().revision, (".",), OUTPUT_DIRS)
    assert before == after


def test_an_unreachable_remote_fails_clearly_and_keeps_the_checkout_until_it_is_back(
    settings: RepoSettings, user: UserClone
) -> None:
    remote = Path(settings.url)
    with GitSource(settings) as source:
        first = source.sync()
        remote.rename(remote.with_name("moved.git"))
        with pytest.raises(RemoteUnavailable, match=rf"^cannot fetch from {remote}: .*"):
            source.sync()
        assert git(first.worktree, "rev-parse", "HEAD") == first.revision
        assert (first.worktree / "clusters/team-a/a.yaml").read_text() == "name: a\n"
        remote.with_name("moved.git").rename(remote)
        user.write("clusters/team-a/b.yaml", "name: b\n")
        user.push_rebasing()
        assert source.sync().revision == user.head()


def test_a_first_clone_of_an_unreachable_remote_leaves_no_partial_clone(tmp_path: Path) -> None:
    settings = RepoSettings(url=str(tmp_path / "missing.git"), cache_dir=tmp_path / "cache")
    with (
        GitSource(settings) as source,
        pytest.raises(RemoteUnavailable, match=r"^cannot clone .*missing.git"),
    ):
        source.sync()
    assert not source.repo_dir.exists()
    assert not (source.cache / "repo.partial").exists()


def _truncate_objects(repo: Path) -> None:
    for item in (repo / ".git/objects").rglob("*"):
        if item.is_file():
            item.chmod(0o644)
            item.write_bytes(b"")


def _delete_head(repo: Path) -> None:
    (repo / ".git/HEAD").unlink()


def _delete_git_dir(repo: Path) -> None:
    shutil.rmtree(repo / ".git/refs")
    shutil.rmtree(repo / ".git/objects")


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(_truncate_objects, id="objects-truncated"),
        pytest.param(_delete_head, id="head-deleted"),
        pytest.param(_delete_git_dir, id="refs-and-objects-deleted"),
    ],
)
def test_a_corrupt_clone_is_deleted_and_cloned_again(
    settings: RepoSettings, user: UserClone, corrupt: Callable[[Path], None]
) -> None:
    with GitSource(settings) as source:
        source.sync()
        corrupt(source.repo_dir)
        user.write("clusters/team-a/b.yaml", "name: b\n")
        user.commit("add b")
        user.push()
        checkout = source.sync()
    assert checkout.revision == user.head()
    assert (checkout.worktree / "clusters/team-a/b.yaml").read_text() == "name: b\n"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a hung remote."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize(
    ("scheme", "timeouts", "reason"),
    [
        pytest.param(
            "git", Timeouts(network=2, low_speed=60), "timed out after 2s", id="git-killed-after-timeout"
        ),
        pytest.param(
            "http", Timeouts(network=60, low_speed=1), "Operation too slow", id="http-aborted-below-low-speed"
        ),
    ],
)
def test_a_hung_remote_is_abandoned(
    tmp_path: Path, silent_server: int, scheme: str, timeouts: Timeouts, reason: str
) -> None:
    settings = RepoSettings(
        url=f"{scheme}://127.0.0.1:{silent_server}/repo.git", cache_dir=tmp_path / "cache", timeouts=timeouts
    )
    started = time.monotonic()
    with GitSource(settings) as source, pytest.raises(RemoteUnavailable, match=reason):
        source.sync()
    assert time.monotonic() - started < 10
    assert child_processes() == []


@pytest.mark.parametrize(
    ("scheme", "timeouts"),
    [
        pytest.param("git", Timeouts(network=2, low_speed=60), id="git-killed-after-timeout"),
        pytest.param("http", Timeouts(network=60, low_speed=1), id="http-aborted-below-low-speed"),
    ],
)
def test_a_hung_remote_is_a_timed_out_request(
    tmp_path: Path, silent_server: int, scheme: str, timeouts: Timeouts
) -> None:
    settings = RepoSettings(
        url=f"{scheme}://127.0.0.1:{silent_server}/repo.git", cache_dir=tmp_path / "cache", timeouts=timeouts
    )
    seen: list[tuple[str, str]] = []
    with (
        GitSource(settings, lambda operation, result: seen.append((operation, result))) as source,
        pytest.raises(RemoteUnavailable),
    ):
        source.sync()
    assert seen == [("clone", "timeout")]


def test_200_polls_leave_no_git_child_processes(settings: RepoSettings, user: UserClone) -> None:
    before = child_processes()
    with GitSource(settings) as source:
        for poll in range(200):
            if poll % 50 == 0:
                user.write("clusters/team-a/a.yaml", f"name: a{poll}\n")
                user.commit(f"poll {poll}")
                user.push()
            source.sync()
            during = child_processes()
    after = child_processes()
    print(
        f"child processes: before={len(before)} during-last-poll={len(during)} after-200-polls={len(after)}"
    )
    assert (before, during, after) == ([], [], [])


def test_a_second_source_on_the_same_cache_is_refused(settings: RepoSettings) -> None:
    with GitSource(settings) as source:
        with (
            pytest.raises(GitSourceError, match=r"is in use by another gitops-ray process$"),
            GitSource(settings),
        ):
            pass
        source.sync()


def test_a_stale_index_lock_left_by_a_killed_git_does_not_block_the_next_source(
    settings: RepoSettings, user: UserClone
) -> None:
    with GitSource(settings) as source:
        source.sync()
    (source.repo_dir / ".git/index.lock").write_text("")
    user.write("clusters/team-a/b.yaml", "name: b\n")
    user.commit("add b")
    user.push()
    with GitSource(settings) as source:
        assert source.sync().revision == user.head()


def test_a_failing_local_command_clones_again(settings: RepoSettings, user: UserClone) -> None:
    with GitSource(settings) as source:
        source.sync()
        (source.repo_dir / ".git/index.lock").write_text("")  # e.g. a lock nobody will release
        checkout = source.sync()
    assert checkout.revision == user.head()
    assert not (source.repo_dir / ".git/index.lock").exists()
