"""The identity of a local source directory, so `sync --once PATH` and the controller agree on it.

A directory inside a Git work tree with an `origin` remote is `<origin URL>#<path in the repository>`:
the same source the controller watches with `--repo <origin>`. Any other directory is
`file://<absolute path>#<cluster path>`. `--source-name` replaces either (`SyncOptions.source_id`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

from gitops_ray.model.ownership import source_identity
from gitops_ray.source.config import REPO_CONFIG_FILE, SourceOptions

_GIT_TIMEOUT_SECONDS = 10


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def local_source_id(root: Path, cluster_path: str) -> str:
    """The identity of the directory `root` whose cluster files are `cluster_path`."""
    absolute = root.resolve()
    top = _git(absolute, "rev-parse", "--show-toplevel")
    origin = _git(absolute, "remote", "get-url", "origin") if top else None
    if top and origin:
        inside = PurePosixPath(absolute.relative_to(Path(top).resolve()).as_posix()) / cluster_path
        return source_identity(origin, inside.as_posix())
    return source_identity(absolute.as_uri(), cluster_path)


def local_revision(root: Path, options: SourceOptions) -> str:
    """The commit `sync --once PATH` applies, for each cluster's status: HEAD of the work tree, marked
    `-dirty` (as `git describe --dirty` does) when the cluster files or the config have uncommitted
    changes; "" outside Git."""
    absolute = root.resolve()
    head = _git(absolute, "rev-parse", "HEAD")
    if head is None:
        return ""
    outputs = (f":(exclude){options.rendered_dir}", f":(exclude){options.drift_dir}")
    changed = _git(absolute, "status", "--porcelain", "--", options.path, REPO_CONFIG_FILE, *outputs)
    return head + ("-dirty" if changed else "")
