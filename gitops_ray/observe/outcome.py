"""What a sync cycle did and saw, per unit and in all: the data every report, log line and metric reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gitops_ray.model.units import Problem, UnitKey
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.reconcile.plan import Counts, PlannedAction


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
