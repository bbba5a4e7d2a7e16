"""The data that flows between pipeline steps: located problems, units of isolation, rendered units."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gitops_ray.model.objects import KubeObject
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.targets import PODS

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
    target: str = PODS.name
    document: int | None = None  # index of the RayCluster in its file
    problems: tuple[Problem, ...] = ()  # found while loading; such a unit is neither applied nor pruned
    warnings: tuple[Problem, ...] = ()  # found while loading; reported, the unit is still applied

    def problem_at_raycluster(self, message: str, field: str = "") -> Problem:
        """A problem or warning located at this unit's RayCluster document."""
        return Problem(
            file=self.source,
            document=self.document,
            object=f"RayCluster {self.key}",
            field=field,
            message=message,
        )


@dataclass(frozen=True)
class RenderedUnit:
    """What a unit wants in the cluster. With problems, nothing of it is applied and nothing pruned."""

    key: UnitKey
    source: str
    target: str = PODS.name
    objects: tuple[KubeObject, ...] = ()  # to apply, in apply order
    preview: tuple[KubeObject, ...] = ()  # `raycluster` target: what KubeRay will create (rendered/ only)
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()  # the unit's load warnings, then KubeRay's non-fatal ones
    content_key: str = field(default="", compare=False)  # digest of its inputs (`source.render_cache`)

    @property
    def ok(self) -> bool:
        return not self.problems

    @cached_property
    def refs(self) -> tuple[MemberRef, ...]:
        """Each object's ref, in `objects` order, made once: a controller keeps its units from cycle to cycle,
        and planning, drift and health all look objects up by ref."""
        return tuple(map(MemberRef.from_object, self.objects))


@dataclass(frozen=True)
class DesiredState:
    """Everything a source asks for. `broken_sources` are files that failed as a whole: the units they
    held are unknown, so while there is one nothing is pruned. `source_id` names the source
    (`ownership.source_identity`): a sync retires only inventories recorded with the same identity."""

    units: tuple[RenderedUnit, ...] = ()
    broken_sources: tuple[Problem, ...] = field(default=())
    source_id: str = ""
    rendered: int = field(default=0, compare=False)  # units rendered anew; the others came from a cache

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
