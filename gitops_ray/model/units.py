"""The data that flows between pipeline steps: located problems, units of isolation, rendered units."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from gitops_ray.model.objects import CLUSTER_SCOPED_KINDS, KubeObject, object_ref

TARGET_PODS = "pods"
TARGET_RAYCLUSTER = "raycluster"
TARGETS = (TARGET_PODS, TARGET_RAYCLUSTER)
TARGET_ANNOTATION = "gitops-ray.io/target"
RAYCLUSTER_API_VERSION = "ray.io/v1"
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class Problem:
    """One bad input, located: the file, the document (0-based), the object and the field."""

    file: str
    message: str
    document: int | None = None
    object: str = ""  # e.g. "RayCluster team-a/training"
    field: str = ""  # dotted path, e.g. "spec.workerGroupSpecs[0].minReplicas"

    def __str__(self) -> str:
        where = self.file
        if self.document is not None:
            where += f": document {self.document}"
        if self.object:
            where += f" ({self.object})"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "document": self.document,
            "object": self.object,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True, order=True)
class UnitKey:
    """A unit is named by its RayCluster: namespace and name (file stem for files without a RayCluster)."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class LoadedFile:
    """One YAML file: its documents, or the problems that make the whole file unusable."""

    path: str  # repo-relative, POSIX separators
    documents: tuple[KubeObject, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Unit:
    """One RayCluster with the other documents of its file: the unit of isolation."""

    key: UnitKey
    source: str
    raycluster: KubeObject | None
    extras: tuple[KubeObject, ...] = ()
    target: str = TARGET_PODS
    document: int | None = None  # index of the RayCluster in its file
    problems: tuple[Problem, ...] = ()  # found while loading; such a unit is neither applied nor pruned


@dataclass(frozen=True)
class RenderedUnit:
    """What a unit wants in the cluster. With problems, nothing of it is applied and nothing pruned."""

    key: UnitKey
    source: str
    target: str = TARGET_PODS
    objects: tuple[KubeObject, ...] = ()  # to apply, in apply order
    preview: tuple[KubeObject, ...] = ()  # `raycluster` target: what KubeRay will create (rendered/ only)
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()  # KubeRay's non-fatal validation warnings

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class DesiredState:
    """Everything a source asks for. `broken_sources` are files that failed as a whole: the units they
    held are unknown, so while there is one nothing is pruned. `source_id` names the source
    (`ownership.source_identity`): a sync retires only inventories recorded with the same identity."""

    units: tuple[RenderedUnit, ...] = ()
    broken_sources: tuple[Problem, ...] = field(default=())
    source_id: str = ""

    @property
    def broken_files(self) -> tuple[str, ...]:
        """Files that are unreadable, unparsable or invalid, sorted: while any exists the source is not
        whole and nothing may be pruned (a broken file may hold a cluster that was moved into it)."""
        files = {problem.file for problem in self.broken_sources}
        files |= {problem.file for unit in self.units for problem in unit.problems}
        return tuple(sorted(files))

    @property
    def problems(self) -> tuple[Problem, ...]:
        found = list(self.broken_sources)
        for unit in self.units:
            found.extend(unit.problems)
        return tuple(found)


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


def _duplicates(units: Sequence[Unit]) -> list[Unit]:
    """Mark units that share a key, or declare an object another unit declares: none of them is applied
    (which file should win is not ours to guess), and none is pruned."""
    sources_of_key: dict[UnitKey, list[str]] = {}
    units_of_object: dict[tuple[str, str, str, str], list[Unit]] = {}
    for unit in units:
        sources_of_key.setdefault(unit.key, []).append(unit.source)
        for document in unit.extras:
            units_of_object.setdefault(object_ref(document), []).append(unit)
    marked: list[Unit] = []
    for unit in units:
        problems: list[Problem] = []
        others = [source for source in sources_of_key[unit.key] if source != unit.source]
        if len(sources_of_key[unit.key]) > 1:
            elsewhere = ", ".join(others) if others else "the same file"
            problems.append(
                Problem(
                    file=unit.source,
                    document=unit.document,
                    object=f"RayCluster {unit.key}",
                    message=f"{unit.key} is defined more than once (also in {elsewhere})",
                )
            )
        for document in unit.extras:
            ref = object_ref(document)
            owners = {owner.key for owner in units_of_object[ref]}
            if len(owners) > 1:
                elsewhere = ", ".join(sorted(o.source for o in units_of_object[ref] if o.key != unit.key))
                problems.append(
                    Problem(
                        file=unit.source,
                        object=f"{ref[1]} {ref[2]}/{ref[3]}" if ref[2] else f"{ref[1]} {ref[3]}",
                        message=f"also declared in {elsewhere}; an object belongs to one unit",
                    )
                )
        marked.append(replace(unit, problems=unit.problems + tuple(problems)) if problems else unit)
    return marked


def group_units(
    files: Iterable[LoadedFile], default_target: str = TARGET_PODS
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
    return _duplicates(units), broken
