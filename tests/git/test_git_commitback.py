"""CommitBack against real repositories: what is committed, when nothing is, and how push races end."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from git_repos import UserClone, git

from gitops_ray.edge.git import (
    Checkout,
    CommitBack,
    GitConfigError,
    GitSource,
    Outputs,
    PushRejected,
    RepoSettings,
)
from gitops_ray.edge.git.commitback import retryable

pytestmark = pytest.mark.git

DIRS = ("rendered", "drift")


def outputs(files: dict[str, str]) -> Outputs:
    return Outputs({name: text.encode() for name, text in files.items()}, DIRS)


def no_recompute(head: Checkout) -> Outputs | None:
    return None


def remote_files(user: UserClone, under: str) -> dict[str, str]:
    user.pull()
    root = user.path / under
    return {
        str(path.relative_to(user.path)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_publish_commits_the_outputs_with_the_template_message_and_author(
    settings: RepoSettings, user: UserClone
) -> None:
    custom = replace(settings, author_name="Render Bot", author_email="bot@example.invalid")
    with GitSource(custom) as source:
        checkout = source.sync()
        publication = CommitBack(source).publish(
            outputs({"rendered/a.yaml": "kind: Pod\n"}), checkout, no_recompute
        )
    assert publication is not None
    assert (publication.branch, publication.source_revision, publication.attempts) == (
        "main",
        checkout.revision,
        1,
    )
    assert user.remote_head() == publication.commit
    assert remote_files(user, "rendered") == {"rendered/a.yaml": "kind: Pod\n"}
    assert (
        git(user.path, "log", "-1", "--format=%an <%ae>|%P")
        == f"Render Bot <bot@example.invalid>|{checkout.revision}"
    )
    assert git(user.path, "log", "-1", "--format=%B") == (
        f"gitops-ray: render {checkout.revision[:12]}\n\nRendered from {checkout.revision}."
    )


def test_publish_makes_no_commit_when_the_outputs_did_not_change(
    settings: RepoSettings, user: UserClone
) -> None:
    with GitSource(settings) as source:
        checkout = source.sync()
        first = CommitBack(source).publish(outputs({"rendered/a.yaml": "x\n"}), checkout, no_recompute)
        second = CommitBack(source).publish(outputs({"rendered/a.yaml": "x\n"}), checkout, no_recompute)
    assert first is not None
    assert second is None
    assert user.remote_head() == first.commit


def test_outputs_not_in_the_new_file_set_are_removed_and_sources_are_kept(
    settings: RepoSettings, user: UserClone
) -> None:
    user.write("rendered/stray.yaml", "left by hand\n")
    user.commit("stray output")
    user.push()
    with GitSource(settings) as source:
        checkout = source.sync()
        commit_back = CommitBack(source)
        commit_back.publish(
            outputs({"rendered/a.yaml": "a\n", "rendered/b.yaml": "b\n", "drift/b.md": "b\n"}),
            checkout,
            no_recompute,
        )
        commit_back.publish(outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute)
    assert remote_files(user, "rendered") == {"rendered/a.yaml": "a\n"}
    assert not (user.path / "drift").exists()
    assert (user.path / "clusters/team-a/a.yaml").read_text() == "name: a\n"


def test_a_push_rejected_because_the_remote_moved_is_retried_on_the_new_head_after_re_rendering(
    settings: RepoSettings, user: UserClone
) -> None:
    """The remote moves twice: before the first fetch and again between fetch and push (inside recompute)."""
    pushed_by_user: list[str] = []
    sleeps: list[float] = []

    def user_commit(name: str) -> None:
        user.write(f"clusters/team-a/{name}.yaml", f"name: {name}\n")
        user.commit(f"add {name}")
        user.push_rebasing()
        pushed_by_user.append(user.head())

    def recompute(head: Checkout) -> Outputs:
        if len(pushed_by_user) == 1:
            user_commit("c")  # the remote moves again after this attempt fetched
        names = sorted(path.stem for path in (head.worktree / "clusters/team-a").iterdir())
        return Outputs({f"rendered/{name}.yaml": f"{name}\n".encode() for name in names}, DIRS)

    with GitSource(settings) as source:
        checkout = source.sync()
        user_commit("b")
        publication = CommitBack(source, sleep=sleeps.append, jitter=lambda: 1.0).publish(
            outputs({"rendered/a.yaml": "a\n"}), checkout, recompute
        )
    assert publication is not None
    assert (publication.attempts, publication.source_revision) == (2, pushed_by_user[-1])
    assert sleeps == [settings.push_backoff]
    assert remote_files(user, "rendered") == {
        "rendered/a.yaml": "a\n",
        "rendered/b.yaml": "b\n",
        "rendered/c.yaml": "c\n",
    }
    assert git(user.path, "rev-parse", f"{publication.commit}^") == pushed_by_user[-1]


def test_outputs_are_kept_when_the_new_head_has_the_same_sources(
    settings: RepoSettings, user: UserClone
) -> None:
    with GitSource(settings) as source:
        checkout = source.sync()
        user.write("README.md", "docs\n")
        docs = user.commit("docs only")
        user.push()
        publication = CommitBack(source).publish(outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute)
    assert publication is not None
    user.pull()
    assert (publication.source_revision, git(user.path, "rev-parse", f"{publication.commit}^")) == (
        checkout.revision,
        docs,
    )


def test_push_gives_up_after_the_bounded_attempts_and_loses_no_user_commit(
    settings: RepoSettings, user: UserClone
) -> None:
    sleeps: list[float] = []
    user_commits: list[str] = []

    def recompute_while_the_user_pushes(head: Checkout) -> Outputs:
        user.write("clusters/team-a/a.yaml", f"name: a{len(user_commits)}\n")
        user.commit("keep moving")
        user.push_rebasing()
        user_commits.append(user.head())
        return outputs({"rendered/a.yaml": f"{len(user_commits)}\n"})

    with GitSource(replace(settings, push_attempts=3, push_backoff=0.5, push_backoff_max=0.8)) as source:
        checkout = source.sync()
        user.write("clusters/team-a/a.yaml", "name: moved\n")
        user.commit("moved before publish")
        user.push()
        commit_back = CommitBack(source, sleep=sleeps.append, jitter=lambda: 0.0)
        with pytest.raises(
            PushRejected, match=r"^push to 'main' of .* rejected 3 times: the remote kept moving$"
        ):
            commit_back.publish(
                outputs({"rendered/a.yaml": "0\n"}), checkout, recompute_while_the_user_pushes
            )
    assert sleeps == [0.25, 0.4]  # 0.5 and min(1.0, 0.8), each halved by zero jitter
    assert user.remote_head() == user_commits[-1]
    assert not (user.path / "rendered").exists()


def test_a_push_the_remote_refuses_is_not_retried(settings: RepoSettings, tmp_path: Path) -> None:
    hook = Path(settings.url) / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    sleeps: list[float] = []
    with GitSource(settings) as source:
        checkout = source.sync()
        with pytest.raises(PushRejected, match=r"refused the push to 'main'"):
            CommitBack(source, sleep=sleeps.append).publish(
                outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute
            )
    assert sleeps == []


def lock_the_branch_for_the_first_pushes(remote: Path, pushes: int) -> None:
    """A pre-receive hook that leaves `refs/heads/main.lock` behind for the first `pushes` pushes (as a
    concurrent pusher holding the lock would) and removes it afterwards."""
    hook = remote / "hooks/pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        'seen=$(cat "$GIT_DIR/pushes" 2>/dev/null || echo 0)\n'
        'echo $((seen + 1)) > "$GIT_DIR/pushes"\n'
        f'if [ "$seen" -lt {pushes} ]; then : > "$GIT_DIR/refs/heads/main.lock"\n'
        'else rm -f "$GIT_DIR/refs/heads/main.lock"; fi\n'
    )
    hook.chmod(0o755)


def test_a_push_refused_because_the_ref_was_locked_is_retried_with_backoff(
    settings: RepoSettings, user: UserClone
) -> None:
    lock_the_branch_for_the_first_pushes(Path(settings.url), 2)
    sleeps: list[float] = []
    with GitSource(settings) as source:
        checkout = source.sync()
        publication = CommitBack(source, sleep=sleeps.append, jitter=lambda: 1.0).publish(
            outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute
        )
    assert publication is not None
    assert (publication.attempts, user.remote_head()) == (3, publication.commit)
    assert sleeps == [settings.push_backoff, 2 * settings.push_backoff]
    assert remote_files(user, "rendered") == {"rendered/a.yaml": "a\n"}


def test_a_ref_that_stays_locked_fails_after_the_bounded_attempts(
    settings: RepoSettings, user: UserClone
) -> None:
    lock_the_branch_for_the_first_pushes(Path(settings.url), 100)
    before = user.remote_head()
    with GitSource(replace(settings, push_attempts=3)) as source:
        checkout = source.sync()
        with pytest.raises(PushRejected) as raised:
            CommitBack(source, sleep=lambda _: None).publish(
                outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute
            )
    assert str(raised.value) == (
        f"push to 'main' of {settings.url} rejected 3 times: "
        "the ref stayed locked: [remote rejected] (failed to update ref)"
    )
    assert user.remote_head() == before


@pytest.mark.parametrize(
    ("refusal", "retried"),
    [
        ("[rejected] (fetch first)", True),
        ("[rejected] (non-fast-forward)", True),
        ("[remote rejected] (failed to update ref)", True),
        ("[remote rejected] (cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d)", True),
        ("[remote rejected] (pre-receive hook declined)", False),
        ("[remote rejected] (hook declined)", False),
        ("[remote rejected] (protected branch hook declined)", False),
        ("[remote rejected] (shallow update not allowed)", False),
    ],
)
def test_which_push_refusals_are_retried(refusal: str, retried: bool) -> None:
    assert retryable(refusal) is retried


def test_a_separate_push_branch_holds_only_the_outputs_in_its_own_history(
    settings: RepoSettings, user: UserClone
) -> None:
    main_before = user.remote_head()
    with GitSource(replace(settings, push_branch="gitops-ray/outputs")) as source:
        checkout = source.sync()
        first = CommitBack(source).publish(outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute)
        second = CommitBack(source).publish(outputs({"rendered/a.yaml": "a2\n"}), checkout, no_recompute)
    assert first is not None and second is not None
    assert (first.branch, second.branch) == ("gitops-ray/outputs", "gitops-ray/outputs")
    assert user.remote_head() == main_before
    assert user.remote_head("gitops-ray/outputs") == second.commit
    git(user.path, "fetch", "--quiet", "origin")
    assert git(user.path, "rev-list", "--parents", "origin/gitops-ray/outputs").splitlines() == [
        f"{second.commit} {first.commit}",
        first.commit,
    ]
    assert git(user.path, "ls-tree", "-r", "--name-only", "origin/gitops-ray/outputs") == "rendered/a.yaml"


def test_committing_back_from_a_tag_needs_a_push_branch(settings: RepoSettings, user: UserClone) -> None:
    user.tag("v1")
    with GitSource(replace(settings, ref="v1")) as source:
        checkout = source.sync()
        with pytest.raises(
            GitConfigError, match=r"ref 'v1' is a tag or a commit; set a push branch to commit back$"
        ):
            CommitBack(source).publish(outputs({"rendered/a.yaml": "a\n"}), checkout, no_recompute)


@pytest.mark.parametrize(
    ("files", "dirs", "message"),
    [
        pytest.param(
            {"clusters/a.yaml": b""},
            DIRS,
            "output file 'clusters/a.yaml' is not inside rendered or drift",
            id="outside",
        ),
        pytest.param(
            {"rendered/../a.yaml": b""},
            DIRS,
            "output file 'rendered/../a.yaml' is not inside rendered or drift",
            id="dot-dot",
        ),
        pytest.param(
            {"/rendered/a.yaml": b""},
            DIRS,
            "output file '/rendered/a.yaml' is not inside rendered or drift",
            id="absolute",
        ),
        pytest.param(
            {"rendered": b""},
            DIRS,
            "output file 'rendered' is not inside rendered or drift",
            id="the-dir-itself",
        ),
        pytest.param(
            {}, (".",), "output directories ('.',) must be sub-directories of the repository", id="root-dir"
        ),
        pytest.param({}, (), "output directories () must be sub-directories of the repository", id="no-dirs"),
    ],
)
def test_outputs_outside_the_output_directories_are_refused(
    files: dict[str, bytes], dirs: tuple[str, ...], message: str
) -> None:
    with pytest.raises(GitConfigError) as raised:
        Outputs(files, dirs)
    assert str(raised.value) == message
