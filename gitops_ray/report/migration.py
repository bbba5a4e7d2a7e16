"""What `gitops-ray migrate` prints: one YAML stream of the converted documents, each choice as a
`# migrate:` comment above the field it made, the warnings as comments at the top of their document.

Pure. The YAML is `yamltext.dump_yaml`'s (the bytes `render` writes); comments are inserted between its
lines, so removing them gives exactly that text back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from gitops_ray.model.objects import KubeObject
from gitops_ray.model.units import LoadedFile, Problem
from gitops_ray.report.yamltext import dump_yaml
from gitops_ray.source.legacy import FieldPath, LegacyFormatError, Note, is_legacy_raycluster, migrate

COMMENT = "# migrate: "
CONVERTED = "converted from Ray's legacy operator format by gitops-ray migrate; review the comments below"
PASSED_THROUGH = "passed through unchanged: not a cluster.ray.io RayCluster"


@dataclass(frozen=True)
class MigrationOutput:
    """The stream for stdout, the warnings and the errors (files or documents that could not be read or
    converted, which are left out of the stream)."""

    text: str
    warnings: tuple[Problem, ...]
    errors: tuple[Problem, ...]
    converted: int
    passed_through: int


def migrate_files(files: Iterable[LoadedFile]) -> MigrationOutput:
    """Every document of `files` in order: legacy RayClusters converted, the others passed through."""
    parts: list[str] = []
    warnings: list[Problem] = []
    errors: list[Problem] = []
    converted = passed = 0
    for loaded in files:
        errors.extend(loaded.problems)
        for index, document in enumerate(loaded.documents):
            if not is_legacy_raycluster(document):
                parts.append(commented_yaml(document, [PASSED_THROUGH], []))
                passed += 1
                continue
            label = f"RayCluster {_label(document)}"
            try:
                migration = migrate(document)
            except LegacyFormatError as error:
                errors.append(Problem(loaded.path, error.message, index, label, error.field))
                continue
            converted += 1
            warnings.extend(
                Problem(loaded.path, note.message, index, label, note.field) for note in migration.warnings
            )
            header = [CONVERTED, *(f"WARNING {note.field}: {note.message}" for note in migration.warnings)]
            parts.append(commented_yaml(migration.document, header, migration.choices))
    return MigrationOutput("".join(parts), tuple(warnings), tuple(errors), converted, passed)


def _label(document: KubeObject) -> str:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return "(no metadata)"
    name, namespace = metadata.get("name"), metadata.get("namespace")
    name = name if isinstance(name, str) and name else "(no name)"
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def commented_yaml(data: KubeObject, header: Sequence[str], notes: Sequence[Note]) -> str:
    """`---`, the header comments, then `data` as YAML with each note above the line of its path (the
    nearest enclosing field when the path is not in `data`; the header when none is)."""
    text = dump_yaml(data)
    lines = text.splitlines(keepends=True)
    places = _places(yaml.compose(text, Loader=yaml.SafeLoader))
    above: dict[int, list[str]] = {}
    top = [f"{COMMENT}{line}\n" for line in header]
    for note in notes:
        place = _nearest(places, note.path)
        comment = f"{COMMENT}{_one_line(note.message)}\n"
        if place is None:
            top.append(comment)
        else:
            line, column = place
            above.setdefault(line, []).append(" " * column + comment)
    out = ["---\n", *top]
    for number, text_line in enumerate(lines):
        out.extend(above.get(number, ()))
        out.append(text_line)
    return "".join(out)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _nearest(places: dict[FieldPath, tuple[int, int]], path: FieldPath) -> tuple[int, int] | None:
    for length in range(len(path), 0, -1):
        place = places.get(path[:length])
        if place is not None:
            return place
    return None


def _places(node: yaml.Node | None, path: FieldPath = ()) -> dict[FieldPath, tuple[int, int]]:
    """(line, column) where each path's entry starts: a mapping key, or a block sequence item's `- `."""
    places: dict[FieldPath, tuple[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            places[child] = (key.start_mark.line, key.start_mark.column)
            places.update(_places(value, child))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            places[child] = (item.start_mark.line, item.start_mark.column - len("- "))
            places.update(_places(item, child))
    return places
