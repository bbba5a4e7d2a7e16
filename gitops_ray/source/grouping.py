"""Grouping: loaded files -> units of isolation (one RayCluster with the other documents of its file).

Pure. A problem in one document of a file marks every unit of that file, so none of them is applied
half-way, and the source counts as not whole (nothing is pruned) until it is fixed. Objects that two
units would both produce are found after rendering (`source.collisions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from gitops_ray.model.objects import CLUSTER_SCOPED_KINDS, KubeObject, api_group
from gitops_ray.model.targets import TARGET_ANNOTATION, TARGETS
from gitops_ray.model.units import (
    DEFAULT_NAMESPACE,
    RAYCLUSTER_API_VERSION,
    LoadedFile,
    Problem,
    Unit,
    UnitKey,
)
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.conversion import V1ALPHA1, from_v1alpha1
from gitops_ray.source.legacy import LEGACY_API_GROUP, is_legacy_raycluster

RAY_GROUP = "ray.io"
# KubeRay's other kinds, in `ray.io/v1` like RayCluster: applied as written for the KubeRay operator
# (target `raycluster` only).
KUBERAY_KINDS = ("RayJob", "RayService")
# A Kubernetes namespace name: an RFC 1123 label.
_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


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


def near_raycluster(kind: str) -> bool:
    """`Raycluster`, `RayClusters`, `RayClsuter`...: within two edits of RayCluster (a swap of neighbours
    is one), in any case. A kind this close is a typo, not another resource."""
    word, target = kind.lower(), "raycluster"
    if abs(len(word) - len(target)) > 2:
        return False
    # Optimal string alignment distance: Levenshtein plus transpositions of adjacent letters.
    rows = [list(range(len(target) + 1))]
    for i, char in enumerate(word, 1):
        row = [i] + [0] * len(target)
        for j, other in enumerate(target, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (char != other))
            if i > 1 and j > 1 and char == target[j - 2] and word[i - 2] == other:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1] <= 2


def _kind_problem(path: str, index: int, document: KubeObject) -> Problem | None:
    """A document meant for KubeRay that KubeRay would not get: a RayCluster version its CRD does not
    serve, the legacy Ray operator's RayCluster, a misspelt RayCluster (in any group), another version of
    RayJob or RayService, an unknown kind in KubeRay's groups."""
    api_version, kind = document["apiVersion"], document["kind"]
    group = api_group(api_version)
    here = Problem(file=path, document=index, object=f"{kind} {document['metadata']['name']}", message="")
    if kind == "RayCluster" and group == RAY_GROUP:
        if api_version in (RAYCLUSTER_API_VERSION, V1ALPHA1):
            return None
        message = f"{api_version} is not served by KubeRay v1.7.0's RayCluster CRD (it serves "
        message += f"{RAYCLUSTER_API_VERSION} and {V1ALPHA1}); set apiVersion: {RAYCLUSTER_API_VERSION}"
        return replace(here, field="apiVersion", message=message)
    if is_legacy_raycluster(document):
        message = f"{api_version} is the legacy Ray operator's RayCluster, which KubeRay does not read; "
        message += f"run `gitops-ray migrate {path}` to rewrite it as {RAYCLUSTER_API_VERSION}"
        return replace(here, field="apiVersion", message=message)
    if kind in KUBERAY_KINDS and group == RAY_GROUP:
        if api_version == RAYCLUSTER_API_VERSION:
            return None
        message = f"only {RAYCLUSTER_API_VERSION} {kind} is applied, not {api_version}"
        return replace(here, field="apiVersion", message=message)
    if near_raycluster(kind):
        message = f"{api_version} {kind} looks like KubeRay's RayCluster: "
        message += f"write apiVersion: {RAYCLUSTER_API_VERSION} and kind: RayCluster"
        return replace(here, field="kind", message=message)
    if group in (RAY_GROUP, LEGACY_API_GROUP):
        known = ", ".join(("RayCluster", *KUBERAY_KINDS))
        return replace(here, field="kind", message=f"unknown kind {kind} in group {group}; known: {known}")
    return None


def namespace_folder(path: str, options: SourceOptions) -> str:
    """The folder that names the namespace of the documents of file `path` that set none: the first
    folder below the source path (`<path>/<namespace>/<name>.yaml`). "" (they go to `default`) for a file
    directly in the source path, outside it (a file given on its own), or with `namespaceFromFolder: false`
    (as kubectl does)."""
    if not options.namespace_from_folder:
        return ""
    try:
        parts = PurePosixPath(path).relative_to(options.path).parts
    except ValueError:
        return ""
    return parts[0] if len(parts) > 1 else ""


def _folder_problem(path: str, index: int, document: KubeObject, folder: str) -> Problem | None:
    """A namespaced document without a namespace in a folder that cannot name one."""
    metadata = document["metadata"]
    if not folder or metadata.get("namespace") or document["kind"] in CLUSTER_SCOPED_KINDS:
        return None
    if _NAMESPACE_NAME.fullmatch(folder):
        return None
    return Problem(
        file=path,
        document=index,
        object=f"{document['kind']} {metadata['name']}",
        field="metadata.namespace",
        message=f"folder {folder!r} names the namespace of documents that set none, but is not a namespace "
        "name (at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit); "
        "set metadata.namespace or rename the folder",
    )


def _folder_warning(path: str, index: int, document: KubeObject, folder: str) -> tuple[Problem, ...]:
    """A namespaced document whose explicit namespace is not its folder's: applied where it says, but
    the layout suggests a mistake."""
    metadata = document["metadata"]
    namespace = metadata.get("namespace")
    if not folder or not namespace or namespace == folder or document["kind"] in CLUSTER_SCOPED_KINDS:
        return ()
    message = f"namespace {namespace} is not its folder's ({folder}/); "
    message += "the folder names the namespace of the documents that set none"
    return (
        Problem(
            file=path,
            document=index,
            object=f"{document['kind']} {namespace}/{metadata['name']}",
            field="metadata.namespace",
            message=message,
        ),
    )


def _target(
    document: KubeObject, default_target: str, at: Callable[[str, str], Problem]
) -> tuple[str, list[Problem]]:
    """The target the document's `gitops-ray.io/target` annotation names (`default_target` without one),
    and the problem of an unknown one (`at` locates it)."""
    annotations = document["metadata"].get("annotations") or {}
    target = str(annotations.get(TARGET_ANNOTATION, default_target)) if isinstance(annotations, dict) else ""
    if target in TARGETS:
        return target, []
    message = f"target must be one of {', '.join(TARGETS)}, got {target!r}"
    return default_target, [at(message, f"metadata.annotations[{TARGET_ANNOTATION}]")]


def _cluster_unit(
    path: str,
    index: int,
    cluster: KubeObject,
    namespace: str,
    default_target: str,
    warnings: tuple[Problem, ...],
) -> Unit:
    """The unit of one RayCluster document (a v1alpha1 one converted to v1)."""
    key = UnitKey(cluster["metadata"].get("namespace") or namespace, cluster["metadata"]["name"])
    at = Unit(key=key, source=path, raycluster=None, document=index).problem_at_raycluster
    target, problems = _target(cluster, default_target, at)
    if cluster["apiVersion"] == V1ALPHA1:
        cluster, refused, deprecation = from_v1alpha1(cluster, at)
        problems += refused
        warnings += (deprecation,)
    refusal = TARGETS[target].refusal(cluster)
    if refusal is not None:
        field, message = refusal
        problems.append(at(message, field))
    return Unit(
        key=key,
        source=path,
        raycluster=_with_namespace(cluster, key.namespace),
        target=target,
        document=index,
        problems=tuple(problems),
        warnings=warnings,
    )


def _file_unit(
    path: str, namespace: str, extras: Sequence[tuple[int, KubeObject]], default_target: str
) -> tuple[Unit, list[Problem]]:
    """The unit of a file without a RayCluster, named after the file; its target is the annotation of its
    first RayJob or RayService, else the default."""
    target = default_target
    problems: list[Problem] = []
    kuberay = [(index, document) for index, document in extras if document["kind"] in KUBERAY_KINDS]
    if kuberay:
        index, document = kuberay[0]
        name = f"{document['kind']} {namespace}/{document['metadata']['name']}"

        def at(message: str, field: str) -> Problem:
            return Problem(file=path, document=index, object=name, field=field, message=message)

        target, problems = _target(document, default_target, at)
    key = UnitKey(namespace, PurePosixPath(path).stem)
    return Unit(key=key, source=path, raycluster=None, target=target), problems


def _needs_kuberay(path: str, unit: Unit, extras: Sequence[tuple[int, KubeObject]]) -> list[Problem]:
    """RayJobs and RayServices in a unit whose target does not run KubeRay: nothing would act on them."""
    if TARGETS[unit.target].applies_raycluster:
        return []
    where = "its RayCluster" if unit.raycluster is not None else "it"
    return [
        Problem(
            file=path,
            document=index,
            object=f"{document['kind']} {document['metadata']['namespace']}/{document['metadata']['name']}",
            field="kind",
            message=f"{document['kind']} needs the KubeRay operator, but its unit {unit.key} has target "
            f"{unit.target}: set target raycluster (annotation {TARGET_ANNOTATION}: raycluster on {where}, "
            "or target: raycluster in gitops-ray.yaml)",
        )
        for index, document in extras
        if document["kind"] in KUBERAY_KINDS
    ]


def _units_of_file(loaded: LoadedFile, options: SourceOptions) -> tuple[list[Unit], list[Problem]]:
    """Split one parsed file into units; problems that cannot be pinned on a unit come back separately.

    Every namespaced document that sets no namespace gets the file's (`namespace_folder`), whatever the
    other documents of the file say."""
    folder = namespace_folder(loaded.path, options)
    namespace = folder or DEFAULT_NAMESPACE
    problems: list[Problem] = []
    clusters: list[tuple[int, KubeObject, tuple[Problem, ...]]] = []
    extras: list[tuple[int, KubeObject]] = []
    extra_warnings: list[Problem] = []
    for index, document in enumerate(loaded.documents):
        problem = (
            _document_problem(loaded.path, index, document)
            or _kind_problem(loaded.path, index, document)
            or _folder_problem(loaded.path, index, document, folder)
        )
        if problem is not None:
            problems.append(problem)
            continue
        warnings = _folder_warning(loaded.path, index, document, folder)
        if document["kind"] == "RayCluster":
            clusters.append((index, document, warnings))
        else:
            extras.append((index, _with_namespace(document, namespace)))
            extra_warnings.extend(warnings)
    units = [
        _cluster_unit(loaded.path, index, cluster, namespace, options.default_target, warnings)
        for index, cluster, warnings in clusters
    ]
    if extras:
        if not units:
            unit, target_problems = _file_unit(loaded.path, namespace, extras, options.default_target)
            units.append(unit)
            problems += target_problems
        owner = units[0]
        problems += _needs_kuberay(loaded.path, owner, extras)
        units[0] = replace(
            owner,
            extras=tuple(document for _, document in extras),
            warnings=owner.warnings + tuple(extra_warnings),
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
    files: Iterable[LoadedFile], options: SourceOptions | None = None
) -> tuple[list[Unit], list[Problem]]:
    """Units of isolation from loaded files, and the problems of files that yield no unit at all.

    Each RayCluster is a unit; the other documents of its file join the file's first RayCluster; a file
    without a RayCluster is a unit of its own named after the file. A problem in one document of a file
    marks every unit of that file (so none of them is applied half-way or pruned). `options` gives the
    source path, the default target and the namespace rule (defaults: the whole tree, `pods`, folders).
    """
    options = options or SourceOptions()
    units: list[Unit] = []
    broken: list[Problem] = []
    for loaded in files:
        if loaded.problems:
            broken.extend(loaded.problems)
            continue
        file_units, file_problems = _units_of_file(loaded, options)
        units.extend(file_units)
        broken.extend(file_problems)
    return _duplicate_keys(units), broken
