"""`ray.io/v1alpha1` RayClusters: converted to `ray.io/v1` as the API server does for KubeRay's CRD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testkit import raycluster

from gitops_ray.cli import main
from gitops_ray.model.units import LoadedFile, Problem
from gitops_ray.render.options import RenderOptions
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.desired import render_unit
from gitops_ray.source.grouping import group_units

FILE = "clusters/ml/old.yaml"
DEPRECATION = Problem(
    file=FILE,
    document=0,
    object="RayCluster ml/old",
    field="apiVersion",
    message="ray.io/v1alpha1 RayCluster is deprecated; use ray.io/v1 RayCluster. v1alpha1 receives no new "
    "fields and will be unavailable in KubeRay 1.9. Rendered and applied as ray.io/v1, which has the same "
    "fields; set apiVersion: ray.io/v1",
)


def v1alpha1(**spec: Any) -> dict[str, Any]:
    cluster = raycluster("old", "ml")
    cluster["apiVersion"] = "ray.io/v1alpha1"
    cluster["spec"].update(spec)
    return cluster


def grouped(cluster: dict[str, Any], target: str = "pods") -> Any:
    options = SourceOptions(path="clusters", default_target=target)
    units, _ = group_units([LoadedFile(FILE, (cluster,))], options)
    return units[0]


def test_a_v1alpha1_raycluster_becomes_the_same_v1_object_with_the_crds_deprecation_warning() -> None:
    unit = grouped(v1alpha1())
    assert unit.raycluster == raycluster("old", "ml")
    assert (unit.problems, unit.warnings) == ((), (DEPRECATION,))


def test_a_v1alpha1_raycluster_renders_exactly_as_its_v1_object() -> None:
    converted = render_unit(grouped(v1alpha1()), RenderOptions())
    written_as_v1 = render_unit(grouped(raycluster("old", "ml")), RenderOptions())
    assert (converted.objects, converted.warnings) == (written_as_v1.objects, (DEPRECATION,))


def test_the_raycluster_target_applies_the_v1_object() -> None:
    rendered = render_unit(grouped(v1alpha1(), target="raycluster"), RenderOptions())
    assert [(obj["apiVersion"], obj["kind"]) for obj in rendered.objects] == [("ray.io/v1", "RayCluster")]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"managedBy": "ray.io/kuberay-operator"}, "spec.managedBy"),
        ({"autoscalerOptions": {"version": "v2"}}, "spec.autoscalerOptions.version"),
        ({"gcsFaultToleranceOptions": {}}, "spec.gcsFaultToleranceOptions"),
        ({"upgradeStrategy": {"type": "None"}}, "spec.upgradeStrategy"),
    ],
    ids=["managedBy", "autoscaler-version", "gcs-fault-tolerance", "upgrade-strategy"],
)
def test_a_field_that_only_v1_has_is_refused_as_the_api_server_would(
    spec: dict[str, Any], field: str
) -> None:
    assert grouped(v1alpha1(**spec)).problems == (
        Problem(
            file=FILE,
            document=0,
            object="RayCluster ml/old",
            field=field,
            message="unknown field in ray.io/v1alpha1 (it exists in ray.io/v1); "
            "set apiVersion: ray.io/v1 to use it",
        ),
    )


def test_v1_only_fields_of_worker_groups_are_named_by_their_index() -> None:
    cluster = v1alpha1()
    worker = cluster["spec"]["workerGroupSpecs"][0]
    cluster["spec"]["workerGroupSpecs"] = [
        worker,
        {**worker, "groupName": "tpu", "numOfHosts": 2, "suspend": True},
    ]
    assert [p.field for p in grouped(cluster).problems] == [
        "spec.workerGroupSpecs[1].numOfHosts",
        "spec.workerGroupSpecs[1].suspend",
    ]


def test_rayStartParams_is_required_in_every_group_of_a_v1alpha1_raycluster() -> None:
    cluster = v1alpha1()
    del cluster["spec"]["headGroupSpec"]["rayStartParams"]
    del cluster["spec"]["workerGroupSpecs"][0]["rayStartParams"]
    assert [(p.field, p.message) for p in grouped(cluster).problems] == [
        ("spec.headGroupSpec.rayStartParams", "required in ray.io/v1alpha1 (optional in ray.io/v1)"),
        ("spec.workerGroupSpecs[0].rayStartParams", "required in ray.io/v1alpha1 (optional in ray.io/v1)"),
    ]


def test_render_shows_the_v1_object_and_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ml").mkdir()
    old = "\n".join(
        [
            "apiVersion: ray.io/v1alpha1",
            "kind: RayCluster",
            "metadata: {name: old, annotations: {gitops-ray.io/target: raycluster}}",
            "spec:",
            "  headGroupSpec:",
            "    rayStartParams: {}",
            "    template: {spec: {containers: [{name: ray, image: rayproject/ray:2.53.0}]}}",
            "",
        ]
    )
    (tmp_path / "ml" / "old.yaml").write_text(old)
    assert main(["render", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "\napiVersion: ray.io/v1\nkind: RayCluster\n" in out and "v1alpha1" not in out
    assert err == f"warning: ml/old.yaml: document 0 (RayCluster ml/old): apiVersion: {DEPRECATION.message}\n"
