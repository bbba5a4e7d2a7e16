"""What differs between a ref and the work tree, and the base side of only those files, so that
`gitops-ray diff --base REF` parses the tree once and renders what a change can affect.

Whenever Git's answer might not match what a full export would give (symbolic links, submodules,
attributes or line-ending conversion that change `git archive`'s bytes, a changed `gitops-ray.yaml`, an
unknown ref, not a work tree...), `changed_base` says so with None and the caller renders both trees.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gitops_ray.edge.git.errors import GitSourceError
from gitops_ray.edge.git.export import extract_safely
from gitops_ray.model.errors import GitopsRayError
from gitops_ray.source.config import REPO_CONFIG_FILE, read_repo_config
from gitops_ray.source.partial import ReviewStates, review_states

LOCAL_TIMEOUT = 120.0
# More changed files than this and a partial export saves little (and may not fit on a command line).
MAX_EXPORTED_FILES = 2000
_SPECIAL_MODES = (b"120000", b"160000")  # symbolic links, submodules: Git and the file system disagree


class _Uncertain(Exception):
    """The changed set cannot be trusted; render both trees in full."""


@dataclass(frozen=True)
class ChangedBase:
    """The base tree reduced to the files that differ from the work tree (paths relative to the source
    root), exported under `root`; `tracked` lists every base file under the cluster path."""

    root: Path
    changed: frozenset[str]
    tracked: frozenset[str]


def _git(top: Path, *args: str, output: int | None = subprocess.PIPE) -> bytes:
    """One git command at the top of the work tree, pathspecs taken literally; failure is `_Uncertain`."""
    try:
        result = subprocess.run(
            ["git", "--literal-pathspecs", "-C", str(top), *args],
            stdout=output,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            timeout=LOCAL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        raise _Uncertain from None
    if result.returncode != 0:
        raise _Uncertain
    return result.stdout or b""


def _names(output: bytes) -> list[str]:
    return [name.decode("utf-8", "surrogateescape") for name in output.split(b"\0") if name]


def _top(source: Path) -> Path:
    text = _git(source, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
    if not text or _git(source, "rev-parse", "--is-inside-work-tree").strip() != b"true":
        raise _Uncertain
    return Path(text).resolve()


def _check_conversions(top: Path, ref: str, directories: Sequence[str], files: Sequence[str]) -> None:
    """`git archive` writes a file as the work tree would hold it after attributes and core.autocrlf;
    with any of those in play an unchanged file may not export as the bytes on disk."""
    autocrlf = subprocess.run(
        ["git", "-C", str(top), "config", "--get", "core.autocrlf"],
        capture_output=True,
        timeout=LOCAL_TIMEOUT,
        check=False,
    ).stdout.strip()
    if autocrlf not in (b"", b"false"):
        raise _Uncertain
    # .gitattributes of the base tree (which `git archive` reads) at the top and on the way down
    candidates = {".gitattributes"}
    for directory in directories:
        parts = PurePosixPath(directory).parts
        candidates |= {
            PurePosixPath(*parts[:i], ".gitattributes").as_posix() for i in range(1, len(parts) + 1)
        }
    if _names(_git(top, "ls-tree", "-z", "--name-only", ref, "--", *sorted(candidates))):
        raise _Uncertain
    if any(PurePosixPath(name).name == ".gitattributes" for name in files):
        raise _Uncertain
    # attributes from the work tree, $GIT_DIR/info/attributes and the user's global file
    listed = "\0".join(files).encode("utf-8", "surrogateescape")
    try:
        attributes = subprocess.run(
            ["git", "-C", str(top), "check-attr", "-z", "--stdin", "-a"],
            input=listed,
            capture_output=True,
            timeout=LOCAL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        raise _Uncertain from None
    if attributes.returncode != 0 or attributes.stdout:
        raise _Uncertain


def _relative(top: Path, source: Path) -> str:
    try:
        return source.resolve().relative_to(top).as_posix()
    except ValueError:
        raise _Uncertain from None


def _changed_base(source: Path, ref: str, cluster_path: str, destination: Path) -> ChangedBase:
    top = _top(source)
    prefix = _relative(top, source)
    _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")

    def in_repo(path: str) -> str:
        return (PurePosixPath(prefix) / path).as_posix()

    def in_source(name: str) -> str:
        return PurePosixPath(name).relative_to(prefix).as_posix() if prefix != "." else name

    clusters, config = in_repo(cluster_path), in_repo(REPO_CONFIG_FILE)
    specs = ("--", clusters, config)
    differing = _names(_git(top, "diff-index", "-z", "--name-only", "--no-renames", ref, *specs))
    untracked = _names(_git(top, "ls-files", "-z", "--others", *specs))  # ignored files are read too
    if config in differing or config in untracked or any(name.endswith("/") for name in untracked):
        raise _Uncertain  # other settings, or an untracked nested repository
    tree = _git(top, "ls-tree", "-r", "-z", "--full-tree", ref, *specs).split(b"\0")
    entries = [entry.split(b"\t", 1) for entry in tree if entry]
    if any(meta.split(b" ", 1)[0] in _SPECIAL_MODES for meta, _ in entries):
        raise _Uncertain
    tracked = [name.decode("utf-8", "surrogateescape") for _, name in entries]
    index = _git(top, "ls-files", "-z", "--stage", *specs).split(b"\0")
    if any(entry.split(b" ", 1)[0] in _SPECIAL_MODES for entry in index if entry):
        raise _Uncertain
    changed = sorted({*differing, *untracked})
    for name in changed:
        on_disk = top / name
        if on_disk.is_symlink() or on_disk.is_dir():
            raise _Uncertain
    at_ref = set(tracked)
    exported = [name for name in changed if name in at_ref and name != config]
    if len(exported) > MAX_EXPORTED_FILES or not any(name != config for name in tracked):
        raise _Uncertain  # too many to be worth it, or no cluster directory at the ref
    _check_conversions(top, ref, (clusters,), [*tracked, *changed])
    root = destination / prefix
    (root / cluster_path).mkdir(parents=True, exist_ok=True)
    if exported:
        with tempfile.TemporaryFile() as archive:
            _git(top, "archive", "--format=tar", ref, "--", *exported, output=archive.fileno())
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                extract_safely(tar, destination)
    return ChangedBase(
        root=root,
        changed=frozenset(in_source(name) for name in changed),
        tracked=frozenset(in_source(name) for name in tracked if name != config),
    )


def changed_base(source: Path, ref: str, cluster_path: str, destination: Path) -> ChangedBase | None:
    """The files under `cluster_path` of the source root `source` that differ between `ref` and the work
    tree (committed, staged, unstaged, untracked or ignored), with their `ref` versions exported under
    `destination`; None when a full render of both trees is the only exact answer."""
    try:
        return _changed_base(source, ref, cluster_path, destination)
    except (_Uncertain, GitSourceError, OSError):
        return None


def partial_review(source: Path, ref: str, scratch: Path) -> ReviewStates | None:
    """The review of `source` against `ref`, rendering only what the change can affect; None when only a
    full render of both trees is exact (the caller then does that, and reports its errors)."""
    if not source.is_dir():
        return None
    try:
        options = read_repo_config(source)
        base = changed_base(source, ref, options.path, scratch)
        if base is None:
            return None
        return review_states(source, base.root, options, base.changed, base.tracked)
    except (GitopsRayError, OSError):
        return None
