"""Planning: desired objects + live objects + inventory -> one action per object, and nothing else.

Pure, so that what a sync would do can be shown (dry-run, `diff`) and tested without a cluster. The plan
decides; the apply engine only carries it out in `ordered_for_apply` / `ordered_for_prune` order.

Safety rules encoded here: an object with our name that does not carry this unit's labels is never
overwritten or deleted (CONFLICT / KEEP); a unit with problems is neither applied nor pruned; an
inventory whose unit left the source is pruned whole unless its file is broken or the whole source
came back empty.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from gitops_ray.model.kuberay import HEAD_NODE_TYPE, NODE_TYPE_LABEL
from gitops_ray.model.objects import KubeObject, kind_rank, label, natural_key
from gitops_ray.model.ownership import (
    is_generated_secret,
    is_ours,
    prune_disabled,
    unit_applyset_id,
)
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.targets import PODS, TARGETS, Target
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.reconcile.assess import Standing, assess, edited_paths
from gitops_ray.reconcile.inventory import Inventory, widen
from gitops_ray.reconcile.stamp import StampMemo, stamp_all


class Action(StrEnum):
    """What the engine does with one object (or, for CONFLICT/KEEP/SKIP, deliberately does not do)."""

    CREATE = "create"
    UPDATE = "update"
    RECREATE = "recreate"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    PRUNE = "prune"
    KEEP = "keep"
    SKIP = "skip"


WRITE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.RECREATE, Action.PRUNE})
APPLY_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.RECREATE})


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """What to do with one object and why. `desired` is the stamped object to apply (None for prune
    candidates); `live` is the object as read from the cluster (None when absent); `standing` is how the
    live object stood (None for prune candidates), e.g. why an object is recreated. Slotted: a cycle
    plans tens of thousands."""

    action: Action
    ref: MemberRef
    reason: str
    desired: KubeObject | None = None
    live: KubeObject | None = None
    standing: Standing | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Counts:
    """Per-unit (or total) figures for the CLI summary."""

    created: int = 0
    updated: int = 0
    recreated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    pruned: int = 0
    kept: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0  # recreates whose old object was still terminating when the cycle's wait ended

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_COUNTED_AS = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.RECREATE: "recreated",
    Action.UNCHANGED: "unchanged",
    Action.CONFLICT: "conflicts",
    Action.PRUNE: "pruned",
    Action.KEEP: "kept",
    Action.SKIP: "skipped",
}


def count_actions(
    actions: Iterable[PlannedAction], failed: Iterable[MemberRef] = (), pending: Iterable[MemberRef] = ()
) -> Counts:
    """Tally actions; a ref in `failed` (its write failed) counts as failed instead of its action, one in
    `pending` (a recreate still waiting for its old object to go) as pending."""
    failures, waiting = frozenset(failed), frozenset(pending)
    tally = dict.fromkeys((f.name for f in fields(Counts)), 0)
    for planned in actions:
        if planned.ref in failures and planned.action in WRITE_ACTIONS:
            tally["failed"] += 1
        elif planned.ref in waiting and planned.action is Action.RECREATE:
            tally["pending"] += 1
        else:
            tally[_COUNTED_AS[planned.action]] += 1
    return Counts(**tally)


@dataclass(frozen=True)
class UnitPlan:
    """The plan for one unit. `inventory` is what the parent must record before anything is applied
    (previous members plus every desired object we own or create); `parent_action` says whether that
    needs a write. `released` are members to forget after the cycle (gone, or no longer ours). A
    `retired` unit left the source: once its inventory is empty the parent itself is deleted."""

    key: UnitKey
    source: str
    actions: tuple[PlannedAction, ...]
    inventory: Inventory | None
    parent_action: Action
    released: frozenset[MemberRef] = frozenset()
    problems: tuple[Problem, ...] = ()
    retired: bool = False
    held: str = ""  # why prunes this unit would make are held this cycle

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_writes(self) -> bool:
        return (
            any(planned.action in WRITE_ACTIONS for planned in self.actions)
            or self.parent_action in APPLY_ACTIONS
            or bool(self.released)
        )

    def counts(self, failed: Iterable[MemberRef] = (), pending: Iterable[MemberRef] = ()) -> Counts:
        return count_actions(self.actions, failed, pending)

    def final_inventory(self, pruned: Iterable[MemberRef]) -> Inventory | None:
        """The inventory after prune: deleted and released members go; a failed delete (not in `pruned`)
        stays, so the next cycle tries again."""
        if self.inventory is None:
            return None
        gone = frozenset(pruned) | self.released
        return replace(self.inventory, members=self.inventory.members - gone)


@dataclass(frozen=True)
class StatePlan:
    """Plans for every unit of a source, plus every inventory of it whose unit is gone. `prune_held` says
    why nothing was pruned (a broken file, or a source that came back empty)."""

    units: tuple[UnitPlan, ...]
    prune_held: str = ""

    @property
    def has_writes(self) -> bool:
        return any(unit.has_writes for unit in self.units)

    def counts(self, failed: Iterable[MemberRef] = ()) -> Counts:
        failures = frozenset(failed)
        return sum((unit.counts(failures) for unit in self.units), Counts())


# --- per object ---------------------------------------------------------------------------------------


def plan_object(
    desired: KubeObject, live: KubeObject | None, applyset: str, target: Target = PODS
) -> PlannedAction:
    """The action for one desired object (`desired` already stamped) given its live copy."""
    return _plan_object(MemberRef.from_object(desired), desired, live, applyset, target)


def _plan_object(
    ref: MemberRef, desired: KubeObject, live: KubeObject | None, applyset: str, target: Target
) -> PlannedAction:
    """`desired` is stamped; the planned object to send is what the target makes of it."""
    planned = _plan_change(ref, desired, live, applyset)
    if planned.action in (Action.UPDATE, Action.RECREATE) and is_generated_secret(desired):
        return replace(
            planned, action=Action.UNCHANGED, reason="generated secret: created once, never updated"
        )
    if planned.action in APPLY_ACTIONS:
        return replace(planned, desired=target.for_apply(desired, live))
    return planned


_ACTION_OF = {
    Standing.ABSENT: Action.CREATE,
    Standing.NOT_OURS: Action.CONFLICT,
    Standing.TERMINATING: Action.RECREATE,
    Standing.TERMINATED: Action.RECREATE,
    Standing.IMMUTABLE: Action.RECREATE,
    Standing.CHANGED: Action.UPDATE,
    Standing.SYNCED: Action.UNCHANGED,
}


def _plan_change(
    ref: MemberRef, desired: KubeObject, live: KubeObject | None, applyset: str
) -> PlannedAction:
    judged = assess(desired, live, applyset)
    if judged.standing is Standing.EDITED:
        assert live is not None
        edited = edited_paths(desired, live)
        if not edited:  # another writer set our own values: nothing to heal
            return PlannedAction(
                Action.UNCHANGED, ref, "live matches desired", desired, live, judged.standing
            )
        return PlannedAction(Action.UPDATE, ref, f"drift to heal: {edited}", desired, live, judged.standing)
    return PlannedAction(_ACTION_OF[judged.standing], ref, judged.reason, desired, live, judged.standing)


def plan_prune(ref: MemberRef, live: KubeObject | None, applyset: str) -> PlannedAction:
    """The action for an inventory member that is no longer desired."""
    if live is None:
        return PlannedAction(Action.KEEP, ref, "already gone")
    if not is_ours(live, applyset):
        return PlannedAction(Action.KEEP, ref, "no longer carries this unit's labels: left alone", live=live)
    if prune_disabled(live):
        return PlannedAction(Action.KEEP, ref, "prune disabled by annotation gitops-ray.io/prune", live=live)
    return PlannedAction(Action.PRUNE, ref, "no longer in the source", live=live)


# --- per unit -----------------------------------------------------------------------------------------


def _duplicates(source: str, refs: list[MemberRef]) -> tuple[Problem, ...]:
    seen: set[MemberRef] = set()
    problems = []
    for ref in refs:
        if ref in seen:
            problems.append(Problem(source, "declared more than once in this unit", object=str(ref)))
        seen.add(ref)
    return tuple(problems)


def _skipped(
    unit: RenderedUnit, refs: list[MemberRef], problems: tuple[Problem, ...], inventory: Inventory | None
) -> UnitPlan:
    previous = sorted((inventory.members if inventory else frozenset()) - set(refs), key=MemberRef.sort_key)
    actions = [
        PlannedAction(Action.SKIP, ref, "unit has problems: not applied") for ref in dict.fromkeys(refs)
    ]
    actions += [PlannedAction(Action.SKIP, ref, "unit has problems: not pruned") for ref in previous]
    return UnitPlan(unit.key, unit.source, tuple(actions), inventory, Action.SKIP, problems=problems)


def plan_unit(
    unit: RenderedUnit,
    live: Mapping[MemberRef, KubeObject],
    inventory: Inventory | None,
    source_id: str = "",
    stamps: StampMemo | None = None,
) -> UnitPlan:
    """Plan one unit: an action for each desired object, then one for each inventory member no longer
    desired. Live objects are looked up by MemberRef; a ref missing from `live` is absent in the cluster.
    The inventory to write records `source_id` (the source now responsible for the unit); `stamps` keeps
    the unit's stamped objects for the next plan of the same unit."""
    refs = list(unit.refs)
    problems = unit.problems or _duplicates(unit.source, refs)
    if problems:
        return _skipped(unit, refs, problems, inventory)
    applyset = unit_applyset_id(unit.key.name, unit.key.namespace)
    stamped = stamps.stamped(unit.key, unit.objects) if stamps is not None else stamp_all(unit.objects)
    applied_as = TARGETS.get(unit.target, PODS)
    applies = [
        _plan_object(ref, obj, live.get(ref), applyset, applied_as)
        for ref, obj in zip(refs, stamped, strict=True)
    ]
    desired_refs = {planned.ref for planned in applies}
    previous = inventory.members if inventory else frozenset()
    prunes = [
        plan_prune(ref, live.get(ref), applyset)
        for ref in sorted(previous - desired_refs, key=MemberRef.sort_key)
    ]
    released = frozenset(
        planned.ref
        for planned in (*applies, *prunes)
        if planned.ref in previous and (planned.action is Action.CONFLICT or _is_released(planned, applyset))
    )
    current = inventory or Inventory(unit.key, unit.source)
    target = widen(
        replace(current, source=unit.source, source_id=source_id or current.source_id),
        (p.ref for p in applies if p.action is not Action.CONFLICT),
    )
    if inventory is None:
        parent_action = Action.CREATE
    else:
        parent_action = Action.UNCHANGED if target == inventory else Action.UPDATE
    return UnitPlan(unit.key, unit.source, (*applies, *prunes), target, parent_action, released)


def _is_released(planned: PlannedAction, applyset: str) -> bool:
    """A prune candidate that is gone or no longer ours leaves the inventory; a prune-disabled one stays."""
    return planned.action is Action.KEEP and (planned.live is None or not is_ours(planned.live, applyset))


def _held(inventory: Inventory, reason: str) -> UnitPlan:
    actions = tuple(
        PlannedAction(Action.KEEP, ref, reason) for ref in sorted(inventory.members, key=MemberRef.sort_key)
    )
    return UnitPlan(inventory.key, inventory.source, actions, inventory, Action.UNCHANGED, held=reason)


def _holding_prunes(plan: UnitPlan, reason: str) -> UnitPlan:
    """The unit's plan with every prune turned into a keep: the source is not whole."""
    if not any(planned.action is Action.PRUNE for planned in plan.actions):
        return plan
    actions = tuple(
        replace(planned, action=Action.KEEP, reason=reason) if planned.action is Action.PRUNE else planned
        for planned in plan.actions
    )
    return replace(plan, actions=actions, held=reason)


def _owned_elsewhere(unit: RenderedUnit, inventory: Inventory | None, source_id: str) -> RenderedUnit:
    """A unit whose inventory another source recorded is not ours to apply: taking a cluster over from
    another source is explicit (`adopt`). Parents written before sources had an identity are adopted."""
    if inventory is None or not inventory.source_id or inventory.source_id == source_id:
        return unit
    problem = Problem(
        unit.source,
        f"cluster {unit.key} is managed by another source ({inventory.source_id}): not applied "
        "(pass --adopt to take it over)",
        object=f"unit {unit.key}",
    )
    return replace(unit, problems=(*unit.problems, problem))


def prune_hold_reason(broken_files: tuple[str, ...]) -> str:
    """`prune held: 2 broken files (a.yaml, b.yaml): nothing is pruned this cycle`, or "" when whole."""
    if not broken_files:
        return ""
    count = len(broken_files)
    noun = "file" if count == 1 else "files"
    return f"prune held: {count} broken {noun} ({', '.join(broken_files)}): nothing is pruned this cycle"


def plan_state(
    state: DesiredState,
    live: Mapping[MemberRef, KubeObject],
    inventories: Mapping[UnitKey, Inventory],
    allow_empty_prune: bool = False,
    adopt: bool = False,
    only: Collection[UnitKey] | None = None,
    stamps: StampMemo | None = None,
) -> StatePlan:
    """Plan a whole source, or with `only` just those of its units.

    Only inventories this source recorded (`state.source_id`) are ever retired; another source's are left
    alone, and a unit another source recorded is a problem unless `adopt`. While the source is not whole
    (any unreadable, unparsable or invalid file: `state.broken_files`) nothing is pruned at all, whatever
    path a broken file had before. A source that yields no unit while inventories of it exist prunes
    nothing unless `allow_empty_prune`. `prune_held` says why nothing was pruned.

    `only` (a sync of the units whose Pods changed) plans those units and retires no inventory: whether a
    unit left the source is for a plan of the whole source to say. The whole source still decides whether
    prunes are held. `stamps` (a controller's, kept across cycles) spares restamping unchanged units."""
    if stamps is not None:
        stamps.keep(unit.key for unit in state.units)
    held = prune_hold_reason(state.broken_files)
    units = [unit for unit in state.units if only is None or unit.key in only]
    if not adopt:
        units = [_owned_elsewhere(unit, inventories.get(unit.key), state.source_id) for unit in units]
    plans = [plan_unit(unit, live, inventories.get(unit.key), state.source_id, stamps) for unit in units]
    declared = {unit.key for unit in units}
    leftover = [
        inventories[key]
        for key in sorted(inventories)
        if only is None and key not in declared and inventories[key].source_id == state.source_id
    ]
    if not held and leftover and not units and not allow_empty_prune:
        held = (
            f"prune held: the source yields no clusters while {len(leftover)} are deployed: nothing is "
            "pruned (pass --allow-empty-prune to prune them)"
        )
    if held:
        plans = [_holding_prunes(plan, held) for plan in plans]
    for inventory in leftover:
        if held:
            plans.append(_held(inventory, held))
        else:
            gone = RenderedUnit(inventory.key, inventory.source)
            plans.append(replace(plan_unit(gone, live, inventory, state.source_id), retired=True))
    return StatePlan(tuple(plans), held)


# --- order --------------------------------------------------------------------------------------------


def _apply_key(planned: PlannedAction) -> tuple[Any, ...]:
    obj = planned.desired or planned.live or {}
    head_first = 0 if label(obj, NODE_TYPE_LABEL) == HEAD_NODE_TYPE else 1
    ref = planned.ref
    return (kind_rank(ref.kind), ref.kind, ref.group, head_first, ref.namespace, natural_key(ref.name))


def ordered_for_apply(actions: Iterable[PlannedAction]) -> list[PlannedAction]:
    """Create/update/recreate actions in apply order: kind order, a head Pod before its workers, workers
    by index."""
    return sorted((p for p in actions if p.action in APPLY_ACTIONS), key=_apply_key)


def ordered_for_prune(actions: Iterable[PlannedAction]) -> list[PlannedAction]:
    """Prune actions in reverse apply order: dependants first, highest-indexed workers before the head."""
    return sorted((p for p in actions if p.action is Action.PRUNE), key=_apply_key, reverse=True)
