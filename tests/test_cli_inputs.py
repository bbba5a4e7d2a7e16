"""Inputs as users write them: `render`, `validate` and `diff` take directories, single YAML files and `-`
(standard input), like `kubectl apply -f`.

Loose files are written under pytest's temporary directory, which is in no Git work tree and under no
`gitops-ray.yaml`: they render with default settings, named as given."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from testkit import GIT_ENV, raycluster

from gitops_ray.cli import main
from gitops_ray.source.inputs import inputs_state, read_inputs
from gitops_ray.source.render_cache import MemoryRenderCache

GOOD = yaml.safe_dump(raycluster("good", "ml", workers=1))
OTHER = yaml.safe_dump(raycluster("other", "ml", workers=1))
INVALID = yaml.safe_dump({**raycluster("bad", "ml"), "spec": {"headGroupSpec": {}}})


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def stdin_of(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main([*argv, "--no-cache"])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_single_file_renders_as_the_same_file_in_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "repo", {"good.yaml": GOOD})
    from_directory = run(["render", str(tmp_path / "repo")], capsys)
    assert run(["render", str(tmp_path / "repo" / "good.yaml")], capsys) == from_directory
    assert from_directory[1].count("\nkind: Pod\n") == 2


def test_a_loose_file_is_named_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"team/good.yaml": GOOD})
    monkeypatch.chdir(tmp_path)
    assert run(["render", "./team/good.yaml", "--out", "out"], capsys) == (0, "", "")
    assert (tmp_path / "out/ml/good.yaml").read_text().splitlines()[0] == (
        "# Rendered by gitops-ray from team/good.yaml (target: pods). Edit the source, not this file."
    )


def test_standard_input_renders_like_a_file_and_is_named_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"good.yaml": GOOD})
    from_file = run(["render", str(tmp_path / "good.yaml")], capsys)
    stdin_of(monkeypatch, GOOD + "---\n" + INVALID)
    status, out, err = run(["render", "-"], capsys)
    assert (status, out) == (1, from_file[1])
    assert err == (
        "error: <stdin>: document 1 (RayCluster ml/bad): spec.headGroupSpec.template: Required value\n"
    )


def test_a_file_in_a_repository_renders_with_its_settings_and_its_path_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "gitops-ray.yaml": "path: clusters\ntarget: raycluster\noperator: {clusterDomain: x.internal}\n",
            "clusters/ml/good.yaml": GOOD,
            "clusters/ml/other.yaml": OTHER,
        },
    )
    run(["render", str(repo), "--out", str(tmp_path / "whole")], capsys)
    assert (
        run(["render", str(repo / "clusters/ml/good.yaml"), "--out", str(tmp_path / "one")], capsys)[0] == 0
    )
    assert [p.name for p in (tmp_path / "one/ml").iterdir()] == ["good.yaml"]
    rendered = (tmp_path / "one/ml/good.yaml").read_text()
    assert rendered == (tmp_path / "whole/ml/good.yaml").read_text()
    assert rendered.startswith("# Rendered by gitops-ray from clusters/ml/good.yaml (target: raycluster).")
    assert "x.internal" in rendered


@pytest.mark.git
def test_a_file_in_a_git_work_tree_without_a_config_is_named_by_its_path_in_the_work_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write(tmp_path / "repo", {"clusters/ml/good.yaml": GOOD})
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env={**os.environ, **GIT_ENV})
    monkeypatch.chdir(repo / "clusters")
    assert run(["render", "ml/good.yaml", "--out", str(tmp_path / "out")], capsys)[0] == 0
    assert (
        (tmp_path / "out/ml/good.yaml")
        .read_text()
        .startswith("# Rendered by gitops-ray from clusters/ml/good.yaml (target: pods).")
    )


def test_a_missing_path_is_an_error_and_the_other_paths_are_still_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"good.yaml": GOOD})
    alone = run(["render", str(tmp_path / "good.yaml")], capsys)[1]
    status, out, err = run(["render", str(tmp_path / "nope.yaml"), str(tmp_path / "good.yaml")], capsys)
    assert (status, out, err) == (1, alone, f"error: {tmp_path / 'nope.yaml'}: no such file or directory\n")


@pytest.mark.parametrize(
    "paths",
    [
        ["repo", "repo"],
        ["repo", "./repo/"],
        ["repo", "repo/clusters/ml/good.yaml"],
        ["repo/clusters/ml/good.yaml", "repo"],
        ["repo", "repo/clusters"],
        ["repo", "link.yaml"],
    ],
    ids=["twice", "spelt-twice", "dir-then-file", "file-then-dir", "dir-then-subdir", "link-to-a-file"],
)
def test_paths_that_overlap_render_each_file_once(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "repo", {"gitops-ray.yaml": "path: clusters\n", "clusters/ml/good.yaml": GOOD})
    write(tmp_path / "repo", {"clusters/ml/other.yaml": OTHER})
    (tmp_path / "link.yaml").symlink_to(tmp_path / "repo/clusters/ml/good.yaml")
    monkeypatch.chdir(tmp_path)
    assert run(["render", *paths], capsys) == run(["render", "repo"], capsys)


def test_a_cluster_declared_by_two_paths_is_an_error_on_both_and_not_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"repo/clusters/ml/good.yaml": GOOD, "repo/clusters/ml/other.yaml": OTHER})
    write(tmp_path, {"repo/gitops-ray.yaml": "path: clusters\n", "copy.yaml": GOOD})
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["validate", "repo", "copy.yaml"], capsys)
    assert (status, out) == (1, "1 of 3 units valid, 0 unreadable files\n")
    assert err == (
        "error: clusters/ml/good.yaml: ml/good is defined more than once (also in copy.yaml)\n"
        "error: copy.yaml: ml/good is defined more than once (also in clusters/ml/good.yaml)\n"
    )


def test_a_broken_config_stops_only_its_own_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"broken/gitops-ray.yaml": "target: helm\n", "broken/x.yaml": OTHER, "good/x.yaml": GOOD})
    monkeypatch.chdir(tmp_path)
    alone = run(["render", "good"], capsys)[1]
    assert run(["render", "broken", "good"], capsys) == (
        1,
        alone,
        "error: broken: gitops-ray.yaml: target: must be one of pods, raycluster, got 'helm'\n",
    )


def test_standard_input_is_rendered_from_the_cache_the_second_time_with_the_same_result() -> None:
    cache = MemoryRenderCache()
    first = inputs_state(read_inputs(["-"], GOOD.encode), cache)
    again = inputs_state(read_inputs(["-"], GOOD.encode), cache)
    assert (first.rendered, again.rendered) == (1, 0)
    assert again == first == inputs_state(read_inputs(["-"], GOOD.encode))


def test_a_cluster_cached_alone_is_not_rendered_from_the_cache_once_another_path_declares_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(write(tmp_path, {"good.yaml": GOOD, "repo/good.yaml": GOOD}))
    assert main(["render", "good.yaml", "--out", "alone"]) == 0
    assert main(["render", "good.yaml", "repo", "--out", "both"]) == 1
    assert (tmp_path / "both/ml/good.yaml").read_text().splitlines()[1] == (
        "# NOT RENDERED: the source has problems (see the drift report):"
    )
