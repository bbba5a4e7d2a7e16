"""Ingress (common/ingress_test.go), autoscaler RBAC (common/rbac_test.go) and the token-auth Secret."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.ingress import head_ingress
from gitops_ray.render.rbac import auth_secret, autoscaler_rbac

KUBERAY_LABELS = {
    "ray.io/cluster": "raycluster-sample",
    "app.kubernetes.io/name": "kuberay",
    "app.kubernetes.io/created-by": "kuberay-operator",
}


def raycluster(
    name: str = "raycluster-sample",
    annotations: dict[str, str] | None = None,
    head_fields: dict[str, Any] | None = None,
    service_account: str = "",
    **spec: Any,
) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.52.0"}]}
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = annotations
    head = {"template": {"spec": pod_spec}, **(head_fields or {})}
    return apply_crd_defaults(
        {
            "apiVersion": "ray.io/v1",
            "kind": "RayCluster",
            "metadata": metadata,
            "spec": {"headGroupSpec": head, **spec},
        }
    )


INGRESS_CLASS = {"kubernetes.io/ingress.class": "nginx"}


def test_head_ingress() -> None:
    """TestBuildIngressForHeadService: the class annotation becomes ingressClassName; path `/`, Prefix,
    dashboard port 8265."""
    cluster = raycluster(
        annotations={**INGRESS_CLASS, "ray.io/ft-enabled": "false"}, head_fields={"enableIngress": True}
    )
    assert head_ingress(cluster) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "raycluster-sample-head-ingress",
            "namespace": "default",
            "labels": {
                "ray.io/cluster": "raycluster-sample",
                "ray.io/identifier": "raycluster-sample-head",
                "app.kubernetes.io/name": "kuberay",
                "app.kubernetes.io/created-by": "kuberay-operator",
            },
            "annotations": {"ray.io/ft-enabled": "false"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": "raycluster-sample-head-svc",
                                        "port": {"number": 8265},
                                    }
                                },
                            }
                        ]
                    }
                }
            ],
        },
    }


def test_head_ingress_with_ingress_options() -> None:
    """TestBuildIngressForHeadServiceWithIngressFields: host, path, pathType and TLS are used."""
    options = {
        "host": "ray.example.com",
        "path": "/dashboard",
        "pathType": "Prefix",
        "tls": [{"hosts": ["ray.example.com"], "secretName": "ray-tls"}],
    }
    ingress = head_ingress(
        raycluster(annotations=INGRESS_CLASS, head_fields={"enableIngress": True, "ingressOptions": options})
    )
    assert ingress is not None
    rule = ingress["spec"]["rules"][0]
    assert (rule["host"], rule["http"]["paths"][0]["path"], rule["http"]["paths"][0]["pathType"]) == (
        "ray.example.com",
        "/dashboard",
        "Prefix",
    )
    assert ingress["spec"]["tls"] == [{"hosts": ["ray.example.com"], "secretName": "ray-tls"}]
    assert ingress["spec"]["ingressClassName"] == "nginx"


def test_head_ingress_without_ingress_class() -> None:
    """TestBuildIngressForHeadServiceWithoutIngressClass: built without ingressClassName (and without
    annotations when the cluster has none)."""
    ingress = head_ingress(raycluster(head_fields={"enableIngress": True}))
    assert ingress is not None
    assert ("ingressClassName" in ingress["spec"], "annotations" in ingress["metadata"]) == (False, False)


def test_head_ingress_uses_the_dashboard_port_and_custom_head_service_name() -> None:
    head_fields = {
        "enableIngress": True,
        "headService": {"metadata": {"name": "my-head"}},
        "template": {
            "spec": {"containers": [{"name": "ray", "ports": [{"name": "dashboard", "containerPort": 9999}]}]}
        },
    }
    ingress = head_ingress(raycluster(head_fields=head_fields))
    assert ingress is not None
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"] == {
        "service": {"name": "my-head", "port": {"number": 9999}}
    }


def test_long_cluster_name_is_clipped_for_the_ingress_name() -> None:
    """CheckName keeps the last 50 characters (as in TestCheckName)."""
    ingress = head_ingress(raycluster(name="a" * 45, head_fields={"enableIngress": True}))
    assert ingress is not None
    assert ingress["metadata"]["name"] == "a" * 37 + "-head-ingress"


def test_no_ingress_unless_enabled() -> None:
    assert head_ingress(raycluster()) is None


def test_autoscaler_rbac() -> None:
    """BuildServiceAccount, BuildRole, BuildRoleBinding: all three named after the cluster."""
    assert autoscaler_rbac(raycluster(enableInTreeAutoscaling=True)) == [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "raycluster-sample", "namespace": "default", "labels": KUBERAY_LABELS},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "raycluster-sample", "namespace": "default", "labels": KUBERAY_LABELS},
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "patch"]},
                {"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]},
                {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "patch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "raycluster-sample", "namespace": "default", "labels": KUBERAY_LABELS},
            "subjects": [{"kind": "ServiceAccount", "name": "raycluster-sample", "namespace": "default"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "raycluster-sample"},
        },
    ]


def subject_and_role(objects: list[dict[str, Any]]) -> list[str]:
    binding = next(obj for obj in objects if obj["kind"] == "RoleBinding")
    return [binding["subjects"][0]["name"], binding["roleRef"]["name"]]


@pytest.mark.parametrize(
    ("name", "service_account", "expected"),
    [
        pytest.param(
            "raycluster-sample",
            "my-service-account",
            ["my-service-account", "raycluster-sample"],
            id="user SA",
        ),
        pytest.param("raycluster-sample", "", ["raycluster-sample", "raycluster-sample"], id="default SA"),
        pytest.param("a" * 200, "", ["a" * 50, "a" * 50], id="CheckName clips to 50"),
    ],
)
def test_role_binding_subject_and_role_ref(name: str, service_account: str, expected: list[str]) -> None:
    """TestBuildRoleBindingSubjectAndRoleRefName (TestGetHeadGroupServiceAccountName: the head template's
    ServiceAccount, else the cluster name). Names over 53 characters fail validation first; the builder is
    exercised directly here."""
    cluster = raycluster(name=name, service_account=service_account, enableInTreeAutoscaling=True)
    assert subject_and_role(autoscaler_rbac(cluster)) == expected


def test_user_service_account_is_not_rendered() -> None:
    """KubeRay never creates a ServiceAccount the user named; the user provides it."""
    objects = autoscaler_rbac(raycluster(service_account="my-sa", enableInTreeAutoscaling=True))
    assert [obj["kind"] for obj in objects] == ["Role", "RoleBinding"]


def test_no_rbac_without_autoscaling() -> None:
    assert autoscaler_rbac(raycluster()) == []


def test_auth_secret_has_no_data_and_is_marked_generated() -> None:
    """The random token cannot live in Git: the apply engine creates it once."""
    assert auth_secret(raycluster(rayVersion="2.52.0", authOptions={"mode": "token"})) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "raycluster-sample",
            "namespace": "default",
            "labels": {"ray.io/cluster": "raycluster-sample"},
            "annotations": {"gitops-ray.io/generated-secret": "auth_token"},
        },
    }


@pytest.mark.parametrize(
    ("auth_options", "present"),
    [
        pytest.param({"mode": "token"}, True, id="token"),
        pytest.param({}, True, id="mode unset (any mode but disabled)"),
        pytest.param({"mode": "disabled"}, False, id="disabled"),
        pytest.param({"mode": "token", "secretName": "mine"}, False, id="user secret"),
        pytest.param({"mode": "token", "enableK8sTokenAuth": True}, False, id="k8s token auth"),
        pytest.param(None, False, id="no authOptions"),
    ],
)
def test_auth_secret_only_when_kuberay_would_generate_one(
    auth_options: dict[str, Any] | None, present: bool
) -> None:
    spec: dict[str, Any] = {} if auth_options is None else {"authOptions": auth_options}
    assert (auth_secret(raycluster(**spec)) is not None) is present


def test_auth_secret_name_keeps_the_last_50_characters() -> None:
    """CheckName(cluster)."""
    secret = auth_secret(raycluster(name="abc" + "d" * 50, authOptions={"mode": "token"}))
    assert secret is not None
    assert secret["metadata"]["name"] == "d" * 50
