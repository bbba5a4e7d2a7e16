"""`gitops-ray diff OLD NEW`: what a change does to the rendered objects, exit codes as `kubectl diff`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
