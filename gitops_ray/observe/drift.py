"""Drift and health of a unit: how the live cluster differs from what Git asks for, as data and Markdown.

Pure: the apply engine reads live objects, this module judges them. Reports are deterministic (no
timestamps, stable order) because they are committed to Git and an unchanged world must make no commit.
Secret values never appear: compare redacts them before they reach a FieldDiff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gitops_ray.model.kuberay import NODE_TYPE_LABEL
from gitops_ray.model.objects import KubeObject, label, natural_key
from gitops_ray.model.ownership import FIELD_MANAGER, is_ours, prune_disabled, unit_applyset_id
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.targets import TARGETS
from gitops_ray.model.units import Problem, RenderedUnit, UnitKey
from gitops_ray.reconcile.assess import Standing, assess
from gitops_ray.reconcile.compare import (
    FieldDiff,
    comparable_form,
    fields_leaves,
    object_diffs,
    object_leaves,
)
from gitops_ray.reconcile.inventory import Inventory
from gitops_ray.reconcile.owners import fields_of, other_writers
from gitops_ray.reconcile.stamp import STAMP_ANNOTATIONS, SpecHashes, stamp

__all__ = [
    "DETAILED_STATES",
    "DRIFT_STATES",
    "FieldDiff",
    "Health",
    "ObjectDrift",
    "UnitDrift",
    "drift_summary",
    "foreign_managers",
    "object_drift",
    "unit_drift",
]

DriftState = Literal["missing", "terminated", "differs", "foreign", "orphan", "conflict", "in-sync"]
DRIFT_STATES: tuple[DriftState, ...] = (
    "missing",
    "terminated",
    "differs",
    "foreign",
    "orphan",
    "conflict",
    "in-sync",
)
# States whose report is built from the live object's fields (its diffs, the managers of fields we set).
DETAILED_STATES: frozenset[DriftState] = frozenset({"differs", "foreign"})
_STAMP_PATHS = frozenset(f'metadata.annotations["{name}"]' for name in STAMP_ANNOTATIONS)


@dataclass(frozen=True, slots=True)
class ObjectDrift:
    """How one object stands: `diffs` for "differs"; `managers` are other field managers of fields we set.
    Slotted: a cycle makes one for each of tens of thousands of objects."""

    ref: MemberRef
    state: DriftState
    diffs: tuple[FieldDiff, ...] = ()
    managers: tuple[str, ...] = ()
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": self.ref.api_version,
            "kind": self.ref.kind,
            "namespace": self.ref.namespace,
            "name": self.ref.name,
            "state": self.state,
            "reason": self.reason,
            "managers": list(self.managers),
            "diffs": [diff.as_dict() for diff in self.diffs],
        }


@dataclass(frozen=True)
class Health:
    """Readiness as Pod conditions (or, for the `raycluster` target, the RayCluster status) report it.
    `head_ready` is None when the unit has no head to be ready; `pending` names the Pods not Ready."""

    head_ready: bool | None
    workers_ready: int
    workers_desired: int
    pending: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "head_ready": self.head_ready,
            "workers_ready": self.workers_ready,
            "workers_desired": self.workers_desired,
            "pending": list(self.pending),
        }

    def text(self) -> str:
        head = {True: "head ready", False: "head not ready", None: "no head"}[self.head_ready]
        line = f"{head}; workers {self.workers_ready}/{self.workers_desired} ready"
        return line + (f"; not ready: {', '.join(self.pending)}" if self.pending else "")


@dataclass(frozen=True)
class UnitDrift:
    """Drift, health and problems of one unit. `health` None: the unit was not compared with a cluster
    (render-only runs), so neither drift nor health is known."""

    key: UnitKey
    source: str
    objects: tuple[ObjectDrift, ...]
    health: Health | None
    problems: tuple[Problem, ...] = ()

    @property
    def in_sync(self) -> bool:
        return self.status == "in-sync"

    @property
    def status(self) -> str:
        """`broken` (problems), `unknown` (not compared), `drifted` or `in-sync`."""
        if self.problems:
            return "broken"
        if self.health is None:
            return "unknown"
        return "in-sync" if all(obj.state == "in-sync" for obj in self.objects) else "drifted"

    def state_counts(self) -> dict[str, int]:
        """Objects per state, in DRIFT_STATES order, states with no object left out."""
        counts = Counter(obj.state for obj in self.objects)
        return {state: counts[state] for state in DRIFT_STATES if counts[state]}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; lists only objects that are not in sync (the counts cover the rest)."""
        return {
            "cluster": str(self.key),
            "namespace": self.key.namespace,
            "name": self.key.name,
            "source": self.source,
            "status": self.status,
            "counts": self.state_counts(),
            "objects": [obj.as_dict() for obj in self.objects if obj.state != "in-sync"],
            "health": self.health.as_dict() if self.health else None,
            "problems": [problem.as_dict() for problem in self.problems],
        }


# --- judging objects ----------------------------------------------------------------------------------


def foreign_managers(live: KubeObject, desired: KubeObject | None = None) -> list[str]:
    """Field managers other than gitops-ray that own fields gitops-ray sets, sorted.

    "Fields gitops-ray sets" are those of `desired` when given, plus those our own managedFields entry
    still holds: pass `desired`, because a manager that changed a field also took it away from us. The
    cluster's own bookkeeping (kube-controller-manager, kubelet, ...) and status-only writes are ignored.
    """
    ours = {leaf for fields in fields_of(live, FIELD_MANAGER) for leaf in fields_leaves(fields)}
    if desired is not None:
        ours.update(object_leaves(comparable_form(desired)))
    ancestors = {leaf[:depth] for leaf in ours for depth in range(1, len(leaf))}
    found = set()
    for manager, fields in other_writers(live):
        for leaf in fields_leaves(fields):
            if leaf[:1] == ("f:status",):
                continue
            if (
                leaf in ours
                or leaf in ancestors
                or any(leaf[:depth] in ours for depth in range(1, len(leaf)))
            ):
                found.add(manager)
                break
    return sorted(found)


def object_drift(
    desired: KubeObject, live: KubeObject | None, applyset: str, hashes: SpecHashes | None = None
) -> ObjectDrift:
    """Judge one desired object against its live copy (`hashes`: a memo shared across one unit)."""
    ref = MemberRef.from_object(desired)
    stamped = stamp(desired, hashes)
    judged = assess(stamped, live, applyset)
    if judged.standing is Standing.ABSENT:
        return ObjectDrift(ref, "missing", reason="not in the cluster")
    if judged.standing is Standing.NOT_OURS:
        return ObjectDrift(ref, "conflict", reason=judged.reason)
    if judged.standing is Standing.TERMINATED:
        return ObjectDrift(ref, "terminated", reason=judged.reason)
    if judged.standing is Standing.SYNCED:
        return ObjectDrift(ref, "in-sync")
    assert live is not None
    diffs = tuple(diff for diff in object_diffs(stamped, live) if diff.path not in _STAMP_PATHS)
    managers = tuple(foreign_managers(live, stamped))
    if diffs:
        return ObjectDrift(ref, "differs", diffs, managers)
    if managers:
        return ObjectDrift(ref, "foreign", (), managers, "other field managers own fields gitops-ray sets")
    return ObjectDrift(ref, "in-sync")


def _leftover_drift(ref: MemberRef, live: KubeObject, prune_held: str) -> ObjectDrift:
    if prune_disabled(live):
        why = "prune disabled by annotation"
    else:
        why = "not pruned while the source is not whole" if prune_held else "pruned by the next sync"
    return ObjectDrift(ref, "orphan", reason=f"no longer desired; {why}")


# --- health -------------------------------------------------------------------------------------------


def _condition_true(obj: KubeObject, condition: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(
        isinstance(item, dict) and item.get("type") == condition and item.get("status") == "True"
        for item in conditions
    )


def pod_health(pods: Iterable[tuple[MemberRef, str | None]], live: Mapping[MemberRef, KubeObject]) -> Health:
    """Health from the Pods a unit expects, each given with its `ray.io/node-type` (head or worker)."""
    head_ready: bool | None = None
    workers_ready = workers_desired = 0
    pending = []
    for ref, node_type in pods:
        obj = live.get(ref)
        ready = obj is not None and _condition_true(obj, "Ready")
        if not ready:
            pending.append(ref.name)
        if node_type == "head":
            head_ready = ready if head_ready is None else head_ready and ready
        else:
            workers_desired += 1
            workers_ready += ready
    return Health(head_ready, workers_ready, workers_desired, tuple(sorted(pending, key=natural_key)))


def raycluster_health(raycluster: KubeObject | None) -> Health:
    """Health of a cluster run by KubeRay, from the RayCluster status the operator writes."""
    if raycluster is None:
        return Health(False, 0, 0)
    status = raycluster.get("status") or {}
    return Health(
        _condition_true(raycluster, "HeadPodReady"),
        int(status.get("readyWorkerReplicas") or 0),
        int(status.get("desiredWorkerReplicas") or 0),
    )


def unit_health(unit: RenderedUnit, live: Mapping[MemberRef, KubeObject]) -> Health:
    """Health of what a unit wants: its RayCluster's status when its target applies the RayCluster, else
    its Pods'."""
    wanted = list(unit.objects)
    if TARGETS[unit.target].applies_raycluster:
        clusters = [obj for obj in wanted if obj.get("kind") == "RayCluster"]
        if not clusters:  # a file without a RayCluster (a RayJob, a ConfigMap): no head, as with Pods
            return Health(None, 0, 0)
        return raycluster_health(live.get(MemberRef.from_object(clusters[0])))
    return pod_health(
        (
            (ref, label(obj, NODE_TYPE_LABEL))
            for ref, obj in zip(unit.refs, wanted, strict=True)
            if ref.kind == "Pod"
        ),
        live,
    )


def inventory_health(inventory: Inventory | None, live: Mapping[MemberRef, KubeObject]) -> Health:
    """For a unit with problems (nothing desired is known): the Pods it last applied."""
    pods = [ref for ref in (inventory.members if inventory else ()) if ref.kind == "Pod"]
    return pod_health(((ref, label(live.get(ref) or {}, NODE_TYPE_LABEL)) for ref in pods), live)


# --- units --------------------------------------------------------------------------------------------


def unit_drift(
    unit: RenderedUnit,
    live: Mapping[MemberRef, KubeObject],
    inventory: Inventory | None,
    all_live_ours: Iterable[KubeObject] = (),
    prune_held: str = "",
    in_sync: frozenset[MemberRef] = frozenset(),
) -> UnitDrift:
    """Drift of one unit: each desired object judged, inventory members no longer desired but still live,
    and orphans (live objects with this unit's ApplySet label that its inventory does not list).
    `prune_held`: why this cycle prunes nothing (the leftovers then say they stay). `in_sync`: objects the
    planner already judged in sync against these very live copies (not stamped and judged again)."""
    if not unit.ok:
        return UnitDrift(unit.key, unit.source, (), inventory_health(inventory, live), unit.problems)
    applyset = unit_applyset_id(unit.key.name, unit.key.namespace)
    hashes = SpecHashes()
    judged: dict[MemberRef, ObjectDrift] = {}
    for ref, obj in zip(unit.refs, unit.objects, strict=True):
        if ref in in_sync:
            judged[ref] = ObjectDrift(ref, "in-sync")
        else:
            judged[ref] = object_drift(obj, live.get(ref), applyset, hashes)
    members = inventory.members if inventory else frozenset()
    for ref in members - judged.keys():
        leftover = live.get(ref)
        if leftover is not None and is_ours(leftover, applyset):
            judged[ref] = _leftover_drift(ref, leftover, prune_held)
    for obj in all_live_ours:
        ref = MemberRef.from_object(obj)
        if ref not in judged and ref not in members and is_ours(obj, applyset):
            judged[ref] = ObjectDrift(
                ref, "orphan", reason="carries this unit's labels but is not in its inventory: never pruned"
            )
    objects = tuple(sorted(judged.values(), key=lambda drift: drift.ref.sort_key()))
    return UnitDrift(unit.key, unit.source, objects, unit_health(unit, live))


def drift_summary(drifts: Iterable[UnitDrift]) -> dict[str, Any]:
    """`drift/summary.json`: totals, then one line per cluster sorted by namespace/name. Drift and problems
    only, no health: it is committed, and Pods becoming ready or not must make no commit."""
    units = sorted(drifts, key=lambda drift: drift.key)
    totals: Counter[str] = Counter()
    for unit in units:
        totals.update(unit.state_counts())
    objects = {state: totals[state] for state in DRIFT_STATES}
    statuses = [unit.status for unit in units]
    return {
        "clusters": len(units),
        "in_sync": statuses.count("in-sync"),
        "drifted": statuses.count("drifted"),
        "broken": statuses.count("broken"),
        "unknown": statuses.count("unknown"),
        "objects": objects,
        "units": [
            {
                "cluster": str(unit.key),
                "source": unit.source,
                "status": status,
                "counts": unit.state_counts(),
            }
            for unit, status in zip(units, statuses, strict=True)
        ],
    }
