"""`gitops-ray status` output: one row per cluster from the status on its inventory parent."""

from __future__ import annotations

from typing import Any

from gitops_ray.model.units import UnitKey
from gitops_ray.observe.health import ClusterHealth
from gitops_ray.observe.status import Observed, status_document, status_manifest
from gitops_ray.report.status import status_rows, status_table

T0 = "2026-12-04T10:00:00Z"
TOOLING = {"applyset.kubernetes.io/tooling": "gitops-ray/v1"}


def parent(key: UnitKey, observed: Observed | None) -> dict[str, Any]:
    if observed is None:
        return {
            "metadata": {"name": f"gitops-ray-{key.name}", "namespace": key.namespace, "annotations": TOOLING}
        }
    manifest = status_manifest(key, status_document(observed, None, T0))
    manifest["metadata"]["annotations"].update(TOOLING)
    return manifest


READY = ClusterHealth("Current", "Ready", "", "2/2")
KUBECTL = {"applyset.kubernetes.io/tooling": "kubectl/v1.31"}
CRASHING = ClusterHealth("Failed", "CrashLoopBackOff", "CrashLoopBackOff: Pod big-head", "3/4")
PARENTS = [
    parent(UnitKey("team-b", "new"), None),
    parent(
        UnitKey("team-a", "big"),
        Observed("raycluster", "0123456789abcdef", "OutOfSync", CRASHING, "1 differs", "drift: 1 differs"),
    ),
    parent(UnitKey("team-a", "a10"), Observed("pods", "0123456789abcdef", "Synced", CRASHING)),
    parent(
        UnitKey("team-a", "a9"),
        Observed("pods", "0123456789abcdef", "Synced", ClusterHealth("Current", "Ready", "", "2/2")),
    ),
    {
        "metadata": {
            "name": "gitops-ray-x",
            "namespace": "team-a",
            "annotations": {"applyset.kubernetes.io/tooling": "kubectl/v1.31"},
        }
    },
]


def test_the_status_table_has_one_row_per_cluster_sorted_and_padded() -> None:
    assert status_table(status_rows(PARENTS)) == (
        "NAMESPACE   NAME   TARGET       REVISION   SYNC        HEALTH    WORKERS   DRIFT       MESSAGE\n"
        "team-a      a9     pods         0123456    Synced      Current   2/2       -           -\n"
        "team-a      a10    pods         0123456    Synced      Failed    3/4       -           "
        "CrashLoopBackOff: Pod big-head\n"
        "team-a      big    raycluster   0123456    OutOfSync   Failed    3/4       1 differs   "
        "drift: 1 differs\n"
        "team-b      new    -            -          Unknown     Unknown   -         -           -\n"
    )


def test_a_row_as_data_is_the_cluster_then_its_whole_status() -> None:
    row = status_rows(PARENTS[2:3])[0]
    assert (row["namespace"], row["name"], row["revision"], row["healthReason"]) == (
        "team-a",
        "a10",
        "0123456789abcdef",
        "CrashLoopBackOff",
    )
    assert [condition["type"] for condition in row["conditions"]] == ["Ready", "Reconciling", "Stalled"]
