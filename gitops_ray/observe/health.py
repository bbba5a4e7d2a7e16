"""How a cluster is doing, kstatus-style: Current, InProgress or Failed, with the reason a person acts on.

The numbers (head ready, workers ready N/M) come from `drift.Health`; this module adds why a cluster is not
Current: a Pod in CrashLoopBackOff or ImagePullBackOff, an Unschedulable Pod, or, with target `raycluster`,
what KubeRay writes in the RayCluster's status (`status.state`, the `ReplicaFailure`, `HeadPodReady` and
`RayClusterProvisioned` conditions, `status.observedGeneration`: KubeRay's `calculateStatus`). Listed Pods
may be compacted (`reconcile.compact`), which keeps the phase, conditions and containerStatuses read here.
Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gitops_ray.model.objects import KubeObject, metadata, natural_key
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.targets import TARGETS
from gitops_ray.model.units import RenderedUnit
from gitops_ray.observe.drift import Health, inventory_health
from gitops_ray.reconcile.inventory import Inventory

HealthState = Literal["Current", "InProgress", "Failed", "Unknown"]
HEALTH_STATES: tuple[HealthState, ...] = ("Current", "InProgress", "Failed", "Unknown")

# Waiting reasons of a container that will not start without a change (the kubelet's words).
FAILING_WAITING_REASONS = {
    "CrashLoopBackOff": "CrashLoopBackOff",
    "ImagePullBackOff": "ImagePullBackOff",
    "ErrImagePull": "ImagePullBackOff",
    "InvalidImageName": "ImagePullBackOff",
    "CreateContainerConfigError": "CreateContainerConfigError",
}


@dataclass(frozen=True)
class ClusterHealth:
    """`reason` is a CamelCase word for conditions and alerts, `message` the sentence for people;
    `workers` is `ready/desired` ("" when unknown)."""

    state: HealthState
    reason: str
    message: str = ""
    workers: str = ""


def _conditions(obj: KubeObject | None) -> dict[str, dict[str, Any]]:
    items = ((obj or {}).get("status") or {}).get("conditions") or []
    return {str(item.get("type")): item for item in items if isinstance(item, dict)}


def pod_failure(pod: KubeObject) -> str:
    """Why a Pod will not become ready without a change ("" when nothing says so): a container waiting in
    CrashLoopBackOff or ImagePullBackOff (ErrImagePull counts as the latter), or a Pod the scheduler found
    no node for."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        waiting = ((container or {}).get("state") or {}).get("waiting") or {}
        reason = FAILING_WAITING_REASONS.get(str(waiting.get("reason")))
        if reason:
            return reason
    scheduled = _conditions(pod).get("PodScheduled") or {}
    if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        return "Unschedulable"
    return ""


def pods_failure(pods: Iterable[KubeObject]) -> ClusterHealth | None:
    """The first failing Pod by name (and how many more fail), or None."""
    failing = [(str(metadata(pod).get("name")), reason) for pod in pods if (reason := pod_failure(pod))]
    if not failing:
        return None
    failing.sort(key=lambda item: natural_key(item[0]))
    name, reason = failing[0]
    more = f" and {len(failing) - 1} more" if len(failing) > 1 else ""
    return ClusterHealth("Failed", reason, f"{reason}: Pod {name}{more}")


def raycluster_failure(raycluster: KubeObject | None) -> ClusterHealth | None:
    """What the KubeRay operator reports against a RayCluster: a failed state or a ReplicaFailure (Failed),
    or a spec generation it has not observed yet (InProgress: its other status fields are stale; the
    message names no generation, so an autoscaler's every patch does not rewrite the status)."""
    if raycluster is None:
        return None
    status = raycluster.get("status") or {}
    replica_failure = _conditions(raycluster).get("ReplicaFailure") or {}
    if replica_failure.get("status") == "True":
        detail = (
            replica_failure.get("message") or replica_failure.get("reason") or "a Pod could not be created"
        )
        return ClusterHealth("Failed", "ReplicaFailure", f"ReplicaFailure: {detail}")
    if status.get("state") == "failed":
        detail = status.get("reason") or "KubeRay reports the cluster failed"
        return ClusterHealth("Failed", "ClusterFailed", f"state failed: {detail}")
    generation = metadata(raycluster).get("generation")
    observed = status.get("observedGeneration")
    if isinstance(generation, int) and (not isinstance(observed, int) or observed < generation):
        return ClusterHealth(
            "InProgress", "GenerationNotObserved", "KubeRay has not observed the latest spec yet"
        )
    return None


def cluster_health(
    unit: RenderedUnit,
    health: Health | None,
    live: Mapping[MemberRef, KubeObject],
    inventory: Inventory | None = None,
) -> ClusterHealth:
    """The health of one unit after a cycle. `health` None: the unit was not compared with the cluster.
    A unit without desired objects (broken, or gone from the source) is judged by the Pods its inventory
    lists, counted by `drift.inventory_health`."""
    if health is None:
        return ClusterHealth("Unknown", "NotCompared", "not compared with the cluster")
    judged_by_inventory = not unit.objects and inventory is not None
    if judged_by_inventory:
        health = inventory_health(inventory, live)
    workers = f"{health.workers_ready}/{health.workers_desired}"
    raycluster = None
    if not judged_by_inventory and TARGETS[unit.target].applies_raycluster:
        clusters = [obj for obj in unit.objects if obj.get("kind") == "RayCluster"]
        raycluster = live.get(MemberRef.from_object(clusters[0])) if clusters else None
        failure = raycluster_failure(raycluster)
    else:
        refs = [ref for ref in unit.refs if ref.kind == "Pod"]
        if judged_by_inventory:
            refs = [ref for ref in (inventory.members if inventory else ()) if ref.kind == "Pod"]
        failure = pods_failure(pod for ref in refs if (pod := live.get(ref)) is not None)
    if failure is not None:
        return ClusterHealth(failure.state, failure.reason, failure.message, workers)
    if health.head_ready is False:
        return ClusterHealth("InProgress", "HeadNotReady", "head not ready", workers)
    if health.workers_ready < health.workers_desired:
        return ClusterHealth("InProgress", "WorkersNotReady", f"workers ready {workers}", workers)
    provisioned = _conditions(raycluster).get("RayClusterProvisioned") or {}
    if provisioned.get("status") == "False":
        return ClusterHealth("InProgress", "NotProvisioned", "KubeRay has not provisioned every Pod", workers)
    if health.head_ready is None:
        return ClusterHealth("Current", "NoRayCluster", "no Ray cluster to be ready", workers)
    return ClusterHealth("Current", "Ready", "", workers)
