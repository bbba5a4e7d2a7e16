"""Inputs as users name them on the command line, like `kubectl apply -f`: repository directories, single
YAML files and `-` (standard input), read into sources that render side by side.

- A directory is a repository root: its `gitops-ray.yaml` and its tree, as `desired_state` reads them.
- A file renders with the settings of the repository it sits in (the nearest directory above it holding a
  `gitops-ray.yaml`, looking no higher than the top of its Git work tree, which is its repository with
  default settings when no config is found on the way), named by its path in that repository: the same
  name, settings and so the same rendered file as a render of the whole repository gives it.
- A file outside any repository, and standard input (`<stdin>`), render with default settings, named as
  given.
- A file reached twice (the same path twice, a file inside a directory also given, one file through two
  links) is read once, by the first path that reaches it; within one directory the tree walk stays as it
  is. Each repository is checked on its own (one `desired_state` each); a cluster that two repositories,
  or a repository and a loose file, both declare is a problem on each, as within one repository.

Pure apart from reading the paths (standard input comes in through `read_stdin`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gitops_ray.model.units import DesiredState, LoadedFile, Problem, UnitKey
from gitops_ray.source.config import REPO_CONFIG_FILE, ConfigError, SourceOptions, read_repo_config
from gitops_ray.source.desired import desired_state, load_source
from gitops_ray.source.load import STDIN_NAME, load_file, parse_documents
from gitops_ray.source.render_cache import RenderCache

STDIN_PATH = "-"


@dataclass(frozen=True)
class Source:
    """Files that render with the same settings: one repository's (`root`), or the loose files' and
    standard input's (no root, default settings). Files are sorted by name, as `load_tree` returns them."""

    root: Path | None
    options: SourceOptions
    files: tuple[LoadedFile, ...]


@dataclass(frozen=True)
class Inputs:
    """What the paths hold, and the paths that could not be read at all (`PATH: why`)."""

    sources: tuple[Source, ...] = ()
    errors: tuple[str, ...] = ()


def repository_of(file: Path) -> Path | None:
    """The repository a file named on its own belongs to (see the module docstring), or None."""
    for directory in Path(os.path.abspath(file)).parents:
        if (directory / REPO_CONFIG_FILE).is_file() or (directory / ".git").exists():
            return directory
    return None


# Loose files and standard input are in no repository layout: their folders name no namespace, so a
# document without one goes to `default`, as kubectl would apply it.
LOOSE_OPTIONS = SourceOptions(namespace_from_folder=False)


def read_inputs(paths: Sequence[str], read_stdin: Callable[[], bytes]) -> Inputs:
    """The sources `paths` name, in the order they are first named. A missing path, or a repository whose
    `gitops-ray.yaml` is broken, is an error of its own: the other paths are still read."""
    # by resolved repository root (None: the loose files): the root as first named, settings, files
    pending: dict[Path | None, tuple[Path | None, SourceOptions, list[LoadedFile]]] = {}
    settings: dict[Path, SourceOptions | None] = {}  # each repository's config, read once
    seen: set[Path] = set()  # files read so far, resolved
    errors: list[str] = []
    for text in dict.fromkeys(paths):  # a path named twice is read once (so is `-`)
        if text == STDIN_PATH:
            pending.setdefault(None, (None, LOOSE_OPTIONS, []))[2].append(
                parse_documents(STDIN_NAME, read_stdin())
            )
            continue
        path = Path(text)
        if not path.exists():
            errors.append(f"{text}: no such file or directory")
            continue
        root = path if path.is_dir() else repository_of(path)
        key: Path | None = None
        options: SourceOptions | None = LOOSE_OPTIONS
        if root is not None:
            key = root.resolve()
            if key not in settings:
                try:
                    settings[key] = read_repo_config(root)
                except ConfigError as error:
                    settings[key] = None
                    # a sole directory's config errors read as they always have; more paths: name the path
                    errors.append(f"{error}" if len(paths) == 1 and path.is_dir() else f"{text}: {error}")
            options = settings[key]
        if options is None:
            continue
        if path.is_dir():
            found = [((path / loaded.path).resolve(), loaded) for loaded in load_source(path, options)]
        else:
            name = Path(os.path.abspath(path)).relative_to(root).as_posix() if root else path.as_posix()
            found = [(path.resolve(), load_file(name, path, options.max_file_bytes))]
        files = pending.setdefault(key, (root, options, []))[2]
        files.extend(loaded for identity, loaded in found if identity not in seen)
        seen.update(identity for identity, _ in found)
    sources = (
        Source(root, options, tuple(sorted(files, key=lambda loaded: loaded.path)))
        for root, options, files in pending.values()
    )
    return Inputs(sources=tuple(sources), errors=tuple(errors))


def read_review_pair(old: str, new: str, read_stdin: Callable[[], bytes]) -> tuple[Inputs, Inputs]:
    """`diff OLD NEW`: each path read as `read_inputs` reads it, except that when NEW is one file (or `-`)
    and OLD a file (or `-`), OLD is read as NEW's file: under its name and with its settings, so a review
    of two versions of a file shows what the edit does, not where each version lies."""
    proposed = read_inputs([new], read_stdin)
    one_file = new == STDIN_PATH or not Path(new).is_dir()
    old_is_file = old == STDIN_PATH or (Path(old).exists() and not Path(old).is_dir())
    if not (one_file and old_is_file and len(proposed.sources) == 1):
        return read_inputs([old], read_stdin), proposed
    (source,) = proposed.sources
    (name,) = (loaded.path for loaded in source.files)
    max_bytes = source.options.max_file_bytes
    if old == STDIN_PATH:
        loaded = parse_documents(name, read_stdin(), max_bytes)
    else:
        loaded = load_file(name, Path(old), max_bytes)
    return Inputs(sources=(replace(source, files=(loaded,)),)), proposed


def inputs_state(inputs: Inputs, cache: RenderCache | None = None) -> DesiredState:
    """Every source rendered with its settings, as one state: units by key (stable: in the order of the
    sources), and a key that two sources declare is a problem on each (neither is rendered), as two files
    of one repository declaring it would be."""
    states = [
        desired_state(source.root or Path("."), source.options, "", cache, source.files)
        for source in inputs.sources
    ]
    if len(states) == 1:
        return states[0]
    declared: dict[UnitKey, list[tuple[int, str]]] = {}
    for index, state in enumerate(states):
        for unit in state.units:
            declared.setdefault(unit.key, []).append((index, unit.source))
    units = []
    for index, state in enumerate(states):
        for unit in state.units:
            elsewhere = [source for other, source in declared[unit.key] if other != index]
            if elsewhere:
                problem = Problem(
                    file=unit.source,
                    message=f"{unit.key} is defined more than once (also in {', '.join(elsewhere)})",
                )
                # content_key "" too: a cached text of this unit is the text it had without the clash
                unit = replace(
                    unit, objects=(), preview=(), problems=(*unit.problems, problem), content_key=""
                )
            units.append(unit)
    return DesiredState(
        units=tuple(sorted(units, key=lambda unit: unit.key)),
        broken_sources=tuple(problem for state in states for problem in state.broken_sources),
        rendered=sum(state.rendered for state in states),
    )
