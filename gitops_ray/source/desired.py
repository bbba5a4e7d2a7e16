"""Desired state: from a source tree to what every unit wants in the cluster (load -> units -> render).

Pure apart from reading the tree. Bad input never raises: it becomes problems on the unit it belongs to
(or on `broken_sources` for a file that yields no unit), so one broken file never stops the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gitops_ray.model import ownership
from gitops_ray.model.objects import KubeObject, labels_of, metadata, sort_key
from gitops_ray.model.targets import TARGETS
from gitops_ray.model.units import (
    DesiredState,
    LoadedFile,
    RenderedUnit,
    Unit,
    UnitKey,
)
from gitops_ray.render import render_raycluster
from gitops_ray.render.errors import RenderError
from gitops_ray.render.options import RenderOptions
from gitops_ray.render.validate import ManagedElsewhere
from gitops_ray.source.collisions import with_collisions
from gitops_ray.source.config import REPO_CONFIG_FILE, SourceOptions, read_repo_config
from gitops_ray.source.credentials import credential_warnings
from gitops_ray.source.grouping import group_units
from gitops_ray.source.load import load_tree
from gitops_ray.source.render_cache import RenderCache, unit_cache_key


def with_membership(obj: KubeObject, key: UnitKey) -> KubeObject:
    """`obj` labelled as a member of the unit's ApplySet (a new object and metadata; the rest is shared,
    and nothing downstream mutates objects in place)."""
    labels = {**labels_of(obj), **ownership.membership_labels(key.name, key.namespace)}
    return {**obj, "metadata": {**metadata(obj), "labels": labels}}


def _failed(unit: Unit, error: RenderError) -> RenderedUnit:
    """The unit with its render error as a problem located at the RayCluster's field."""
    problem = unit.problem_at_raycluster(error.message, error.field)
    return RenderedUnit(key=unit.key, source=unit.source, target=unit.target, problems=(problem,))


def render_unit(unit: Unit, options: RenderOptions) -> RenderedUnit:
    """Render one unit; a render error becomes a problem located at the RayCluster's field."""
    if unit.problems:
        return RenderedUnit(
            key=unit.key,
            source=unit.source,
            target=unit.target,
            problems=unit.problems,
            warnings=unit.warnings,
        )
    target = TARGETS[unit.target]
    rendered: tuple[KubeObject, ...] = ()
    messages: tuple[str, ...] = ()
    if unit.raycluster is not None:
        try:
            result = render_raycluster(unit.raycluster, options)
        except ManagedElsewhere as error:
            if not target.applies_raycluster:
                return _failed(unit, error)
            # Another controller (MultiKueue) runs the Pods; the RayCluster itself is still ours to apply.
            messages = (f"{error.message}; no preview of its Pods",)
        except RenderError as error:
            return _failed(unit, error)
        else:
            rendered, messages = result.objects, result.warnings
    applied, preview = target.split(unit.raycluster, rendered, unit.extras)
    objects = sorted((with_membership(obj, unit.key) for obj in applied), key=sort_key)
    return RenderedUnit(
        key=unit.key,
        source=unit.source,
        target=unit.target,
        objects=tuple(objects),
        preview=preview,
        warnings=unit.warnings
        + tuple(unit.problem_at_raycluster(message) for message in messages)
        + credential_warnings(unit),
    )


def _render_cached(
    unit: Unit, options: RenderOptions, cache: RenderCache | None
) -> tuple[RenderedUnit, bool]:
    """(the rendered unit, whether it was rendered now) through `cache` when the unit has a content key."""
    key = unit_cache_key(unit, options) if cache is not None else ""
    if cache is not None and key:
        cached = cache.unit(key)
        if cached is not None:
            return cached, False
    rendered = replace(render_unit(unit, options), content_key=key)
    if cache is not None and key:
        cache.store_unit(key, rendered)
    return rendered, True


def load_source(root: Path, options: SourceOptions) -> list[LoadedFile]:
    """The parsed files of the tree at `root`, the output directories and the repo config left out."""
    return load_tree(
        root,
        options.path,
        skip_dirs=(options.rendered_dir, options.drift_dir),
        skip_files=(REPO_CONFIG_FILE,),
        max_bytes=options.max_file_bytes,
    )


def desired_state(
    repo_root: Path,
    options: SourceOptions | None = None,
    source_id: str | None = None,
    cache: RenderCache | None = None,
    files: Sequence[LoadedFile] | None = None,
) -> DesiredState:
    """Everything the tree at `repo_root` asks for, units sorted by namespace and name.

    `options` defaults to the repo's own `gitops-ray.yaml` (a broken config raises ConfigError: the
    whole cycle fails and the cluster stays as it was). `source_id` defaults to the directory itself
    (`file://<absolute path>#<path>`); callers that know the repository pass its identity. With `cache`,
    a unit whose inputs were rendered before is taken from it (`DesiredState.rendered` counts the others).
    `files` stand for the tree's (the files users name on the command line, `source.inputs`).
    """
    if options is None:
        options = read_repo_config(repo_root)
    if files is None:
        files = load_source(repo_root, options)
    units, broken = group_units(files, options)
    results = [_render_cached(unit, options.render, cache) for unit in sorted(units, key=lambda u: u.key)]
    if source_id is None:
        source_id = ownership.source_identity(repo_root.resolve().as_uri(), options.path)
    return DesiredState(
        units=tuple(with_collisions([unit for unit, _ in results])),
        broken_sources=tuple(broken),
        source_id=source_id,
        rendered=sum(1 for _, fresh in results if fresh),
    )
