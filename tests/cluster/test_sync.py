"""One sync cycle against a real API server, one behaviour per test."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from clusterkit import edit_service_label, live, names, sync, uids, write_source
from kubernetes.client import CoreV1Api
from kubernetes.config import new_client_from_config
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi, connect
from gitops_ray.report.text import change_lines

pytestmark = pytest.mark.apiserver


def test_first_sync_creates_everything(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})

    result = sync(tmp_path, kube)

    assert result.ok, result
    assert names(kube, "Pod", namespace) == ["demo-head", "demo-small-worker-0", "demo-small-worker-1"]
    assert names(kube, "Service", namespace) == ["demo-head-svc"]
    assert names(kube, "ConfigMap", namespace) == ["gitops-ray-demo"]
    assert [(u.counts.created, u.counts.failed) for u in result.units] == [(4, 0)]


def test_second_sync_sends_zero_writes(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})
    sync(tmp_path, kube)

    result = sync(tmp_path, kube)

    # inventories, namespaces, then one LIST per kind in the namespace (Pod, Service)
    assert result.requests == {"GET": 4}
    assert result.writes == 0
    assert [(u.counts.unchanged, u.drift.status) for u in result.units] == [(4, "in-sync")]


def test_changing_a_ray_start_param_recreates_the_affected_pods_only(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})
    sync(tmp_path, kube)
    before = {**uids(kube, "Pod", namespace), **uids(kube, "Service", namespace)}

    write_source(
        tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, start_params={"num-cpus": "3"})]}
    )
    result = sync(tmp_path, kube)

    after = {**uids(kube, "Pod", namespace), **uids(kube, "Service", namespace)}
    assert result.ok, result
    assert sorted(name for name in after if after[name] != before[name]) == [
        "demo-small-worker-0",
        "demo-small-worker-1",
    ]
    assert "--num-cpus=3" in str(live(kube, "Pod", namespace, "demo-small-worker-0")["spec"]["containers"])
    assert result.units[0].counts.recreated == 2


def test_an_update_lists_only_the_fields_git_changed(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    cluster = raycluster("demo", namespace, workers=1)
    write_source(tmp_path, {f"{namespace}/demo.yaml": [cluster]})
    sync(tmp_path, kube)
    cluster["spec"]["headGroupSpec"]["template"].setdefault("metadata", {}).setdefault("labels", {})[
        "team"
    ] = "ml"
    write_source(tmp_path, {f"{namespace}/demo.yaml": [cluster]})

    result = sync(tmp_path, kube)

    (head,) = [change for change in result.units[0].changes if change.ref.name == "demo-head"]
    lines = change_lines(head)
    assert lines[0] == f"~ update Pod {namespace}/demo-head (desired state changed since the last apply)"
    assert [line.split(": ")[0] for line in lines[1:]] == [
        '  metadata.annotations["gitops-ray.io/applied-hash"]',
        '  metadata.annotations["ray.io/upgrade-strategy-recreate-hash"]',
        "  metadata.labels.team",
    ]


def test_scaling_a_group_up_creates_the_next_indices(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube)

    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=3)]})
    result = sync(tmp_path, kube)

    assert names(kube, "Pod", namespace) == [
        "demo-head",
        "demo-small-worker-0",
        "demo-small-worker-1",
        "demo-small-worker-2",
    ]
    assert (result.units[0].counts.created, result.units[0].counts.unchanged) == (2, 3)


def test_scaling_a_group_down_removes_the_highest_indices(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=4)]})
    sync(tmp_path, kube)

    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    result = sync(tmp_path, kube)

    assert names(kube, "Pod", namespace) == ["demo-head", "demo-small-worker-0"]
    assert result.units[0].counts.pruned == 3
    assert "small-worker-3" not in live(kube, "ConfigMap", namespace, "gitops-ray-demo")["data"]["members"]


def test_deleting_a_file_prunes_only_that_cluster(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(
        tmp_path,
        {
            f"{namespace}/keep.yaml": [raycluster("keep", namespace, workers=1)],
            f"{namespace}/drop.yaml": [raycluster("drop", namespace, workers=1)],
        },
    )
    sync(tmp_path, kube)
    kept_before = uids(kube, "Pod", namespace)

    write_source(tmp_path, {f"{namespace}/keep.yaml": [raycluster("keep", namespace, workers=1)]})
    result = sync(tmp_path, kube)

    assert result.ok, result
    assert names(kube, "Pod", namespace) == ["keep-head", "keep-small-worker-0"]
    assert names(kube, "Service", namespace) == ["keep-head-svc"]
    assert names(kube, "ConfigMap", namespace) == ["gitops-ray-keep"]
    assert all(kept_before[name] == uid for name, uid in uids(kube, "Pod", namespace).items())


def test_an_object_someone_else_created_with_our_name_is_neither_overwritten_nor_deleted(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    theirs = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "demo-head-svc", "namespace": namespace, "labels": {"owner": "them"}},
        "spec": {"ports": [{"name": "web", "port": 80, "protocol": "TCP"}]},
    }
    kube.apply(theirs, "someone-else")
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})

    first = sync(tmp_path, kube)
    write_source(tmp_path, {})
    sync(tmp_path, kube, allow_empty_prune=True)

    service = live(kube, "Service", namespace, "demo-head-svc")
    assert first.units[0].counts.conflicts == 1
    assert service["metadata"]["labels"] == {"owner": "them"}
    assert [port["port"] for port in service["spec"]["ports"]] == [80]


def test_an_object_annotated_prune_disabled_is_not_pruned(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})
    sync(tmp_path, kube)
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "demo-small-worker-1",
                "namespace": namespace,
                "annotations": {"gitops-ray.io/prune": "disabled"},
            },
        },
        "kubectl",
    )

    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=0)]})
    result = sync(tmp_path, kube)

    assert names(kube, "Pod", namespace) == ["demo-head", "demo-small-worker-1"]
    assert (result.units[0].counts.pruned, result.units[0].counts.kept) == (1, 1)


def test_a_manual_edit_is_reported_as_drift_and_healed(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})
    sync(tmp_path, kube)
    edit_service_label(kube, namespace, "edited")

    healed = sync(tmp_path, kube)
    after = sync(tmp_path, kube)

    assert healed.units[0].counts.updated == 1
    assert live(kube, "Service", namespace, "demo-head-svc")["metadata"]["labels"][
        "app.kubernetes.io/name"
    ] == ("kuberay")
    assert (after.writes, after.units[0].drift.status) == (0, "in-sync")


def test_a_manual_edit_without_heal_is_only_reported(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})
    sync(tmp_path, kube)
    edit_service_label(kube, namespace, "edited")

    result = sync(tmp_path, kube, heal=False)

    drifted = [obj.as_dict() for obj in result.units[0].drift.objects if obj.state != "in-sync"]
    assert result.writes == 0
    assert drifted == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "namespace": namespace,
            "name": "demo-head-svc",
            "state": "differs",
            "reason": "",
            "managers": ["kubectl-edit"],
            "diffs": [
                {"path": 'metadata.labels["app.kubernetes.io/name"]', "desired": "kuberay", "live": "edited"}
            ],
        }
    ]
    assert live(kube, "Service", namespace, "demo-head-svc")["metadata"]["labels"][
        "app.kubernetes.io/name"
    ] == ("edited")


def test_an_invalid_cluster_fails_alone_and_keeps_its_objects(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/bad.yaml": [raycluster("bad", namespace, workers=1)]})
    sync(tmp_path, kube)
    broken = raycluster("bad", namespace, workers=1)
    broken["spec"]["workerGroupSpecs"][0].update(minReplicas=5, maxReplicas=2)  # KubeRay rejects min > max

    write_source(
        tmp_path,
        {
            f"{namespace}/bad.yaml": [broken],
            f"{namespace}/good.yaml": [raycluster("good", namespace, workers=1)],
        },
    )
    result = sync(tmp_path, kube)

    outcome = {str(u.key): (u.ok, u.counts.created) for u in result.units}
    assert outcome == {f"{namespace}/bad": (False, 0), f"{namespace}/good": (True, 3)}
    assert "minReplicas" in " ".join(str(error) for error in result.units[0].errors)
    assert names(kube, "Pod", namespace) == [
        "bad-head",
        "bad-small-worker-0",
        "good-head",
        "good-small-worker-0",
    ]


def test_an_empty_source_prunes_nothing(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube)

    write_source(tmp_path, {})
    result = sync(tmp_path, kube)

    assert result.prune_held.startswith("prune held: the source yields no clusters")
    assert "--allow-empty-prune" in result.prune_held
    assert names(kube, "Pod", namespace) == ["demo-head", "demo-small-worker-0"]


def test_an_empty_source_prunes_everything_when_allowed(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube)

    write_source(tmp_path, {})
    result = sync(tmp_path, kube, allow_empty_prune=True)

    assert result.ok, result
    assert names(kube, "Pod", namespace) == []
    assert names(kube, "ConfigMap", namespace) == []


def test_dry_run_writes_nothing(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})

    result = sync(tmp_path, kube, dry_run=True)

    assert result.ok, result
    assert result.writes == 0
    assert result.requests["PATCH (dry-run)"] == 5  # the inventory parent and four objects
    assert names(kube, "Pod", namespace) == []
    assert names(kube, "ConfigMap", namespace) == []


def test_a_generated_secret_is_created_once_with_a_random_token(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    cluster = raycluster("demo", namespace, workers=0)
    cluster["spec"]["authOptions"] = {"mode": "token"}
    write_source(tmp_path, {f"{namespace}/demo.yaml": [cluster]})

    sync(tmp_path, kube)
    token = live(kube, "Secret", namespace, "demo")["data"]["auth_token"]
    second = sync(tmp_path, kube)

    assert len(base64.b64decode(token)) >= 32
    assert live(kube, "Secret", namespace, "demo")["data"]["auth_token"] == token
    assert (second.writes, second.units[0].drift.status) == (0, "in-sync")


def test_health_counts_the_pods_whose_status_says_ready(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})
    sync(tmp_path, kube)
    for pod in ("demo-head", "demo-small-worker-1"):  # what a kubelet would report
        CoreV1Api(new_client_from_config(apiserver_kubeconfig)).patch_namespaced_pod_status(
            pod, namespace, {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
        )

    # A fresh client lists from etcd: it surely sees the other client's write (a watch cache may lag).
    result = sync(tmp_path, connect(apiserver_kubeconfig, None))

    assert result.units[0].drift.health.as_dict() == {
        "head_ready": True,
        "workers_ready": 1,
        "workers_desired": 2,
        "pending": ["demo-small-worker-0"],
    }
    assert result.writes == 1  # the status on the inventory parent only: health changed


def test_an_api_error_on_one_unit_leaves_the_others_applied(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    rejected = {  # the API server refuses port 0
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "extra", "namespace": namespace},
        "spec": {"ports": [{"name": "web", "port": 0, "protocol": "TCP"}]},
    }
    write_source(
        tmp_path,
        {
            f"{namespace}/bad.yaml": [raycluster("bad", namespace, workers=1), rejected],
            f"{namespace}/good.yaml": [raycluster("good", namespace, workers=1)],
        },
    )

    result = sync(tmp_path, kube)

    assert [(str(u.key), u.ok, u.counts.failed) for u in result.units] == [
        (f"{namespace}/bad", False, 1),
        (f"{namespace}/good", True, 0),
    ]
    assert (
        result.units[0]
        .errors[0]
        .message.startswith(f'apply Service {namespace}/extra: Service "extra" is invalid')
    )
    assert names(kube, "Pod", namespace) == [
        "bad-head",
        "bad-small-worker-0",
        "good-head",
        "good-small-worker-0",
    ]


def test_a_missing_namespace_is_an_error_when_namespace_creation_is_off(
    kube: KubeApi, tmp_path: Path
) -> None:
    write_source(tmp_path, {"absent/demo.yaml": [raycluster("demo", "t-never-created")]})

    result = sync(tmp_path, kube, create_namespaces=False)

    assert [[error.message for error in u.errors] for u in result.units] == [
        ["namespace t-never-created does not exist (namespace creation is off)"]
    ]
    assert result.writes == 0
