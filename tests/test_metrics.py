"""Controller metrics from one cycle's outcome: what changed, by action and by how the object stood."""

from __future__ import annotations

from livekit import KEY, SOURCE

from gitops_ray.app.metrics import Metrics
from gitops_ray.edge.cycle import CycleResult
from gitops_ray.edge.kube.events import EventTally
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.outcome import SyncResult, UnitResult
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


def test_event_posts_are_counted_by_result() -> None:
    metrics = Metrics()

    metrics.record_events(EventTally(created=2, counted=1, failed=1))

    sample = metrics.registry.get_sample_value
    counts = {
        result: sample("gitops_ray_events_total", {"result": result})
        for result in ("created", "counted", "failed")
    }
    assert counts == {"created": 2, "counted": 1, "failed": 1}
