"""Load: find the YAML files of a source tree and parse them safely, one result per file.

Parsing is strict where Kubernetes is strict and safe where YAML is dangerous:
- only plain data (no Python tags), timestamps stay strings (as `kubectl` reads them);
- a duplicate mapping key is an error (PyYAML would silently keep the last one);
- alias expansion is bounded (an alias bomb is rejected before anything walks the data);
- files over a size limit, binary files and symlinks that leave the repository are rejected.
A bad file becomes a `LoadedFile` with problems; it never stops the other files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from gitops_ray.model.units import LoadedFile, Problem

YAML_SUFFIXES = (".yaml", ".yml")
STDIN_NAME = "<stdin>"  # how documents read from standard input are named in problems and rendered files
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
# Nodes a file may expand to once aliases are followed: far above any real manifest, far below a bomb.
MAX_EXPANDED_NODES = 200_000


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver and with duplicate-key detection."""


_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# libyaml's parser (where PyYAML has it) builds the same documents several times faster; its error texts
# differ, so a file it cannot load is parsed again by the pure-Python loader, whose messages users see.
_FastLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CSafeLoader(yaml.CSafeLoader):
        """The same loader on libyaml's parser."""

    _CSafeLoader.yaml_implicit_resolvers = _SafeLoader.yaml_implicit_resolvers
    _FastLoader = _CSafeLoader


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping has the same key twice."""


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark
            )
        if key in seen:
            raise DuplicateKeyError(
                "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
if _FastLoader is not None:
    _FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Number of nodes once every alias is expanded, computed without expanding (memoised per node)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = limit + 1  # a node reachable from itself (recursive alias) counts as too big
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, memo, limit)
            if size > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, memo, limit) + _expanded_size(value, memo, limit)
            if size > limit:
                break
    memo[id(node)] = size
    return size


def _yaml_problem(path: str, document: int, error: yaml.YAMLError) -> Problem:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        message = f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
        if error.context:
            message += f" ({error.context})"
        return Problem(file=path, document=document, message=message)
    return Problem(file=path, document=document, message=f"invalid YAML: {error}")


def parse_documents(path: str, data: bytes, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadedFile:
    """Parse one file's bytes into documents (mappings); empty documents are dropped."""
    if len(data) > max_bytes:
        return LoadedFile(
            path=path,
            problems=(
                Problem(file=path, message=f"file is {len(data)} bytes, over the limit of {max_bytes}"),
            ),
        )
    if b"\0" in data:
        return LoadedFile(
            path=path, problems=(Problem(file=path, message="binary file (contains NUL bytes)"),)
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return LoadedFile(
            path=path, problems=(Problem(file=path, message=f"not UTF-8 text (byte {error.start})"),)
        )
    if _FastLoader is not None:
        loaded = _parse(path, text, _FastLoader)
        if not loaded.problems:
            return loaded
    return _parse(path, text, _SafeLoader)


def _parse(path: str, text: str, loader_class: type[Any]) -> LoadedFile:
    """The documents of `text`, or the first problem, with one of the two loaders."""
    documents: list[dict[str, Any]] = []
    loader = loader_class(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            if _expanded_size(node, {}, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                message = f"document expands to more than {MAX_EXPANDED_NODES} nodes through YAML aliases"
                return LoadedFile(path=path, problems=(Problem(file=path, document=index, message=message),))
            document = loader.construct_document(node)
            if document is not None:
                if not isinstance(document, dict):
                    message = (
                        f"a document must be a mapping (a Kubernetes object), got {type(document).__name__}"
                    )
                    return LoadedFile(
                        path=path, problems=(Problem(file=path, document=index, message=message),)
                    )
                documents.append(document)
            index += 1
    except yaml.YAMLError as error:
        return LoadedFile(path=path, problems=(_yaml_problem(path, index, error),))
    except RecursionError:
        message = "document nests too deeply"
        return LoadedFile(path=path, problems=(Problem(file=path, document=index, message=message),))
    finally:
        loader.dispose()
    return LoadedFile(path=path, documents=tuple(documents))


def _walk(root: Path, start: Path, skip_dirs: frozenset[str]) -> Iterator[tuple[str, Path | None, str]]:
    """Yield (relative path, real file or None, problem) for YAML files under `start`, in sorted order."""
    real_root = root.resolve()
    seen_dirs: set[Path] = set()
    stack = [start]
    found: list[tuple[str, Path | None, str]] = []
    while stack:
        directory = stack.pop()
        real_dir = directory.resolve()
        if real_dir in seen_dirs:
            continue
        seen_dirs.add(real_dir)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            found.append(
                (directory.relative_to(root).as_posix(), None, f"cannot read directory: {error.strerror}")
            )
            continue
        for entry in entries:
            entry_path = Path(entry.path)
            relative = entry_path.relative_to(root).as_posix()
            if entry.name.startswith("."):
                continue
            real = entry_path.resolve()
            if entry.is_symlink() and not real.is_relative_to(real_root):
                if entry.name.endswith(YAML_SUFFIXES) or real.is_dir():
                    found.append((relative, None, "symbolic link leads outside the repository; not followed"))
                continue
            if entry.is_dir():
                if relative not in skip_dirs:
                    stack.append(entry_path)
            elif entry.name.endswith(YAML_SUFFIXES) and entry.is_file():
                found.append((relative, real, ""))
    yield from sorted(found)


def load_tree(
    root: Path,
    path: str = ".",
    skip_dirs: Iterable[str] = (),
    skip_files: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> list[LoadedFile]:
    """Every `*.yaml`/`*.yml` under `root/path`, parsed; paths are relative to `root` (POSIX).

    `skip_dirs`/`skip_files` are repo-relative paths left out (the output directories, the config file).
    """
    start = (root / path) if path not in ("", ".") else root
    if not start.resolve().is_relative_to(root.resolve()):
        return [LoadedFile(path=path, problems=(Problem(file=path, message="path leaves the repository"),))]
    if not start.is_dir():
        return [
            LoadedFile(path=path, problems=(Problem(file=path, message="source path is not a directory"),))
        ]
    skipped_files = frozenset(skip_files)
    loaded: list[LoadedFile] = []
    for relative, real, problem in _walk(root, start, frozenset(skip_dirs)):
        if relative in skipped_files:
            continue
        if real is None:
            loaded.append(LoadedFile(path=relative, problems=(Problem(file=relative, message=problem),)))
            continue
        loaded.append(load_file(relative, real, max_bytes))
    return loaded


def load_file(name: str, path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadedFile:
    """The file at `path` parsed, its documents and problems located at `name`; a file over `max_bytes` is
    not read (a pipe, `<(...)` on a command line, has no size until read: `parse_documents` checks it)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            message = f"file is {size} bytes, over the limit of {max_bytes}"
            return LoadedFile(path=name, problems=(Problem(file=name, message=message),))
        data = path.read_bytes()
    except OSError as error:
        message = f"cannot read file: {error.strerror}"
        return LoadedFile(path=name, problems=(Problem(file=name, message=message),))
    return parse_documents(name, data, max_bytes)
