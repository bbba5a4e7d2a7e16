"""The Kubernetes edge's small pure helpers (no API server needed)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.kube.counting import RequestCounter, request_verb, since
from gitops_ray.kube.resources import BUILTIN_RESOURCES, Resource, resources_from_discovery
from gitops_ray.sync import keeping_autoscaled_replicas


@pytest.mark.parametrize(
    ("method", "query", "verb"),
    [
        ("GET", [("labelSelector", "a=b")], "GET"),
        ("PATCH", [("fieldManager", "gitops-ray"), ("force", "true")], "PATCH"),
        ("PATCH", [("fieldManager", "gitops-ray"), ("dryRun", "All")], "PATCH (dry-run)"),
        ("DELETE", None, "DELETE"),
    ],
    ids=["list", "apply", "dry-run apply", "delete"],
)
def test_request_verb(method: str, query: Any, verb: str) -> None:
    assert request_verb(method, query) == verb


def test_writes_leave_out_reads_and_dry_runs() -> None:
    assert RequestCounter.writes_in({"GET": 4, "PATCH": 3, "PATCH (dry-run)": 9, "DELETE": 1}) == 4


def test_since_counts_only_what_was_sent_in_between() -> None:
    assert since({"GET": 4, "PATCH": 1}, {"GET": 8, "PATCH": 1, "DELETE": 2}) == {"GET": 4, "DELETE": 2}


@pytest.mark.parametrize(
    ("resource", "namespace", "path"),
    [
        (BUILTIN_RESOURCES[("v1", "Pod")], "team-a", "/api/v1/namespaces/team-a/pods"),
        (BUILTIN_RESOURCES[("v1", "Pod")], None, "/api/v1/pods"),
        (BUILTIN_RESOURCES[("v1", "Namespace")], "ignored", "/api/v1/namespaces"),
        (
            BUILTIN_RESOURCES[("networking.k8s.io/v1", "Ingress")],
            "a",
            "/apis/networking.k8s.io/v1/namespaces/a/ingresses",
        ),
    ],
    ids=["namespaced", "all namespaces", "cluster-scoped", "named group"],
)
def test_collection_path(resource: Resource, namespace: str | None, path: str) -> None:
    assert resource.collection_path(namespace) == path


def test_a_403_names_the_permission_as_rbac_spells_it() -> None:
    assert BUILTIN_RESOURCES[("apps/v1", "Deployment")].permission("delete", "ml") == (
        'delete deployments (apiGroup "apps") in namespace ml'
    )


def test_discovery_maps_kinds_to_resources_and_skips_subresources() -> None:
    resource_list = {
        "resources": [
            {"name": "rayclusters", "kind": "RayCluster", "namespaced": True},
            {"name": "rayclusters/status", "kind": "RayCluster", "namespaced": True},
        ]
    }

    assert resources_from_discovery("ray.io/v1", resource_list) == {
        "RayCluster": Resource("ray.io/v1", "RayCluster", "rayclusters", True)
    }


def _raycluster(*groups: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster", "spec": {"workerGroupSpecs": list(groups)}}


@pytest.mark.parametrize(
    ("desired", "live", "expected_replicas"),
    [
        (_raycluster({"groupName": "a"}), _raycluster({"groupName": "a", "replicas": 3}), [3]),
        (_raycluster({"groupName": "a", "replicas": 1}), _raycluster({"groupName": "a", "replicas": 3}), [1]),
        (_raycluster({"groupName": "new"}), _raycluster({"groupName": "a", "replicas": 3}), [None]),
        (_raycluster({"groupName": "a"}), None, [None]),
    ],
    ids=["autoscaled group keeps live", "git sets replicas", "new group", "not in the cluster yet"],
)
def test_keeping_autoscaled_replicas(
    desired: dict[str, Any], live: dict[str, Any] | None, expected_replicas: list[int | None]
) -> None:
    kept = keeping_autoscaled_replicas(desired, live)

    assert [group.get("replicas") for group in kept["spec"]["workerGroupSpecs"]] == expected_replicas
