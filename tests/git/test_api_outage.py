"""Cycles while the Kubernetes API server is down: the drift report says so once, in the same words every
cycle, so an outage makes one commit (the change of state), not one per cycle."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from git_repos import RAYCLUSTER_A, UserClone, git

from gitops_ray.edge.cycle import CycleFingerprint, run_repo_cycle
from gitops_ray.edge.git import RepoSettings
from tests.conftest import TestEnv

pytestmark = [pytest.mark.git, pytest.mark.apiserver]


def test_an_api_server_outage_over_several_cycles_makes_one_commit(
    settings: RepoSettings, user: UserClone, start_testenv: Callable[[], TestEnv]
) -> None:
    env = start_testenv()  # a private API server: this test stops it
    user.write("clusters/team-a/a.yaml", RAYCLUSTER_A)
    user.commit("a cluster to apply")
    user.push()
    first = run_repo_cycle(settings, kube_factory=env.connect, cluster_token="0")
    assert first.sync is not None and first.sync.ok and first.publication is not None

    env.stop()
    previous: CycleFingerprint | None = first.fingerprint
    for epoch in range(1, 5):
        result = run_repo_cycle(
            settings, kube_factory=env.connect, previous=previous, cluster_token=str(epoch)
        )
        assert result.sync is not None and not result.sync.ok
        previous = result.fingerprint

    user.pull()
    assert len(git(user.path, "rev-list", f"{first.publication.commit}..HEAD").splitlines()) == 1
    assert (user.path / "drift/team-a/a.md").read_text().splitlines()[-1] == (
        "- clusters/team-a/a.yaml (unit team-a/a): reading inventories: list ConfigMap: "
        "API server unreachable (connection refused)"
    )
