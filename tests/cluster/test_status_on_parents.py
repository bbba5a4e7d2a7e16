"""Each cluster's status on its inventory parent, against a real API server, and `gitops-ray status`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from clusterkit import live, sync, write_source
from kubernetes.client import CoreV1Api
from kubernetes.config import new_client_from_config
from testkit import GIT_ENV, raycluster

from gitops_ray.cli import main
from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.apiserver


def report_pod_status(kubeconfig: str, namespace: str, pod: str, status: dict[str, Any]) -> None:
    """Write a Pod's status through the status subresource, as a kubelet would."""
    CoreV1Api(new_client_from_config(kubeconfig)).patch_namespaced_pod_status(
        pod, namespace, {"status": status}
    )


def ready(kubeconfig: str, namespace: str, *pods: str) -> None:
    for pod in pods:
        report_pod_status(kubeconfig, namespace, pod, {"conditions": [{"type": "Ready", "status": "True"}]})


def status_of(kube: KubeApi, namespace: str, cluster: str) -> dict[str, Any]:
    parent = live(kube, "ConfigMap", namespace, f"gitops-ray-{cluster}")
    document: dict[str, Any] = json.loads(parent["metadata"]["annotations"]["gitops-ray.io/status"])
    return document


def test_the_status_is_written_once_and_a_cycle_that_changes_nothing_leaves_it(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube, revision="0123456789abcdef")
    before = live(kube, "ConfigMap", namespace, "gitops-ray-demo")

    second = sync(tmp_path, kube, revision="0123456789abcdef")

    after = live(kube, "ConfigMap", namespace, "gitops-ray-demo")
    assert second.writes == 0
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    status = status_of(kube, namespace, "demo")
    assert {key: status[key] for key in ("revision", "sync", "health", "healthMessage", "workers")} == {
        "revision": "0123456789abcdef",
        "sync": "Synced",
        "health": "InProgress",
        "healthMessage": "head not ready",
        "workers": "0/1",
    }
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("Ready", "False"),
        ("Reconciling", "True"),
        ("Stalled", "False"),
    ]


def test_clusters_are_selected_by_health_and_sync_labels(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    write_source(
        tmp_path,
        {
            f"{namespace}/up.yaml": [raycluster("up", namespace, workers=1)],
            f"{namespace}/down.yaml": [raycluster("down", namespace, workers=1)],
        },
    )
    sync(tmp_path, kube)
    ready(apiserver_kubeconfig, namespace, "up-head", "up-small-worker-0")
    report_pod_status(
        apiserver_kubeconfig,
        namespace,
        "down-small-worker-0",
        {
            "containerStatuses": [
                {
                    "name": "ray-worker",
                    "image": "rayproject/ray:2.52.0",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                }
            ]
        },
    )

    sync(tmp_path, kube)

    def selected(selector: str) -> list[str]:
        found = kube.list_objects("v1", "ConfigMap", namespace, label_selector=selector)
        return sorted(obj["metadata"]["name"] for obj in found)

    assert selected("gitops-ray.io/health=Current") == ["gitops-ray-up"]
    assert selected("gitops-ray.io/health=Failed") == ["gitops-ray-down"]
    assert selected("gitops-ray.io/sync=Synced") == ["gitops-ray-down", "gitops-ray-up"]
    assert status_of(kube, namespace, "down")["healthMessage"] == "CrashLoopBackOff: Pod down-small-worker-0"


def test_the_inventory_write_keeps_the_status_and_the_status_write_keeps_the_inventory(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube, revision="1111111")
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})

    sync(tmp_path, kube, revision="2222222")

    parent = live(kube, "ConfigMap", namespace, "gitops-ray-demo")
    assert "/v1/Pod/" + namespace + "/demo-small-worker-1\n" in parent["data"]["members"]
    assert (
        status_of(kube, namespace, "demo")["revision"],
        status_of(kube, namespace, "demo")["workers"],
    ) == (
        "2222222",
        "0/2",
    )
    assert sorted(entry["manager"] for entry in parent["metadata"]["managedFields"]) == [
        "gitops-ray",
        "gitops-ray-status",
    ]


def test_gitops_ray_status_prints_one_row_per_cluster(
    kube: KubeApi,
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(
        tmp_path,
        {
            f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)],
            f"{namespace}/big.yaml": [raycluster("big", namespace, workers=2)],
        },
    )
    sync(tmp_path, kube, revision="0123456789abcdef")
    ready(apiserver_kubeconfig, namespace, "demo-head", "demo-small-worker-0", "big-head")
    sync(tmp_path, kube, revision="0123456789abcdef")
    capsys.readouterr()

    exit_status = main(["status", "--kubeconfig", apiserver_kubeconfig, "-n", namespace])

    pad = " " * (len(namespace) - len("NAMESPACE"))
    assert (exit_status, capsys.readouterr().out) == (
        0,
        f"NAMESPACE{pad}   NAME   TARGET   REVISION   SYNC     HEALTH       WORKERS   DRIFT   MESSAGE\n"
        f"{namespace}   big    pods     0123456    Synced   InProgress   0/2       -       "
        "workers ready 0/2\n"
        f"{namespace}   demo   pods     0123456    Synced   Current      1/1       -       -\n",
    )


def test_gitops_ray_status_as_json_gives_each_clusters_whole_status(
    kube: KubeApi,
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube)
    capsys.readouterr()

    exit_status = main(["status", "--kubeconfig", apiserver_kubeconfig, "-n", namespace, "-o", "json"])

    rows = json.loads(capsys.readouterr().out)
    assert exit_status == 0
    assert [(row["namespace"], row["name"], row["sync"], row["health"]) for row in rows] == [
        (namespace, "demo", "Synced", "InProgress")
    ]
    assert rows[0]["conditions"] == status_of(kube, namespace, "demo")["conditions"]


def test_sync_once_of_a_git_work_tree_records_its_head_marked_dirty_while_cluster_files_are_edited(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    def git(*args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, env=env, capture_output=True, text=True
        ).stdout.strip()

    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "a cluster")
    sync_once = ["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig, "--source-name", "t"]

    main(sync_once)
    committed = status_of(kube, namespace, "demo")["revision"]
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})
    main(sync_once)

    assert committed == git("rev-parse", "HEAD")
    assert status_of(kube, namespace, "demo")["revision"] == committed + "-dirty"
