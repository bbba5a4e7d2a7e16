"""example-repo/ci/github-actions.yaml, the pull-request workflow people copy: valid GitHub Actions YAML
that runs only commands the CLI has, passes on the example repository, and that the loader never reads."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import yaml

from gitops_ray.cli import build_parser, main
from gitops_ray.source.desired import desired_state

EXAMPLE_REPO = Path(__file__).resolve().parents[1] / "example-repo"
WORKFLOW = EXAMPLE_REPO / "ci" / "github-actions.yaml"
_SHELL_OPERATORS = frozenset({">", "||", "&&", "|", ";"})


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def gitops_ray_commands() -> list[list[str]]:
    """The arguments of every `gitops-ray` command in the job's `run` scripts, up to a shell operator."""
    commands = []
    for step in workflow()["jobs"]["review"]["steps"]:
        for line in str(step.get("run", "")).replace("\\\n", " ").splitlines():
            words = shlex.split(line.strip(), comments=True)
            if words[:1] == ["gitops-ray"]:
                end = next((i for i, word in enumerate(words) if word in _SHELL_OPERATORS), len(words))
                commands.append(words[1:end])
    return commands


def test_the_workflow_runs_on_pull_requests_with_no_secret_but_its_own_token() -> None:
    loaded = workflow()
    assert loaded[True] == {"pull_request": None}  # `on:` is YAML 1.1's true to PyYAML; GitHub reads "on"
    assert loaded["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "secrets." not in WORKFLOW.read_text()


def test_the_workflow_runs_the_review_diff_and_the_render() -> None:
    assert gitops_ray_commands() == [
        ["diff", "--base", "origin/$BASE_REF", ".", "--format", "markdown"],
        ["render", ".", "--out", "rendered", "--check"],
    ]


def test_every_command_of_the_workflow_parses_with_the_cli() -> None:
    parser = build_parser()
    for command in gitops_ray_commands():
        assert parser.parse_args(command).handler is not None


def test_the_render_check_passes_on_the_example_repo(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE_REPO, repo)
    assert main(["render", str(repo), "--out", str(repo / "rendered"), "--check", "--no-cache"]) == 0


def test_the_loader_never_reads_the_ci_directory() -> None:
    state = desired_state(EXAMPLE_REPO)
    assert state.broken_sources == ()
    assert [unit.source for unit in state.units if not unit.source.startswith("clusters/")] == []
