"""Health lives in the cluster (status, metrics), not in Git: with Git and the cluster's spec unchanged,
Pods becoming ready or not change each cluster's status and make no commit."""

from __future__ import annotations

import json

import pytest
from git_repos import UserClone, git
from kubernetes.client import CoreV1Api
from kubernetes.config import new_client_from_config

from gitops_ray.edge.cycle import run_repo_cycle
from gitops_ray.edge.git import RepoSettings
from tests.conftest import TestEnv

pytestmark = [pytest.mark.git, pytest.mark.apiserver]


def cluster_yaml(namespace: str) -> str:
    return f"""\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {{name: a, namespace: {namespace}}}
spec:
  headGroupSpec:
    template: {{spec: {{containers: [{{name: ray, image: rayproject/ray:2.53.0}}]}}}}
"""


def test_readiness_flips_change_the_status_and_make_no_commit(
    settings: RepoSettings,
    user: UserClone,
    apiserver: TestEnv,
    apiserver_kubeconfig: str,
    namespace: str,
) -> None:
    user.remove("clusters/team-a/a.yaml")
    user.write(f"clusters/{namespace}/a.yaml", cluster_yaml(namespace))
    user.commit("a cluster to apply")
    user.push()
    first = run_repo_cycle(settings, kube_factory=apiserver.connect, cluster_token="0")
    assert first.sync is not None and first.sync.ok and first.publication is not None
    pods = CoreV1Api(new_client_from_config(apiserver_kubeconfig))

    healths = []
    previous = first.fingerprint
    for epoch, ready in enumerate(("True", "False", "True"), start=1):
        pods.patch_namespaced_pod_status(  # what a kubelet would report
            "a-head", namespace, {"status": {"conditions": [{"type": "Ready", "status": ready}]}}
        )
        result = run_repo_cycle(
            settings, kube_factory=apiserver.connect, previous=previous, cluster_token=str(epoch)
        )
        assert result.sync is not None and result.sync.ok and not result.skipped
        assert result.publication is None
        previous = result.fingerprint
        parent = pods.read_namespaced_config_map("gitops-ray-a", namespace)
        healths.append(json.loads(parent.metadata.annotations["gitops-ray.io/status"])["health"])

    user.pull()
    assert healths == ["Current", "InProgress", "Current"]
    assert git(user.path, "rev-list", f"{first.publication.commit}..HEAD") == ""


def test_a_cycle_after_its_own_commit_back_writes_nothing_and_names_the_source_commit(
    settings: RepoSettings, user: UserClone, apiserver: TestEnv, apiserver_kubeconfig: str, namespace: str
) -> None:
    user.remove("clusters/team-a/a.yaml")
    user.write(f"clusters/{namespace}/a.yaml", cluster_yaml(namespace))
    source_commit = user.commit("a cluster to apply")
    user.push()
    first = run_repo_cycle(settings, kube_factory=apiserver.connect, cluster_token="0")
    assert first.publication is not None  # the branch moved on: rendered/ and drift/ were committed

    again = run_repo_cycle(
        settings, kube_factory=apiserver.connect, previous=first.fingerprint, cluster_token="1"
    )

    assert again.sync is not None and (again.skipped, again.sync.writes) == (False, 0)
    assert again.revision == first.publication.commit
    pods = CoreV1Api(new_client_from_config(apiserver_kubeconfig))
    parent = pods.read_namespaced_config_map("gitops-ray-a", namespace)
    assert json.loads(parent.metadata.annotations["gitops-ray.io/status"])["revision"] == source_commit


def test_a_commit_to_one_clusters_file_moves_only_that_clusters_revision(
    settings: RepoSettings, user: UserClone, apiserver: TestEnv, apiserver_kubeconfig: str, namespace: str
) -> None:
    user.remove("clusters/team-a/a.yaml")
    user.write(f"clusters/{namespace}/a.yaml", cluster_yaml(namespace))
    user.write(f"clusters/{namespace}/b.yaml", cluster_yaml(namespace).replace("name: a,", "name: b,"))
    both = user.commit("clusters a and b")
    user.push()
    first = run_repo_cycle(settings, kube_factory=apiserver.connect, cluster_token="0")
    user.pull()
    user.write(f"clusters/{namespace}/a.yaml", cluster_yaml(namespace).replace("2.53.0", "2.54.0"))
    only_a = user.commit("a: ray 2.54.0")
    user.push()

    run_repo_cycle(settings, kube_factory=apiserver.connect, previous=first.fingerprint, cluster_token="1")

    pods = CoreV1Api(new_client_from_config(apiserver_kubeconfig))
    revisions = {
        name: json.loads(
            pods.read_namespaced_config_map(f"gitops-ray-{name}", namespace).metadata.annotations[
                "gitops-ray.io/status"
            ]
        )["revision"]
        for name in ("a", "b")
    }
    assert revisions == {"a": only_a, "b": both}
