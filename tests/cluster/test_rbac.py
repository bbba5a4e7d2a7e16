"""deploy/rbac.yaml is enough to sync, and a permission short of it fails with an error that names it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from clusterkit import live, names, sync, write_source
from testenv import identity_kubeconfig
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi, KubeError, connect
from gitops_ray.model.objects import KubeObject
from gitops_ray.observe.pod_events import OWNED_PODS_SELECTOR
from gitops_ray.render import render_raycluster

pytestmark = pytest.mark.apiserver

RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def deploy_rbac() -> list[KubeObject]:
    return [doc for doc in yaml.safe_load_all(RBAC_YAML.read_text()) if doc]


def reduced(name: str, *, resource: str = "", verb: str = "") -> list[KubeObject]:
    """deploy/rbac.yaml under another name, its ClusterRole without `resource` or without `verb` (a rule
    left with none goes)."""
    objects = copy.deepcopy(deploy_rbac())
    for obj in objects:
        obj["metadata"]["name"] = name
        if obj["kind"] == "ClusterRoleBinding":
            obj["roleRef"]["name"] = name
            obj["subjects"][0]["name"] = name
        for rule in obj.get("rules", []):
            rule["resources"] = [r for r in rule["resources"] if r != resource]
            rule["verbs"] = [v for v in rule["verbs"] if v != verb]
        if "rules" in obj:
            obj["rules"] = [rule for rule in obj["rules"] if rule["resources"] and rule["verbs"]]
    return objects


def connect_as(admin: KubeApi, admin_kubeconfig: str, rbac: list[KubeObject], tmp_path: Path) -> KubeApi:
    """Install a ServiceAccount + ClusterRole + binding and connect with the account's token."""
    return connect(identity_kubeconfig(admin, admin_kubeconfig, rbac, tmp_path / "kubeconfig"), None)


def autoscaler_role(cluster: KubeObject) -> KubeObject:
    """The Role KubeRay renders for the cluster's autoscaler, as a plain document beside the cluster (target
    pods refuses autoscaling itself): granting its rules needs holding them."""
    autoscaled = copy.deepcopy(cluster)
    autoscaled["spec"]["enableInTreeAutoscaling"] = True
    return next(obj for obj in render_raycluster(autoscaled).objects if obj["kind"] == "Role")


def test_the_deployed_cluster_role_is_enough_to_sync(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    as_controller = connect_as(kube, apiserver_kubeconfig, deploy_rbac(), tmp_path)
    cluster = raycluster("demo", namespace, workers=1)
    write_source(tmp_path / "src", {f"{namespace}/demo.yaml": [cluster, autoscaler_role(cluster)]})

    result = sync(tmp_path / "src", as_controller)

    assert result.ok, result
    assert names(kube, "Pod", namespace) == ["demo-head", "demo-small-worker-0"]
    assert names(kube, "Role", namespace, api_version="rbac.authorization.k8s.io/v1") == ["demo"]


def test_a_missing_permission_fails_with_an_error_naming_it(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    without_services = reduced("gitops-ray-no-services", resource="services")
    as_controller = connect_as(kube, apiserver_kubeconfig, without_services, tmp_path)
    write_source(tmp_path / "src", {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})

    result = sync(tmp_path / "src", as_controller)

    assert not result.ok
    assert [error.message for error in result.units[0].errors] == [
        f"list Service in namespace {namespace}: services is forbidden: User "
        f'"system:serviceaccount:gitops-ray:gitops-ray-no-services" cannot list resource "services" in API '
        f'group "" in the namespace "{namespace}" (missing permission: list services (apiGroup "") in '
        f"namespace {namespace})",
    ]
    assert names(kube, "Pod", namespace) == []


def test_a_delete_that_fails_stays_in_the_inventory(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    as_controller = connect_as(
        kube, apiserver_kubeconfig, reduced("gitops-ray-no-delete", verb="delete"), tmp_path
    )
    write_source(tmp_path / "src", {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})
    sync(tmp_path / "src", kube)

    write_source(tmp_path / "src", {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    result = sync(tmp_path / "src", as_controller)

    members = live(kube, "ConfigMap", namespace, "gitops-ray-demo")["data"]["members"]
    assert (result.units[0].counts.failed, result.units[0].counts.pruned) == (1, 0)
    assert "(missing permission: delete pods" in result.units[0].errors[0].message
    assert f"/v1/Pod/{namespace}/demo-small-worker-1" in members.splitlines()


def test_the_deployed_cluster_role_may_watch_pods_in_every_namespace_and_a_role_without_it_may_not(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    as_controller = connect_as(kube, apiserver_kubeconfig, deploy_rbac(), tmp_path)
    (tmp_path / "reduced").mkdir()
    without_watch = connect_as(
        kube, apiserver_kubeconfig, reduced("gitops-ray-no-watch", verb="watch"), tmp_path / "reduced"
    )
    _, version = as_controller.list_with_version("v1", "Pod", None, OWNED_PODS_SELECTOR)

    as_controller.watch("v1", "Pod", None, OWNED_PODS_SELECTOR, version, 1, 10).close()
    with pytest.raises(KubeError) as refused:
        without_watch.watch("v1", "Pod", None, OWNED_PODS_SELECTOR, version, 1, 10)

    assert refused.value.message == (
        'watch Pod: pods is forbidden: User "system:serviceaccount:gitops-ray:gitops-ray-no-watch" cannot '
        'watch resource "pods" in API group "" at the cluster scope (missing permission: watch pods '
        '(apiGroup ""))'
    )
