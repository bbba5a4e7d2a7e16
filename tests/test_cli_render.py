"""`gitops-ray render` and `validate`: what reviewers run in CI, without a cluster."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from gitops_ray.cli import main

EXAMPLE_REPO = Path(__file__).resolve().parents[1] / "example-repo"
VALID = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: good, namespace: ml}
spec:
  headGroupSpec:
    template: {spec: {containers: [{name: ray, image: rayproject/ray:2.53.0}]}}
"""
INVALID = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: bad, namespace: ml}
spec:
  headGroupSpec:
    template: {spec: {containers: [{name: ray, image: rayproject/ray:2.53.0}]}}
  workerGroupSpecs:
  - groupName: g
    minReplicas: 2
    maxReplicas: 1
    template: {spec: {containers: [{name: ray, image: rayproject/ray:2.53.0}]}}
"""


def repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_render_prints_every_object_of_the_example_repo_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["render", str(EXAMPLE_REPO)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("---\napiVersion: v1\nkind: ServiceAccount\n")
    assert out.count("\nkind: Pod\n") == 19


def test_render_output_is_byte_identical_across_runs(capsys: pytest.CaptureFixture[str]) -> None:
    main(["render", str(EXAMPLE_REPO)])
    first = capsys.readouterr().out
    main(["render", str(EXAMPLE_REPO)])
    assert capsys.readouterr().out == first


def test_render_out_reproduces_the_committed_rendered_dir(tmp_path: Path) -> None:
    assert main(["render", str(EXAMPLE_REPO), "--out", str(tmp_path / "rendered")]) == 0
    comparison = filecmp.dircmp(EXAMPLE_REPO / "rendered", tmp_path / "rendered")
    files = sorted(
        p.relative_to(tmp_path / "rendered").as_posix() for p in (tmp_path / "rendered").rglob("*.yaml")
    )
    assert files == sorted(
        p.relative_to(EXAMPLE_REPO / "rendered").as_posix()
        for p in (EXAMPLE_REPO / "rendered").rglob("*.yaml")
    )
    for relative in files:
        assert (tmp_path / "rendered" / relative).read_bytes() == (
            EXAMPLE_REPO / "rendered" / relative
        ).read_bytes()
    assert comparison.left_only == comparison.right_only == []


def test_an_invalid_cluster_exits_1_names_it_and_the_others_are_still_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "gitops-ray.yaml": "path: clusters\n",
        "clusters/ml/bad.yaml": INVALID,
        "clusters/ml/good.yaml": VALID,
    }
    repo = repo_with(tmp_path, files)
    assert main(["render", str(repo)]) == 1
    out, err = capsys.readouterr()
    assert "name: good-head\n" in out and "bad-head" not in out
    assert err == (
        "error: clusters/ml/bad.yaml: document 0 (RayCluster ml/bad): spec.workerGroupSpecs[0].minReplicas: "
        "worker group g has minReplicas 2 greater than maxReplicas 1\n"
    )


def test_out_removes_files_it_rendered_for_clusters_that_are_gone_and_nothing_else(tmp_path: Path) -> None:
    repo = repo_with(tmp_path / "repo", {"clusters/ml/good.yaml": VALID})
    out = tmp_path / "out"
    (out / "ml").mkdir(parents=True)
    (out / "ml" / "old.yaml").write_text(
        "# Rendered by gitops-ray from clusters/ml/old.yaml (target: pods).\n"
    )
    (out / "ml" / "notes.yaml").write_text("mine: true\n")
    main(["render", str(repo), "--out", str(out)])
    assert sorted(p.name for p in (out / "ml").iterdir()) == ["good.yaml", "notes.yaml"]


def test_validate_reports_counts_and_exits_1_on_any_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_with(tmp_path, {"a/bad.yaml": INVALID, "a/good.yaml": VALID, "a/broken.yaml": "kind: [\n"})
    assert main(["validate", str(repo)]) == 1
    out, err = capsys.readouterr()
    assert out == "1 of 2 units valid, 1 unreadable files\n"
    assert err.count("error: ") == 2


def test_validate_of_the_example_repo_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE_REPO)]) == 0
    assert capsys.readouterr().out == "9 of 9 units valid, 0 unreadable files\n"


def test_a_broken_repo_config_fails_with_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(EXAMPLE_REPO / "clusters" / "default" / "sample.yaml", tmp_path / "sample.yaml")
    (tmp_path / "gitops-ray.yaml").write_text("target: helm\n")
    assert main(["render", str(tmp_path)]) == 1
    assert (
        capsys.readouterr().err
        == "error: gitops-ray.yaml: target: must be one of pods, raycluster, got 'helm'\n"
    )


def test_a_missing_path_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope'}: no such file or directory\n"


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_check_of_a_fresh_out_dir_prints_nothing_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rendered"
    assert main(["render", str(EXAMPLE_REPO), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["render", str(EXAMPLE_REPO), "--out", str(out), "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_lists_stale_missing_and_removed_files_exits_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_with(
        tmp_path / "repo",
        {"clusters/ml/good.yaml": VALID, "clusters/ml/other.yaml": VALID.replace("good", "other")},
    )
    out = tmp_path / "out"
    assert main(["render", str(repo), "--out", str(out)]) == 0
    (out / "ml" / "good.yaml").write_text("# Rendered by gitops-ray from an older version\n")
    (out / "ml" / "other.yaml").unlink()
    (out / "ml" / "gone.yaml").write_text(
        "# Rendered by gitops-ray from clusters/ml/gone.yaml (target: pods).\n"
    )
    (out / "ml" / "notes.yaml").write_text("mine: true\n")
    before = snapshot(out)
    capsys.readouterr()
    assert main(["render", str(repo), "--out", str(out), "--check"]) == 1
    assert capsys.readouterr().out == f"{out}/ml/gone.yaml\n{out}/ml/good.yaml\n{out}/ml/other.yaml\n"
    assert snapshot(out) == before


def test_check_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(EXAMPLE_REPO), "--check"]) == 1
    assert capsys.readouterr().err == "error: --check needs --out DIR\n"


def test_render_names_file_document_and_raycluster_of_a_kuberay_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    autoscaled = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: auto, namespace: ml, annotations: {gitops-ray.io/target: raycluster}}
spec:
  enableInTreeAutoscaling: true
  headGroupSpec:
    template: {spec: {containers: [{name: ray, image: rayproject/ray:2.53.0}]}}
  workerGroupSpecs:
  - groupName: cpu
    template: {spec: {restartPolicy: Always, containers: [{name: ray, image: rayproject/ray:2.53.0}]}}
"""
    repo = repo_with(tmp_path, {"ml/auto.yaml": autoscaled})
    assert main(["render", str(repo)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "warning: ml/auto.yaml: document 0 (RayCluster ml/auto): restartPolicy for worker groups [cpu]"
        " should be Never or unset when using autoscaler V1"
    ]
