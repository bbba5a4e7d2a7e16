"""Export a directory of a repository as it was at a ref, for `gitops-ray diff --base REF`."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import git

from gitops_ray.edge.git.errors import GitSourceError, RefNotFound


def export_tree(path: Path, ref: str, destination: Path) -> Path:
    """Write `path` (inside a Git work tree) as of `ref` under `destination`; returns the exported `path`.

    Uses `git archive` (no checkout, no change to the user's work tree or index).
    """
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitSourceError(f"{path}: not inside a Git repository") from None
    try:
        top = Path(str(repo.working_tree_dir)).resolve()
        relative = path.resolve().relative_to(top).as_posix()
        try:
            repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
        except git.GitCommandError:
            raise RefNotFound(
                f"{top}: ref {ref!r} not found (fetch it first, e.g. git fetch origin {ref})"
            ) from None
        exported = destination / relative
        exported.mkdir(parents=True, exist_ok=True)
        try:
            repo.git.cat_file("-e", f"{ref}:{relative if relative != '.' else ''}")
        except git.GitCommandError:
            return exported  # the path did not exist at `ref`: an empty base (a change that adds it)
        with tempfile.TemporaryFile() as archive:
            repo.git.archive(ref, "--format=tar", "--", relative, output_stream=archive)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                extract_safely(tar, destination)
        return exported
    finally:
        repo.close()


def extract_safely(tar: tarfile.TarFile, destination: Path) -> None:
    """Extract `tar` under `destination`, refusing members that would land or point outside it.

    tarfile's `data` filter does exactly that, but only exists from Python 3.11.4 (Debian 12 ships 3.11.2);
    without it, `extract_checked` does the same checks before extracting.
    """
    try:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(destination, filter="data")
        else:
            extract_checked(tar, destination)
    except tarfile.TarError as error:
        raise GitSourceError(f"refusing to extract the archive: {error}") from None


def extract_checked(tar: tarfile.TarFile, destination: Path) -> None:
    """The fallback for Pythons without extraction filters: every member is checked, then all are
    extracted (none when one is unsafe); set-id bits are dropped."""
    root = destination.resolve()
    members = tar.getmembers()
    links = {PurePosixPath(member.name) for member in members if member.issym()}
    for member in members:
        through_link = any(parent in links for parent in PurePosixPath(member.name).parents)
        problem = "lies under a symbolic link of the archive" if through_link else _unsafe(member, root)
        if problem:
            raise GitSourceError(f"refusing to extract the archive: {member.name!r} {problem}")
    for member in members:
        member.mode &= 0o777
    tar.extractall(destination, members=members)


def _unsafe(member: tarfile.TarInfo, root: Path) -> str:
    """Why `member` may not be extracted under `root`, or ""."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        return "has an absolute path or a '..' component"
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        return "would be written outside the destination"
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return "is a device, FIFO or other special file"
    if member.issym() or member.islnk():
        link = PurePosixPath(member.linkname)
        if link.is_absolute():
            return f"links to the absolute path {member.linkname!r}"
        base = (root / name).parent if member.issym() else root
        if not (base / link).resolve().is_relative_to(root):
            return f"links outside the destination ({member.linkname!r})"
    return ""
