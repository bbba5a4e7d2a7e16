"""`render_raycluster`: schema check, defaults and validation, then every object in KubeRay's creation "
"order."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitops_ray.render import InternalRenderError, RenderResult, gcs_storage_claim, pod, render_raycluster
from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.errors import RenderError, SchemaError
from gitops_ray.render.options import FeatureGates, RenderOptions
from gitops_ray.render.validate import ManagedElsewhere, RejectedRayCluster

EMBEDDED_STORAGE = RenderOptions(feature_gates=FeatureGates(gcs_fault_tolerance_embedded_storage=True))


def container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "rayproject/ray:2.52.0"}


def group(name: str, **fields: Any) -> dict[str, Any]:
    return {"groupName": name, "template": {"spec": {"containers": [container("ray-worker")]}}, **fields}


def raycluster(annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "demo", "namespace": "ml"}
    if annotations:
        metadata["annotations"] = annotations
    spec.setdefault("headGroupSpec", {"template": {"spec": {"containers": [container("ray-head")]}}})
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": metadata, "spec": spec}


def kinds_and_names(result: RenderResult) -> list[tuple[str, str]]:
    return [(obj["kind"], obj["metadata"]["name"]) for obj in result.objects]


def test_objects_come_in_kuberays_creation_order() -> None:
    """rayClusterReconcile's order: SA, Role, RoleBinding, Ingress, auth Secret, Services, PVC, Pods."""
    head = {
        "enableIngress": True,
        "template": {
            "spec": {
                "containers": [{**container("ray-head"), "ports": [{"name": "serve", "containerPort": 8000}]}]
            }
        },
    }
    cluster = raycluster(
        annotations={"ray.io/enable-serve-service": "true"},
        rayVersion="2.52.0",
        enableInTreeAutoscaling=True,
        authOptions={"mode": "token"},
        gcsFaultToleranceOptions={"backend": "rocksdb"},
        headGroupSpec=head,
        workerGroupSpecs=[group("tpu", replicas=1, numOfHosts=2)],
    )
    assert kinds_and_names(render_raycluster(cluster, EMBEDDED_STORAGE)) == [
        ("ServiceAccount", "demo"),
        ("Role", "demo"),
        ("RoleBinding", "demo"),
        ("Ingress", "demo-head-ingress"),
        ("Secret", "demo"),
        ("Service", "demo-head-svc"),
        ("Service", "demo-headless"),
        ("Service", "demo-serve-svc"),
        ("PersistentVolumeClaim", "demo-gcs-pvc"),
        ("Pod", "demo-head"),
        ("Pod", "demo-tpu-worker-0-0"),
        ("Pod", "demo-tpu-worker-0-1"),
    ]


def test_minimal_cluster_renders_head_service_and_head_pod() -> None:
    result = render_raycluster(raycluster())
    assert (kinds_and_names(result), result.warnings) == (
        [("Service", "demo-head-svc"), ("Pod", "demo-head")],
        (),
    )


def test_every_object_lives_in_the_cluster_namespace_without_owner_references() -> None:
    cluster = raycluster(enableInTreeAutoscaling=True, workerGroupSpecs=[group("cpu", replicas=2)])
    objects = render_raycluster(cluster).objects
    assert {obj["metadata"]["namespace"] for obj in objects} == {"ml"}
    assert [obj for obj in objects if "ownerReferences" in obj["metadata"]] == []


def test_cluster_without_namespace_goes_to_default() -> None:
    cluster = raycluster()
    del cluster["metadata"]["namespace"]
    assert {obj["metadata"]["namespace"] for obj in render_raycluster(cluster).objects} == {"default"}


def test_every_service_port_carries_protocol_tcp() -> None:
    cluster = raycluster(
        annotations={"ray.io/enable-serve-service": "true"},
        headGroupSpec={
            "template": {"spec": {"containers": [container("ray-head")]}},
            "headService": {"spec": {"ports": [{"name": "extra", "port": 1}]}},
        },
    )
    services = [obj for obj in render_raycluster(cluster).objects if obj["kind"] == "Service"]
    assert {port.get("protocol") for service in services for port in service["spec"]["ports"]} == {"TCP"}


def test_warnings_are_returned() -> None:
    cluster = raycluster(
        enableInTreeAutoscaling=True,
        workerGroupSpecs=[
            group("cpu", template={"spec": {"containers": [container("w")], "restartPolicy": "Always"}})
        ],
    )
    assert render_raycluster(cluster).warnings == (
        "restartPolicy for worker groups [cpu] should be Never or unset when using autoscaler V1",
    )


def test_suspended_cluster_keeps_services_and_has_no_pods() -> None:
    """`spec.suspend`: KubeRay deletes all Pods, never the Services (reconcilePods)."""
    cluster = raycluster(suspend=True, workerGroupSpecs=[group("cpu", replicas=2)])
    assert kinds_and_names(render_raycluster(cluster)) == [("Service", "demo-head-svc")]


def worker_pods_per_group(result: RenderResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in result.objects:
        if obj["kind"] == "Pod" and obj["metadata"]["labels"]["ray.io/node-type"] == "worker":
            name = obj["metadata"]["labels"]["ray.io/group"]
            counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        pytest.param([group("g", minReplicas=1, maxReplicas=5)], {"g": 1}, id="replicas unset -> min"),
        pytest.param([group("g", replicas=3, minReplicas=1, maxReplicas=5)], {"g": 3}, id="within range"),
        pytest.param([group("g", replicas=6, minReplicas=1, maxReplicas=5)], {"g": 5}, id="above max"),
        pytest.param([group("g", replicas=0, minReplicas=1, maxReplicas=5)], {"g": 1}, id="below min"),
        pytest.param(
            [group("g", replicas=3, minReplicas=1, maxReplicas=5, suspend=True)],
            {},
            id="suspended group",
        ),
        pytest.param(
            [group("g", replicas=5, minReplicas=1, maxReplicas=5, numOfHosts=4)], {"g": 20}, id="hosts"
        ),
        pytest.param(
            [group("a", minReplicas=1, maxReplicas=5), group("b", minReplicas=2, maxReplicas=5)],
            {"a": 1, "b": 2},
            id="(nil,1,5)+(nil,2,5) = 3",
        ),
        pytest.param(
            [
                group("a", replicas=0, minReplicas=2, maxReplicas=5),
                group("b", replicas=6, minReplicas=2, maxReplicas=5),
            ],
            {"a": 2, "b": 5},
            id="(0,2,5)+(6,2,5) = 7",
        ),
        pytest.param(
            [
                group("a", replicas=6, minReplicas=2, maxReplicas=5),
                group("b", replicas=3, minReplicas=2, maxReplicas=5),
            ],
            {"a": 5, "b": 3},
            id="(6,2,5)+(3,2,5) = 8",
        ),
        pytest.param(
            [
                group("a", replicas=3, numOfHosts=4, minReplicas=1, maxReplicas=6),
                group("b", replicas=3, minReplicas=2, maxReplicas=5),
            ],
            {"a": 12, "b": 3},
            id="(3,h4,1,6)+(3,2,5) = 15",
        ),
    ],
)
def test_worker_pods_are_clamped_replicas_times_hosts(
    groups: list[dict[str, Any]], expected: dict[str, int]
) -> None:
    """KubeRay's TestGetWorkerGroupDesiredReplicas and TestCalculateDesiredReplicas cases, fully rendered."""
    assert worker_pods_per_group(render_raycluster(raycluster(workerGroupSpecs=groups))) == expected


def test_rocksdb_claim() -> None:
    cluster = apply_crd_defaults(
        raycluster(
            gcsFaultToleranceOptions={
                "backend": "rocksdb",
                "storage": {"size": "5Gi", "storageClassName": "fast", "accessModes": ["ReadWriteOncePod"]},
            }
        )
    )
    assert gcs_storage_claim(cluster) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "demo-gcs-pvc", "namespace": "ml", "labels": {"ray.io/cluster": "demo"}},
        "spec": {
            "accessModes": ["ReadWriteOncePod"],
            "storageClassName": "fast",
            "resources": {"requests": {"storage": "5Gi"}},
        },
    }


def test_rocksdb_claim_defaults() -> None:
    claim = gcs_storage_claim(apply_crd_defaults(raycluster(gcsFaultToleranceOptions={"backend": "rocksdb"})))
    assert claim is not None
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}


def test_retained_rocksdb_claim_is_never_pruned() -> None:
    options = {"backend": "rocksdb", "storage": {"deletionPolicy": "Retain"}}
    claim = gcs_storage_claim(apply_crd_defaults(raycluster(gcsFaultToleranceOptions=options)))
    assert claim is not None
    assert claim["metadata"]["annotations"] == {"gitops-ray.io/prune": "disabled"}


@pytest.mark.parametrize(
    "ft_options",
    [
        pytest.param({"backend": "rocksdb", "storage": {"claimName": "byo-pvc"}}, id="user claim"),
        pytest.param({"redisAddress": "redis:6379"}, id="redis backend"),
        pytest.param(None, id="no fault tolerance"),
    ],
)
def test_no_rocksdb_claim(ft_options: dict[str, Any] | None) -> None:
    spec: dict[str, Any] = {} if ft_options is None else {"gcsFaultToleranceOptions": ft_options}
    assert gcs_storage_claim(apply_crd_defaults(raycluster(**spec))) is None


def test_schema_errors_come_first() -> None:
    with pytest.raises(SchemaError) as caught:
        render_raycluster(raycluster(workerGroupSpecs=[group("g", replicas="3")]))
    assert str(caught.value) == "spec.workerGroupSpecs[0].replicas: must be of type integer, got string"


def test_invalid_cluster_is_rejected_with_kuberays_message() -> None:
    with pytest.raises(RejectedRayCluster) as caught:
        render_raycluster(raycluster(workerGroupSpecs=[group("g", minReplicas=3, maxReplicas=1)]))
    assert caught.value.event_message == (
        "The RayCluster spec is invalid ml/demo: worker group g has minReplicas 3 greater than maxReplicas 1"
    )


def test_multikueue_cluster_renders_nothing_and_says_why() -> None:
    with pytest.raises(ManagedElsewhere):
        render_raycluster(raycluster(managedBy="kueue.x-k8s.io/multikueue"))


def test_serve_service_without_serve_port_fails_the_render() -> None:
    head_container = {**container("ray-head"), "ports": [{"name": "gcs-server", "containerPort": 6379}]}
    cluster = raycluster(
        annotations={"ray.io/enable-serve-service": "true"},
        headGroupSpec={"template": {"spec": {"containers": [head_container]}}},
    )
    with pytest.raises(RenderError) as caught:
        render_raycluster(cluster)
    assert caught.value.field == "spec.headGroupSpec.template.spec.containers[0].ports"


def test_rendering_is_deterministic_and_leaves_the_input_alone() -> None:
    cluster = raycluster(
        enableInTreeAutoscaling=True,
        headGroupSpec={"enableIngress": True, "template": {"spec": {"containers": [container("ray-head")]}}},
        workerGroupSpecs=[group("cpu", replicas=2), group("tpu", replicas=1, numOfHosts=2)],
    )
    before = copy.deepcopy(cluster)
    first = render_raycluster(cluster)
    assert render_raycluster(cluster) == first
    assert cluster == before


def test_rendered_objects_are_independent_copies() -> None:
    first = render_raycluster(raycluster())
    first.objects[0]["metadata"]["labels"]["x"] = "y"
    assert "x" not in render_raycluster(raycluster()).objects[0]["metadata"]["labels"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(None, id="None"),
        pytest.param("RayCluster", id="a string"),
        pytest.param([], id="a list"),
        pytest.param(
            {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "x"}, "spec": 1},
            id="spec: 1",
        ),
        pytest.param(
            {
                "apiVersion": "ray.io/v1",
                "kind": "RayCluster",
                "metadata": {"name": "x"},
                "spec": {"headGroupSpec": []},
            },
            id="head group a list",
        ),
        pytest.param(
            {
                "apiVersion": "ray.io/v1",
                "kind": "RayCluster",
                "metadata": {"name": "x", "labels": {"a": None}},
                "spec": {"headGroupSpec": {"template": {}}},
            },
            id="null label value",
        ),
    ],
)
def test_garbage_only_ever_raises_render_errors(raw: Any) -> None:
    with pytest.raises(RenderError):
        render_raycluster(raw)


def test_a_bug_becomes_an_internal_render_error_without_user_data(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(cluster: dict[str, Any], options: RenderOptions) -> list[dict[str, Any]]:
        return [cluster["spec"]["secret-value"]]

    monkeypatch.setattr(pod, "render_pods", broken)
    with pytest.raises(InternalRenderError) as caught:
        render_raycluster(raycluster())
    assert caught.value.message == (
        f"internal error (KeyError at test_render_raycluster.py:{broken.__code__.co_firstlineno + 1}); "
        "please report the input"
    )
