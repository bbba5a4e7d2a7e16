"""run_repo_cycle against real repositories (render + commit-back, no cluster): outputs, skips, problems,
and two writers racing on one branch."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import replace

import pytest
from git_repos import UserClone, git

import gitops_ray.edge.cycle as cycle_module
from gitops_ray.edge.cycle import CycleFingerprint, CycleResult, StateMemo, run_repo_cycle
from gitops_ray.edge.git import GitConfigError, PushRejected, RepoSettings
from gitops_ray.edge.kube import KubeApi
from gitops_ray.model.ownership import SOURCE_ID_ANNOTATION
from gitops_ray.model.units import Problem
from gitops_ray.report.files import output_files
from gitops_ray.source.desired import desired_state

pytestmark = pytest.mark.git


def raycluster(name: str, version: str = "2.46.0", image_tag: str = "") -> str:
    return f"""apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: {name}
  namespace: team-a
spec:
  rayVersion: "{version}"
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
        - name: ray-head
          image: rayproject/ray:{version}{"-" + image_tag if image_tag else ""}
"""


@pytest.fixture
def cluster_repo(user: UserClone) -> UserClone:
    """The remote holds one RayCluster (clusters/team-a/small.yaml) and a repo config naming clusters/."""
    user.remove("clusters/team-a/a.yaml")
    user.write("clusters/team-a/small.yaml", raycluster("small"))
    user.write("gitops-ray.yaml", "path: clusters\n")
    user.commit("a small RayCluster")
    user.push()
    return user


def tracked_files(user: UserClone, *dirs: str) -> list[str]:
    user.pull()
    return git(user.path, "ls-files", "--", *dirs).splitlines()


def expected_outputs(user: UserClone) -> Mapping[str, bytes]:
    """What the outputs must be for the sources in the user's clone (rendered independently of the cycle)."""
    return output_files(desired_state(user.path))


def committed_outputs(user: UserClone) -> dict[str, bytes]:
    return {name: (user.path / name).read_bytes() for name in tracked_files(user, "rendered", "drift")}


def test_a_cycle_renders_and_commits_back_the_outputs(
    settings: RepoSettings, cluster_repo: UserClone
) -> None:
    result = run_repo_cycle(settings)
    assert not result.skipped
    assert result.publication is not None
    assert result.problems == ()
    assert [(str(unit.key), unit.objects, unit.ok) for unit in result.units] == [("team-a/small", 2, True)]
    assert tracked_files(cluster_repo, "rendered", "drift") == [
        "drift/summary.json",
        "drift/team-a/small.md",
        "rendered/team-a/small.yaml",
    ]
    assert committed_outputs(cluster_repo) == expected_outputs(cluster_repo)


def test_the_next_poll_after_a_commit_back_is_skipped(
    settings: RepoSettings, cluster_repo: UserClone
) -> None:
    first = run_repo_cycle(settings)
    second = run_repo_cycle(settings, previous=first.fingerprint)
    assert first.publication is not None
    assert second.revision == first.publication.commit  # the controller's own commit is fetched...
    assert (second.skipped, second.fingerprint) == (True, first.fingerprint)  # ...and causes no render


def test_a_new_cluster_state_token_runs_the_cycle_again_without_a_new_commit(
    settings: RepoSettings, cluster_repo: UserClone
) -> None:
    first = run_repo_cycle(settings, cluster_token="rv-1")
    second = run_repo_cycle(settings, previous=first.fingerprint, cluster_token="rv-2")
    assert first.fingerprint.cluster == "rv-1"
    assert (second.skipped, second.publication) == (False, None)


def test_a_source_change_after_a_skip_is_rendered(settings: RepoSettings, cluster_repo: UserClone) -> None:
    first = run_repo_cycle(settings)
    cluster_repo.pull()
    cluster_repo.pull()  # the first cycle committed its outputs
    cluster_repo.write("clusters/team-a/small.yaml", raycluster("small", version="2.47.0"))
    cluster_repo.commit("upgrade ray")
    cluster_repo.push()
    second = run_repo_cycle(settings, previous=first.fingerprint)
    assert not second.skipped
    assert second.publication is not None
    assert "rayproject/ray:2.47.0" in (committed_outputs(cluster_repo)["rendered/team-a/small.yaml"]).decode()


def test_outputs_of_a_deleted_cluster_are_removed(settings: RepoSettings, cluster_repo: UserClone) -> None:
    cluster_repo.write("clusters/team-a/big.yaml", raycluster("big"))
    cluster_repo.commit("a second cluster")
    cluster_repo.push()
    run_repo_cycle(settings)
    cluster_repo.pull()
    cluster_repo.remove("clusters/team-a/big.yaml")
    cluster_repo.commit("remove big")
    cluster_repo.push()
    run_repo_cycle(settings)
    assert tracked_files(cluster_repo, "rendered") == ["rendered/team-a/small.yaml"]
    assert "drift/team-a/big.md" not in tracked_files(cluster_repo, "drift")


def held_file_lines(user: UserClone, branch: str = "main") -> list[str]:
    return git(user.path, "show", f"origin/{branch}:rendered/team-a/big.yaml").splitlines()


@pytest.mark.parametrize("push_branch", [None, "outputs"], ids=["tracked-branch", "separate-branch"])
def test_a_cluster_whose_file_breaks_keeps_its_files_marked_held_until_the_source_is_whole(
    settings: RepoSettings, cluster_repo: UserClone, push_branch: str | None
) -> None:
    settings = replace(settings, push_branch=push_branch)
    branch = push_branch or "main"
    cluster_repo.write("clusters/team-a/big.yaml", raycluster("big"))
    cluster_repo.commit("a second cluster")
    cluster_repo.push()
    run_repo_cycle(settings)
    cluster_repo.pull()
    git(cluster_repo.path, "fetch", "--quiet", "origin")
    rendered = held_file_lines(cluster_repo, branch)

    cluster_repo.write("clusters/team-a/big.yaml", "kind: [unclosed\n")
    cluster_repo.commit("break big")
    cluster_repo.push()
    broken = run_repo_cycle(settings, cluster_token="1")
    again = run_repo_cycle(settings, previous=broken.fingerprint, cluster_token="2")
    git(cluster_repo.path, "fetch", "--quiet", "origin")
    assert broken.publication is not None and again.publication is None  # the same bytes: no commit
    assert held_file_lines(cluster_repo, branch) == [
        "# HELD: not in the source while 1 file is broken (clusters/team-a/big.yaml); the cluster is not "
        "pruned. Last rendered content below.",
        *rendered,
    ]
    summary = json.loads(git(cluster_repo.path, "show", f"origin/{branch}:drift/summary.json"))
    assert [(unit["cluster"], unit["status"]) for unit in summary["units"]] == [
        ("team-a/big", "held"),
        ("team-a/small", "unknown"),
    ]
    assert "**Status: held**" in git(cluster_repo.path, "show", f"origin/{branch}:drift/team-a/big.md")

    cluster_repo.pull()
    cluster_repo.remove("clusters/team-a/big.yaml")
    cluster_repo.commit("remove big")
    cluster_repo.push()
    run_repo_cycle(settings, cluster_token="3")
    git(cluster_repo.path, "fetch", "--quiet", "origin")
    assert git(cluster_repo.path, "ls-tree", "-r", "--name-only", f"origin/{branch}", "rendered/") == (
        "rendered/team-a/small.yaml"
    )


@pytest.mark.parametrize(
    ("leftover", "message"),
    [
        pytest.param(
            "clusters/README.md",
            "no cluster files found: nothing rendered, and nothing is pruned unless explicitly allowed",
            id="directory-without-yaml",
        ),
        pytest.param("README.md", "source path is not a directory", id="directory-gone"),
    ],
)
def test_a_repository_that_suddenly_has_no_cluster_files_is_reported(
    settings: RepoSettings, cluster_repo: UserClone, leftover: str, message: str
) -> None:
    cluster_repo.remove("clusters/team-a/small.yaml")
    cluster_repo.write(leftover, "nothing to see\n")
    cluster_repo.commit("no clusters left")
    cluster_repo.push()
    result = run_repo_cycle(settings)
    assert (result.units, result.problems) == ((), (Problem(file="clusters", message=message),))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\x00\x01\x02binary", id="binary"),
        pytest.param(b"data: " + b"x" * (1024 * 1024 + 1) + b"\n", id="over-1MiB"),
    ],
)
def test_an_unreadable_cluster_file_is_a_problem_and_the_other_clusters_still_render(
    settings: RepoSettings, cluster_repo: UserClone, content: bytes
) -> None:
    (cluster_repo.path / "clusters/team-a/blob.yaml").write_bytes(content)
    cluster_repo.commit("an unreadable file")
    cluster_repo.push()
    result = run_repo_cycle(settings)
    assert [problem.file for problem in result.problems] == ["clusters/team-a/blob.yaml"]
    assert [str(unit.key) for unit in result.units] == ["team-a/small"]
    assert committed_outputs(cluster_repo) == expected_outputs(cluster_repo)


def test_settings_path_overrides_the_repo_config(settings: RepoSettings, cluster_repo: UserClone) -> None:
    cluster_repo.write("other/team-a/x.yaml", raycluster("x"))
    cluster_repo.commit("clusters elsewhere")
    cluster_repo.push()
    result = run_repo_cycle(replace(settings, path="other"))
    assert [str(unit.key) for unit in result.units] == ["team-a/x"]


def test_a_cycle_from_a_tag_without_a_push_branch_fails_before_rendering(
    settings: RepoSettings, cluster_repo: UserClone
) -> None:
    cluster_repo.tag("v1")
    with pytest.raises(
        GitConfigError, match=r"ref 'v1' is a tag or a commit; set a push branch to commit back$"
    ):
        run_repo_cycle(replace(settings, ref="v1"), kube_factory=pytest.fail)


def test_a_cycle_from_a_tag_commits_back_to_its_push_branch(
    settings: RepoSettings, cluster_repo: UserClone
) -> None:
    cluster_repo.tag("v1")
    result = run_repo_cycle(replace(settings, ref="v1", push_branch="outputs"))
    assert result.publication is not None
    assert (result.publication.branch, cluster_repo.remote_head("outputs")) == (
        "outputs",
        result.publication.commit,
    )


@pytest.mark.apiserver
def test_a_cycle_with_a_cluster_applies_and_commits_the_drift_report(
    settings: RepoSettings, user: UserClone, kube: KubeApi, namespace: str
) -> None:
    user.write(f"clusters/{namespace}/demo.yaml", raycluster("demo").replace("team-a", namespace))
    user.commit("a cluster to apply")
    user.push()
    result = run_repo_cycle(settings, kube_factory=lambda: kube)
    assert result.sync is not None and result.sync.ok
    assert result.fingerprint is not None  # a clean apply may be skipped next time
    assert kube.get("v1", "Pod", namespace, "demo-head") is not None
    summary = json.loads(committed_outputs(user)["drift/summary.json"])
    assert summary["compared_with_cluster"] is True


@pytest.mark.apiserver
def test_clusters_a_cycle_applies_are_recorded_as_owned_by_the_repository_url_and_cluster_path(
    settings: RepoSettings, cluster_repo: UserClone, kube: KubeApi, namespace: str
) -> None:
    """Not by the cache directory it was rendered in: every replica, and `sync --once` in a clone, is the
    same source."""
    cluster_repo.remove("clusters/team-a/small.yaml")  # only the test's namespace is touched
    cluster_repo.write(f"clusters/{namespace}/demo.yaml", raycluster("demo").replace("team-a", namespace))
    cluster_repo.commit("a cluster to apply")
    cluster_repo.push()
    run_repo_cycle(settings, kube_factory=lambda: kube)
    parent = kube.get("v1", "ConfigMap", namespace, "gitops-ray-demo") or {}
    assert parent["metadata"]["annotations"][SOURCE_ID_ANNOTATION] == (
        f"{settings.url.removesuffix('.git')}#clusters"
    )


@pytest.mark.slow
def test_two_writers_racing_on_one_branch_lose_no_commit_and_end_consistent(
    settings: RepoSettings, cluster_repo: UserClone
) -> None:
    """Each round the user pushes 1 to 3 commits (rebasing when rejected) while one controller cycle runs;
    both start at the same moment, so the controller's fetch-render-push races the user's pushes."""
    rounds, clusters = 50, 10
    barrier = threading.Barrier(2, timeout=120)
    user_commits: list[str] = []
    user_rejections = 0
    failures: list[BaseException] = []

    def user_writes() -> None:
        nonlocal user_rejections
        try:
            for round_number in range(rounds):
                barrier.wait()
                for _ in range(1 + round_number % 3):
                    number = len(user_commits)
                    name = f"c{number % clusters}"
                    cluster_repo.write(
                        f"clusters/team-a/{name}.yaml", raycluster(name, image_tag=f"u{number}")
                    )
                    cluster_repo.commit(f"{name}: image u{number}")
                    user_rejections += cluster_repo.push_rebasing()
                    user_commits.append(cluster_repo.head())
                barrier.wait()
        except BaseException as error:
            failures.append(error)
            barrier.abort()

    results: list[CycleResult] = []
    gave_up = 0
    previous: CycleFingerprint | None = None
    writer = threading.Thread(target=user_writes)
    started = time.monotonic()
    writer.start()
    for _ in range(rounds):
        barrier.wait()
        try:
            results.append(run_repo_cycle(settings, previous=previous))
            previous = results[-1].fingerprint
        except PushRejected:
            gave_up += 1
        barrier.wait()
    writer.join()
    final = run_repo_cycle(settings, previous=previous)
    elapsed = time.monotonic() - started
    assert failures == []

    head = cluster_repo.remote_head()
    cluster_repo.pull()
    lost = [sha for sha in user_commits if subprocess.run(
        ["git", "merge-base", "--is-ancestor", sha, head], cwd=cluster_repo.path, check=False
    ).returncode != 0]  # fmt: skip
    publications = [result.publication for result in [*results, final] if result.publication]
    retried = sum(1 for publication in publications if publication.attempts > 1)
    print(
        f"race: {rounds} rounds in {elapsed:.1f}s; user commits {len(user_commits)} (rejected and rebased "
        f"{user_rejections} times); controller commits {len(publications)}, {retried} of them after a "
        f"rejected push (max attempts {max(p.attempts for p in publications)}); cycles that gave up after "
        f"{settings.push_attempts} attempts {gave_up}; lost user commits {len(lost)}"
    )
    assert lost == []
    assert committed_outputs(cluster_repo) == expected_outputs(cluster_repo)
    assert (
        len([name for name in committed_outputs(cluster_repo) if name.startswith("rendered/")])
        == clusters + 1
    )


def test_a_cycle_over_the_same_sources_reuses_the_last_desired_state_and_a_source_change_does_not(
    settings: RepoSettings, cluster_repo: UserClone, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[str] = []
    load = cycle_module._desired_state
    monkeypatch.setattr(
        cycle_module,
        "_desired_state",
        lambda checkout, *args: loads.append(checkout.revision) or load(checkout, *args),
    )
    memo = StateMemo()

    first = run_repo_cycle(settings, memo=memo, cluster_token="epoch-1")
    again = run_repo_cycle(settings, memo=memo, previous=first.fingerprint, cluster_token="epoch-2")
    cluster_repo.pull()  # the first cycle committed its outputs
    cluster_repo.write("clusters/team-a/small.yaml", raycluster("small", version="2.47.0"))
    cluster_repo.commit("ray 2.47.0")
    cluster_repo.push()
    changed = run_repo_cycle(settings, memo=memo, previous=again.fingerprint, cluster_token="epoch-2")

    assert (first.skipped, again.skipped, changed.skipped) == (False, False, False)
    assert loads == [first.revision, changed.revision]
    assert [(str(unit.key), unit.objects) for unit in again.units] == [("team-a/small", 2)]
