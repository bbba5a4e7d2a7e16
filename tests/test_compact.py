"""Compact live objects: what a cycle keeps of a listed Pod or Service, and that every judgement of it stays
the same."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from livekit import APPLYSET, OURS, applied

from gitops_ray.reconcile.assess import assess
from gitops_ray.reconcile.compact import compact_live
from gitops_ray.reconcile.stamp import stamp

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "demo-head", "namespace": "team-a", "labels": {**OURS, "ray.io/node-type": "head"}},
    "spec": {
        "restartPolicy": "Never",
        "containers": [{"name": "ray-head", "image": "rayproject/ray:2.52.0", "args": ["ray start"]}],
    },
}
KUBELET = ("kubelet", {"f:status": {"f:phase": {}, "f:conditions": {}}})
SCHEDULER = ("default-scheduler", {"f:status": {"f:conditions": {}}})
EDITOR = ("kubectl-edit", {"f:spec": {"f:containers": {}}})
RUNNING = {
    "phase": "Running",
    "conditions": [{"type": "Ready", "status": "True"}],
    "containerStatuses": [{"name": "ray-head", "ready": True, "state": {"running": {}}}],
    "podIP": "10.0.0.7",
    "qosClass": "BestEffort",
}


def live_pod(*writers: tuple[str, dict[str, Any]], status: dict[str, Any] | None = None) -> dict[str, Any]:
    live = applied(POD, *writers)
    live["status"] = copy.deepcopy(status if status is not None else RUNNING)
    return live


def test_a_pod_only_we_wrote_keeps_metadata_status_and_the_spec_fields_assess_reads() -> None:
    live = live_pod(KUBELET)

    assert compact_live(live) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            key: value
            for key, value in live["metadata"].items()
            if key not in ("managedFields", "resourceVersion", "creationTimestamp")
        },
        "spec": {"containers": [{"name": "ray-head"}], "restartPolicy": "Never"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "ray-head", "ready": True, "state": {"running": {}}}],
        },
    }


def test_conditions_and_container_states_keep_their_verdicts_not_their_timestamps_and_ids() -> None:
    live = live_pod(
        status={
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/3 nodes are available",
                    "lastProbeTime": None,
                    "lastTransitionTime": "2026-12-04T10:00:00Z",
                }
            ],
            "containerStatuses": [
                {
                    "name": "ray-head",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {"terminated": {"exitCode": 1}},
                    "image": "rayproject/ray:2.52.0",
                    "imageID": "docker-pullable://rayproject/ray@sha256:0123",
                    "containerID": "containerd://4567",
                    "started": False,
                }
            ],
        }
    )

    assert compact_live(live)["status"] == {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available",
            }
        ],
        "containerStatuses": [
            {
                "name": "ray-head",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            }
        ],
    }


def test_compacted_pods_hold_equal_strings_once() -> None:
    first, second = (json.loads(json.dumps(live_pod(KUBELET))) for _ in range(2))  # as decoded: no shared str
    assert first["metadata"]["namespace"] is not second["metadata"]["namespace"]

    one, other = compact_live(first), compact_live(second)

    assert one["metadata"]["labels"]["ray.io/node-type"] is other["metadata"]["labels"]["ray.io/node-type"]
    assert one["metadata"]["namespace"] is other["metadata"]["namespace"]
    assert one == other


def test_a_container_state_keeps_its_reason_not_its_times_and_ids() -> None:
    status = {
        "phase": "Running",
        "containerStatuses": [
            {
                "name": "ray-head",
                "state": {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "OOMKilled",
                        "finishedAt": "2026-12-04T10:00:00Z",
                    }
                },
            },
            {"name": "sidecar", "state": {"running": {"startedAt": "2026-12-04T09:00:00Z"}}},
        ],
    }

    assert compact_live(live_pod(status=status))["status"]["containerStatuses"] == [
        {"name": "ray-head", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}},
        {"name": "sidecar", "state": {"running": {}}},
    ]


def test_pods_compacted_with_one_shared_memo_hold_one_copy_of_equal_specs_and_statuses() -> None:
    shared: dict[str, Any] = {}
    first, second = (json.loads(json.dumps(live_pod(KUBELET))) for _ in range(2))

    one, other = compact_live(first, shared), compact_live(second, shared)

    assert one["spec"] is other["spec"]
    assert one["status"] is other["status"]


def test_a_service_keeps_its_cluster_ip_of_its_spec() -> None:
    live = a_service()

    assert compact_live(live) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            key: value
            for key, value in live["metadata"].items()
            if key not in ("managedFields", "resourceVersion", "creationTimestamp")
        },
        "spec": {"clusterIP": "None"},
    }


def test_compacting_leaves_the_listed_object_unchanged() -> None:
    live = live_pod(KUBELET)
    before = copy.deepcopy(live)

    compact_live(live)

    assert live == before


def being_deleted() -> dict[str, Any]:
    live = live_pod()
    live["metadata"]["deletionTimestamp"] = "2026-12-04T10:00:00Z"
    return live


def without_spec_hash() -> dict[str, Any]:
    live = live_pod()
    del live["metadata"]["annotations"]["gitops-ray.io/spec-hash"]
    return live


SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "demo-head-svc", "namespace": "team-a", "labels": dict(OURS)},
    "spec": {"clusterIP": "None", "ports": [{"name": "gcs", "port": 6379}]},
}


def a_service() -> dict[str, Any]:
    return applied(SERVICE)


def a_config_map() -> dict[str, Any]:
    return applied(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "demo-scripts", "namespace": "team-a", "labels": dict(OURS)},
            "data": {"run.sh": "ray start"},
        }
    )


@pytest.mark.parametrize(
    "live",
    [
        pytest.param(live_pod(EDITOR), id="someone else wrote its spec"),
        pytest.param(being_deleted(), id="being deleted"),
        pytest.param(without_spec_hash(), id="no spec-hash stamp"),
        pytest.param(a_config_map(), id="neither a Pod nor a Service"),
    ],
)
def test_objects_that_may_need_a_field_by_field_comparison_are_kept_whole(live: dict[str, Any]) -> None:
    assert compact_live(live) is live


def changed_image() -> dict[str, Any]:
    desired = copy.deepcopy(POD)
    desired["spec"]["containers"][0]["image"] = "rayproject/ray:2.53.0"
    return desired


def relabelled() -> dict[str, Any]:
    desired = copy.deepcopy(POD)
    desired["metadata"]["labels"]["team"] = "ml"
    return desired


@pytest.mark.parametrize(
    ("desired", "live", "standing"),
    [
        pytest.param(POD, live_pod(KUBELET, SCHEDULER), "synced", id="in sync"),
        pytest.param(changed_image(), live_pod(KUBELET), "immutable", id="spec changed in Git"),
        pytest.param(relabelled(), live_pod(KUBELET), "changed", id="labels changed in Git"),
        pytest.param(POD, live_pod(status={"phase": "Failed"}), "terminated", id="phase Failed"),
        pytest.param(
            POD,
            live_pod(
                status={
                    "phase": "Running",
                    "containerStatuses": [{"name": "ray-head", "state": {"terminated": {"exitCode": 1}}}],
                }
            ),
            "terminated",
            id="Ray container terminated, restartPolicy Never",
        ),
        pytest.param(POD, live_pod(EDITOR), "edited", id="someone else wrote its spec (kept whole)"),
    ],
)
def test_a_compacted_pod_is_judged_as_the_whole_pod(
    desired: dict[str, Any], live: dict[str, Any], standing: str
) -> None:
    stamped = stamp(desired)

    whole = assess(stamped, live, APPLYSET)

    assert whole.standing == standing
    assert assess(stamped, compact_live(live), APPLYSET) == whole


def test_a_status_only_writer_other_than_the_cluster_keeps_the_pod_compactable() -> None:
    live = live_pod(("ray-autoscaler", {"f:status": {"f:conditions": {}}}))

    assert compact_live(live) is not live


def headless_service_made_normal() -> dict[str, Any]:
    desired = copy.deepcopy(SERVICE)
    desired["spec"]["clusterIP"] = ""
    return desired


def service_relabelled() -> dict[str, Any]:
    desired = copy.deepcopy(SERVICE)
    desired["metadata"]["labels"]["team"] = "ml"
    return desired


@pytest.mark.parametrize(
    ("desired", "standing"),
    [
        pytest.param(SERVICE, "synced", id="in sync"),
        pytest.param(headless_service_made_normal(), "immutable", id="clusterIP changed in Git"),
        pytest.param(service_relabelled(), "changed", id="labels changed in Git"),
    ],
)
def test_a_compacted_service_is_judged_as_the_whole_service(desired: dict[str, Any], standing: str) -> None:
    stamped, live = stamp(desired), a_service()

    whole = assess(stamped, live, APPLYSET)

    assert whole.standing == standing
    assert assess(stamped, compact_live(live), APPLYSET) == whole
