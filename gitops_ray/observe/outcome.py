"""What a sync cycle did and saw, per unit and in all: the data every report, log line and metric reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import Problem, UnitKey
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.status import Observed
from gitops_ray.reconcile.assess import Standing
from gitops_ray.reconcile.plan import Action, Counts, PlannedAction

DRIFTED = frozenset({Standing.EDITED, Standing.TERMINATED, Standing.TERMINATING})


def healed_by(
    changes: Iterable[PlannedAction], recorded: frozenset[MemberRef], unsent: frozenset[MemberRef]
) -> frozenset[MemberRef]:
    """The changes sent that put back what Git already asked for, not what Git changed: an object someone
    else edited, a Pod that stopped or is being deleted, an object of the inventory (`recorded`) that
    someone deleted."""
    return frozenset(
        change.ref
        for change in changes
        if change.ref not in unsent
        and (
            change.standing in DRIFTED
            or (
                change.action is Action.CREATE
                and change.standing is Standing.ABSENT
                and change.ref in recorded
            )
        )
    )


@dataclass(frozen=True)
class UnitResult:
    """What a cycle did (or, in a dry run or without healing, would do) for one unit. `changes` are the
    writing actions only (create, update, recreate, prune): a no-op cycle keeps no live objects alive."""

    key: UnitKey
    counts: Counts
    errors: tuple[Problem, ...]  # located at the unit's file and the object the request was about
    drift: UnitDrift
    changes: tuple[PlannedAction, ...] = ()
    pending: tuple[str, ...] = ()  # recreates left for a later cycle (old object still terminating)
    failed: frozenset[MemberRef] = frozenset()  # changes whose request failed
    deferred: frozenset[MemberRef] = frozenset()  # the recreates `pending` describes
    healed: frozenset[MemberRef] = frozenset()  # changes that repaired drift (`healed_by`)
    # Seconds this cycle spent on the unit alone (its writes, waits for deletions, drift report); None
    # when it was not carried out. Wall time, so two results of the same work still compare equal.
    duration: float | None = field(default=None, compare=False)
    held: str = ""  # why prunes of this unit were held this cycle (`UnitPlan.held`)
    status: Observed | None = None  # sync and health, as written on the inventory parent

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class SyncResult:
    """A whole cycle. `prune_held` says why nothing was pruned (a broken file, an empty source)."""

    units: tuple[UnitResult, ...]
    prune_held: str = ""
    requests: Mapping[str, int] = field(default_factory=dict)
    writes: int = 0

    @property
    def ok(self) -> bool:
        return all(unit.ok for unit in self.units)

    @property
    def settled(self) -> bool:
        """False while some recreate waits for a later cycle: the next poll must not be skipped."""
        return not any(unit.pending for unit in self.units)

    @property
    def conflicts(self) -> int:
        return sum(unit.counts.conflicts for unit in self.units)

    @property
    def has_changes(self) -> bool:
        return any(unit.changes for unit in self.units)

    @property
    def counts(self) -> Counts:
        return sum((unit.counts for unit in self.units), Counts())

    @property
    def healed(self) -> int:
        return sum(len(unit.healed) for unit in self.units)
