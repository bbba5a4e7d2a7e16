"""The Ray autoscaler needs the KubeRay operator: with target `pods` a RayCluster asking for it is an error
located at `spec.enableInTreeAutoscaling`; target `raycluster` (annotation or repo setting) runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from testkit import raycluster

from gitops_ray.model.units import LoadedFile, Problem
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.desired import desired_state
from gitops_ray.source.grouping import group_units

NEEDS_KUBERAY = (
    "the Ray autoscaler needs the KubeRay operator, which target pods does not use: set target raycluster "
    "(annotation gitops-ray.io/target: raycluster on the RayCluster, or `target: raycluster` in "
    "gitops-ray.yaml)"
)


def cluster(autoscaling: object = None, target: str | None = None) -> dict[str, Any]:
    found = raycluster("demo", "ml", workers=1)
    if autoscaling is not None:
        found["spec"]["enableInTreeAutoscaling"] = autoscaling
    if target is not None:
        found["metadata"]["annotations"] = {"gitops-ray.io/target": target}
    return found


def problems(document: dict[str, Any], default_target: str = "pods") -> list[Problem]:
    units, _ = group_units(
        [LoadedFile("ml/demo.yaml", (document,))], SourceOptions(default_target=default_target)
    )
    return [problem for unit in units for problem in unit.problems]


def test_target_pods_with_autoscaling_is_an_error_naming_file_document_cluster_and_field() -> None:
    assert problems(cluster(autoscaling=True)) == [
        Problem(
            file="ml/demo.yaml",
            document=0,
            object="RayCluster ml/demo",
            field="spec.enableInTreeAutoscaling",
            message=NEEDS_KUBERAY,
        )
    ]


@pytest.mark.parametrize(
    ("document", "default_target"),
    [
        (cluster(autoscaling=True, target="raycluster"), "pods"),
        (cluster(autoscaling=True), "raycluster"),
        (cluster(autoscaling=False), "pods"),
        (cluster(), "pods"),
    ],
    ids=[
        "annotation raycluster",
        "repo target raycluster",
        "autoscaling off",
        "autoscaling unset",
    ],
)
def test_autoscaling_is_accepted_where_kuberay_runs_the_cluster_or_when_it_is_off(
    document: dict[str, Any], default_target: str
) -> None:
    assert problems(document, default_target) == []


def test_an_annotation_pods_overrides_a_repo_target_raycluster_and_is_refused() -> None:
    assert [p.field for p in problems(cluster(autoscaling=True, target="pods"), "raycluster")] == [
        "spec.enableInTreeAutoscaling"
    ]


def test_a_refused_cluster_renders_nothing_and_the_others_still_render(tmp_path: Path) -> None:
    (tmp_path / "ml").mkdir()
    (tmp_path / "ml" / "demo.yaml").write_text(yaml.safe_dump(cluster(autoscaling=True)))
    other = raycluster("other", "ml", workers=1)
    (tmp_path / "ml" / "other.yaml").write_text(yaml.safe_dump(other))

    state = desired_state(tmp_path, SourceOptions())

    assert [(str(u.key), len(u.objects), [p.field for p in u.problems]) for u in state.units] == [
        ("ml/demo", 0, ["spec.enableInTreeAutoscaling"]),
        ("ml/other", 3, []),
    ]
