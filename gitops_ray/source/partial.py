"""A review diff that renders only what a change can affect (`gitops-ray diff --base REF`).

Pure apart from reading the trees. Git says which files differ between the base and the work tree; the
files that do not differ are parsed once (from the work tree) and stand for both trees, so every file of
both trees is grouped as a full render would group it (duplicate keys are a cross-file check: a changed
file can clash with an unchanged one). Only the units whose inputs differ, or whose objects collide with
another unit's in either tree (`source.collisions`), are serialized and diffed; every proposed unit is
still rendered, because its render problems are part of the review (the problem list and the exit status)
even when the unit itself did not change, and a base unit equal to a proposed one is not rendered again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops_ray.model.units import DesiredState, LoadedFile, RenderedUnit, Unit, UnitKey
from gitops_ray.render.options import RenderOptions
from gitops_ray.source.collisions import with_collisions
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.desired import load_source, render_unit
from gitops_ray.source.grouping import group_units

# A problem of an unchanged file that comes from the work tree, not from its bytes: the base may differ.
_WORK_TREE_PROBLEMS = ("cannot read",)


@dataclass(frozen=True)
class ReviewStates:
    """What a review diff needs: the units to diff in each tree, and the whole proposed state (whose
    problems the review lists and whose problems decide the exit status)."""

    base: DesiredState
    proposed: DesiredState
    proposed_all: DesiredState


def base_files(
    proposed: Sequence[LoadedFile],
    base_changed: Sequence[LoadedFile],
    changed: Collection[str],
    tracked: Collection[str],
) -> list[LoadedFile] | None:
    """The base tree's files: the changed ones as loaded from the base export, the others shared with the
    work tree, in `load_tree`'s order (by path). None when the work tree holds something Git did not
    account for (a directory problem, an unreadable file...): then only a full render is exact."""
    for loaded in proposed:
        if loaded.path in changed:
            continue
        if loaded.path not in tracked:
            return None
        if any(problem.message.startswith(_WORK_TREE_PROBLEMS) for problem in loaded.problems):
            return None
    if any(loaded.path not in changed for loaded in base_changed):
        return None  # the export holds only changed files; anything else is a surprise
    shared = [loaded for loaded in proposed if loaded.path not in changed]
    return sorted([*shared, *base_changed], key=lambda loaded: loaded.path)


def keys_to_diff(
    base_units: Sequence[Unit], proposed_units: Sequence[Unit], changed: Collection[str]
) -> frozenset[UnitKey]:
    """Keys whose rendered file may differ: any key with a unit from a changed file in either tree, and
    any key whose units differ between the trees (an unchanged file's unit that gained or lost a clash).

    Every other key has the very same units in both trees, so it renders the same and drops out of the
    diff: rendering is a function of the unit and the (unchanged) options.
    """
    before: dict[UnitKey, list[Unit]] = {}
    after: dict[UnitKey, list[Unit]] = {}
    for units, by_key in ((base_units, before), (proposed_units, after)):
        for unit in units:
            by_key.setdefault(unit.key, []).append(unit)
    selected: set[UnitKey] = set()
    for key in before.keys() | after.keys():
        old, new = before.get(key, []), after.get(key, [])
        if any(unit.source in changed for unit in (*old, *new)) or old != new:
            selected.add(key)
    return frozenset(selected)


def _ordered(units: Sequence[Unit]) -> list[Unit]:
    """The units in `desired_state`'s order, so duplicates and collisions resolve as there."""
    return sorted(units, key=lambda unit: unit.key)  # stable: as `desired_state` orders them


def _rendered_reusing(
    units: Sequence[Unit], done: Sequence[tuple[Unit, RenderedUnit]], options: RenderOptions
) -> list[RenderedUnit]:
    """Each unit rendered, taken from `done` when it holds an equal unit: rendering is a function of the
    unit and the options, so the base renders only the units that differ from the proposed ones."""
    by_key: dict[UnitKey, list[tuple[Unit, RenderedUnit]]] = {}
    for unit, rendered in done:
        by_key.setdefault(unit.key, []).append((unit, rendered))
    return [
        next((rendered for same, rendered in by_key.get(unit.key, []) if same == unit), None)
        or render_unit(unit, options)
        for unit in units
    ]


def _collisions(units: Sequence[RenderedUnit]) -> tuple[list[RenderedUnit], frozenset[UnitKey]]:
    """`with_collisions(units)`, and the keys of the units it marked: collisions are found after rendering,
    so an unchanged unit can gain or lose one through a changed file."""
    marked = with_collisions(units)
    return marked, frozenset(
        after.key for before, after in zip(units, marked, strict=True) if after is not before
    )


def review_states(
    proposed_root: Path,
    base_root: Path,
    options: SourceOptions,
    changed: Collection[str],
    tracked: Collection[str],
) -> ReviewStates | None:
    """The review of the work tree at `proposed_root` against a base of which only the `changed` files
    were exported under `base_root` (`tracked`: every file of the base under the source path; paths are
    relative to the roots). None when the result could differ from a full render of both trees."""
    proposed_files = load_source(proposed_root, options)
    shared_and_changed = base_files(proposed_files, load_source(base_root, options), changed, tracked)
    if shared_and_changed is None:
        return None
    base_units, base_broken = group_units(shared_and_changed, options)
    proposed_units, proposed_broken = group_units(proposed_files, options)
    proposed_order = _ordered(proposed_units)
    proposed_rendered = [render_unit(unit, options.render) for unit in proposed_order]
    done = list(zip(proposed_order, proposed_rendered, strict=True))
    rendered, proposed_collided = _collisions(proposed_rendered)
    base_all, base_collided = _collisions(_rendered_reusing(_ordered(base_units), done, options.render))
    keys = keys_to_diff(base_units, proposed_units, changed) | base_collided | proposed_collided
    return ReviewStates(
        base=DesiredState(
            units=tuple(unit for unit in base_all if unit.key in keys), broken_sources=tuple(base_broken)
        ),
        proposed=DesiredState(
            units=tuple(unit for unit in rendered if unit.key in keys), broken_sources=tuple(proposed_broken)
        ),
        proposed_all=DesiredState(units=tuple(rendered), broken_sources=tuple(proposed_broken)),
    )
