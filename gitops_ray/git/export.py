"""Export a directory of a repository as it was at a ref, for `gitops-ray diff --base REF`."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

import git

from gitops_ray.git.errors import GitSourceError, RefNotFound


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
                tar.extractall(destination, filter="data")
        return exported
    finally:
        repo.close()
