"""CRD defaults and KubeRay's setDefaults on raw RayCluster YAML (docs/kuberay-rendering.md#defaults)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.errors import SchemaError

CONTAINER = {"name": "ray", "image": "rayproject/ray:2.52.0"}


def raycluster(metadata: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    spec.setdefault("headGroupSpec", {"template": {"spec": {"containers": [dict(CONTAINER)]}}})
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": metadata if metadata is not None else {"name": "demo", "namespace": "team-a"},
        "spec": spec,
    }


def worker(**fields: Any) -> dict[str, Any]:
    return {"groupName": "workers", "template": {"spec": {"containers": [dict(CONTAINER)]}}, **fields}


def test_worker_group_gets_the_crd_defaults() -> None:
    group = apply_crd_defaults(raycluster(workerGroupSpecs=[worker()]))["spec"]["workerGroupSpecs"][0]
    assert {
        key: group[key] for key in ("replicas", "minReplicas", "maxReplicas", "numOfHosts", "priority")
    } == {
        "replicas": 0,
        "minReplicas": 0,
        "maxReplicas": 2147483647,
        "numOfHosts": 1,
        "priority": 0,
    }


def test_user_values_win_over_defaults() -> None:
    group = apply_crd_defaults(
        raycluster(workerGroupSpecs=[worker(replicas=3, minReplicas=1, maxReplicas=4, numOfHosts=2)])
    )["spec"]["workerGroupSpecs"][0]
    assert (group["replicas"], group["minReplicas"], group["maxReplicas"], group["numOfHosts"]) == (
        3,
        1,
        4,
        2,
    )


def test_network_policy_mode_defaults_to_deny_all() -> None:
    cluster = apply_crd_defaults(raycluster(networkPolicy={}))
    assert cluster["spec"]["networkPolicy"] == {"mode": "DenyAll"}


def test_no_network_policy_is_added_when_absent() -> None:
    assert "networkPolicy" not in apply_crd_defaults(raycluster())["spec"]


@pytest.mark.parametrize(
    ("metadata", "namespace"),
    [
        pytest.param({"name": "demo"}, "default", id="missing"),
        pytest.param({"name": "demo", "namespace": ""}, "default", id="empty"),
        pytest.param({"name": "demo", "namespace": "team-a"}, "team-a", id="kept"),
    ],
)
def test_namespace_defaults_to_default(metadata: dict[str, Any], namespace: str) -> None:
    assert apply_crd_defaults(raycluster(metadata))["metadata"]["namespace"] == namespace


def test_missing_ray_start_params_become_empty_maps() -> None:
    """TestSetDefaults: a missing `rayStartParams` becomes `{}`."""
    cluster = apply_crd_defaults(raycluster(workerGroupSpecs=[worker(), worker(groupName="other")]))
    assert [cluster["spec"]["headGroupSpec"]["rayStartParams"]] + [
        group["rayStartParams"] for group in cluster["spec"]["workerGroupSpecs"]
    ] == [{}, {}, {}]


def test_given_ray_start_params_are_kept() -> None:
    cluster = apply_crd_defaults(raycluster(workerGroupSpecs=[worker(rayStartParams={"num-cpus": "2"})]))
    assert cluster["spec"]["workerGroupSpecs"][0]["rayStartParams"] == {"num-cpus": "2"}


def test_kubernetes_defaults_embedded_in_the_crd_apply_too() -> None:
    """The CRD embeds PodSpec defaults; KubeRay sees them (and copies them into Pods)."""
    container = {**CONTAINER, "ports": [{"name": "gcs-server", "containerPort": 6379}]}
    cluster = apply_crd_defaults(
        raycluster(headGroupSpec={"template": {"spec": {"containers": [container]}}})
    )
    ports = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"name": "gcs-server", "containerPort": 6379, "protocol": "TCP"}]


def test_input_is_not_modified() -> None:
    raw = raycluster({"name": "demo"}, workerGroupSpecs=[worker()])
    before = copy.deepcopy(raw)
    apply_crd_defaults(raw)
    assert raw == before


def test_metadata_fields_other_than_the_checked_ones_are_kept() -> None:
    metadata = {"name": "demo", "namespace": "a", "uid": "1234", "labels": {"team": "ml"}}
    assert apply_crd_defaults(raycluster(metadata))["metadata"] == metadata


def test_status_is_kept() -> None:
    cluster = raycluster()
    cluster["status"] = {"state": "ready"}
    assert apply_crd_defaults(cluster)["status"] == {"state": "ready"}


IDENTITY_ERRORS = [
    pytest.param(["not", "a", "mapping"], "", "a RayCluster must be a mapping, got list", id="not a mapping"),
    pytest.param(
        {**raycluster(), "apiVersion": "ray.io/v1alpha1"},
        "apiVersion",
        "must be \"ray.io/v1\", got 'ray.io/v1alpha1'",
        id="other apiVersion",
    ),
    pytest.param(
        {**raycluster(), "kind": "RayJob"}, "kind", "must be \"RayCluster\", got 'RayJob'", id="other kind"
    ),
    pytest.param({**raycluster(), "metadata": None}, "metadata", "Required value", id="no metadata"),
    pytest.param(
        {**raycluster(), "metadata": "demo"}, "metadata", "must be of type object", id="metadata string"
    ),
    pytest.param(
        raycluster({"namespace": "a"}),
        "metadata.name",
        "Required value: a RayCluster in Git needs a name (generateName is not supported)",
        id="no name",
    ),
    pytest.param(raycluster({"name": 5}), "metadata.name", "must be of type string", id="name not a string"),
    pytest.param(
        raycluster({"name": "demo", "namespace": ["a"]}),
        "metadata.namespace",
        "must be of type string",
        id="namespace not a string",
    ),
    pytest.param(
        raycluster({"name": "demo", "annotations": {"ray.io/ft-enabled": True}}),
        "metadata.annotations[ray.io/ft-enabled]",
        'keys and values must be strings (quote values such as "true" in YAML)',
        id="unquoted annotation value",
    ),
    pytest.param(
        raycluster({"name": "demo", "labels": ["a"]}),
        "metadata.labels",
        "must be of type object",
        id="labels list",
    ),
    pytest.param({**raycluster(), "spec": None}, "spec", "Required value", id="no spec"),
]


@pytest.mark.parametrize(("raw", "field", "message"), IDENTITY_ERRORS)
def test_identity_and_metadata_errors_name_the_field(raw: Any, field: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        apply_crd_defaults(raw)
    assert (caught.value.field, caught.value.message) == (field, message)
