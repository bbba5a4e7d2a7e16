"""Cycles while the Git remote is unreachable: the last fetched revision is applied (so drift is still
healed on every new cluster epoch), nothing is committed, and the first cycle after the remote is back runs
in full."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import structlog
from git_repos import RAYCLUSTER_A, UserClone, git

from gitops_ray.app.controller import Controller
from gitops_ray.app.settings import ControllerSettings
from gitops_ray.edge.cycle import run_repo_cycle
from gitops_ray.edge.git import RemoteUnavailable, RepoSettings
from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.git


@contextmanager
def unreachable(remote: Path) -> Iterator[None]:
    """The remote is gone while inside (moved away), and back afterwards."""
    moved = remote.with_name("elsewhere.git")
    remote.rename(moved)
    try:
        yield
    finally:
        moved.rename(remote)


def test_without_any_earlier_fetch_an_unreachable_remote_still_fails_the_cycle(
    settings: RepoSettings, remote: Path
) -> None:
    with unreachable(remote), pytest.raises(RemoteUnavailable, match=r"^cannot clone "):
        run_repo_cycle(settings)


def test_an_unreachable_remote_leaves_a_cycle_on_the_last_fetched_revision_committing_nothing(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    first = run_repo_cycle(settings, cluster_token="0")
    assert first.publication is not None
    with unreachable(remote), structlog.testing.capture_logs() as logs:
        offline = run_repo_cycle(settings, previous=first.fingerprint, cluster_token="1")
    assert (offline.skipped, offline.publication, offline.revision) == (False, None, first.publication.commit)
    assert offline.offline is not None and offline.offline.startswith(f"cannot fetch from {remote}: ")
    assert [str(unit.key) for unit in offline.units] == ["team-a/a"]
    assert [(log["event"], log["revision"]) for log in logs if log["event"] == "git.unreachable"] == [
        ("git.unreachable", first.publication.commit)
    ]
    assert clusters_repo.remote_head() == first.publication.commit


def test_offline_polls_are_skipped_until_the_cluster_epoch_changes(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    first = run_repo_cycle(settings, cluster_token="0")
    with unreachable(remote):
        same_epoch = run_repo_cycle(settings, previous=first.fingerprint, cluster_token="0")
        new_epoch = run_repo_cycle(settings, previous=same_epoch.fingerprint, cluster_token="1")
        again = run_repo_cycle(settings, previous=new_epoch.fingerprint, cluster_token="1")
    assert [(r.skipped, r.offline is not None) for r in (same_epoch, new_epoch, again)] == [
        (True, True),  # nothing new since the last cycle that could commit
        (False, True),  # a new epoch: render and apply again
        (True, True),
    ]


def test_the_first_cycle_after_the_remote_is_back_runs_in_full(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    first = run_repo_cycle(settings, cluster_token="0")
    with unreachable(remote):
        offline = run_repo_cycle(settings, previous=first.fingerprint, cluster_token="1")
    back = run_repo_cycle(settings, previous=offline.fingerprint, cluster_token="1")
    assert (back.skipped, back.offline) == (False, None)
    assert back.fingerprint is not None and not back.fingerprint.offline


@pytest.mark.apiserver
def test_while_git_is_unreachable_a_deleted_pod_is_created_again_on_the_next_epoch(
    settings: RepoSettings, user: UserClone, remote: Path, kube: KubeApi, namespace: str
) -> None:
    user.remove("clusters/team-a/a.yaml")
    user.write(f"clusters/{namespace}/a.yaml", RAYCLUSTER_A.replace("team-a", namespace))
    user.commit("a cluster to apply")
    user.push()
    first = run_repo_cycle(settings, kube_factory=lambda: kube, cluster_token="0")
    head = git(remote, "rev-parse", "main")
    kube.delete(kube.get("v1", "Pod", namespace, "a-head") or {})
    assert kube.get("v1", "Pod", namespace, "a-head") is None
    with unreachable(remote):
        offline = run_repo_cycle(
            settings, kube_factory=lambda: kube, previous=first.fingerprint, cluster_token="1"
        )
    assert offline.offline is not None and offline.sync is not None and offline.sync.ok
    assert kube.get("v1", "Pod", namespace, "a-head") is not None
    assert (offline.publication, git(remote, "rev-parse", "main")) == (None, head)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_controller_keeps_cycling_offline_and_heals_once_per_resync_interval(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    clock = FakeClock()
    loop = Controller(
        settings,
        ControllerSettings(repo=settings.url, apply=False, interval=60, resync_interval=300),
        None,
        clock=clock,
    )
    first = loop.tick()
    assert first is not None and first.committed
    with unreachable(remote):
        quiet = loop.tick()
        clock.now += 300
        resync = loop.tick()
    back = loop.tick()
    assert [(r.skipped, r.offline is not None) for r in (quiet, resync) if r is not None] == [
        (True, True),
        (False, True),
    ]
    assert back is not None and (back.skipped, back.offline) == (False, None)
    failed = loop.metrics.registry.get_sample_value("gitops_ray_cycles_total", {"result": "failed"})
    assert not failed
