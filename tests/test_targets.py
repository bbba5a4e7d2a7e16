"""Targets: what is applied and what is only previewed, and how a RayCluster is prepared for apply."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.model.targets import PODS, RAYCLUSTER

RENDERED = ({"kind": "Pod", "metadata": {"name": "demo-head"}},)
EXTRAS = ({"kind": "ConfigMap", "metadata": {"name": "scripts"}},)
CLUSTER = {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "demo"}, "status": {"x": 1}}


def test_the_pods_target_applies_the_rendered_objects_and_previews_nothing() -> None:
    assert PODS.split(CLUSTER, RENDERED, EXTRAS) == ([*RENDERED, *EXTRAS], ())


def test_the_raycluster_target_applies_the_raycluster_without_status_and_previews_the_rendered_objects() -> (
    None
):
    applied = {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "demo"}}
    assert RAYCLUSTER.split(CLUSTER, RENDERED, EXTRAS) == ([applied, *EXTRAS], RENDERED)


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
def test_the_raycluster_target_keeps_autoscaled_replicas(
    desired: dict[str, Any], live: dict[str, Any] | None, expected_replicas: list[int | None]
) -> None:
    kept = RAYCLUSTER.for_apply(desired, live)

    assert [group.get("replicas") for group in kept["spec"]["workerGroupSpecs"]] == expected_replicas
