"""Which Kubernetes Events a sync cycle posts: a pure function of its outcome, the desired state and the
revision (`edge.kube.events.EventRecorder` posts them and counts repeats).

Each unit's Events regard its ApplySet parent (`reconcile.inventory`) and, when its target applies the
RayCluster, the RayCluster too, so `kubectl describe raycluster` shows them beside KubeRay's own. Every
write is in exactly one Event: a change that repaired drift is `Healed`, the others `Applied`, `Recreated`
or `Pruned`. A quiet cycle (nothing written, nothing failed, nothing held, no drift left) yields none.
Messages are built from our own counts, object names and reasons (never from live field values), and are
bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from gitops_ray.model.ownership import PARENT_API_VERSION, PARENT_KIND, parent_name
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.targets import TARGETS
from gitops_ray.model.units import DesiredState, RenderedUnit, UnitKey
from gitops_ray.observe.outcome import SyncResult, UnitResult
from gitops_ray.reconcile.plan import Action, PlannedAction

REPORTING_CONTROLLER = "gitops-ray"
# events.k8s.io's limit on a note (`NoteLengthLimit`), which the core API also applies to new Events.
MAX_MESSAGE_BYTES = 1024
LISTED_OBJECTS = 5  # objects named in a message; the rest are counted
# Drift an Event reports: the cluster differs from Git. `foreign` (same values, other managers) and
# `orphan` (left alone on purpose, or held: see PruneHeld) are in drift/ reports only.
DRIFT_EVENT_STATES = ("missing", "terminated", "differs", "conflict")


class EventType(StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


class Reason(StrEnum):
    APPLIED = "Applied"
    RECREATED = "Recreated"
    PRUNED = "Pruned"
    HEALED = "Healed"
    PRUNE_HELD = "PruneHeld"
    DRIFT_DETECTED = "DriftDetected"
    FAILED = "Failed"


@dataclass(frozen=True)
class EventSpec:
    """One Event to post about `regarding`; `action` is what gitops-ray did (the Event's `action` field)."""

    regarding: MemberRef
    type: EventType
    reason: Reason
    action: str
    message: str


def bounded(message: str, limit: int = MAX_MESSAGE_BYTES) -> str:
    """`message` cut to `limit` UTF-8 bytes, ending in `...` when cut."""
    data = message.encode()
    if len(data) <= limit:
        return message
    return data[: limit - 3].decode(errors="ignore") + "..."


def _listed(items: Sequence[str]) -> str:
    """`a, b, c` or, past LISTED_OBJECTS, `a, ..., e and 3 more`."""
    shown = ", ".join(items[:LISTED_OBJECTS])
    more = len(items) - LISTED_OBJECTS
    return f"{shown} and {more} more" if more > 0 else shown


def _ordered(changes: Iterable[PlannedAction]) -> list[PlannedAction]:
    return sorted(changes, key=lambda change: change.ref.sort_key())


_DONE = {Action.CREATE: "created", Action.UPDATE: "updated", Action.RECREATE: "recreated"}


def _tally(changes: Sequence[PlannedAction], *actions: Action) -> str:
    """`2 created, 1 updated`: the count of each action present, in the given order."""
    counts = [(sum(1 for c in changes if c.action is action), _DONE[action]) for action in actions]
    return ", ".join(f"{count} {word}" for count, word in counts if count)


def unit_events(
    unit: UnitResult, revision: str, regarding: Sequence[MemberRef], wrote: bool
) -> tuple[EventSpec, ...]:
    """The Events of one unit, each about every object in `regarding`. `wrote`: the cycle sent its
    changes (not a dry run, not `--no-heal`); only then are they Applied, Recreated, Pruned or Healed."""
    notes: list[tuple[EventType, Reason, str, str]] = []
    if wrote:
        unsent = unit.failed | unit.deferred
        done = [c for c in _ordered(unit.changes) if c.ref not in unsent]
        fresh = [c for c in done if c.ref not in unit.healed]
        applied = [c for c in fresh if c.action in (Action.CREATE, Action.UPDATE)]
        if applied:
            what = _tally(applied, Action.CREATE, Action.UPDATE)
            notes.append((EventType.NORMAL, Reason.APPLIED, "Apply", f"{what}: {_refs(applied)}"))
        recreated = [c for c in fresh if c.action is Action.RECREATE]
        if recreated:
            what = f"{len(recreated)} recreated (deleted and created again)"
            notes.append((EventType.NORMAL, Reason.RECREATED, "Recreate", f"{what}: {_refs(recreated)}"))
        pruned = [c for c in fresh if c.action is Action.PRUNE]
        if pruned:
            what = f"{len(pruned)} pruned (no longer in Git)"
            notes.append((EventType.NORMAL, Reason.PRUNED, "Prune", f"{what}: {_refs(pruned)}"))
        healed = [c for c in done if c.ref in unit.healed]
        if healed:
            what = _tally(healed, Action.CREATE, Action.UPDATE, Action.RECREATE)
            objects = _listed([f"{c.ref} ({c.standing})" for c in healed])
            notes.append((EventType.NORMAL, Reason.HEALED, "Heal", f"healed drift, {what}: {objects}"))
    if unit.held:
        notes.append((EventType.WARNING, Reason.PRUNE_HELD, "Prune", unit.held))
    drifted = [obj for obj in unit.drift.objects if obj.state in DRIFT_EVENT_STATES]
    if drifted:
        count = "1 object differs" if len(drifted) == 1 else f"{len(drifted)} objects differ"
        objects = _listed([f"{obj.ref} ({obj.state})" for obj in drifted])
        notes.append((EventType.WARNING, Reason.DRIFT_DETECTED, "Compare", f"{count}: {objects}"))
    if unit.errors:
        first = str(unit.errors[0])
        what = f"{len(unit.errors)} errors, the first: {first}" if unit.errors[1:] else first
        notes.append((EventType.WARNING, Reason.FAILED, "Sync", what))
    return tuple(
        EventSpec(ref, kind, reason, action, bounded(f"revision {revision}: {text}"))
        for kind, reason, action, text in notes
        for ref in regarding
    )


def _refs(changes: Sequence[PlannedAction]) -> str:
    return _listed([str(change.ref) for change in changes])


def parent_ref(key: UnitKey) -> MemberRef:
    return MemberRef(PARENT_API_VERSION, PARENT_KIND, key.namespace, parent_name(key.name))


def regarded(key: UnitKey, unit: RenderedUnit | None) -> tuple[MemberRef, ...]:
    """What a unit's Events are about: its parent, and the RayCluster its target applies, if any."""
    target = TARGETS.get(unit.target) if unit is not None else None
    clusters = [
        MemberRef.from_object(obj)
        for obj in (unit.objects if unit is not None and target and target.applies_raycluster else ())
        if obj.get("kind") == "RayCluster"
    ]
    return (parent_ref(key), *clusters)


def cycle_events(sync: SyncResult, state: DesiredState, revision: str, wrote: bool) -> tuple[EventSpec, ...]:
    """Every Event of a cycle, unit by unit in the cycle's order (see `unit_events`)."""
    units = {unit.key: unit for unit in state.units}
    return tuple(
        spec
        for result in sync.units
        for spec in unit_events(result, revision, regarded(result.key, units.get(result.key)), wrote)
    )
