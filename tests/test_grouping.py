"""Grouping documents into units: one RayCluster (with the other documents of its file) per unit."""

from __future__ import annotations

from typing import Any

from gitops_ray.model.units import LoadedFile, Problem, Unit, UnitKey
from gitops_ray.source.grouping import group_units


def raycluster(name: str, namespace: str | None = None, **annotations: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": metadata, "spec": {}}


def configmap(name: str, namespace: str | None = None) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}


def test_a_raycluster_without_namespace_goes_to_default() -> None:
    units, _ = group_units([LoadedFile("c/a.yaml", (raycluster("a"),))])
    assert units[0].key == UnitKey("default", "a")
    assert units[0].raycluster is not None
    assert units[0].raycluster["metadata"]["namespace"] == "default"


def test_other_documents_join_the_first_raycluster_of_their_file_and_its_namespace() -> None:
    units, _ = group_units(
        [LoadedFile("c/a.yaml", (configmap("scripts"), raycluster("a", "ml"), raycluster("b", "ml")))]
    )
    assert [(u.key, [d["metadata"] for d in u.extras]) for u in units] == [
        (UnitKey("ml", "a"), [{"name": "scripts", "namespace": "ml"}]),
        (UnitKey("ml", "b"), []),
    ]


def test_cluster_scoped_documents_get_no_namespace() -> None:
    namespace_doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}
    units, _ = group_units([LoadedFile("c/a.yaml", (raycluster("a", "ml"), namespace_doc))])
    assert units[0].extras == (namespace_doc,)


def test_a_file_without_raycluster_is_a_unit_named_after_the_file() -> None:
    units, _ = group_units([LoadedFile("clusters/ml/redis.yaml", (configmap("redis-config", "ml"),))])
    assert [(u.key, u.raycluster) for u in units] == [(UnitKey("ml", "redis"), None)]


def test_a_broken_document_marks_every_unit_of_its_file_and_no_other() -> None:
    broken = {"apiVersion": "v1", "metadata": {"name": "x"}}
    units, broken_sources = group_units(
        [LoadedFile("a.yaml", (raycluster("a"), broken)), LoadedFile("b.yaml", (raycluster("b"),))]
    )
    assert [(u.key.name, u.problems) for u in units] == [
        (
            "a",
            (
                Problem(
                    file="a.yaml", document=1, field="kind", message="kind is required and must be a string"
                ),
            ),
        ),
        ("b", ()),
    ]
    assert broken_sources == []


def test_a_file_that_failed_to_load_is_a_broken_source() -> None:
    problem = Problem(file="a.yaml", message="invalid YAML at line 1, column 1: x")
    units, broken_sources = group_units([LoadedFile("a.yaml", problems=(problem,))])
    assert (units, broken_sources) == ([], [problem])


def test_generate_name_is_refused_because_git_objects_need_fixed_names() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x-"}}
    units, broken_sources = group_units([LoadedFile("a.yaml", (pod,))])
    assert units == []
    assert [p.field for p in broken_sources] == ["metadata.generateName"]


def test_a_cluster_defined_in_two_files_is_applied_from_neither() -> None:
    units, _ = group_units(
        [LoadedFile("a.yaml", (raycluster("x"),)), LoadedFile("b.yaml", (raycluster("x"),))]
    )
    assert [[p.message for p in u.problems] for u in units] == [
        ["default/x is defined more than once (also in b.yaml)"],
        ["default/x is defined more than once (also in a.yaml)"],
    ]


def test_target_comes_from_the_annotation_or_the_default() -> None:
    units, _ = group_units(
        [LoadedFile("a.yaml", (raycluster("a", **{"gitops-ray.io/target": "raycluster"}), raycluster("b")))],
        default_target="pods",
    )
    assert [(u.key.name, u.target) for u in units] == [("a", "raycluster"), ("b", "pods")]


def test_an_unknown_target_is_a_problem_on_that_unit() -> None:
    units, _ = group_units([LoadedFile("a.yaml", (raycluster("a", **{"gitops-ray.io/target": "helm"}),))])
    assert units[0].problems == (
        Problem(
            file="a.yaml",
            document=0,
            object="RayCluster default/a",
            field="metadata.annotations[gitops-ray.io/target]",
            message="target must be one of pods, raycluster, got 'helm'",
        ),
    )


def test_only_ray_io_v1_rayclusters_are_rendered() -> None:
    old = {**raycluster("a"), "apiVersion": "ray.io/v1alpha1"}
    units, _ = group_units([LoadedFile("a.yaml", (old,))])
    assert isinstance(units[0], Unit)
    assert [p.field for p in units[0].problems] == ["apiVersion"]
