"""Target `raycluster`: the RayCluster itself is applied (KubeRay runs it), with the CRD installed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from clusterkit import names, sync, write_source
from kubernetes import config
from testenv import TestEnv
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi, KubeError, connect
from gitops_ray.model.objects import KubeObject

pytestmark = pytest.mark.apiserver

CRD_YAML = Path(__file__).resolve().parent / "data" / "ray.io_rayclusters.yaml"


@pytest.fixture(scope="module")
def raycluster_crd(apiserver: TestEnv) -> None:
    """Install KubeRay's RayCluster CRD (CEL rules stripped for 1.20) and wait until it is served."""
    admin = apiserver.connect()
    try:  # created, not applied: 1.20's server-side apply turns the CRD's `default: ""` into null
        admin.create(yaml.safe_load(CRD_YAML.read_text()), "test-setup")
    except KubeError as error:
        if not error.conflict:
            raise
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # bounded polling: the CRD becomes Established asynchronously
        crds = admin.list_objects("apiextensions.k8s.io/v1", "CustomResourceDefinition", None)
        crd = next(c for c in crds if c["metadata"]["name"] == "rayclusters.ray.io")
        conditions = (crd.get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return
        time.sleep(0.2)
    raise AssertionError("the RayCluster CRD was not Established within 30 s")


def autoscaled(name: str, namespace: str, replicas: int) -> KubeObject:
    cluster = raycluster(name, namespace, workers=replicas)
    cluster["metadata"]["annotations"] = {"gitops-ray.io/target": "raycluster"}
    cluster["spec"]["enableInTreeAutoscaling"] = True
    return cluster


def live_raycluster(kube: KubeApi, namespace: str, name: str) -> KubeObject:
    found = [
        rc for rc in kube.list_objects("ray.io/v1", "RayCluster", namespace) if rc["metadata"]["name"] == name
    ]
    assert len(found) == 1
    return found[0]


def scale_as_the_autoscaler(kubeconfig: str, namespace: str, name: str, replicas: int) -> None:
    """What the Ray autoscaler does: a JSON patch of one group's replicas, under its own field manager."""
    config.new_client_from_config(kubeconfig).call_api(
        f"/apis/ray.io/v1/namespaces/{namespace}/rayclusters/{name}",
        "PATCH",
        query_params=[("fieldManager", "autoscaler")],
        header_params={"Content-Type": "application/json-patch+json", "Accept": "application/json"},
        body=[{"op": "replace", "path": "/spec/workerGroupSpecs/0/replicas", "value": replicas}],
        auth_settings=["BearerToken"],
    )


def synced_then_scaled_to_3(kube: KubeApi, kubeconfig: str, namespace: str, source: Path) -> None:
    """Cluster `demo` synced with `replicas: 2` in Git, then scaled to 3 by the autoscaler."""
    write_source(source, {f"{namespace}/demo.yaml": [autoscaled("demo", namespace, replicas=2)]})
    sync(source, kube)
    scale_as_the_autoscaler(kubeconfig, namespace, "demo", replicas=3)


@pytest.mark.usefixtures("raycluster_crd")
def test_the_raycluster_target_applies_the_raycluster_and_no_pods(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [autoscaled("demo", namespace, replicas=2)]})

    result = sync(tmp_path, kube)

    assert result.ok, result
    assert names(kube, "RayCluster", namespace, api_version="ray.io/v1") == ["demo"]
    assert names(kube, "Pod", namespace) == []
    # Git's `replicas: 2` is left to the autoscaler: the API server's default (0) is what was stored.
    assert live_raycluster(kube, namespace, "demo")["spec"]["workerGroupSpecs"][0]["replicas"] == 0


@pytest.mark.usefixtures("raycluster_crd")
def test_replicas_set_by_the_autoscaler_survive_the_next_sync(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    synced_then_scaled_to_3(kube, apiserver_kubeconfig, namespace, tmp_path)
    scaled = live_raycluster(kube, namespace, "demo")["metadata"]["resourceVersion"]

    # A fresh client lists from etcd: it surely sees the other client's write (a watch cache may lag).
    result = sync(tmp_path, connect(apiserver_kubeconfig, None))

    # The one write is the cluster's status: its drift now names the autoscaler's fields as foreign.
    assert (result.writes, result.units[0].status and result.units[0].status.drift) == (1, "1 foreign")
    assert live_raycluster(kube, namespace, "demo")["metadata"]["resourceVersion"] == scaled
    assert live_raycluster(kube, namespace, "demo")["spec"]["workerGroupSpecs"][0]["replicas"] == 3


@pytest.mark.usefixtures("raycluster_crd")
def test_replicas_set_by_the_autoscaler_survive_a_change_from_git(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    synced_then_scaled_to_3(kube, apiserver_kubeconfig, namespace, tmp_path)
    changed = autoscaled("demo", namespace, replicas=2)
    changed["spec"]["workerGroupSpecs"][0]["rayStartParams"] = {"num-cpus": "4"}
    write_source(tmp_path, {f"{namespace}/demo.yaml": [changed]})

    # A fresh client lists from etcd: it surely sees the other client's write (a watch cache may lag).
    result = sync(tmp_path, connect(apiserver_kubeconfig, None))

    group = live_raycluster(kube, namespace, "demo")["spec"]["workerGroupSpecs"][0]
    assert result.units[0].counts.updated == 1
    assert (group["replicas"], group["rayStartParams"]) == (3, {"num-cpus": "4"})
