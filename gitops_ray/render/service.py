"""The Services KubeRay creates for a RayCluster: head, headless worker, serve (`common/service.go`).

Two deliberate differences from KubeRay, both so that Git diffs and server-side apply behave:
every port carries `protocol: TCP` (a 1.20 API server rejects server-side apply without it), and the ports
KubeRay appends to a user `headService` in Go map order are sorted by name. No ownerReferences: gitops-ray
owns the objects through its ApplySet labels.
"""

from __future__ import annotations

import copy
from typing import Any

from gitops_ray.model.kuberay import (
    APP_NAME,
    APP_NAME_LABEL,
    HEAD_NODE_TYPE,
    NODE_TYPE_LABEL,
    RAY_CLUSTER_LABEL,
    WORKER_NODE_TYPE,
)
from gitops_ray.model.objects import KubeObject
from gitops_ray.render import cluster as rc
from gitops_ray.render import names
from gitops_ray.render.errors import RenderError
from gitops_ray.render.options import RenderOptions

SERVE_SERVICE_ANNOTATION = "ray.io/enable-serve-service"
NO_SERVE_PORT_MESSAGE = (
    "Please specify a port named 'serve' (or with the prefix 'serve-', e.g. 'serve-grpc') in the Ray head "
    "container; otherwise, the Kubernetes service for Ray Serve will not be created."
)


def head_selector(cluster: KubeObject) -> dict[str, str]:
    """HeadServiceLabels: the 5 labels selecting the head Pod. Only the head template's
    `app.kubernetes.io/name` may change one: a real reconcile passes no other label
    (docs/kuberay-rendering.md#head-service)."""
    template = rc.head_group(cluster).get("template") or {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    return {
        RAY_CLUSTER_LABEL: rc.name(cluster),
        NODE_TYPE_LABEL: HEAD_NODE_TYPE,
        "ray.io/identifier": names.check_label(f"{rc.name(cluster)}-head"),
        APP_NAME_LABEL: str(template_labels.get(APP_NAME_LABEL) or APP_NAME),
        "app.kubernetes.io/created-by": "kuberay-operator",
    }


def service_port(name: str, number: int, app_protocol: bool = True) -> dict[str, Any]:
    port: dict[str, Any] = {"name": name, "protocol": "TCP"}
    if app_protocol:
        port["appProtocol"] = "tcp"
    port["port"] = number
    return port


def _head_ports(cluster: KubeObject) -> list[dict[str, Any]]:
    """The getServicePorts map as Service ports, sorted by name."""
    return [service_port(name, number) for name, number in sorted(rc.service_port_map(cluster).items())]


def _service(name: str, namespace: str, labels: dict[str, str], spec: dict[str, Any]) -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
    }


def _default_head_service(cluster: KubeObject, options: RenderOptions) -> KubeObject:
    selector = head_selector(cluster)
    service_type = str(rc.head_group(cluster).get("serviceType") or "")
    spec: dict[str, Any] = {"selector": dict(selector)}
    if service_type:
        spec["type"] = service_type
    spec["ports"] = _head_ports(cluster)
    if not options.enable_head_cluster_ip_service and service_type in ("", "ClusterIP"):
        spec["clusterIP"] = "None"
        spec["publishNotReadyAddresses"] = True
    service = _service(rc.head_service_name(cluster), rc.namespace(cluster), dict(selector), spec)
    annotations = dict(rc.spec(cluster).get("headServiceAnnotations") or {})
    if annotations:
        service["metadata"]["annotations"] = annotations
    return service


def _custom_head_service(cluster: KubeObject, user_service: dict[str, Any]) -> KubeObject:
    """BuildServiceForHeadPod with a `headService`: the user's Service with KubeRay's selector, labels,
    annotations, ports and name."""
    service: KubeObject = copy.deepcopy(user_service)
    service.pop("status", None)
    service["apiVersion"] = "v1"
    service["kind"] = "Service"
    selector = head_selector(cluster)
    metadata = service.setdefault("metadata", {})
    metadata["name"] = rc.head_service_name(cluster)
    metadata["namespace"] = rc.namespace(cluster)
    metadata["labels"] = {**(metadata.get("labels") or {}), **selector}
    overrides = rc.spec(cluster).get("headServiceAnnotations") or {}
    annotations = {**(metadata.get("annotations") or {}), **overrides}
    if annotations:
        metadata["annotations"] = annotations
    spec = service.setdefault("spec", {})
    spec["selector"] = dict(selector)
    user_ports = [{**port, "protocol": port.get("protocol") or "TCP"} for port in spec.get("ports") or []]
    spec["ports"] = user_ports + _head_ports(cluster)
    service_type = spec.get("type") or rc.head_group(cluster).get("serviceType")
    if service_type:
        spec["type"] = service_type
    return service


def head_service(cluster: KubeObject, options: RenderOptions) -> KubeObject:
    """The head Service: KubeRay's default (headless unless a NodePort/LoadBalancer or the ClusterIP option),
    or the user's `headGroupSpec.headService` completed by KubeRay."""
    user_service = rc.head_group(cluster).get("headService")
    if user_service is not None:
        return _custom_head_service(cluster, user_service)
    return _default_head_service(cluster, options)


def headless_worker_service(cluster: KubeObject) -> KubeObject | None:
    """BuildHeadlessServiceForRayCluster: `<cluster>-headless`, only if some group has `numOfHosts > 1`."""
    if not any(rc.num_of_hosts(group) > 1 for group in rc.worker_groups(cluster)):
        return None
    name = rc.name(cluster)
    spec = {
        "clusterIP": "None",
        "type": "ClusterIP",
        "publishNotReadyAddresses": True,
        "selector": {RAY_CLUSTER_LABEL: name, NODE_TYPE_LABEL: WORKER_NODE_TYPE},
    }
    return _service(f"{name}-headless", rc.namespace(cluster), {"ray.io/headless-worker-svc": name}, spec)


def is_serving_port(name: str) -> bool:
    """TestIsServingPort: `serve` or a `serve-` prefix."""
    return name == "serve" or name.startswith("serve-")


def serve_service(cluster: KubeObject) -> KubeObject | None:
    """BuildServeServiceForRayCluster: `<cluster>-serve-svc` when annotation `ray.io/enable-serve-service` is
    `"true"`.

    Raises RenderError (KubeRay's reconcile error) when the head container has no serve port.
    """
    if rc.annotations(cluster).get(SERVE_SERVICE_ANNOTATION) != "true":
        return None
    ports = [
        service_port(name, number, app_protocol=False)
        for name, number in sorted(rc.service_port_map(cluster).items())
        if is_serving_port(name)
    ]
    if not ports:
        raise RenderError(NO_SERVE_PORT_MESSAGE, "spec.headGroupSpec.template.spec.containers[0].ports")
    name = rc.name(cluster)
    labels = {
        "ray.io/originated-from-cr-name": name,
        "ray.io/originated-from-crd": "RayCluster",
        "ray.io/serve": f"{name}-serve",
    }
    spec: dict[str, Any] = {"selector": {RAY_CLUSTER_LABEL: name}}
    service_type = rc.head_group(cluster).get("serviceType")
    if service_type:
        spec["type"] = service_type
    spec["ports"] = ports
    return _service(f"{name}-serve-svc", rc.namespace(cluster), labels, spec)
