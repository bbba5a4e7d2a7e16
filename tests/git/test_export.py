"""`diff --base REF` reads the base tree with `git archive`, leaving the user's work tree alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_repos import UserClone

from gitops_ray.git.errors import GitSourceError, RefNotFound
from gitops_ray.git.export import export_tree

pytestmark = pytest.mark.git


def test_a_directory_is_exported_as_it_was_at_the_ref(user: UserClone, tmp_path: Path) -> None:
    base = user.head()
    user.write("clusters/team-a/a.yaml", "name: changed\n")
    user.commit("change")
    exported = export_tree(user.path / "clusters", base, tmp_path / "base")
    assert exported == tmp_path / "base" / "clusters"
    assert (exported / "team-a" / "a.yaml").read_text() == "name: a\n"
    assert (user.path / "clusters" / "team-a" / "a.yaml").read_text() == "name: changed\n"


def test_a_path_that_did_not_exist_at_the_ref_is_an_empty_tree(user: UserClone, tmp_path: Path) -> None:
    base = user.head()
    user.write("new/x.yaml", "name: x\n")
    user.commit("new dir")
    exported = export_tree(user.path / "new", base, tmp_path / "base")
    assert list(exported.iterdir()) == []


def test_an_unknown_ref_is_named(user: UserClone, tmp_path: Path) -> None:
    with pytest.raises(RefNotFound, match="ref 'nope' not found"):
        export_tree(user.path, "nope", tmp_path / "base")


def test_outside_a_repository_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GitSourceError, match="not inside a Git repository"):
        export_tree(tmp_path, "main", tmp_path / "base")
