"""Which Pod events make the controller sync a cluster at once: a Pod of ours deleted or stopped for good;
every other change waits for the regular cycle."""

from __future__ import annotations

from typing import Any

import pytest
from livekit import APPLYSET, KEY, OURS

from gitops_ray.model.units import DesiredState, RenderedUnit, UnitKey
from gitops_ray.observe.pod_events import applyset_to_sync, units_of

RUNNING = {"phase": "Running", "containerStatuses": [{"name": "ray-worker", "state": {"running": {}}}]}
RAY_EXITED = {
    "phase": "Running",
    "containerStatuses": [{"name": "ray-worker", "state": {"terminated": {"exitCode": 1}}}],
}


def pod(
    status: dict[str, Any],
    labels: dict[str, str] = OURS,
    restart: str = "Always",
    deleting: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "demo-small-worker-0", "namespace": "team-a", "labels": labels}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-04T16:00:00Z"
    spec = {
        "restartPolicy": restart,
        "containers": [{"name": "ray-worker", "image": "rayproject/ray:2.53.0"}],
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


@pytest.mark.parametrize(
    ("event", "live", "synced"),
    [
        ("DELETED", pod(RUNNING), APPLYSET),
        ("MODIFIED", pod({"phase": "Failed"}), APPLYSET),
        ("MODIFIED", pod({"phase": "Succeeded"}), APPLYSET),
        ("MODIFIED", pod(RAY_EXITED, restart="Never"), APPLYSET),
        ("ADDED", pod({"phase": "Failed"}), APPLYSET),
        ("ADDED", pod({"phase": "Pending"}), ""),
        ("MODIFIED", pod(RUNNING), ""),
        ("MODIFIED", pod(RAY_EXITED), ""),  # restartPolicy Always: the kubelet restarts the container
        ("MODIFIED", pod(RUNNING, deleting=True), ""),  # its DELETED event follows once it is gone
        ("DELETED", pod(RUNNING, labels={"ray.io/cluster": "demo"}), ""),
    ],
    ids=[
        "deleted",
        "failed",
        "succeeded",
        "ray-container-exited-never-restarted",
        "listed-failed",
        "pending",
        "running",
        "ray-container-exited-restarted",
        "terminating",
        "deleted-not-ours",
    ],
)
def test_a_pod_event_calls_to_sync_its_cluster_only_when_the_pod_is_gone_or_stopped_for_good(
    event: str, live: dict[str, Any], synced: str
) -> None:
    assert applyset_to_sync(event, live) == synced


def test_applysets_name_the_units_of_the_state_and_no_other() -> None:
    state = DesiredState(
        units=(RenderedUnit(KEY, "demo.yaml"), RenderedUnit(UnitKey("team-a", "b"), "b.yaml"))
    )
    gone = "applyset-of-a-cluster-the-source-no-longer-declares-v1"
    assert units_of(state, [APPLYSET, gone]) == {KEY}
