"""A repository cycle posts its Kubernetes Events with the revision it applied (real Git, real API server)."""

from __future__ import annotations

import pytest
from git_repos import RAYCLUSTER_A, UserClone

from gitops_ray.edge.apply import SyncOptions
from gitops_ray.edge.cycle import run_repo_cycle
from gitops_ray.edge.git import RepoSettings
from gitops_ray.edge.kube import KubeApi
from gitops_ray.edge.kube.events import EventRecorder

pytestmark = [pytest.mark.git, pytest.mark.apiserver]


@pytest.fixture
def cluster_in_namespace(user: UserClone, namespace: str) -> UserClone:
    """The remote holds RayCluster `a` (a head, no workers) in the test's namespace."""
    user.write("clusters/a.yaml", RAYCLUSTER_A.replace("namespace: team-a", f"namespace: {namespace}"))
    user.commit("cluster in the test namespace")
    user.push()
    return user


@pytest.mark.usefixtures("cluster_in_namespace")
def test_a_repo_cycle_posts_applied_with_its_revision(
    settings: RepoSettings, kube: KubeApi, namespace: str
) -> None:
    result = run_repo_cycle(
        settings, kube_factory=lambda: kube, sync_options=SyncOptions(), events=EventRecorder("replica-1")
    )

    posted = [(e["reason"], e["message"]) for e in kube.list_objects("v1", "Event", namespace)]
    assert posted == [
        (
            "Applied",
            f"revision {result.revision}: 2 created: Service {namespace}/a-head-svc, Pod {namespace}/a-head",
        )
    ]


@pytest.mark.usefixtures("cluster_in_namespace")
def test_a_dry_run_repo_cycle_posts_no_event(settings: RepoSettings, kube: KubeApi, namespace: str) -> None:
    result = run_repo_cycle(
        settings,
        kube_factory=lambda: kube,
        sync_options=SyncOptions(dry_run=True),
        events=EventRecorder("replica-1"),
    )

    assert result.sync is not None and result.sync.units[0].counts.created == 2
    assert kube.list_objects("v1", "Event", namespace) == []
