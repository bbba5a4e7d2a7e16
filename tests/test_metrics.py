"""Controller metrics from one cycle's outcome: what changed, by action and by how the object stood."""

from __future__ import annotations

from livekit import KEY, SOURCE

from gitops_ray.app.metrics import Metrics
from gitops_ray.edge.cycle import CycleResult
from gitops_ray.model.units import UnitKey
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.health import ClusterHealth
from gitops_ray.observe.outcome import SyncResult, UnitResult
from gitops_ray.observe.status import Observed
from gitops_ray.reconcile.assess import Standing
from gitops_ray.reconcile.inventory import MemberRef
from gitops_ray.reconcile.plan import Action, Counts, PlannedAction

HEAD = MemberRef("v1", "Pod", "team-a", "demo-head")
WORKER = MemberRef("v1", "Pod", "team-a", "demo-small-worker-0")


def cycle(*changes: PlannedAction) -> CycleResult:
    unit = UnitResult(KEY, Counts(), (), UnitDrift(KEY, SOURCE, (), None), changes)
    return CycleResult("0" * 40, None, skipped=False, sync=SyncResult((unit,)))


def test_a_replaced_terminated_pod_is_counted_by_its_standing() -> None:
    metrics = Metrics()
    metrics.record(
        cycle(
            PlannedAction(Action.RECREATE, HEAD, "pod phase Failed", standing=Standing.TERMINATED),
            PlannedAction(Action.PRUNE, WORKER, "no longer in the source"),
        ),
        0.5,
    )
    sample = metrics.registry.get_sample_value
    assert sample("gitops_ray_object_changes_total", {"action": "recreate", "standing": "terminated"}) == 1
    assert sample("gitops_ray_object_changes_total", {"action": "prune", "standing": "retired"}) == 1


def cycle_of(*statuses: tuple[UnitKey, Observed]) -> CycleResult:
    units = tuple(
        UnitResult(key, Counts(), (), UnitDrift(key, SOURCE, (), None), status=status)
        for key, status in statuses
    )
    return CycleResult("0" * 40, None, skipped=False, sync=SyncResult(units))


def test_cluster_info_has_one_series_per_cluster_and_a_gone_cluster_loses_its_series() -> None:
    crashing = ClusterHealth("Failed", "CrashLoopBackOff", "CrashLoopBackOff: Pod demo-head", "0/1")
    ready = ClusterHealth("Current", "Ready", "", "1/1")
    other = UnitKey("team-b", "other")
    metrics = Metrics()
    metrics.record(
        cycle_of(
            (KEY, Observed("pods", "r", "Synced", crashing)),
            (other, Observed("raycluster", "r", "OutOfSync", ready)),
        ),
        0.5,
    )
    metrics.record(cycle_of((KEY, Observed("pods", "r", "Synced", ready))), 0.5)
    series = [
        sample.labels
        for family in metrics.registry.collect()
        if family.name == "gitops_ray_cluster_info"
        for sample in family.samples
        if sample.value == 1
    ]
    assert series == [
        {"namespace": "team-a", "name": "demo", "target": "pods", "sync": "Synced", "health": "Current"}
    ]
