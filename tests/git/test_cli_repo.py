"""The repository paths of the CLI on real repositories: `sync --once --repo` and `diff --base REF`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from git_repos import RAYCLUSTER_A, UserClone, git
from testkit import raycluster

from gitops_ray.cli import main
from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.git


def test_sync_once_repo_no_apply_renders_and_commits_back(
    tmp_path: Path, remote: Path, clusters_repo: UserClone, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sync", "--once", "--repo", str(remote), "--no-apply", "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "team-a/a: rendered 2 objects\n" in out and "committed " in out
    assert git(remote, "log", "-1", "--format=%s", "main").startswith("gitops-ray: render ")
    assert main(argv) == 0
    assert capsys.readouterr().out.endswith("nothing to commit\n")


@pytest.mark.apiserver
def test_sync_once_repo_records_the_source_name_given(
    tmp_path: Path,
    remote: Path,
    clusters_repo: UserClone,
    apiserver_kubeconfig: str,
    kube: KubeApi,
    namespace: str,
) -> None:
    clusters_repo.write("clusters/team-a/a.yaml", yaml.safe_dump(raycluster("named", namespace, workers=0)))
    clusters_repo.commit("a cluster in the test's namespace")
    clusters_repo.push()
    argv = ["sync", "--once", "--repo", str(remote), "--kubeconfig", apiserver_kubeconfig]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--source-name", "team-a-clusters"]

    assert main(argv) == 0

    parent = kube.get("v1", "ConfigMap", namespace, "gitops-ray-named")
    assert parent is not None
    assert parent["metadata"]["annotations"]["gitops-ray.io/source-id"] == "team-a-clusters"


def test_sync_once_repo_with_a_bad_ref_fails_naming_it(
    tmp_path: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "sync",
        "--once",
        "--repo",
        str(remote),
        "--ref",
        "nope",
        "--no-apply",
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    assert main(argv) == 1
    assert "nope" in capsys.readouterr().err


def test_diff_base_compares_the_working_tree_with_a_ref(
    clusters_repo: UserClone, capsys: pytest.CaptureFixture[str]
) -> None:
    base = clusters_repo.head()
    clusters_repo.write("clusters/team-a/a.yaml", RAYCLUSTER_A.replace("2.53.0", "2.54.0"))
    assert main(["diff", "--base", base, str(clusters_repo.path)]) == 1
    assert "+    image: rayproject/ray:2.54.0\n" in capsys.readouterr().out
    assert main(["diff", "--base", "HEAD", str(clusters_repo.path / "clusters")]) == 1
