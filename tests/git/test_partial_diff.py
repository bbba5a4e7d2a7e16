"""`diff --base REF` renders only what a change can affect, and says exactly what a full render says."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from git_repos import UserClone, git
from testkit import raycluster

from gitops_ray.cli import main
from gitops_ray.edge.git import changes
from gitops_ray.source.partial import ReviewStates

pytestmark = pytest.mark.git

CONFIGMAP: dict[str, object] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "shared", "namespace": "team-a"},
}


def cluster_yaml(name: str, namespace: str = "team-a", workers: int = 2, *extras: dict[str, object]) -> str:
    return yaml.safe_dump_all([raycluster(name, namespace, workers=workers), *extras], sort_keys=False)


def seed(user: UserClone, prefix: str = "") -> None:
    """Four clusters (one with a ConfigMap, one that fails to render), an ignored directory, committed."""
    user.remove("clusters/team-a/a.yaml")
    user.write(f"{prefix}gitops-ray.yaml", "path: clusters\n")
    user.write(f"{prefix}clusters/team-a/a.yaml", cluster_yaml("a", "team-a", 2, CONFIGMAP))
    user.write(f"{prefix}clusters/team-a/b.yaml", cluster_yaml("b"))
    user.write(f"{prefix}clusters/team-b/c.yaml", cluster_yaml("c", "team-b", 3))
    bad = raycluster("bad", "team-b")
    bad["spec"]["headGroupSpec"]["template"]["spec"]["containers"] = []
    user.write(f"{prefix}clusters/team-b/bad.yaml", yaml.safe_dump(bad))
    user.write(".gitignore", "scratch/\n")
    user.commit("clusters")


def _change_image(user: UserClone, p: str) -> None:
    user.write(f"{p}clusters/team-a/b.yaml", cluster_yaml("b", "team-a", 5))


def _new_file(user: UserClone, p: str) -> None:
    user.write(f"{p}clusters/team-c/d.yaml", cluster_yaml("d", "team-c"))


def _deleted_file(user: UserClone, p: str) -> None:
    user.remove(f"{p}clusters/team-b/c.yaml")


def _moved_file(user: UserClone, p: str) -> None:
    git(user.path, "mv", f"{p}clusters/team-b/c.yaml", f"{p}clusters/team-b/moved.yaml")


def _moved_and_committed(user: UserClone, p: str) -> None:
    _moved_file(user, p)
    user.commit("move")


def _duplicate_key(user: UserClone, p: str) -> None:
    user.write(f"{p}clusters/team-c/again.yaml", cluster_yaml("c", "team-b", 1))


def _object_clash(user: UserClone, p: str) -> None:
    user.write(f"{p}clusters/team-a/b.yaml", cluster_yaml("b", "team-a", 2, CONFIGMAP))


def _generated_name_clash(user: UserClone, p: str) -> None:
    head_service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "a-head-svc", "namespace": "team-a"},
    }
    user.write(f"{p}clusters/team-a/b.yaml", cluster_yaml("b", "team-a", 2, head_service))


def _clash_resolved(user: UserClone, p: str) -> None:
    _object_clash(user, p)
    user.commit("clash")
    user.write(f"{p}clusters/team-a/b.yaml", cluster_yaml("b"))


def _config_changed(user: UserClone, p: str) -> None:
    user.write(f"{p}gitops-ray.yaml", "path: clusters\noperator: {clusterDomain: example.org}\n")


def _broken_yaml(user: UserClone, p: str) -> None:
    user.write(f"{p}clusters/team-a/b.yaml", "kind: [\n")


def _ignored_file(user: UserClone, p: str) -> None:
    user.write(f"{p}clusters/scratch/e.yaml", cluster_yaml("e"))


def _staged_and_unstaged(user: UserClone, p: str) -> None:
    _change_image(user, p)
    git(user.path, "add", f"{p}clusters/team-a/b.yaml")
    user.write(f"{p}clusters/team-a/b.yaml", cluster_yaml("b", "team-a", 7))
    _new_file(user, p)


def _symlink(user: UserClone, p: str) -> None:
    os.symlink("../team-a/b.yaml", user.path / f"{p}clusters/team-b/link.yaml")


def _nothing(user: UserClone, p: str) -> None:
    pass


CASES: dict[str, tuple[Callable[[UserClone, str], None], bool]] = {
    # name: (change, whether the partial path is exact and used)
    "no-change": (_nothing, True),
    "changed-file": (_change_image, True),
    "new-file": (_new_file, True),
    "deleted-file": (_deleted_file, True),
    "moved-file": (_moved_file, True),
    "moved-and-committed": (_moved_and_committed, True),
    "duplicate-key-with-unchanged-file": (_duplicate_key, True),
    "object-clash-with-unchanged-file": (_object_clash, True),
    "generated-name-clash-with-unchanged-file": (_generated_name_clash, True),
    "clash-resolved": (_clash_resolved, True),
    "broken-yaml": (_broken_yaml, True),
    "ignored-file": (_ignored_file, True),
    "staged-and-unstaged": (_staged_and_unstaged, True),
    "repo-config-changed": (_config_changed, False),
    "symlink": (_symlink, False),
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("prefix", ["", "sub/"], ids=["repo-root", "subdirectory"])
@pytest.mark.parametrize("output", ["text", "markdown"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_partial_diff_prints_and_exits_as_the_full_diff(
    user: UserClone,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
    output: str,
    prefix: str,
) -> None:
    seed(user, prefix)
    change, partial_expected = CASES[case]
    change(user, prefix)
    argv = ["diff", "--base", "HEAD~1" if case.endswith("committed") else "HEAD"]
    argv += [str(user.path / prefix), "--format", output]
    used: list[ReviewStates | None] = []
    real = changes.partial_review

    def spy(source: Path, ref: str, scratch: Path) -> ReviewStates | None:
        used.append(real(source, ref, scratch))
        return used[-1]

    monkeypatch.setattr(changes, "partial_review", spy)
    partial = run(argv, capsys)
    monkeypatch.setattr(changes, "partial_review", lambda *_: None)
    full = run(argv, capsys)
    assert partial == full
    assert (used[0] is not None) == partial_expected
    if case != "no-change":
        assert full[0] in (1, 2) and full[1]
    if partial_expected and case in ("changed-file", "new-file"):
        assert used[0] is not None and {u.key.name for u in used[0].proposed.units} <= {"b", "d"}


def test_an_unknown_ref_falls_back_and_names_it(user: UserClone, capsys: pytest.CaptureFixture[str]) -> None:
    seed(user)
    status, _, err = run(["diff", "--base", "nope", str(user.path)], capsys)
    assert status == 2 and "ref 'nope' not found" in err


def test_the_base_export_holds_only_the_changed_files(user: UserClone, tmp_path: Path) -> None:
    seed(user)
    _change_image(user, "")
    _deleted_file(user, "")
    _new_file(user, "")
    base = changes.changed_base(user.path, "HEAD", "clusters", tmp_path / "base")
    assert base is not None
    assert base.changed == {"clusters/team-a/b.yaml", "clusters/team-b/c.yaml", "clusters/team-c/d.yaml"}
    exported = sorted(p.relative_to(base.root).as_posix() for p in base.root.rglob("*.yaml"))
    assert exported == ["clusters/team-a/b.yaml", "clusters/team-b/c.yaml"]
    assert (base.root / "clusters/team-a/b.yaml").read_text() == cluster_yaml("b")


def test_outside_a_repository_there_is_no_partial_base(tmp_path: Path) -> None:
    assert changes.changed_base(tmp_path, "HEAD", "clusters", tmp_path / "base") is None
