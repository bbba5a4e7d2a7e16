"""Plain-text lines for terminals: one summary line per cluster, drift and change lines under it."""

from __future__ import annotations

from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.outcome import UnitResult
from gitops_ray.reconcile.compare import FieldDiff, object_diffs
from gitops_ray.reconcile.plan import Action, PlannedAction

_SUMMARY_FIELDS = ("created", "updated", "recreated", "unchanged", "pruned", "failed")
_DIFF_MARKS = {Action.CREATE: "+", Action.UPDATE: "~", Action.RECREATE: "!", Action.PRUNE: "-"}


def summary_line(unit: UnitResult) -> str:
    """`team-a/training: created 3, updated 0, recreated 0, unchanged 29, pruned 0, failed 0`."""
    counts = unit.counts.as_dict()
    line = f"{unit.key}: " + ", ".join(f"{name} {counts[name]}" for name in _SUMMARY_FIELDS)
    extra = [f"{name} {counts[name]}" for name in ("conflicts", "kept", "skipped", "pending") if counts[name]]
    if not unit.drift.in_sync:
        extra.append(f"drift: {unit.drift.status}")
    return line + (f" ({', '.join(extra)})" if extra else "")


def field_line(diff: FieldDiff) -> str:
    """`spec.x: <live> -> <desired>` (None: absent)."""
    return f"{diff.path}: {diff.live!r} -> {diff.desired!r}"


def drift_lines(drift: UnitDrift) -> list[str]:
    """One line per object not in sync, then its differing fields."""
    lines = []
    for obj in drift.objects:
        if obj.state == "in-sync":
            continue
        managers = f" (changed by {', '.join(obj.managers)})" if obj.managers else ""
        lines.append(f"drift: {obj.ref} {obj.state}{managers}" + (f": {obj.reason}" if obj.reason else ""))
        lines += [f"  {field_line(diff)}" for diff in obj.diffs]
    return lines


def change_lines(planned: PlannedAction) -> list[str]:
    """One line per change, then the fields an update changes (live values through compare's redaction)."""
    lines = [f"{_DIFF_MARKS[planned.action]} {planned.action.value} {planned.ref} ({planned.reason})"]
    if planned.action is Action.UPDATE and planned.desired is not None and planned.live is not None:
        lines += [f"  {field_line(diff)}" for diff in object_diffs(planned.desired, planned.live)]
    return lines
