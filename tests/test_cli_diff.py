"""`gitops-ray diff OLD NEW`: what a change does to the rendered objects, exit codes as `kubectl diff`."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from testkit import GIT_ENV

from gitops_ray.cli import main

EXAMPLE_REPO = Path(__file__).resolve().parents[1] / "example-repo"


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    for tree in (old, new):
        shutil.copytree(EXAMPLE_REPO / "clusters", tree / "clusters")
        shutil.copy(EXAMPLE_REPO / "gitops-ray.yaml", tree / "gitops-ray.yaml")
    return old, new


def test_identical_trees_exit_0_and_print_nothing(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    assert main(["diff", str(old), str(new)]) == 0
    assert capsys.readouterr().out == ""


def test_a_changed_image_exits_1_with_a_unified_diff(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    sample = new / "clusters" / "default" / "sample.yaml"
    sample.write_text(sample.read_text().replace("rayproject/ray:2.52.0", "rayproject/ray:2.53.0"))
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        "--- a/rendered/default/raycluster-kuberay.yaml\n+++ b/rendered/default/raycluster-kuberay.yaml\n"
    )
    assert "-    image: rayproject/ray:2.52.0\n" in out and "+    image: rayproject/ray:2.53.0\n" in out


def test_markdown_format_is_a_pr_comment(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    (new / "clusters" / "default" / "head-command.yaml").unlink()
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## gitops-ray: rendered changes\n")
    assert "| `default/raycluster-head-command` | removed |" in out


def test_an_invalid_proposal_exits_2_and_names_the_problem(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    (new / "clusters" / "default" / "broken.yaml").write_text("kind: [\n")
    assert main(["diff", str(old), str(new)]) == 2
    assert "error: clusters/default/broken.yaml: document 0: invalid YAML" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["diff", "x"], ["diff", "x", "y", "--base", "main"], ["diff", "--cluster", "x", "y"]],
    ids=["neither-new-nor-base", "both-new-and-base", "cluster-with-new"],
)
def test_ambiguous_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_sync_needs_exactly_one_of_source_and_repo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--once"]) == 1
    assert main(["sync", "--once", "x", "--repo", "y"]) == 1
    assert capsys.readouterr().err == "error: give either SOURCE or --repo URL\n" * 2


@pytest.fixture
def two_versions(tmp_path: Path) -> tuple[Path, Path]:
    """Two versions of example-repo's sample.yaml, loose (in no repository), under different names."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    text = (EXAMPLE_REPO / "clusters" / "default" / "sample.yaml").read_text()
    old.write_text(text)
    new.write_text(text.replace("rayproject/ray:2.52.0", "rayproject/ray:2.53.0"))
    return old, new


def test_two_files_diff_as_two_versions_of_the_new_file(
    two_versions: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = two_versions
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        "--- a/rendered/default/raycluster-kuberay.yaml\n+++ b/rendered/default/raycluster-kuberay.yaml\n"
    )
    assert "+    image: rayproject/ray:2.53.0\n" in out
    assert "Rendered by gitops-ray from" not in out


def test_old_from_standard_input_diffs_as_the_same_file(
    two_versions: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = two_versions
    main(["diff", str(old), str(new)])
    from_files = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(old.read_bytes())))
    assert main(["diff", "-", str(new)]) == 1
    assert capsys.readouterr().out == from_files


def test_a_file_against_the_repository_it_comes_from_keeps_its_cluster_and_removes_the_others(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = trees
    sample = old / "clusters" / "default" / "sample.yaml"
    assert main(["diff", str(old), str(sample), "--format", "markdown"]) == 1
    changed = [line.split("`")[1] for line in capsys.readouterr().out.splitlines() if line.startswith("| `")]
    assert changed == [
        "autoscaling/raycluster-autoscaler",
        "default/custom-head-svc",
        "default/raycluster-complete",
        "default/raycluster-head-command",
        "default/raycluster-overwrite-cmd",
        "default/raycluster-tpu-v4-multihost",
        "ml-team/gpu-training",
        "redis-ft/raycluster-external-redis",
    ]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["diff", "nope.yaml", "new.yaml"], "error: nope.yaml: no such file or directory\n"),
        (["diff", "-", "-"], "error: OLD and NEW cannot both be - (standard input is read once)\n"),
        (["diff", "--cluster"], "error: --cluster needs PATH\n"),
    ],
    ids=["missing-old", "stdin-twice", "cluster-without-path"],
)
def test_paths_that_cannot_be_compared_exit_2(
    argv: list[str],
    error: str,
    two_versions: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(two_versions[0].parent)
    assert main(argv) == 2
    assert capsys.readouterr() == ("", error)


@pytest.mark.git
def test_base_without_a_path_compares_the_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = tmp_path / "clusters" / "default" / "sample.yaml"
    sample.parent.mkdir(parents=True)
    sample.write_text((EXAMPLE_REPO / "clusters" / "default" / "sample.yaml").read_text())
    for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "sample"]):
        subprocess.run(["git", *command], cwd=tmp_path, check=True, env={**os.environ, **GIT_ENV})
    sample.write_text(sample.read_text().replace("rayproject/ray:2.52.0", "rayproject/ray:2.53.0"))
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "--base", "main"]) == 1
    assert "+    image: rayproject/ray:2.53.0\n" in capsys.readouterr().out
