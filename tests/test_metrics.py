"""Controller metrics from one cycle's outcome: what changed, by action and by how the object stood; how
long each cluster took, for the clusters still in the source; Git requests by operation and result."""

from __future__ import annotations

from livekit import KEY, SOURCE

from gitops_ray.app.metrics import Metrics
from gitops_ray.edge.cycle import CycleResult, UnitSummary
from gitops_ray.edge.kube.events import EventTally
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import UnitKey
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.health import ClusterHealth
from gitops_ray.observe.outcome import SyncResult, UnitResult
from gitops_ray.observe.status import Observed
from gitops_ray.reconcile.assess import Standing
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


def test_a_git_request_is_counted_by_operation_and_result() -> None:
    metrics = Metrics()
    metrics.git_request("fetch", "ok")
    metrics.git_request("fetch", "unreachable")
    metrics.git_request("fetch", "unreachable")
    sample = metrics.registry.get_sample_value
    assert sample("gitops_ray_git_requests_total", {"operation": "fetch", "result": "ok"}) == 1
    assert sample("gitops_ray_git_requests_total", {"operation": "fetch", "result": "unreachable"}) == 2


# --- per-cluster reconcile time ---------------------------------------------------------------------------


def unit(namespace: str, name: str, duration: float | None) -> UnitResult:
    key = UnitKey(namespace, name)
    return UnitResult(key, Counts(), (), UnitDrift(key, SOURCE, (), None), duration=duration)


def timed_cycle(in_source: tuple[UnitKey, ...], *units: UnitResult) -> CycleResult:
    """A cycle whose source declares `in_source` and whose sync reported `units`."""
    summaries = tuple(UnitSummary(key, SOURCE, "pods", 1, ()) for key in in_source)
    return CycleResult("0" * 40, None, skipped=False, sync=SyncResult(units), units=summaries)


def reconcile(metrics: Metrics, namespace: str, name: str, suffix: str) -> float | None:
    labels = {"namespace": namespace, "name": name}
    return metrics.registry.get_sample_value(f"gitops_ray_cluster_reconcile_seconds_{suffix}", labels)


def test_each_clusters_reconcile_time_is_observed_under_its_namespace_and_name() -> None:
    metrics = Metrics()
    a, b = UnitKey("team-a", "a"), UnitKey("team-b", "b")
    metrics.record(timed_cycle((a, b), unit("team-a", "a", 0.25), unit("team-b", "b", 4.0)), 5.0)
    metrics.record(timed_cycle((a, b), unit("team-a", "a", 0.75), unit("team-b", "b", 2.0)), 5.0)
    assert (reconcile(metrics, "team-a", "a", "count"), reconcile(metrics, "team-a", "a", "sum")) == (2, 1.0)
    assert (reconcile(metrics, "team-b", "b", "count"), reconcile(metrics, "team-b", "b", "sum")) == (2, 6.0)


def test_a_cluster_that_left_the_source_loses_its_series() -> None:
    metrics = Metrics()
    a, b = UnitKey("team-a", "a"), UnitKey("team-b", "b")
    metrics.record(timed_cycle((a, b), unit("team-a", "a", 0.25), unit("team-b", "b", 4.0)), 5.0)
    metrics.record(timed_cycle((a,), unit("team-a", "a", 0.25), unit("team-b", "b", 1.0)), 5.0)
    assert reconcile(metrics, "team-a", "a", "count") == 2
    assert reconcile(metrics, "team-b", "b", "count") is None  # pruned this cycle: its time is not kept


def test_a_unit_that_was_not_carried_out_is_not_observed() -> None:
    metrics = Metrics()
    a = UnitKey("team-a", "a")
    metrics.record(timed_cycle((a,), unit("team-a", "a", None)), 5.0)
    assert reconcile(metrics, "team-a", "a", "count") is None


def test_a_skipped_cycle_keeps_every_clusters_series() -> None:
    metrics = Metrics()
    a = UnitKey("team-a", "a")
    metrics.record(timed_cycle((a,), unit("team-a", "a", 0.25)), 5.0)
    metrics.record(CycleResult("0" * 40, None, skipped=True), 0.1)
    assert reconcile(metrics, "team-a", "a", "count") == 1


def test_two_unit_results_that_differ_only_in_duration_are_equal() -> None:
    assert unit("team-a", "a", 0.25) == unit("team-a", "a", 3.0)


def test_event_posts_are_counted_by_result() -> None:
    metrics = Metrics()

    metrics.record_events(EventTally(created=2, counted=1, failed=1))

    sample = metrics.registry.get_sample_value
    counts = {
        result: sample("gitops_ray_events_total", {"result": result})
        for result in ("created", "counted", "failed")
    }
    assert counts == {"created": 2, "counted": 1, "failed": 1}


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
