"""One judgement of a desired object against its live copy, shared by the planner (what to do) and the
drift report (how it stands), so the two can never disagree about an object.

Pure. The cheap checks come first: a live object that carries our stamp and no other writer is provably
what we applied, with no field-by-field comparison (what keeps a no-op cycle cheap at thousands of Pods).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gitops_ray.model.objects import KubeObject, annotation, being_deleted, label
from gitops_ray.model.ownership import (
    CLUSTER_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    PART_OF_LABEL,
    SPEC_HASH_ANNOTATION,
    is_ours,
)
from gitops_ray.reconcile.compare import differing_paths, display_path
from gitops_ray.reconcile.owners import written_only_by_us
from gitops_ray.reconcile.stamp import same_stamp

_SELECTOR_IMMUTABLE_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"})
TERMINAL_POD_PHASES = ("Failed", "Succeeded")
RAY_CONTAINER_INDEX = 0  # KubeRay's utils.RayContainerIndex: the Ray container comes first


class Standing(StrEnum):
    """How a live object stands against what Git asks for."""

    ABSENT = "absent"  # not in the cluster
    NOT_OURS = "not-ours"  # an object with our name that this unit did not create
    TERMINATING = "terminating"  # being deleted (graceful termination, a finalizer)
    TERMINATED = "terminated"  # a Pod that will not run again (KubeRay's shouldDeletePod)
    IMMUTABLE = "immutable"  # differs in a field that cannot be updated: delete and create
    CHANGED = "changed"  # Git changed since our last apply
    EDITED = "edited"  # someone else wrote fields of it since our last apply
    SYNCED = "synced"  # provably what we last applied


@dataclass(frozen=True)
class Assessment:
    standing: Standing
    reason: str


def assess(stamped: KubeObject, live: KubeObject | None, applyset: str) -> Assessment:
    """How `live` stands against `stamped` (a desired object carrying its stamp) for unit `applyset`."""
    if live is None:
        return Assessment(Standing.ABSENT, "absent")
    if not is_ours(live, applyset):
        return Assessment(Standing.NOT_OURS, conflict_reason(live))
    if being_deleted(live):
        return Assessment(Standing.TERMINATING, "being deleted: created again once gone")
    terminated = terminated_pod(live)
    if terminated:
        return Assessment(Standing.TERMINATED, terminated)
    immutable = immutable_change(stamped, live)
    if immutable:
        return Assessment(Standing.IMMUTABLE, immutable)
    if not same_stamp(stamped, live):
        return Assessment(Standing.CHANGED, "desired state changed since the last apply")
    if not written_only_by_us(live):
        return Assessment(Standing.EDITED, "other field managers wrote to it since the last apply")
    return Assessment(Standing.SYNCED, "live matches desired")


def edited_paths(stamped: KubeObject, live: KubeObject, shown: int = 3) -> str:
    """`spec.x, metadata.labels[a] and 2 more`: where an edited object differs from desired, or ""."""
    paths = [display_path(path) for path in differing_paths(stamped, live)]
    if not paths:
        return ""
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more


def _spec_part_diffs(desired: KubeObject, live: KubeObject, name: str = "") -> list[str]:
    """Paths under `spec.<name>` (all of `spec` when no name) where live lacks what desired sets."""
    spec = desired.get("spec") or {}
    live_spec = live.get("spec") or {}
    if name and name not in spec:
        return []
    want = {name: spec[name]} if name else spec
    have = {name: live_spec.get(name)} if name else live_spec
    return [display_path(path) for path in differing_paths({"spec": want}, {"spec": have})]


def immutable_change(desired: KubeObject, live: KubeObject) -> str:
    """Why `live` cannot be updated into `desired` in place (it must be deleted and created), or ""."""
    kind = desired.get("kind")
    desired_spec: dict[str, Any] = desired.get("spec") or {}
    live_spec: dict[str, Any] = live.get("spec") or {}
    if kind == "Pod":
        want, have = annotation(desired, SPEC_HASH_ANNOTATION), annotation(live, SPEC_HASH_ANNOTATION)
        if have is None:
            return "pod spec differs and pod specs are immutable" if _spec_part_diffs(desired, live) else ""
        return (
            f"pod spec changed (spec-hash {have} -> {want}); pod specs are immutable" if have != want else ""
        )
    if kind == "Service":
        want_ip, have_ip = str(desired_spec.get("clusterIP") or ""), str(live_spec.get("clusterIP") or "")
        if (want_ip == "None") != (have_ip == "None"):
            return "service changes between headless and not (spec.clusterIP is immutable)"
        if want_ip and want_ip != have_ip:
            return f"spec.clusterIP changes from {have_ip or 'unset'} to {want_ip} (immutable)"
        return ""
    if kind in _SELECTOR_IMMUTABLE_KINDS and "selector" in desired_spec:
        if desired_spec["selector"] != live_spec.get("selector"):
            return "spec.selector changed (immutable)"
        return ""
    if kind == "Job":
        changed = _spec_part_diffs(desired, live, "selector") + _spec_part_diffs(desired, live, "template")
        return f"{changed[0]} changed (a Job's selector and template are immutable)" if changed else ""
    return ""


def terminated_pod(live: KubeObject) -> str:
    """Why KubeRay would delete this live Pod and create it again (its `shouldDeletePod`), or "".

    A Pod in phase Failed or Succeeded (evicted, OOM-killed with restartPolicy Never, ...) never runs
    again, whatever its restartPolicy; a Running Pod whose Ray container terminated with restartPolicy
    Never will not either."""
    if live.get("kind") != "Pod":
        return ""
    status = live.get("status") or {}
    phase = status.get("phase")
    if phase in TERMINAL_POD_PHASES:
        return f"pod phase {phase}: it will not run again; deleted and created again (as KubeRay does)"
    spec = live.get("spec") or {}
    containers = spec.get("containers") or []
    if phase != "Running" or spec.get("restartPolicy") != "Never" or len(containers) <= RAY_CONTAINER_INDEX:
        return ""
    ray_container = (containers[RAY_CONTAINER_INDEX] or {}).get("name")
    for container in status.get("containerStatuses") or []:
        if container.get("name") == ray_container and (container.get("state") or {}).get("terminated"):
            return (
                "the Ray container terminated and restartPolicy is Never: deleted and created again "
                "(as KubeRay does)"
            )
    return ""


def conflict_reason(live: KubeObject) -> str:
    """Why an object with one of our names is not ours to change."""
    if label(live, MANAGED_BY_LABEL) == MANAGED_BY_VALUE and label(live, CLUSTER_LABEL):
        return (
            f"belongs to gitops-ray unit {label(live, CLUSTER_LABEL)!r} (another ApplySet): "
            "declared by two units, left alone"
        )
    return (
        f"exists but was not created by gitops-ray for this unit (no matching {PART_OF_LABEL} label): "
        "left alone"
    )
