"""Head, headless worker and serve Services: KubeRay's common/service_test.go, TestReconcileHeadlessService.

See docs/kuberay-rendering.md#services.
"""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.errors import RenderError
from gitops_ray.render.options import RenderOptions
from gitops_ray.render.service import head_service, headless_worker_service, is_serving_port, serve_service

HEAD_SERVICE_ANNOTATIONS = {
    "HeadServiceAnnotationKey1": "HeadServiceAnnotationValue1",
    "HeadServiceAnnotationKey2": "HeadServiceAnnotationValue2",
}
FIXTURE_PORTS = [
    {"name": "gcs-server", "containerPort": 6379},
    {"name": "dashboard", "containerPort": 8265},
    {"name": "serve", "containerPort": 8000},
]
SELECTOR = {
    "ray.io/cluster": "raycluster-sample",
    "ray.io/node-type": "head",
    "ray.io/identifier": "raycluster-sample-head",
    "app.kubernetes.io/name": "kuberay",
    "app.kubernetes.io/created-by": "kuberay-operator",
}


def raycluster(
    ports: list[dict[str, Any]] | None = None,
    template_labels: dict[str, str] | None = None,
    name: str = "raycluster-sample",
    annotations: dict[str, str] | None = None,
    head_fields: dict[str, Any] | None = None,
    workers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `instanceWithWrongSvc` fixture of service_test.go, defaulted; arguments replace its parts."""
    container: dict[str, Any] = {"name": "ray-head", "image": "rayproject/ray:2.52.0"}
    container["ports"] = FIXTURE_PORTS if ports is None else ports
    template = {
        "metadata": {"labels": {"groupName": "headgroup"} if template_labels is None else template_labels},
        "spec": {"containers": [container]},
    }
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = annotations
    return apply_crd_defaults(
        {
            "apiVersion": "ray.io/v1",
            "kind": "RayCluster",
            "metadata": metadata,
            "spec": {
                "headServiceAnnotations": HEAD_SERVICE_ANNOTATIONS,
                "headGroupSpec": {"template": template, **(head_fields or {})},
                "workerGroupSpecs": workers or [],
            },
        }
    )


def tcp(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "protocol": "TCP", "appProtocol": "tcp", "port": port}


def port_map(service: dict[str, Any]) -> dict[str, int]:
    return {port["name"]: port["port"] for port in service["spec"]["ports"]}


def test_default_head_service() -> None:
    """TestBuildServiceForHeadPod: headless, 5-key selector, ports sorted by name, each with appProtocol tcp
    and protocol TCP."""
    assert head_service(raycluster(), RenderOptions()) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "raycluster-sample-head-svc",
            "namespace": "default",
            "labels": SELECTOR,
            "annotations": HEAD_SERVICE_ANNOTATIONS,
        },
        "spec": {
            "selector": SELECTOR,
            "ports": [
                tcp("dashboard", 8265),
                tcp("gcs-server", 6379),
                tcp("metrics", 8080),
                tcp("serve", 8000),
            ],
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
        },
    }


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        pytest.param(
            [],
            {"client": 10001, "dashboard": 8265, "gcs-server": 6379, "metrics": 8080, "serve": 8000},
            id="no ports: defaults",
        ),
        pytest.param(
            [{"name": "random", "containerPort": 1234}],
            {"metrics": 8080, "random": 1234},
            id="one port: only it plus metrics",
        ),
        pytest.param(
            [{"name": "metrics", "containerPort": 8081}], {"metrics": 8081}, id="user metrics port kept"
        ),
        pytest.param([{"containerPort": 6379}], {"6379-port": 6379, "metrics": 8080}, id="unnamed port"),
    ],
)
def test_head_service_ports(ports: list[dict[str, Any]], expected: dict[str, int]) -> None:
    assert port_map(head_service(raycluster(ports), RenderOptions())) == expected


def test_head_service_ports_are_sorted_by_name() -> None:
    """Sample `ray-cluster.sample.yaml` order: client, dashboard, gcs-server, metrics."""
    ports = [
        {"name": "gcs-server", "containerPort": 6379},
        {"name": "dashboard", "containerPort": 8265},
        {"name": "client", "containerPort": 10001},
    ]
    service = head_service(raycluster(ports), RenderOptions())
    assert [port["name"] for port in service["spec"]["ports"]] == [
        "client",
        "dashboard",
        "gcs-server",
        "metrics",
    ]


def test_cluster_ip_option_makes_the_head_service_a_normal_cluster_ip_service() -> None:
    """TestBuildClusterIPServiceForHeadPod (ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE=true)."""
    spec = head_service(raycluster(), RenderOptions(enable_head_cluster_ip_service=True))["spec"]
    assert ("clusterIP" in spec, "publishNotReadyAddresses" in spec) == (False, False)


@pytest.mark.parametrize(
    ("service_type", "headless"),
    [
        pytest.param("ClusterIP", True, id="ClusterIP stays headless"),
        pytest.param("NodePort", False, id="NodePort"),
        pytest.param("LoadBalancer", False, id="LoadBalancer"),
    ],
)
def test_service_type(service_type: str, headless: bool) -> None:
    spec = head_service(raycluster(head_fields={"serviceType": service_type}), RenderOptions())["spec"]
    assert (spec["type"], spec.get("clusterIP") == "None") == (service_type, headless)


def test_head_template_app_name_label_changes_the_selector() -> None:
    """TestBuildServiceForHeadPodWithAppNameLabel: still exactly 5 keys."""
    service = head_service(
        raycluster(template_labels={"app.kubernetes.io/name": "testname"}), RenderOptions()
    )
    assert service["spec"]["selector"] == {**SELECTOR, "app.kubernetes.io/name": "testname"}


def test_head_template_cluster_label_does_not_change_the_selector() -> None:
    """The system labels win over template labels, as in a real reconcile (TestUserSpecifiedHeadService passes
    such a label to the builder directly)."""
    service = head_service(raycluster(template_labels={"ray.io/cluster": "other"}), RenderOptions())
    assert service["spec"]["selector"] == SELECTOR


def test_head_service_annotations_are_copied() -> None:
    """TestBuildServiceForHeadPodWithAnnotations: `headServiceAnnotations` become the annotations."""
    cluster = raycluster()
    cluster["spec"]["headServiceAnnotations"] = {"key1": "testvalue1", "key2": "testvalue2"}
    assert head_service(cluster, RenderOptions())["metadata"]["annotations"] == {
        "key1": "testvalue1",
        "key2": "testvalue2",
    }


def test_no_head_service_annotations_means_no_annotations_field() -> None:
    cluster = raycluster()
    del cluster["spec"]["headServiceAnnotations"]
    assert "annotations" not in head_service(cluster, RenderOptions())["metadata"]


USER_HEAD_SERVICE = {
    "metadata": {
        "name": "user-custom-name",
        "namespace": "user-custom-namespace",
        "labels": {"userLabelKey": "userLabelValue", "ray.io/cluster": "userClusterName"},
        "annotations": {
            "userAnnotationKey": "userAnnotationValue",
            "HeadServiceAnnotationKey1": "user_override",
        },
    },
    "spec": {
        "ports": [{"name": "userPort", "port": 12345}, {"name": "client", "port": 98765}],
        "selector": {"userSelectorKey": "userSelectorValue", "ray.io/cluster": "userSelectorClusterName"},
        "type": "LoadBalancer",
        "clusterIP": "",
    },
}


def test_user_head_service() -> None:
    """TestUserSpecifiedHeadService, system selector kept; appended ports sorted by name; user ports TCP."""
    cluster = raycluster(
        template_labels={"ray.io/cluster": "userTemplateClusterName"},
        head_fields={"headService": USER_HEAD_SERVICE},
    )
    assert head_service(cluster, RenderOptions()) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "user-custom-name",
            "namespace": "default",
            "labels": {"userLabelKey": "userLabelValue", **SELECTOR},
            "annotations": {"userAnnotationKey": "userAnnotationValue", **HEAD_SERVICE_ANNOTATIONS},
        },
        "spec": {
            "ports": [
                {"name": "userPort", "port": 12345, "protocol": "TCP"},
                {"name": "client", "port": 98765, "protocol": "TCP"},
                tcp("dashboard", 8265),
                tcp("gcs-server", 6379),
                tcp("metrics", 8080),
                tcp("serve", 8000),
            ],
            "selector": SELECTOR,
            "type": "LoadBalancer",
            "clusterIP": "",
        },
    }


def test_user_head_service_without_type_takes_the_service_type() -> None:
    user_service = {"spec": {"ports": [{"name": "extra", "port": 1}]}}
    cluster = raycluster(head_fields={"headService": user_service, "serviceType": "NodePort"})
    service = head_service(cluster, RenderOptions())
    assert (service["metadata"]["name"], service["spec"]["type"]) == (
        "raycluster-sample-head-svc",
        "NodePort",
    )


def multi_host_group(name: str, hosts: int) -> dict[str, Any]:
    return {
        "groupName": name,
        "numOfHosts": hosts,
        "template": {"spec": {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.52.0"}]}},
    }


def test_headless_worker_service() -> None:
    """TestBuildHeadlessServiceForRayCluster: `<cluster>-headless`, headless, selecting the workers."""
    cluster = raycluster(name="raycluster-sample-svc", workers=[multi_host_group("tpu", 4)])
    assert headless_worker_service(cluster) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "raycluster-sample-svc-headless",
            "namespace": "default",
            "labels": {"ray.io/headless-worker-svc": "raycluster-sample-svc"},
        },
        "spec": {
            "clusterIP": "None",
            "type": "ClusterIP",
            "publishNotReadyAddresses": True,
            "selector": {"ray.io/cluster": "raycluster-sample-svc", "ray.io/node-type": "worker"},
        },
    }


@pytest.mark.parametrize(
    ("groups", "present"),
    [
        pytest.param([multi_host_group("a", 1)], False, id="single-host only"),
        pytest.param([multi_host_group("a", 1), multi_host_group("b", 4)], True, id="one multi-host group"),
        pytest.param([], False, id="no workers"),
    ],
)
def test_headless_worker_service_only_for_multi_host_groups(
    groups: list[dict[str, Any]], present: bool
) -> None:
    """TestReconcileHeadlessService: one Service for the cluster whenever some group has numOfHosts > 1."""
    assert (headless_worker_service(raycluster(workers=groups)) is not None) is present


SERVE = {"ray.io/enable-serve-service": "true"}


def test_serve_service() -> None:
    """TestBuildServeServiceForRayCluster: only serve ports, no appProtocol, selector on the cluster label."""
    cluster = raycluster(
        name="raycluster-sample-svc", annotations=SERVE, head_fields={"serviceType": "ClusterIP"}
    )
    assert serve_service(cluster) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "raycluster-sample-svc-serve-svc",
            "namespace": "default",
            "labels": {
                "ray.io/originated-from-cr-name": "raycluster-sample-svc",
                "ray.io/originated-from-crd": "RayCluster",
                "ray.io/serve": "raycluster-sample-svc-serve",
            },
        },
        "spec": {
            "selector": {"ray.io/cluster": "raycluster-sample-svc"},
            "type": "ClusterIP",
            "ports": [{"name": "serve", "protocol": "TCP", "port": 8000}],
        },
    }


def test_serve_service_with_grpc_port() -> None:
    """TestBuildServeServiceWithGrpcPort: `serve` and `serve-grpc` are both exposed."""
    ports = [*FIXTURE_PORTS, {"name": "serve-grpc", "containerPort": 9000}]
    service = serve_service(raycluster(ports, annotations=SERVE))
    assert service is not None
    assert port_map(service) == {"serve": 8000, "serve-grpc": 9000}


def test_serve_service_without_serve_port_is_an_error() -> None:
    """TestBuildServeServiceForRayService_WithoutServePort: no serve port is KubeRay's reconcile error."""
    with pytest.raises(RenderError) as caught:
        serve_service(raycluster([{"name": "gcs-server", "containerPort": 6379}], annotations=SERVE))
    assert caught.value.message == (
        "Please specify a port named 'serve' (or with the prefix 'serve-', e.g. 'serve-grpc') in the Ray "
        "head container; otherwise, the Kubernetes service for Ray Serve will not be created."
    )


@pytest.mark.parametrize("value", ["false", "True", ""])
def test_no_serve_service_unless_annotation_is_exactly_true(value: str) -> None:
    assert serve_service(raycluster(annotations={"ray.io/enable-serve-service": value})) is None


@pytest.mark.parametrize(
    ("name", "serving"),
    [
        ("serve", True),
        ("serve-grpc", True),
        ("serve-http", True),
        ("server", False),
        ("dashboard", False),
        ("gcs-server", False),
        ("metrics", False),
        ("", False),
    ],
)
def test_is_serving_port(name: str, serving: bool) -> None:
    """TestIsServingPort: `serve` or a `serve-` prefix."""
    assert is_serving_port(name) is serving
