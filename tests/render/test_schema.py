"""The CRD schema check: what the API server would reject, reported with the field's path."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.errors import SchemaError
from gitops_ray.render.schema import conform, raycluster_schema


def raycluster(head: dict[str, Any] | None = None, workers: Any = None, **spec: Any) -> dict[str, Any]:
    """A minimal valid RayCluster; `head`/`workers` replace the groups, `spec` adds top-level fields."""
    head_group = (
        head
        if head is not None
        else {"template": {"spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.52.0"}]}}}
    )
    worker_group = {
        "groupName": "small",
        "template": {"spec": {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.52.0"}]}},
    }
    groups = workers if workers is not None else [worker_group, {**worker_group, "groupName": "big"}]
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "demo"},
        "spec": {"headGroupSpec": head_group, "workerGroupSpecs": groups, **spec},
    }


def with_worker(index: int, **fields: Any) -> dict[str, Any]:
    cluster = raycluster()
    cluster["spec"]["workerGroupSpecs"][index] = {**cluster["spec"]["workerGroupSpecs"][index], **fields}
    return cluster


def with_head_container(**fields: Any) -> dict[str, Any]:
    return raycluster(
        head={"template": {"spec": {"containers": [{"name": "ray-head", "image": "ray", **fields}]}}}
    )


SCHEMA_ERRORS = [
    pytest.param(
        with_worker(1, replicas="3"),
        "spec.workerGroupSpecs[1].replicas",
        "must be of type integer, got string",
        id="replicas as a string",
    ),
    pytest.param(
        with_worker(0, minReplica=1),
        "spec.workerGroupSpecs[0].minReplica",
        'unknown field "minReplica"',
        id="typo in a worker group field",
    ),
    pytest.param(
        raycluster(enableInTreeAutoscalng=True),
        "spec.enableInTreeAutoscalng",
        'unknown field "enableInTreeAutoscalng"',
        id="typo in a spec field",
    ),
    pytest.param(
        {**raycluster(), "spec": {"workerGroupSpecs": []}},
        "spec.headGroupSpec",
        "Required value",
        id="missing headGroupSpec",
    ),
    pytest.param(
        raycluster(head={"rayStartParams": {}}),
        "spec.headGroupSpec.template",
        "Required value",
        id="missing head template",
    ),
    pytest.param(
        raycluster(workers=[{"template": {"spec": {"containers": []}}}]),
        "spec.workerGroupSpecs[0].groupName",
        "Required value",
        id="missing groupName",
    ),
    pytest.param(
        with_worker(0, template=None),
        "spec.workerGroupSpecs[0].template",
        "Required value",
        id="null worker template",
    ),
    pytest.param(
        raycluster(authOptions={"mode": "oauth"}),
        "spec.authOptions.mode",
        'Unsupported value: "oauth": supported values: "disabled", "token"',
        id="enum",
    ),
    pytest.param(
        with_worker(0, replicas=2**31),
        "spec.workerGroupSpecs[0].replicas",
        "must fit in a 32-bit integer (-2147483648..2147483647)",
        id="int32 overflow",
    ),
    pytest.param(
        with_worker(0, replicas=True),
        "spec.workerGroupSpecs[0].replicas",
        "must be of type integer, got boolean",
        id="boolean is not an integer",
    ),
    pytest.param(
        with_worker(0, replicas=1.5),
        "spec.workerGroupSpecs[0].replicas",
        "must be of type integer, got number",
        id="float is not an integer",
    ),
    pytest.param(
        raycluster(workers={"groupName": "g"}),
        "spec.workerGroupSpecs",
        "must be of type array, got object",
        id="workerGroupSpecs as a mapping",
    ),
    pytest.param(
        raycluster(workers=["small"]),
        "spec.workerGroupSpecs[0]",
        "must be of type object, got string",
        id="worker group as a string",
    ),
    pytest.param(
        with_worker(0, rayStartParams={"num-cpus": 1}),
        "spec.workerGroupSpecs[0].rayStartParams[num-cpus]",
        "must be of type string, got integer",
        id="unquoted rayStartParams value",
    ),
    pytest.param(
        raycluster(rayVersion=2.52),
        "spec.rayVersion",
        "must be of type string, got number",
        id="unquoted rayVersion",
    ),
    pytest.param(
        with_head_container(image=7),
        "spec.headGroupSpec.template.spec.containers[0].image",
        "must be of type string, got integer",
        id="container field type",
    ),
    pytest.param(
        with_head_container(resource={"limits": {"cpu": "1"}}),
        "spec.headGroupSpec.template.spec.containers[0].resource",
        'unknown field "resource"',
        id="typo inside a container",
    ),
    pytest.param(
        with_head_container(resources={"limits": {"cpu": "lots"}}),
        "spec.headGroupSpec.template.spec.containers[0].resources.limits[cpu]",
        "must be a Kubernetes quantity such as 500m, 2 or 1Gi",
        id="bad quantity",
    ),
    pytest.param(
        with_head_container(ports=[{"containerPort": "6379"}]),
        "spec.headGroupSpec.template.spec.containers[0].ports[0].containerPort",
        "must be of type integer, got string",
        id="container port as a string",
    ),
    pytest.param(
        raycluster(
            head={
                "template": {"spec": {"containers": [{"name": "ray-head"}]}},
                "headService": {"spec": {"ports": [{"port": 80, "targetPort": 1.5}]}},
            }
        ),
        "spec.headGroupSpec.headService.spec.ports[0].targetPort",
        "must be an integer or a string, got number",
        id="int-or-string",
    ),
    pytest.param(
        raycluster(headServiceAnnotations={1: "x"}),
        "spec.headServiceAnnotations",
        "field names must be strings, got integer 1",
        id="non-string key",
    ),
]


@pytest.mark.parametrize(("cluster", "field", "message"), SCHEMA_ERRORS)
def test_schema_error_names_the_field(cluster: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        apply_crd_defaults(cluster)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_schema_error_str_is_field_then_message() -> None:
    with pytest.raises(SchemaError) as caught:
        apply_crd_defaults(with_worker(1, replicas="3"))
    assert str(caught.value) == "spec.workerGroupSpecs[1].replicas: must be of type integer, got string"


def test_null_field_is_dropped_then_defaulted() -> None:
    """The API server prunes nulls of non-nullable fields before defaulting."""
    cluster = apply_crd_defaults(with_worker(0, replicas=None, rayStartParams=None))
    group = cluster["spec"]["workerGroupSpecs"][0]
    assert (group["replicas"], group["rayStartParams"]) == (0, {})


def test_unknown_fields_in_embedded_metadata_are_pruned() -> None:
    """Pod template metadata lists only name/namespace/labels/annotations/finalizers; the API server drops the
    rest (e.g. the `creationTimestamp: null` that kubectl-generated YAML carries)."""
    head = {
        "template": {
            "metadata": {"labels": {"a": "b"}, "creationTimestamp": None, "generateName": "x-"},
            "spec": {"containers": [{"name": "ray-head"}]},
        }
    }
    cluster = apply_crd_defaults(raycluster(head=head))
    assert cluster["spec"]["headGroupSpec"]["template"]["metadata"] == {"labels": {"a": "b"}}


def test_valid_fields_are_kept() -> None:
    raw = raycluster(rayVersion="2.52.0", enableInTreeAutoscaling=True)
    cluster = apply_crd_defaults(raw)
    assert (cluster["spec"]["rayVersion"], cluster["spec"]["enableInTreeAutoscaling"]) == ("2.52.0", True)


def test_conform_returns_a_copy() -> None:
    raw = raycluster()
    conformed = conform(raw, raycluster_schema())
    conformed["spec"]["headGroupSpec"]["template"]["spec"]["containers"].append({"name": "x"})
    assert len(raw["spec"]["headGroupSpec"]["template"]["spec"]["containers"]) == 1


def test_schema_is_the_v1_raycluster_schema() -> None:
    schema = raycluster_schema()
    assert sorted(schema["properties"]) == ["apiVersion", "kind", "metadata", "spec", "status"]
