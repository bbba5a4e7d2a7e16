"""Drift and health: each object judged against its live copy, reported as data and as Markdown."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from livekit import APPLIED_AT, APPLYSET, KEY, OURS, SOURCE, managed_entry

from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import Problem, RenderedUnit, UnitKey
from gitops_ray.observe.drift import (
    FieldDiff,
    Health,
    ObjectDrift,
    UnitDrift,
    drift_summary,
    foreign_managers,
    object_drift,
    pod_health,
    raycluster_health,
    unit_drift,
)
from gitops_ray.reconcile.inventory import Inventory
from gitops_ray.reconcile.stamp import stamp
from gitops_ray.report.markdown import drift_markdown

HEAD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "demo-head", "namespace": "team-a", "labels": {**OURS, "ray.io/node-type": "head"}},
    "spec": {
        "containers": [
            {
                "name": "ray-head",
                "image": "rayproject/ray:2.52.0",
                "resources": {"limits": {"cpu": "1", "memory": "2Gi"}},
            }
        ]
    },
}
HEAD_STAMPS = stamp(HEAD)["metadata"]["annotations"]
OUR_HEAD_FIELDS: dict[str, Any] = {
    "f:metadata": {
        "f:annotations": {"f:gitops-ray.io/applied-hash": {}, "f:gitops-ray.io/spec-hash": {}},
        "f:labels": {**{f"f:{label}": {} for label in OURS}, "f:ray.io/node-type": {}},
    },
    "f:spec": {
        "f:containers": {
            'k:{"name":"ray-head"}': {
                ".": {},
                "f:name": {},
                "f:resources": {"f:limits": {"f:cpu": {}, "f:memory": {}}},
            }
        }
    },
}

# HEAD as a v1.20 API server returns it after our apply and then `kubectl edit` of the image: the edit
# took the image field away from gitops-ray's managedFields entry; the kubelet wrote status.
LIVE_HEAD_EDITED: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "demo-head",
        "namespace": "team-a",
        "uid": "4d4c2b0e-9a57-4a8e-b1f1-0c3e2f3a9b11",
        "resourceVersion": "1301",
        "creationTimestamp": "2026-11-23T04:00:00Z",
        "labels": {**OURS, "ray.io/node-type": "head"},
        "annotations": dict(HEAD_STAMPS),
        "managedFields": [
            managed_entry("gitops-ray", OUR_HEAD_FIELDS, "Apply", time=APPLIED_AT),
            managed_entry(
                "kubelet", {"f:status": {"f:conditions": {}, "f:phase": {}}}, time="2026-11-23T04:00:05Z"
            ),
            managed_entry(
                "kubectl-edit",
                {"f:spec": {"f:containers": {'k:{"name":"ray-head"}': {"f:image": {}}}}},
                time="2026-11-23T04:10:00Z",
            ),
        ],
    },
    "spec": {
        "containers": [
            {
                "name": "ray-head",
                "image": "rayproject/ray:2.9.0",
                "resources": {
                    "limits": {"cpu": "1", "memory": "2Gi"},
                    "requests": {"cpu": "1", "memory": "2Gi"},
                },
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "priority": 0,
    },
    "status": {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True"},
            {"type": "ContainersReady", "status": "True"},
            {"type": "PodScheduled", "status": "True"},
        ],
    },
}


def head_ref() -> MemberRef:
    return MemberRef("v1", "Pod", "team-a", "demo-head")


def synced(live: dict[str, Any]) -> dict[str, Any]:
    """LIVE_HEAD_EDITED before the edit: our image, no kubectl-edit entry."""
    restored = copy.deepcopy(live)
    restored["spec"]["containers"][0]["image"] = "rayproject/ray:2.52.0"
    restored["metadata"]["managedFields"] = restored["metadata"]["managedFields"][:2]
    return restored


def worker(index: int, ready: bool | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A desired worker Pod and its live copy (None: not created; the bool is its Ready condition)."""
    desired = copy.deepcopy(HEAD)
    desired["metadata"]["name"] = f"demo-gpu-worker-{index}"
    desired["metadata"]["labels"]["ray.io/node-type"] = "worker"
    if ready is None:
        return desired, None
    live = copy.deepcopy(stamp(desired))
    live["status"] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    return desired, live


def unit(*objects: dict[str, Any], problems: tuple[Problem, ...] = ()) -> RenderedUnit:
    return RenderedUnit(KEY, SOURCE, objects=objects, problems=problems)


# --- objects --------------------------------------------------------------------------------------------


def test_a_kubectl_edit_is_reported_with_field_and_manager() -> None:
    assert object_drift(HEAD, LIVE_HEAD_EDITED, APPLYSET) == ObjectDrift(
        head_ref(),
        "differs",
        (FieldDiff("spec.containers[name=ray-head].image", "rayproject/ray:2.52.0", "rayproject/ray:2.9.0"),),
        ("kubectl-edit",),
    )


def test_an_object_applied_by_us_and_untouched_is_in_sync() -> None:
    assert object_drift(HEAD, synced(LIVE_HEAD_EDITED), APPLYSET) == ObjectDrift(head_ref(), "in-sync")


def test_another_manager_owning_our_field_with_our_value_is_foreign() -> None:
    live = copy.deepcopy(LIVE_HEAD_EDITED)
    live["spec"]["containers"][0]["image"] = "rayproject/ray:2.52.0"
    assert object_drift(HEAD, live, APPLYSET) == ObjectDrift(
        head_ref(), "foreign", (), ("kubectl-edit",), "other field managers own fields gitops-ray sets"
    )


def test_a_field_we_applied_but_no_longer_want_is_drift() -> None:
    desired = copy.deepcopy(HEAD)
    del desired["spec"]["containers"][0]["resources"]["limits"]["memory"]
    assert object_drift(desired, synced(LIVE_HEAD_EDITED), APPLYSET) == ObjectDrift(
        head_ref(),
        "differs",
        (FieldDiff("spec.containers[name=ray-head].resources.limits.memory", None, "2Gi"),),
    )


def test_a_missing_object_is_missing() -> None:
    assert object_drift(HEAD, None, APPLYSET) == ObjectDrift(
        head_ref(), "missing", reason="not in the cluster"
    )


def test_a_pod_in_phase_failed_is_terminated_and_says_it_is_replaced() -> None:
    live = copy.deepcopy(synced(LIVE_HEAD_EDITED))
    live["status"] = {"phase": "Failed", "reason": "Evicted"}
    assert object_drift(HEAD, live, APPLYSET) == ObjectDrift(
        head_ref(),
        "terminated",
        reason="pod phase Failed: it will not run again; deleted and created again (as KubeRay does)",
    )


def test_an_object_with_our_name_that_is_not_ours_is_a_conflict() -> None:
    live = copy.deepcopy(synced(LIVE_HEAD_EDITED))
    live["metadata"]["labels"] = {"app": "someone-else"}
    assert object_drift(HEAD, live, APPLYSET).state == "conflict"


@pytest.mark.parametrize(
    ("writer", "managers"),
    [
        (
            ("kubectl-edit", {"f:spec": {"f:containers": {'k:{"name":"ray-head"}': {"f:image": {}}}}}),
            ["kubectl-edit"],
        ),
        (
            ("kubectl-client-side-apply", {"f:metadata": {"f:labels": {"f:ray.io/node-type": {}}}}),
            ["kubectl-client-side-apply"],
        ),
        (("kubectl-label", {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}), []),
        (("kube-controller-manager", {"f:metadata": {"f:labels": {"f:ray.io/node-type": {}}}}), []),
        (("status-writer", {"f:status": {"f:phase": {}}}), []),
        (("kubectl-replace", {"f:spec": {"f:containers": {}}}), ["kubectl-replace"]),
    ],
    ids=[
        "edit-of-our-field",
        "client-side-apply-of-our-label",
        "label-we-do-not-set",
        "cluster-bookkeeping",
        "status-only",
        "whole-list-owned",
    ],
)
def test_foreign_managers(writer: tuple[str, dict[str, Any]], managers: list[str]) -> None:
    live = synced(LIVE_HEAD_EDITED)
    live["metadata"]["managedFields"].append(
        {"manager": writer[0], "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": writer[1]}
    )
    assert foreign_managers(live, stamp(HEAD)) == managers


def test_foreign_managers_without_desired_use_our_managed_fields() -> None:
    live = synced(LIVE_HEAD_EDITED)
    live["metadata"]["managedFields"].append(
        {
            "manager": "kubectl-patch",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:ray.io/node-type": {}}}},
        }
    )
    assert foreign_managers(live) == ["kubectl-patch"]


# --- health ---------------------------------------------------------------------------------------------


def ready_pod(name: str, ready: bool) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


@pytest.mark.parametrize(
    ("live_pods", "health"),
    [
        (
            {"demo-head": True, "demo-gpu-worker-0": True, "demo-gpu-worker-1": True},
            Health(True, 2, 2, ()),
        ),
        (
            {"demo-head": True, "demo-gpu-worker-0": False},
            Health(True, 0, 2, ("demo-gpu-worker-0", "demo-gpu-worker-1")),
        ),
        ({}, Health(False, 0, 2, ("demo-gpu-worker-0", "demo-gpu-worker-1", "demo-head"))),
    ],
    ids=["all-ready", "worker-not-ready-and-one-missing", "nothing-created"],
)
def test_pod_health(live_pods: dict[str, bool], health: Health) -> None:
    expected = [("demo-head", "head"), ("demo-gpu-worker-0", "worker"), ("demo-gpu-worker-1", "worker")]
    pods = [(MemberRef("v1", "Pod", "team-a", name), node_type) for name, node_type in expected]
    live = {
        MemberRef("v1", "Pod", "team-a", name): ready_pod(name, ready) for name, ready in live_pods.items()
    }
    assert pod_health(pods, live) == health


@pytest.mark.parametrize(
    ("raycluster", "health"),
    [
        (
            {
                "status": {
                    "readyWorkerReplicas": 3,
                    "desiredWorkerReplicas": 4,
                    "conditions": [{"type": "HeadPodReady", "status": "True"}],
                }
            },
            Health(True, 3, 4),
        ),
        ({"spec": {}}, Health(False, 0, 0)),
        (None, Health(False, 0, 0)),
    ],
    ids=["operator-reports-status", "no-status-yet", "not-created"],
)
def test_raycluster_health_comes_from_its_status(raycluster: dict[str, Any] | None, health: Health) -> None:
    assert raycluster_health(raycluster) == health


def test_a_unit_applying_its_raycluster_takes_health_from_the_raycluster() -> None:
    raycluster = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "demo", "namespace": "team-a"},
    }
    live = {
        **raycluster,
        "status": {
            "readyWorkerReplicas": 1,
            "desiredWorkerReplicas": 2,
            "conditions": [{"type": "HeadPodReady", "status": "False"}],
        },
    }
    applying = RenderedUnit(KEY, SOURCE, target="raycluster", objects=(raycluster,))
    drift = unit_drift(applying, {MemberRef.from_object(raycluster): live}, None)
    assert drift.health == Health(False, 1, 2)


def test_a_raycluster_target_unit_without_a_raycluster_has_no_head() -> None:
    job = {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "job", "namespace": "team-a"}}
    applying = RenderedUnit(KEY, SOURCE, target="raycluster", objects=(job,))
    assert unit_drift(applying, {MemberRef.from_object(job): job}, None).health == Health(None, 0, 0)


# --- units ----------------------------------------------------------------------------------------------


def test_unit_drift_judges_desired_leftover_and_orphan_objects() -> None:
    worker_0, live_worker_0 = worker(0, ready=False)
    worker_1, _ = worker(1, ready=None)
    leftover = copy.deepcopy(stamp(worker(7, ready=True)[0]))
    leftover["metadata"]["annotations"]["gitops-ray.io/prune"] = "disabled"
    orphan = copy.deepcopy(stamp(worker(9, ready=True)[0]))
    assert live_worker_0 is not None
    live = {
        head_ref(): LIVE_HEAD_EDITED,
        MemberRef.from_object(worker_0): live_worker_0,
        MemberRef.from_object(leftover): leftover,
    }
    inventory = Inventory(
        KEY, SOURCE, frozenset(MemberRef.from_object(o) for o in (HEAD, worker_0, leftover))
    )
    drift = unit_drift(unit(HEAD, worker_0, worker_1), live, inventory, [LIVE_HEAD_EDITED, orphan])
    assert [(o.ref.name, o.state, o.reason) for o in drift.objects] == [
        ("demo-gpu-worker-0", "in-sync", ""),
        ("demo-gpu-worker-1", "missing", "not in the cluster"),
        ("demo-gpu-worker-7", "orphan", "no longer desired; prune disabled by annotation"),
        (
            "demo-gpu-worker-9",
            "orphan",
            "carries this unit's labels but is not in its inventory: never pruned",
        ),
        ("demo-head", "differs", ""),
    ]
    assert drift.health == Health(True, 0, 2, ("demo-gpu-worker-0", "demo-gpu-worker-1"))
    assert drift.in_sync is False


def drifted_unit() -> UnitDrift:
    return unit_drift(
        unit(HEAD), {head_ref(): LIVE_HEAD_EDITED}, Inventory(KEY, SOURCE, frozenset({head_ref()}))
    )


def test_unit_drift_as_data() -> None:
    assert drifted_unit().as_dict() == {
        "cluster": "team-a/demo",
        "namespace": "team-a",
        "name": "demo",
        "source": "clusters/team-a/demo.yaml",
        "status": "drifted",
        "counts": {"differs": 1},
        "objects": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "namespace": "team-a",
                "name": "demo-head",
                "state": "differs",
                "reason": "",
                "managers": ["kubectl-edit"],
                "diffs": [
                    {
                        "path": "spec.containers[name=ray-head].image",
                        "desired": "rayproject/ray:2.52.0",
                        "live": "rayproject/ray:2.9.0",
                    }
                ],
            }
        ],
        "health": {"head_ready": True, "workers_ready": 0, "workers_desired": 0, "pending": []},
        "problems": [],
    }


def test_unit_drift_as_markdown() -> None:
    assert drift_markdown(drifted_unit()) == (
        "# Drift: team-a/demo\n"
        "\n"
        "Source: `clusters/team-a/demo.yaml`\n"
        "\n"
        "**Status: drifted** (1 differs)\n"
        "\n"
        "| Object | State | Field | Desired | Live |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| Pod team-a/demo-head | differs (kubectl-edit) | `spec.containers[name=ray-head].image` "
        "| `rayproject/ray:2.52.0` | `rayproject/ray:2.9.0` |\n"
    )


def test_a_unit_in_sync_reads_in_sync() -> None:
    drift = unit_drift(unit(HEAD), {head_ref(): synced(LIVE_HEAD_EDITED)}, None)
    assert drift.in_sync is True
    assert drift_markdown(drift) == (
        "# Drift: team-a/demo\n\nSource: `clusters/team-a/demo.yaml`\n\n**Status: in-sync** (1 in-sync)\n"
    )


def test_a_unit_with_problems_lists_them_and_the_health_of_what_it_last_applied() -> None:
    problem = Problem(
        SOURCE, "Ray container is missing", document=0, object="RayCluster team-a/demo", field="spec"
    )
    inventory = Inventory(KEY, SOURCE, frozenset({head_ref()}))
    drift = unit_drift(unit(problems=(problem,)), {head_ref(): LIVE_HEAD_EDITED}, inventory)
    assert (drift.status, drift.objects, drift.health) == ("broken", (), Health(True, 0, 0))
    assert drift_markdown(drift).endswith(
        "**Status: broken**\n\n## Problems\n\n"
        "- clusters/team-a/demo.yaml: document 0 (RayCluster team-a/demo): spec: Ray container is missing\n"
    )


def test_a_unit_not_compared_with_a_cluster_is_unknown() -> None:
    drift = UnitDrift(KEY, SOURCE, (), None)
    assert (drift.status, drift.in_sync) == ("unknown", False)
    assert "**Status: unknown**" in drift_markdown(drift)


def test_committed_reports_do_not_change_when_pods_become_ready() -> None:
    not_ready = UnitDrift(KEY, SOURCE, (ObjectDrift(head_ref(), "in-sync"),), Health(False, 0, 2))
    ready = UnitDrift(KEY, SOURCE, (ObjectDrift(head_ref(), "in-sync"),), Health(True, 2, 2))
    assert drift_markdown(not_ready) == drift_markdown(ready)
    assert drift_summary([not_ready]) == drift_summary([ready])


SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "redis-password", "namespace": "team-a", "labels": dict(OURS)},
    "stringData": {"password": "hunter2"},
}


def test_secret_values_never_reach_data_or_markdown() -> None:
    live = copy.deepcopy(stamp(SECRET))
    del live["stringData"]
    live["data"] = {"password": "b2xkLXNlY3JldA=="}  # old-secret
    live["metadata"]["managedFields"] = [
        {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:data": {"f:password": {}}}}
    ]
    drift = unit_drift(unit(SECRET), {MemberRef.from_object(SECRET): live}, None)
    text = json.dumps(drift.as_dict()) + drift_markdown(drift)
    assert drift.objects[0].diffs == (FieldDiff("data.password", "<redacted>", "<redacted>"),)
    for secret in ("hunter2", "aHVudGVyMg==", "b2xkLXNlY3JldA==", "old-secret"):
        assert secret not in text


def test_markdown_escapes_table_cells_and_shortens_long_values() -> None:
    diff = FieldDiff("spec.containers[name=ray-head].args", ["a | b " + "x" * 100], None)
    drift = UnitDrift(KEY, SOURCE, (ObjectDrift(head_ref(), "differs", (diff,)),), Health(None, 0, 0))
    row = drift_markdown(drift).splitlines()[8]
    assert row == (
        "| Pod team-a/demo-head | differs | `spec.containers[name=ray-head].args` "
        '| `["a \\| b ' + "x" * 71 + "…` | (absent) |"
    )


# --- summary --------------------------------------------------------------------------------------------


def test_leftovers_of_a_cycle_whose_prune_is_held_say_they_stay() -> None:
    leftover = copy.deepcopy(stamp(worker(7, ready=True)[0]))
    ref = MemberRef.from_object(leftover)
    drift = unit_drift(
        unit(), {ref: leftover}, Inventory(KEY, SOURCE, frozenset({ref})), (), "prune held: ..."
    )
    assert drift.objects == (
        ObjectDrift(ref, "orphan", reason="no longer desired; not pruned while the source is not whole"),
    )


def test_drift_summary_totals_and_lists_clusters_in_order() -> None:
    broken = UnitDrift(
        UnitKey("team-b", "broken"), "clusters/team-b/broken.yaml", (), None, (Problem("x", "bad"),)
    )
    in_sync = UnitDrift(
        UnitKey("team-a", "ok"),
        "clusters/team-a/ok.yaml",
        (ObjectDrift(head_ref(), "in-sync"),),
        Health(True, 2, 2),
    )
    assert drift_summary([broken, drifted_unit(), in_sync]) == {
        "clusters": 3,
        "in_sync": 1,
        "drifted": 1,
        "broken": 1,
        "unknown": 0,
        "objects": {
            "missing": 0,
            "terminated": 0,
            "differs": 1,
            "foreign": 0,
            "orphan": 0,
            "conflict": 0,
            "in-sync": 1,
        },
        "units": [
            {
                "cluster": "team-a/demo",
                "source": "clusters/team-a/demo.yaml",
                "status": "drifted",
                "counts": {"differs": 1},
            },
            {
                "cluster": "team-a/ok",
                "source": "clusters/team-a/ok.yaml",
                "status": "in-sync",
                "counts": {"in-sync": 1},
            },
            {
                "cluster": "team-b/broken",
                "source": "clusters/team-b/broken.yaml",
                "status": "broken",
                "counts": {},
            },
        ],
    }
