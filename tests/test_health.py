"""Cluster health, kstatus-style: Current, InProgress or Failed, with a reason, from Pods or RayClusters."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import RenderedUnit, UnitKey
from gitops_ray.observe.drift import Health
from gitops_ray.observe.health import ClusterHealth, cluster_health, pod_failure
from gitops_ray.reconcile.inventory import Inventory

KEY = UnitKey("team-a", "demo")
SOURCE = "clusters/team-a/demo.yaml"


def pod(name: str, node_type: str = "worker") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "team-a", "labels": {"ray.io/node-type": node_type}},
    }


def waiting(reason: str) -> dict[str, Any]:
    return {"containerStatuses": [{"name": "ray-worker", "state": {"waiting": {"reason": reason}}}]}


UNSCHEDULABLE = {
    "phase": "Pending",
    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
}


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (waiting("CrashLoopBackOff"), "CrashLoopBackOff"),
        (waiting("ImagePullBackOff"), "ImagePullBackOff"),
        (waiting("ErrImagePull"), "ImagePullBackOff"),
        (waiting("CreateContainerConfigError"), "CreateContainerConfigError"),
        (waiting("ContainerCreating"), ""),
        (UNSCHEDULABLE, "Unschedulable"),
        ({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]}, ""),
        ({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}, ""),
        ({}, ""),
    ],
    ids=[
        "crash-loop",
        "image-pull-back-off",
        "err-image-pull",
        "config-error",
        "container-creating",
        "unschedulable",
        "not-scheduled-yet",
        "ready",
        "no-status",
    ],
)
def test_pod_failure_names_what_will_not_fix_itself(status: dict[str, Any], failure: str) -> None:
    assert pod_failure({**pod("demo-small-worker-0"), "status": status}) == failure


HEAD, WORKER_0, WORKER_1 = pod("demo-head", "head"), pod("demo-small-worker-0"), pod("demo-small-worker-1")
PODS_UNIT = RenderedUnit(KEY, SOURCE, objects=(HEAD, WORKER_0, WORKER_1))


@pytest.mark.parametrize(
    ("statuses", "health", "expected"),
    [
        ({}, Health(True, 2, 2), ClusterHealth("Current", "Ready", "", "2/2")),
        ({}, Health(False, 2, 2), ClusterHealth("InProgress", "HeadNotReady", "head not ready", "2/2")),
        (
            {},
            Health(True, 1, 2),
            ClusterHealth("InProgress", "WorkersNotReady", "workers ready 1/2", "1/2"),
        ),
        (
            {"demo-small-worker-1": waiting("CrashLoopBackOff"), "demo-small-worker-0": UNSCHEDULABLE},
            Health(True, 0, 2),
            ClusterHealth(
                "Failed", "Unschedulable", "Unschedulable: Pod demo-small-worker-0 and 1 more", "0/2"
            ),
        ),
        (
            {"demo-head": waiting("ImagePullBackOff")},
            Health(False, 2, 2),
            ClusterHealth("Failed", "ImagePullBackOff", "ImagePullBackOff: Pod demo-head", "2/2"),
        ),
        ({}, None, ClusterHealth("Unknown", "NotCompared", "not compared with the cluster")),
    ],
    ids=["ready", "head-not-ready", "workers-not-ready", "two-failing-pods", "image-pull", "not-compared"],
)
def test_health_of_a_pods_unit(
    statuses: dict[str, dict[str, Any]], health: Health | None, expected: ClusterHealth
) -> None:
    live = {
        MemberRef.from_object(obj): {**obj, "status": statuses.get(obj["metadata"]["name"], {})}
        for obj in PODS_UNIT.objects
    }
    assert cluster_health(PODS_UNIT, health, live) == expected


def test_a_unit_without_objects_is_judged_by_the_pods_its_inventory_lists() -> None:
    head = {**HEAD, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    worker = {**WORKER_0, "status": waiting("CrashLoopBackOff")}
    inventory = Inventory(
        KEY, SOURCE, frozenset({MemberRef.from_object(HEAD), MemberRef.from_object(WORKER_0)})
    )
    live = {MemberRef.from_object(obj): obj for obj in (head, worker)}
    assert cluster_health(RenderedUnit(KEY, SOURCE), Health(None, 0, 0), live, inventory) == ClusterHealth(
        "Failed", "CrashLoopBackOff", "CrashLoopBackOff: Pod demo-small-worker-0", "0/1"
    )


RAYCLUSTER: dict[str, Any] = {
    "apiVersion": "ray.io/v1",
    "kind": "RayCluster",
    "metadata": {"name": "demo", "namespace": "team-a"},
}


def raycluster_status(generation: int = 2, **status: Any) -> dict[str, Any]:
    return {**RAYCLUSTER, "metadata": {**RAYCLUSTER["metadata"], "generation": generation}, "status": status}


def condition(kind: str, status: str, **more: str) -> dict[str, str]:
    return {"type": kind, "status": status, **more}


@pytest.mark.parametrize(
    ("live", "health", "expected"),
    [
        (
            raycluster_status(
                observedGeneration=2, state="ready", conditions=[condition("RayClusterProvisioned", "True")]
            ),
            Health(True, 2, 2),
            ClusterHealth("Current", "Ready", "", "2/2"),
        ),
        (
            raycluster_status(observedGeneration=1, state="ready"),
            Health(True, 2, 2),
            ClusterHealth(
                "InProgress", "GenerationNotObserved", "KubeRay has not observed the latest spec yet", "2/2"
            ),
        ),
        (
            raycluster_status(
                observedGeneration=2,
                conditions=[condition("ReplicaFailure", "True", reason="FailedCreatePod", message="quota")],
            ),
            Health(False, 0, 2),
            ClusterHealth("Failed", "ReplicaFailure", "ReplicaFailure: quota", "0/2"),
        ),
        (
            raycluster_status(observedGeneration=2, state="failed", reason="head Pod failed"),
            Health(False, 0, 2),
            ClusterHealth("Failed", "ClusterFailed", "state failed: head Pod failed", "0/2"),
        ),
        (
            raycluster_status(observedGeneration=2, conditions=[condition("RayClusterProvisioned", "False")]),
            Health(True, 2, 2),
            ClusterHealth("InProgress", "NotProvisioned", "KubeRay has not provisioned every Pod", "2/2"),
        ),
        (
            raycluster_status(observedGeneration=2),
            Health(True, 1, 2),
            ClusterHealth("InProgress", "WorkersNotReady", "workers ready 1/2", "1/2"),
        ),
        (None, Health(False, 0, 0), ClusterHealth("InProgress", "HeadNotReady", "head not ready", "0/0")),
    ],
    ids=[
        "ready",
        "generation-not-observed",
        "replica-failure",
        "state-failed",
        "not-provisioned",
        "workers-not-ready",
        "not-created",
    ],
)
def test_health_of_a_raycluster_unit_reads_what_kuberay_reports(
    live: dict[str, Any] | None, health: Health, expected: ClusterHealth
) -> None:
    unit = RenderedUnit(KEY, SOURCE, target="raycluster", objects=(RAYCLUSTER,))
    found = {MemberRef.from_object(RAYCLUSTER): live} if live else {}
    assert cluster_health(unit, health, found) == expected


def test_a_unit_without_a_ray_cluster_is_current() -> None:
    unit = RenderedUnit(
        KEY,
        SOURCE,
        target="raycluster",
        objects=(
            {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "j", "namespace": "team-a"}},
        ),
    )
    assert cluster_health(unit, Health(None, 0, 0), {}) == ClusterHealth(
        "Current", "NoRayCluster", "no Ray cluster to be ready", "0/0"
    )
