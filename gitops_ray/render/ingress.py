"""The Ingress KubeRay creates for the head dashboard when `headGroupSpec.enableIngress` is true.

KubeRay: `BuildIngressForHeadService` in `common/ingress.go`.
"""

from __future__ import annotations

from typing import Any

from gitops_ray.model.kuberay import APP_NAME, APP_NAME_LABEL, RAY_CLUSTER_LABEL
from gitops_ray.model.objects import KubeObject
from gitops_ray.render import cluster as rc
from gitops_ray.render import names

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DASHBOARD_PORT_NAME = "dashboard"
DEFAULT_DASHBOARD_PORT = 8265


def head_ingress(cluster: KubeObject) -> KubeObject | None:
    """`CheckName(<cluster>-head-ingress)` routing to the head Service's dashboard port; None when disabled.

    As in KubeRay, every RayCluster annotation except the ingress class is copied onto the Ingress, and the
    ingress class annotation becomes `spec.ingressClassName` (OpenShift Routes are not rendered).
    """
    head = rc.head_group(cluster)
    if not head.get("enableIngress"):
        return None
    name = rc.name(cluster)
    ingress_options = head.get("ingressOptions") or {}
    cluster_annotations = rc.annotations(cluster)
    port = rc.service_port_map(cluster).get(DASHBOARD_PORT_NAME, DEFAULT_DASHBOARD_PORT)
    path = {
        "path": ingress_options.get("path") or "/",
        "pathType": ingress_options.get("pathType") or "Prefix",
        "backend": {"service": {"name": rc.head_service_name(cluster), "port": {"number": port}}},
    }
    rule: dict[str, Any] = {}
    if ingress_options.get("host"):
        rule["host"] = ingress_options["host"]
    rule["http"] = {"paths": [path]}
    spec: dict[str, Any] = {}
    if INGRESS_CLASS_ANNOTATION in cluster_annotations:
        spec["ingressClassName"] = cluster_annotations[INGRESS_CLASS_ANNOTATION]
    spec["rules"] = [rule]
    if ingress_options.get("tls"):
        spec["tls"] = [dict(entry) for entry in ingress_options["tls"]]
    metadata: dict[str, Any] = {
        "name": names.check_name(f"{name}-head-ingress"),
        "namespace": rc.namespace(cluster),
        "labels": {
            RAY_CLUSTER_LABEL: name,
            "ray.io/identifier": names.check_label(f"{name}-head"),
            APP_NAME_LABEL: APP_NAME,
            "app.kubernetes.io/created-by": "kuberay-operator",
        },
    }
    copied = {key: value for key, value in cluster_annotations.items() if key != INGRESS_CLASS_ANNOTATION}
    if copied:
        metadata["annotations"] = copied
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}
