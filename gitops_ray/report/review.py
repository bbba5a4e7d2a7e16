"""Review: what a change to the cluster YAML does, per cluster, for a pull request.

Pure: two desired states in (the base and the proposed tree), per-cluster changes out. Each changed object
is judged by the planner's own rule (`reconcile.assess.immutable_change` on the stamped objects, as
`reconcile.plan` does): a Pod whose spec changed is deleted and created again (that Ray node restarts; the
head Pod restarting restarts the whole Ray cluster), anything else is patched in place. Both sides come from
the repository, so the text is `report.rendered_file`'s: what is applied, Secret values redacted.

Text is the unified diff of the rendered files, then a summary per cluster; Markdown (a PR comment) is a
table, then per-object diffs folded per cluster, kept under a size limit by cutting the least important
detail first: identical diffs of many objects (the Pods of a scaled group) become one, then whole clusters'
details go, each cut said in a note.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from gitops_ray.model.kuberay import (
    HEAD_NODE_TYPE,
    HOST_INDEX_LABEL,
    NODE_TYPE_LABEL,
    REPLICA_INDEX_LABEL,
    REPLICA_NAME_LABEL,
)
from gitops_ray.model.objects import KubeObject, describe, label, metadata, sort_key
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.reconcile.assess import immutable_change
from gitops_ray.reconcile.stamp import SpecHashes, stamp
from gitops_ray.report.files import rendered_file, rendered_path
from gitops_ray.report.yamltext import YamlWriter

ChangeKind = Literal["added", "removed", "changed"]
Action = Literal["recreated", "changed in place", "added", "removed", "preview"]

DEFAULT_MAX_CHARS = 60_000  # GitHub refuses comments over 65,536 characters
HEAD_RESTART = "the head Pod is recreated: the whole Ray cluster restarts"
RECREATED = "recreated (delete + create: a restart of that Ray node)"
NOT_APPLIED = "not applied: its source has problems, so the cluster stays as it is"
_TITLE = "## gitops-ray: rendered changes"
_COUNTED: tuple[Action, ...] = ("recreated", "changed in place", "added", "removed")
_INDEX_LABELS = (REPLICA_INDEX_LABEL, REPLICA_NAME_LABEL, HOST_INDEX_LABEL)
_LISTED: tuple[tuple[Action, str], ...] = (
    ("recreated", RECREATED),
    ("changed in place", "changed in place"),
    ("added", "added"),
    ("removed", "removed"),
    ("preview", "changed in KubeRay's preview (the operator applies these, not gitops-ray)"),
)


@dataclass(frozen=True)
class ObjectChange:
    """One object that a change adds, removes or changes, and what a sync does with it."""

    name: str  # `Pod ml/a-head`
    action: Action
    head: bool = False  # the Ray head Pod
    metadata_only: bool = False  # only labels or annotations differ
    reason: str = ""  # why it is recreated (the planner's words)
    diff: str = ""  # unified diff of the object's rendered YAML
    shape: str = ""  # `diff` without what tells the Pods of a group apart: equal shapes are alike

    def label(self) -> str:
        return f"`{self.name}`" + (" (metadata only: no restart)" if self.metadata_only else "")


@dataclass(frozen=True)
class ClusterChange:
    """One cluster whose rendered output differs between base and proposal."""

    key: UnitKey
    kind: ChangeKind
    objects: tuple[ObjectChange, ...]  # in the rendered file's order; none when not applied
    diff: str  # unified diff of rendered/<namespace>/<cluster>.yaml
    problems: tuple[Problem, ...]  # of the proposed version: with any, nothing of it is applied

    def named(self, action: Action) -> tuple[str, ...]:
        return tuple(change.name for change in self.objects if change.action == action)

    @property
    def head_recreated(self) -> bool:
        return any(change.head and change.action == "recreated" for change in self.objects)

    @property
    def objects_added(self) -> tuple[str, ...]:
        return self.named("added")

    @property
    def objects_removed(self) -> tuple[str, ...]:
        return self.named("removed")

    @property
    def objects_changed(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.objects if c.action in ("recreated", "changed in place"))


# --- what changes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shown:
    obj: KubeObject
    text: str
    applied: bool  # False: KubeRay's preview of a `raycluster` target


def _shown(unit: RenderedUnit | None) -> dict[str, _Shown]:
    if unit is None:
        return {}
    writer = YamlWriter()
    shown = {describe(obj): _Shown(obj, writer.document(obj), True) for obj in unit.objects}
    shown.update({describe(obj): _Shown(obj, writer.document(obj), False) for obj in unit.preview})
    return shown


def _object_diff(name: str, old: _Shown | None, new: _Shown | None) -> str:
    return "".join(
        difflib.unified_diff(
            old.text.splitlines(keepends=True) if old else [],
            new.text.splitlines(keepends=True) if new else [],
            fromfile=f"a/{name}" if old else "/dev/null",
            tofile=f"b/{name}" if new else "/dev/null",
        )
    )


def _shape(diff: str, obj: KubeObject) -> str:
    """The diff with the object's own name and the labels that number the Pods of a group taken out."""
    name = str(metadata(obj).get("name") or "")
    lines = diff.splitlines()[2:]  # the ---/+++ lines name the object
    kept = (line for line in lines if not any(key in line for key in _INDEX_LABELS))
    return "\n".join(line.replace(name, "<name>") if name else line for line in kept)


def _action(old: _Shown | None, new: _Shown | None, hashes: SpecHashes) -> tuple[Action, str]:
    """What a sync does (the planner's recreate-or-patch rule), and why when it recreates."""
    if old is None:
        return ("added" if new is None or new.applied else "preview"), ""
    if new is None:
        return ("removed" if old.applied else "preview"), ""
    if not new.applied:
        return "preview", ""
    reason = immutable_change(stamp(new.obj, hashes), stamp(old.obj, hashes))
    return ("recreated", reason) if reason else ("changed in place", "")


def _rest(obj: KubeObject) -> KubeObject:
    return {key: value for key, value in obj.items() if key != "metadata"}


def _either(was: _Shown | None, now: _Shown | None) -> KubeObject:
    """The proposed object, or the base one when it is removed."""
    shown = now or was
    assert shown is not None, "an object changes only if it is on one side at least"
    return shown.obj


def _object_change(name: str, was: _Shown | None, now: _Shown | None, hashes: SpecHashes) -> ObjectChange:
    obj = _either(was, now)
    action, reason = _action(was, now, hashes)
    diff = _object_diff(name, was, now)
    return ObjectChange(
        name=name,
        action=action,
        head=obj.get("kind") == "Pod" and label(obj, NODE_TYPE_LABEL) == HEAD_NODE_TYPE,
        metadata_only=was is not None and now is not None and _rest(was.obj) == _rest(now.obj),
        reason=reason,
        diff=diff,
        shape=_shape(diff, obj),
    )


def _object_changes(old: RenderedUnit | None, new: RenderedUnit | None) -> tuple[ObjectChange, ...]:
    """The objects whose rendered text differs, in the rendered file's order (kind, then name)."""
    before, after = _shown(old), _shown(new)
    hashes = SpecHashes()
    changed = [
        (name, before.get(name), after.get(name))
        for name in before.keys() | after.keys()
        if name not in before or name not in after or before[name].text != after[name].text
    ]
    changed.sort(key=lambda entry: sort_key(_either(entry[1], entry[2])))
    return tuple(_object_change(name, was, now, hashes) for name, was, now in changed)


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
        kind: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
        applied = new is None or new.ok
        changes.append(
            ClusterChange(
                key=key,
                kind=kind,
                objects=_object_changes(old, new) if applied else (),
                diff=diff,
                problems=new.problems if new is not None else (),
            )
        )
    return changes


# --- text -----------------------------------------------------------------------------------------------


def no_changes(compared: int) -> str:
    return f"no changes ({compared} cluster{'' if compared == 1 else 's'} compared)\n"


def _summary_lines(change: ClusterChange, markdown: bool = False) -> list[str]:
    """What a sync does to the cluster: the head restart first, then the objects by action (names in code
    spans for Markdown)."""
    if change.problems:
        return [NOT_APPLIED]
    lines = [HEAD_RESTART] if change.head_recreated else []
    for action, title in _LISTED:
        listed = [c for c in change.objects if c.action == action]
        if listed:
            names = (c.label() if markdown else c.label().replace("`", "") for c in listed)
            lines.append(f"{title}: " + ", ".join(names))
    return lines or ["only the rendered file's header changes (its source or target)"]


def format_text(changes: Sequence[ClusterChange], compared: int) -> str:
    """Unified diffs, one after another, as `git diff` prints them; then what happens, per cluster."""
    if not changes:
        return no_changes(compared)
    text = "".join(change.diff if change.diff.endswith("\n") else change.diff + "\n" for change in changes)
    for change in changes:
        text += f"\n{change.key} ({change.kind}):\n" + "".join(
            f"  {line}\n" for line in _summary_lines(change)
        )
    return text


# --- Markdown -------------------------------------------------------------------------------------------


def _fenced(diff: str) -> list[str]:
    fence = "````" if "```" in diff else "```"  # a fence the diff itself cannot close
    return [f"{fence}diff", diff.rstrip("\n"), fence]


def _count(change: ClusterChange, action: Action) -> str:
    count = len(change.named(action))
    if action == "recreated" and change.head_recreated:
        return f"**{count}: the whole Ray cluster restarts**"
    return str(count)


def _head(changes: Sequence[ClusterChange], proposed: DesiredState, compared: int) -> list[str]:
    """Title, problems, and the table: what always stays in the comment."""
    lines = [_TITLE, ""]
    if proposed.problems:
        lines += [
            f"**{len(proposed.problems)} problem(s) in this change** (these clusters are not applied):",
            "",
        ]
        lines += [f"- {problem}" for problem in proposed.problems]
        lines.append("")
    if not changes:
        return [*lines, no_changes(compared).rstrip("\n")]
    lines += [
        f"{len(changes)} of {compared} clusters change.",
        "",
        "| cluster | change | Pods and objects recreated (restarts) | changed in place | added | removed |",
        "|---|---|---|---|---|---|",
    ]
    for change in changes:
        counts = (
            " | ".join(_count(change, action) for action in _COUNTED)
            if not change.problems
            else "not applied (problems) | | |"
        )
        lines.append(f"| `{change.key}` | {change.kind} | {counts} |")
    restarts = [change for change in changes if change.head_recreated]
    if restarts:
        lines.append("")
        lines += [f"- **`{change.key}`: {HEAD_RESTART}.**" for change in restarts]
    return lines


def _groups(objects: Iterable[ObjectChange]) -> list[list[ObjectChange]]:
    """Objects with the same action and the same diff shape, in order of first appearance."""
    groups: dict[tuple[str, str, str], list[ObjectChange]] = {}
    for change in objects:
        groups.setdefault((change.action, change.name.split(" ", 1)[0], change.shape), []).append(change)
    return list(groups.values())


def _details(change: ClusterChange, collapse: bool) -> list[str]:
    """A folded section: what happens, then each object's diff (one per group of alike ones if `collapse`)."""
    lines = ["", f"<details><summary><code>{change.key}</code> ({change.kind})</summary>", ""]
    lines += [f"- {line}" for line in _summary_lines(change, markdown=True)]
    if not change.objects:
        lines += ["", *_fenced(change.diff)]
    groups = _groups(change.objects) if collapse else [[c] for c in change.objects]
    for group in groups:
        first = group[0]
        why = f": {first.reason}" if first.reason else ""
        lines += ["", f"`{first.name}` {first.action}{why}", "", *_fenced(first.diff)]
        if len(group) > 1:
            kind = first.name.split(" ", 1)[0]
            lines.append(f"_and {len(group) - 1} more {kind}s like it_")
    return [*lines, "", "</details>"]


def _importance(change: ClusterChange, size: int) -> tuple[bool, bool, bool, int]:
    """Sort key, least important first: details of clusters that restart nothing, larger ones first."""
    return (bool(change.problems), change.head_recreated, bool(change.named("recreated")), -size)


def _joined(parts: Iterable[list[str]]) -> str:
    return "\n".join(line for part in parts for line in part) + "\n"


def format_markdown(
    changes: Sequence[ClusterChange],
    proposed: DesiredState,
    compared: int,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str:
    """A PR comment of at most `max_chars` characters: problems, a table of what happens per cluster, then
    per-object diffs folded per cluster. Over the limit, alike diffs are shown once, then the details of the
    least important clusters go (the table stays), each cut named in a note."""
    if not changes and not proposed.problems:
        return no_changes(compared)
    head = _head(changes, proposed, compared)
    if not changes:
        return _joined([head])
    text = _joined([head, *(_details(change, collapse=False) for change in changes)])
    if len(text) <= max_chars:
        return text
    details = [_details(change, collapse=True) for change in changes]
    collapsed = [
        "",
        f"_Objects with the same change are shown once, to stay under {max_chars:,} characters._",
    ]
    text = _joined([head, collapsed, *details])
    if len(text) <= max_chars:
        return text
    sizes = [len(_joined([part])) for part in details]
    order = sorted(range(len(changes)), key=lambda index: _importance(changes[index], sizes[index]))
    total = len(text)
    cut: list[UnitKey] = []
    for index in order:
        total -= sizes[index]
        cut.append(changes[index].key)
        note = _cut_note(cut, max_chars)
        if total + len(_joined([note])) <= max_chars:
            break
    kept = [part for key, part in zip((c.key for c in changes), details, strict=True) if key not in cut]
    return _truncated(_joined([head, collapsed if kept else [], _cut_note(cut, max_chars), *kept]), max_chars)


def _cut_note(cut: Sequence[UnitKey], max_chars: int) -> list[str]:
    names = ", ".join(f"`{key}`" for key in sorted(cut))
    return [
        "",
        f"_Details of {len(cut)} cluster(s) cut to stay under {max_chars:,} characters: {names}. "
        "`gitops-ray diff` prints everything._",
    ]


def _truncated(text: str, max_chars: int) -> str:
    """`text`, or as many whole lines of it as fit with a closing note (a table too long on its own)."""
    if len(text) <= max_chars:
        return text
    note = f"\n_Cut at {max_chars:,} characters: `gitops-ray diff` prints everything._\n"
    end = text.rfind("\n", 0, max(max_chars - len(note), 0))
    return text[: max(end, 0)] + note
