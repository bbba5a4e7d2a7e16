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
