"""Collisions: one object that two units, or one unit twice, would produce.

Pure. An object is named by its API group, kind, namespace and name (the version does not make another
object). Rendered names can meet across units (cluster `x-y` with group `z` and cluster `x` with group `y-z`
both make Pod `x-y-z-worker-0`), a hand-written document can take a generated name (a Service named like a
head Service), or two files can declare the same object. Which one should win is not ours to guess: every
unit involved gets a problem naming the object and the other files, so none of them is applied and none
prunes, and whoever owns the object in the cluster keeps it. The preview of a `raycluster` unit counts:
KubeRay will create those objects. A unit with problems produces nothing, so it collides with nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gitops_ray.model.objects import KubeObject, api_group, object_ref
from gitops_ray.model.units import Problem, RenderedUnit

ObjectIdentity = tuple[str, str, str, str]  # (API group, kind, namespace, name)


def identity(obj: KubeObject) -> ObjectIdentity:
    """What names an object in the cluster: two objects with the same identity are one object."""
    api_version, kind, namespace, name = object_ref(obj)
    return api_group(api_version), kind, namespace, name


def _described(found: ObjectIdentity) -> str:
    _, kind, namespace, name = found
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def with_collisions(units: Sequence[RenderedUnit]) -> list[RenderedUnit]:
    """`units` (same order), each unit that produces an object another unit or itself also produces with a
    problem per such object and nothing to apply (as a unit with problems is rendered). O(objects)."""
    producers: dict[ObjectIdentity, list[int]] = {}
    for position, unit in enumerate(units):
        for obj in (*unit.objects, *unit.preview):
            producers.setdefault(identity(obj), []).append(position)
    found: dict[int, list[Problem]] = {}
    for shared, positions in producers.items():
        if len(positions) == 1:
            continue
        involved = list(dict.fromkeys(positions))
        for position in involved:
            unit = units[position]
            others = [
                f"{units[other].source} ({units[other].key})" for other in involved if other != position
            ]
            if others:
                message = f"also produced by {', '.join(others)}; an object belongs to one unit, "
                message += "so none of them is applied"
            else:
                message = f"produced {positions.count(position)} times by this unit (a document named like "
                message += "an object its RayCluster generates, or the same object written twice)"
            problem = Problem(file=unit.source, object=_described(shared), message=message)
            found.setdefault(position, []).append(problem)
    return [
        replace(unit, objects=(), preview=(), problems=(*unit.problems, *found[position]), content_key="")
        if position in found
        else unit
        for position, unit in enumerate(units)
    ]
