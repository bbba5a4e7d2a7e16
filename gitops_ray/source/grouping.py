"""Grouping: loaded files -> units of isolation (one RayCluster with the other documents of its file).

Pure. A problem in one document of a file marks every unit of that file, so none of them is applied
half-way, and the source counts as not whole (nothing is pruned) until it is fixed. Objects that two
units would both produce are found after rendering (`source.collisions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from gitops_ray.model.objects import CLUSTER_SCOPED_KINDS, KubeObject
from gitops_ray.model.targets import PODS, TARGETS
from gitops_ray.model.units import (
    DEFAULT_NAMESPACE,
    RAYCLUSTER_API_VERSION,
    TARGET_ANNOTATION,
    LoadedFile,
    Problem,
    Unit,
    UnitKey,
)


def _document_problem(path: str, index: int, document: KubeObject) -> Problem | None:
    """The first thing that keeps a document from being a Kubernetes object we can apply, if any."""
    for key in ("apiVersion", "kind"):
        if not isinstance(document.get(key), str) or not document[key]:
            return Problem(
                file=path, document=index, field=key, message=f"{key} is required and must be a string"
            )
    metadata = document.get("metadata")
    label = f"{document['kind']}"
    if not isinstance(metadata, dict):
        return Problem(
            file=path, document=index, object=label, field="metadata", message="metadata is required"
        )
    name = metadata.get("name")
    if metadata.get("generateName") and not name:
        return Problem(
            file=path,
            document=index,
            object=label,
            field="metadata.generateName",
            message="generateName is not supported: Git objects need fixed names to be applied and pruned",
        )
    if not isinstance(name, str) or not name:
        return Problem(
            file=path,
            document=index,
            object=label,
            field="metadata.name",
            message="metadata.name is required",
        )
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not namespace):
        return Problem(
            file=path,
            document=index,
            object=f"{label} {name}",
            field="metadata.namespace",
            message="metadata.namespace must be a non-empty string",
        )
    return None


def _with_namespace(document: KubeObject, namespace: str) -> KubeObject:
    """A copy of a namespaced document with its namespace filled in (cluster-scoped kinds untouched)."""
    if document.get("kind") in CLUSTER_SCOPED_KINDS or (document.get("metadata") or {}).get("namespace"):
        return document
    return {**document, "metadata": {**document["metadata"], "namespace": namespace}}


def _is_raycluster(document: KubeObject) -> bool:
    return document.get("kind") == "RayCluster" and str(document.get("apiVersion", "")).startswith("ray.io/")


def _units_of_file(loaded: LoadedFile, default_target: str) -> tuple[list[Unit], list[Problem]]:
    """Split one parsed file into units; problems that cannot be pinned on a unit come back separately."""
    problems: list[Problem] = []
    clusters: list[tuple[int, KubeObject]] = []
    extras: list[tuple[int, KubeObject]] = []
    for index, document in enumerate(loaded.documents):
        problem = _document_problem(loaded.path, index, document)
        if problem is not None:
            problems.append(problem)
        elif _is_raycluster(document):
            clusters.append((index, document))
        else:
            extras.append((index, document))
    units: list[Unit] = []
    for index, cluster in clusters:
        metadata = cluster["metadata"]
        namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
        key = UnitKey(namespace, metadata["name"])
        unit_problems: list[Problem] = []
        label = f"RayCluster {key}"
        if cluster["apiVersion"] != RAYCLUSTER_API_VERSION:
            unit_problems.append(
                Problem(
                    file=loaded.path,
                    document=index,
                    object=label,
                    field="apiVersion",
                    message=f"only {RAYCLUSTER_API_VERSION} is rendered, not {cluster['apiVersion']}",
                )
            )
        annotations = metadata.get("annotations") or {}
        target = (
            str(annotations.get(TARGET_ANNOTATION, default_target)) if isinstance(annotations, dict) else ""
        )
        if target not in TARGETS:
            unit_problems.append(
                Problem(
                    file=loaded.path,
                    document=index,
                    object=label,
                    field=f"metadata.annotations[{TARGET_ANNOTATION}]",
                    message=f"target must be one of {', '.join(TARGETS)}, got {target!r}",
                )
            )
            target = default_target
        units.append(
            Unit(
                key=key,
                source=loaded.path,
                raycluster=_with_namespace(cluster, namespace),
                target=target,
                document=index,
                problems=tuple(unit_problems),
            )
        )
    if extras:
        if not units:
            namespaces = [doc["metadata"].get("namespace") for _, doc in extras]
            namespace = next((ns for ns in namespaces if ns), DEFAULT_NAMESPACE)
            units.append(
                Unit(
                    key=UnitKey(namespace, PurePosixPath(loaded.path).stem),
                    source=loaded.path,
                    raycluster=None,
                )
            )
        owner = units[0]
        units[0] = replace(
            owner, extras=tuple(_with_namespace(doc, owner.key.namespace) for _, doc in extras)
        )
    if problems and units:
        units = [replace(unit, problems=unit.problems + tuple(problems)) for unit in units]
        problems = []
    return units, problems


def _duplicate_keys(units: Sequence[Unit]) -> list[Unit]:
    """Mark units that share a key (two RayClusters of one name, or two files of one stem and namespace):
    none of them is applied (which file should win is not ours to guess), and none is pruned."""
    sources_of_key: dict[UnitKey, list[str]] = {}
    for unit in units:
        sources_of_key.setdefault(unit.key, []).append(unit.source)
    marked: list[Unit] = []
    for unit in units:
        sources = sources_of_key[unit.key]
        if len(sources) == 1:
            marked.append(unit)
            continue
        others = [source for source in sources if source != unit.source]
        elsewhere = ", ".join(others) if others else "the same file"
        problem = unit.problem_at_raycluster(f"{unit.key} is defined more than once (also in {elsewhere})")
        marked.append(replace(unit, problems=(*unit.problems, problem)))
    return marked


def group_units(
    files: Iterable[LoadedFile], default_target: str = PODS.name
) -> tuple[list[Unit], list[Problem]]:
    """Units of isolation from loaded files, and the problems of files that yield no unit at all.

    Each RayCluster is a unit; the other documents of its file join the file's first RayCluster; a file
    without a RayCluster is a unit of its own named after the file. A problem in one document of a file
    marks every unit of that file (so none of them is applied half-way or pruned).
    """
    units: list[Unit] = []
    broken: list[Problem] = []
    for loaded in files:
        if loaded.problems:
            broken.extend(loaded.problems)
            continue
        file_units, file_problems = _units_of_file(loaded, default_target)
        units.extend(file_units)
        broken.extend(file_problems)
    return _duplicate_keys(units), broken
