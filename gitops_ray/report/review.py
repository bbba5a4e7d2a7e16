"""Review: what a change to the cluster YAML does to the rendered objects, for a pull request.

Pure: two desired states in (the base and the proposed tree), per-cluster changes out, as a unified diff
of the rendered files (text) or a Markdown summary with the diffs folded (a PR comment). Both sides come
from the repository, so the text is `report.rendered_file`'s: what is applied, Secret values redacted.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gitops_ray.model.objects import describe
from gitops_ray.model.redaction import redact_object
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.report.files import rendered_file, rendered_path
from gitops_ray.report.yamltext import dump_yaml

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ClusterChange:
    """One cluster whose rendered output differs between base and proposal."""

    key: UnitKey
    kind: ChangeKind
    objects_added: tuple[str, ...]
    objects_removed: tuple[str, ...]
    objects_changed: tuple[str, ...]
    diff: str  # unified diff of rendered/<namespace>/<cluster>.yaml
    problems: tuple[Problem, ...]  # of the proposed version


def _objects(unit: RenderedUnit | None) -> dict[str, str]:
    if unit is None:
        return {}
    return {describe(obj): dump_yaml(redact_object(obj)) for obj in [*unit.objects, *unit.preview]}


def _file(unit: RenderedUnit | None) -> list[str]:
    return rendered_file(unit).splitlines(keepends=True) if unit is not None else []


def diff_states(
    base: DesiredState, proposed: DesiredState, rendered_dir: str = "rendered"
) -> list[ClusterChange]:
    """Changed clusters, sorted by namespace and name; unchanged ones are left out."""
    before = {unit.key: unit for unit in base.units}
    after = {unit.key: unit for unit in proposed.units}
    changes: list[ClusterChange] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        old_lines, new_lines = _file(old), _file(new)
        if old_lines == new_lines:
            continue
        path = rendered_path(rendered_dir, key)
        diff = "".join(
            difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile=f"a/{path}" if old else "/dev/null",
                tofile=f"b/{path}" if new else "/dev/null",
            )
        )
        old_objects, new_objects = _objects(old), _objects(new)
        kind: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
        changes.append(
            ClusterChange(
                key=key,
                kind=kind,
                objects_added=tuple(sorted(new_objects.keys() - old_objects.keys())),
                objects_removed=tuple(sorted(old_objects.keys() - new_objects.keys())),
                objects_changed=tuple(
                    sorted(
                        n for n in old_objects.keys() & new_objects.keys() if old_objects[n] != new_objects[n]
                    )
                ),
                diff=diff,
                problems=new.problems if new is not None else (),
            )
        )
    return changes


def format_text(changes: Sequence[ClusterChange]) -> str:
    """Unified diffs, one after another, as `git diff` prints them."""
    return "".join(change.diff if change.diff.endswith("\n") else change.diff + "\n" for change in changes)


def _count(items: Sequence[str], word: str) -> str:
    return f"{len(items)} {word}" if items else ""


def format_markdown(changes: Sequence[ClusterChange], proposed: DesiredState) -> str:
    """A PR comment: a table of changed clusters, problems first, each diff folded under its cluster."""
    lines = ["## gitops-ray: rendered changes", ""]
    problems = proposed.problems
    if problems:
        lines += [f"**{len(problems)} problem(s) in this change** (these clusters are not applied):", ""]
        lines += [f"- {problem}" for problem in problems]
        lines.append("")
    if not changes:
        lines.append("No rendered object changes.")
        return "\n".join(lines) + "\n"
    lines += ["| cluster | change | objects |", "|---|---|---|"]
    for change in changes:
        counts = ", ".join(
            part
            for part in (
                _count(change.objects_added, "added"),
                _count(change.objects_changed, "changed"),
                _count(change.objects_removed, "removed"),
            )
            if part
        )
        lines.append(f"| `{change.key}` | {change.kind} | {counts or 'metadata only'} |")
    for change in changes:
        lines += ["", f"<details><summary><code>{change.key}</code> ({change.kind})</summary>", ""]
        for title, names in (
            ("Added", change.objects_added),
            ("Changed", change.objects_changed),
            ("Removed", change.objects_removed),
        ):
            if names:
                lines.append(f"{title}: " + ", ".join(f"`{name}`" for name in names))
        fence = "````" if "```" in change.diff else "```"  # a fence the diff itself cannot close
        lines += ["", f"{fence}diff", change.diff.rstrip("\n"), fence, "", "</details>"]
    return "\n".join(lines) + "\n"
