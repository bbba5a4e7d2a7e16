"""Fixtures with real Git repositories: a bare remote on disk, a user's clone, the same remote over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from git_repos import FAST_TIMEOUTS, RAYCLUSTER_A, HttpRemote, UserClone, git, init_remote

from gitops_ray.edge.git import RepoSettings


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository on disk with one commit on main: clusters/team-a/a.yaml."""
    bare = init_remote(tmp_path / "remote.git")
    seed = UserClone(tmp_path / "seed")
    git(tmp_path, "clone", "--quiet", str(bare), "seed")
    seed.write("clusters/team-a/a.yaml", "name: a\n")
    seed.commit("first cluster")
    seed.push()
    return bare


@pytest.fixture
def user(tmp_path: Path, remote: Path) -> UserClone:
    git(tmp_path, "clone", "--quiet", str(remote), "user")
    return UserClone(tmp_path / "user")


@pytest.fixture
def settings(tmp_path: Path, remote: Path) -> RepoSettings:
    return RepoSettings(
        url=str(remote),
        cache_dir=tmp_path / "cache",
        timeouts=FAST_TIMEOUTS,
        push_backoff=0.01,
        push_backoff_max=0.2,
    )


@pytest.fixture
def http_remote(remote: Path) -> Iterator[HttpRemote]:
    served = HttpRemote(root=remote.parent, name=remote.name)
    served.start()
    yield served
    served.stop()


@pytest.fixture
def clusters_repo(user: UserClone) -> UserClone:
    """The user's clone with one real RayCluster committed and pushed: clusters/team-a/a.yaml."""
    user.write("clusters/team-a/a.yaml", RAYCLUSTER_A)
    user.commit("a real cluster")
    user.push()
    return user
