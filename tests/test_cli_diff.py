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
    assert capsys.readouterr().out == "no changes (9 clusters compared)\n"


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


def edit_sample(tree: Path, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in the example's default/sample.yaml (the `raycluster-kuberay` cluster)."""
    sample = tree / "clusters" / "default" / "sample.yaml"
    text = sample.read_text()
    assert text.count(old) >= count
    sample.write_text(text.replace(old, new, count))


def test_markdown_without_changes_is_one_line(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == "no changes (9 clusters compared)\n"


def test_a_worker_image_change_lists_the_worker_recreated_and_the_head_changed_in_place_only(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    sample = new / "clusters" / "default" / "sample.yaml"
    head, worker = sample.read_text().rsplit("image: rayproject/ray:2.52.0", 1)  # the worker's is last
    sample.write_text(head + "image: rayproject/ray:2.53.0" + worker)
    assert main(["diff", str(old), str(new)]) == 1
    assert capsys.readouterr().out.endswith(
        "\ndefault/raycluster-kuberay (changed):\n"
        "  recreated (delete + create: a restart of that Ray node): "
        "Pod default/raycluster-kuberay-workergroup-worker-0\n"
        "  changed in place: Pod default/raycluster-kuberay-head (metadata only: no restart)\n"
    )


def test_a_head_image_change_says_the_whole_ray_cluster_restarts(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    edit_sample(new, "image: rayproject/ray:2.52.0", "image: rayproject/ray:2.53.0")
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert (
        "| `default/raycluster-kuberay` | changed | **1: the whole Ray cluster restarts** | 0 | 0 | 0 |"
        in out
    )
    assert (
        "- **`default/raycluster-kuberay`: the head Pod is recreated: the whole Ray cluster restarts.**"
        in out
    )


def test_markdown_of_a_group_scaled_from_2_to_20_stays_under_max_chars(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    edit_sample(
        old, "  - replicas: 1\n    minReplicas: 1\n    maxReplicas: 5", "  - replicas: 2\n    maxReplicas: 20"
    )
    edit_sample(
        new,
        "  - replicas: 1\n    minReplicas: 1\n    maxReplicas: 5",
        "  - replicas: 20\n    maxReplicas: 20",
    )
    assert main(["diff", str(old), str(new), "--format", "markdown", "--max-chars", "8000"]) == 1
    out = capsys.readouterr().out
    assert len(out) <= 8000
    assert "| `default/raycluster-kuberay` | changed | 0 | 0 | 18 | 0 |" in out
    assert "_and 17 more Pods like it_" in out


def test_max_chars_below_1000_is_refused(
    trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = trees
    with pytest.raises(SystemExit) as exit_info:
        main(["diff", str(old), str(new), "--format", "markdown", "--max-chars", "999"])
    assert exit_info.value.code == 2
    assert "--max-chars: must be a whole number of at least 1000" in capsys.readouterr().err
