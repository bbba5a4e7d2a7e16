"""Grouping documents into units: one RayCluster (with the other documents of its file) per unit."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.model.units import LoadedFile, Problem, UnitKey
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.grouping import group_units, near_raycluster

CLUSTERS = SourceOptions(path="clusters")
RAYCLUSTER_TARGET = {"gitops-ray.io/target": "raycluster"}


def raycluster(name: str, namespace: str | None = None, **annotations: str) -> dict[str, Any]:
    return document("ray.io/v1", "RayCluster", name, namespace, **annotations)


def configmap(name: str, namespace: str | None = None) -> dict[str, Any]:
    return document("v1", "ConfigMap", name, namespace)


def document(
    api_version: str, kind: str, name: str, namespace: str | None = None, **annotations: str
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": {}}


def test_a_raycluster_without_namespace_directly_in_the_source_path_goes_to_default() -> None:
    units, _ = group_units([LoadedFile("clusters/a.yaml", (raycluster("a"),))], CLUSTERS)
    assert units[0].key == UnitKey("default", "a")
    assert units[0].raycluster is not None
    assert units[0].raycluster["metadata"]["namespace"] == "default"


@pytest.mark.parametrize(
    ("path", "options", "namespace"),
    [
        ("clusters/ml/a.yaml", CLUSTERS, "ml"),
        ("clusters/ml/deep/er/a.yaml", CLUSTERS, "ml"),
        ("clusters/a.yaml", CLUSTERS, "default"),
        ("elsewhere/ml/a.yaml", CLUSTERS, "default"),
        ("a.yaml", CLUSTERS, "default"),
        ("clusters/ml/a.yaml", SourceOptions(), "clusters"),
        ("ml/a.yaml", SourceOptions(), "ml"),
        ("clusters/ml/a.yaml", SourceOptions(path="clusters", namespace_from_folder=False), "default"),
    ],
    ids=[
        "folder",
        "first-folder-of-several",
        "directly-in-path",
        "outside-the-path",
        "single-file",
        "path-is-the-repo",
        "path-is-the-repo-folder",
        "folder-rule-off",
    ],
)
def test_the_first_folder_below_the_source_path_names_the_namespace(
    path: str, options: SourceOptions, namespace: str
) -> None:
    units, _ = group_units([LoadedFile(path, (raycluster("a"), configmap("c")))], options)
    assert [(u.key.namespace, [d["metadata"]["namespace"] for d in u.extras]) for u in units] == [
        (namespace, [namespace])
    ]


def test_other_documents_take_the_folders_namespace_not_their_rayclusters() -> None:
    units, _ = group_units(
        [LoadedFile("clusters/ml/a.yaml", (configmap("scripts"), raycluster("a", "other"), raycluster("b")))],
        CLUSTERS,
    )
    assert [(u.key, [d["metadata"] for d in u.extras]) for u in units] == [
        (UnitKey("other", "a"), [{"name": "scripts", "namespace": "ml"}]),
        (UnitKey("ml", "b"), []),
    ]


def test_a_namespace_other_than_the_folders_is_a_located_warning() -> None:
    units, _ = group_units(
        [LoadedFile("clusters/ml/a.yaml", (raycluster("a", "ml"), configmap("c", "other")))], CLUSTERS
    )
    assert (units[0].problems, units[0].warnings) == (
        (),
        (
            Problem(
                file="clusters/ml/a.yaml",
                document=1,
                object="ConfigMap other/c",
                field="metadata.namespace",
                message="namespace other is not its folder's (ml/); "
                "the folder names the namespace of the documents that set none",
            ),
        ),
    )


def test_an_explicit_namespace_directly_in_the_source_path_or_with_the_rule_off_is_no_warning() -> None:
    files = [LoadedFile("clusters/a.yaml", (raycluster("a", "ml"),))]
    off = SourceOptions(path="clusters", namespace_from_folder=False)
    moved = [LoadedFile("clusters/x/b.yaml", (raycluster("b", "ml"),))]
    assert [u.warnings for u in group_units(files, CLUSTERS)[0] + group_units(moved, off)[0]] == [(), ()]


def test_a_folder_that_cannot_name_a_namespace_is_an_error_for_documents_that_take_it() -> None:
    units, _ = group_units(
        [LoadedFile("clusters/ML_Team/a.yaml", (raycluster("a", "ml"), configmap("c")))], CLUSTERS
    )
    assert [p for u in units for p in u.problems] == [
        Problem(
            file="clusters/ML_Team/a.yaml",
            document=1,
            object="ConfigMap c",
            field="metadata.namespace",
            message="folder 'ML_Team' names the namespace of documents that set none, but is not a namespace "
            "name (at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit); "
            "set metadata.namespace or rename the folder",
        )
    ]


def test_cluster_scoped_documents_get_no_namespace_and_no_warning() -> None:
    namespace_doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}
    units, _ = group_units([LoadedFile("clusters/ml/a.yaml", (raycluster("a"), namespace_doc))], CLUSTERS)
    assert (units[0].extras, units[0].warnings) == ((namespace_doc,), ())


def test_a_file_without_raycluster_is_a_unit_named_after_the_file_in_its_folders_namespace() -> None:
    units, _ = group_units(
        [LoadedFile("clusters/ml/redis.yaml", (configmap("redis-config", "ml"),))], CLUSTERS
    )
    assert [(u.key, u.raycluster, u.target) for u in units] == [(UnitKey("ml", "redis"), None, "pods")]


def test_a_file_without_raycluster_directly_in_the_path_is_in_default_whatever_its_documents_say() -> None:
    units, _ = group_units([LoadedFile("clusters/redis.yaml", (configmap("redis-config", "ml"),))], CLUSTERS)
    assert [(u.key, u.extras[0]["metadata"]["namespace"]) for u in units] == [
        (UnitKey("default", "redis"), "ml")
    ]


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
        [LoadedFile("a.yaml", (raycluster("a", **RAYCLUSTER_TARGET), raycluster("b")))],
        SourceOptions(default_target="pods"),
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


@pytest.mark.parametrize(
    ("api_version", "kind", "field", "message"),
    [
        (
            "ray.io/v1beta1",
            "RayCluster",
            "apiVersion",
            "ray.io/v1beta1 is not served by KubeRay v1.7.0's RayCluster CRD (it serves ray.io/v1 and "
            "ray.io/v1alpha1); set apiVersion: ray.io/v1",
        ),
        (
            "cluster.ray.io/v1",
            "RayCluster",
            "apiVersion",
            "cluster.ray.io/v1 is the legacy Ray operator's RayCluster, which KubeRay does not read; "
            "run `gitops-ray migrate clusters/ml/x.yaml` to rewrite it as ray.io/v1",
        ),
        (
            "ray.io/v1",
            "Raycluster",
            "kind",
            "ray.io/v1 Raycluster looks like KubeRay's RayCluster: "
            "write apiVersion: ray.io/v1 and kind: RayCluster",
        ),
        (
            "example.com/v1",
            "RayCluster",
            "kind",
            "example.com/v1 RayCluster looks like KubeRay's RayCluster: "
            "write apiVersion: ray.io/v1 and kind: RayCluster",
        ),
        (
            "v1",
            "RayClsuter",
            "kind",
            "v1 RayClsuter looks like KubeRay's RayCluster: write apiVersion: ray.io/v1 and kind: RayCluster",
        ),
        (
            "ray.io/v1",
            "RayNode",
            "kind",
            "unknown kind RayNode in group ray.io; known: RayCluster, RayJob, RayService",
        ),
        (
            "cluster.ray.io/v1",
            "RayNode",
            "kind",
            "unknown kind RayNode in group cluster.ray.io; known: RayCluster, RayJob, RayService",
        ),
        ("ray.io/v1alpha1", "RayJob", "apiVersion", "only ray.io/v1 RayJob is applied, not ray.io/v1alpha1"),
    ],
    ids=[
        "unserved-version",
        "legacy-operator",
        "misspelt-kind",
        "other-group",
        "swapped-letters",
        "unknown-ray-kind",
        "unknown-legacy-kind",
        "old-rayjob",
    ],
)
def test_a_document_meant_for_kuberay_that_kuberay_would_not_get_is_a_located_error(
    api_version: str, kind: str, field: str, message: str
) -> None:
    cluster = raycluster("a", "ml")
    mistaken = document(api_version, kind, "x", "ml")
    units, _ = group_units([LoadedFile("clusters/ml/x.yaml", (cluster, mistaken))], CLUSTERS)
    assert units[0].problems == (
        Problem(file="clusters/ml/x.yaml", document=1, object=f"{kind} x", field=field, message=message),
    )


@pytest.mark.parametrize(
    ("kind", "near"),
    [
        ("RayCluster", True),
        ("Raycluster", True),
        ("raycluster", True),
        ("RAYCLUSTER", True),
        ("RayClusters", True),
        ("RayClsuter", True),
        ("RayClstr", True),
        ("RayClusterSet", False),
        ("Cluster", False),
        ("RayJob", False),
        ("RayService", False),
        ("ConfigMap", False),
    ],
)
def test_a_kind_within_two_edits_of_raycluster_in_any_case_is_a_near_miss(kind: str, near: bool) -> None:
    assert near_raycluster(kind) is near


def test_rayjobs_and_rayservices_join_a_raycluster_target_unit_as_written() -> None:
    job = document("ray.io/v1", "RayJob", "job", "ml")
    service = document("ray.io/v1", "RayService", "serve", "ml")
    units, _ = group_units(
        [LoadedFile("clusters/ml/a.yaml", (raycluster("a", **RAYCLUSTER_TARGET), job, service))], CLUSTERS
    )
    assert [(u.problems, u.extras) for u in units] == [((), (job, service))]


def test_a_rayjob_in_a_pods_target_unit_is_an_error_on_every_unit_of_its_file() -> None:
    job = document("ray.io/v1", "RayJob", "job")
    units, _ = group_units(
        [LoadedFile("clusters/ml/a.yaml", (raycluster("a"), job, raycluster("b", **RAYCLUSTER_TARGET)))],
        CLUSTERS,
    )
    problem = Problem(
        file="clusters/ml/a.yaml",
        document=1,
        object="RayJob ml/job",
        field="kind",
        message="RayJob needs the KubeRay operator, but its unit ml/a has target pods: set target raycluster "
        "(annotation gitops-ray.io/target: raycluster on its RayCluster, "
        "or target: raycluster in gitops-ray.yaml)",
    )
    assert [u.problems for u in units] == [(problem,), (problem,)]


@pytest.mark.parametrize(
    ("default_target", "annotations", "target", "ok"),
    [
        ("pods", {}, "pods", False),
        ("raycluster", {}, "raycluster", True),
        ("pods", RAYCLUSTER_TARGET, "raycluster", True),
    ],
    ids=["repo-default-pods", "repo-default-raycluster", "annotated"],
)
def test_a_file_with_only_a_rayjob_takes_the_repo_target_unless_the_rayjob_is_annotated(
    default_target: str, annotations: dict[str, str], target: str, ok: bool
) -> None:
    job = document("ray.io/v1", "RayJob", "job", **annotations)
    options = SourceOptions(path="clusters", default_target=default_target)
    units, _ = group_units([LoadedFile("clusters/ml/job.yaml", (job,))], options)
    assert [(u.key, u.target, not u.problems) for u in units] == [(UnitKey("ml", "job"), target, ok)]
