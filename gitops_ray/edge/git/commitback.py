"""Commit-back: write the output files into a work tree, commit only real changes, push without ever forcing.

The work tree is `publish/`, a `git worktree` of the cached clone, so the source checkout stays at the
revision that was rendered. A push that is rejected because the remote moved is retried on the new remote
head (after re-rendering when the sources changed there) with bounded exponential backoff, and so is one
the remote refused because another pusher held the branch's ref lock at that moment. Commits are
fast-forwards of what the remote has, so no one's commit is ever lost.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import structlog

from gitops_ray.edge.fencing import WriteCheck, unfenced
from gitops_ray.edge.git.errors import GitConfigError, GitSourceError, PushRejected, RemoteUnavailable
from gitops_ray.edge.git.process import last_lines, push_refusal
from gitops_ray.edge.git.source import Checkout, GitSource

log = structlog.get_logger(__name__)

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known id of the empty tree


@dataclass(frozen=True)
class Outputs:
    """The complete content of the output directories: `files` (repo-relative path -> bytes) replace
    everything under `dirs`, so files of clusters that no longer exist disappear."""

    files: Mapping[str, bytes]
    dirs: tuple[str, ...]

    def __post_init__(self) -> None:
        dirs = [PurePosixPath(directory).parts for directory in self.dirs]
        if not dirs or any(parts in ((), (".",)) or ".." in parts for parts in dirs):
            raise GitConfigError(
                f"output directories {self.dirs!r} must be sub-directories of the repository"
            )
        for name in self.files:
            path = PurePosixPath(name)
            inside = any(len(path.parts) > len(parts) and path.parts[: len(parts)] == parts for parts in dirs)
            if path.is_absolute() or ".." in path.parts or not inside:
                raise GitConfigError(f"output file {name!r} is not inside {' or '.join(self.dirs)}")


Recompute = Callable[[Checkout], "Outputs | None"]
"""Outputs for the sources at a newer remote head, or None when its sources are those already rendered."""


@dataclass(frozen=True)
class Publication:
    """A pushed commit: `commit` on `branch`, holding outputs rendered from `source_revision`."""

    commit: str
    branch: str
    source_revision: str
    attempts: int


class CommitBack:
    """Publishes the outputs of a cycle to `settings.push_branch` (default: the tracked branch)."""

    def __init__(
        self,
        source: GitSource,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        check: WriteCheck = unfenced,
    ) -> None:
        self.source = source
        self._check = check  # runs before every push: a fenced replica pushes nothing
        self.settings = source.settings
        self._sleep = sleep
        self._jitter = jitter

    def publish(self, outputs: Outputs, rendered_from: Checkout, recompute: Recompute) -> Publication | None:
        """Commit `outputs` on top of the remote branch and push; None when nothing changed.

        Each attempt starts from a fresh fetch. On the tracked branch, a remote head other than
        `rendered_from` is offered to `recompute` first, so the commit always matches the sources it sits
        on. Raises PushRejected when the remote kept moving through every attempt or refused the push,
        RemoteUnavailable when it cannot be reached; nothing is ever forced.
        """
        branch = self.branch_for(rendered_from)
        tracks_source = branch == rendered_from.branch
        worktree = self._worktree(rendered_from.revision)
        for attempt in range(1, self.settings.push_attempts + 1):
            self.source.fetch()
            base = self.source.commit_of(f"refs/remotes/origin/{branch}")
            if base is None and tracks_source:
                raise GitSourceError(f"{self.source.display_url}: branch {branch!r} is gone from the remote")
            if base is None:
                self._clear(worktree)
            elif tracks_source and base != rendered_from.revision:
                head = self.source.checkout(base, worktree, branch)
                newer = recompute(head)
                if newer is not None:
                    log.info("git.rerender", branch=branch, rendered=rendered_from.revision, head=base)
                    outputs, rendered_from = newer, head
            else:
                self.source.materialize(base, worktree)
            commit = self._commit(worktree, outputs, base, rendered_from, branch)
            if commit is None:
                return None
            self._check()
            refusal = self._push(commit, branch)
            if refusal is None:
                log.info("git.pushed", branch=branch, commit=commit, source=rendered_from.revision)
                return Publication(commit, branch, rendered_from.revision, attempt)
            if attempt < self.settings.push_attempts:
                self._sleep(self._backoff(attempt))
        locked = refusal is not None and _ref_locked(refusal)
        why = f"the ref stayed locked: {refusal}" if locked else "the remote kept moving"
        raise PushRejected(
            f"push to {branch!r} of {self.source.display_url} rejected {self.settings.push_attempts} "
            f"times: {why}"
        )

    def previous_outputs(self, rendered_from: Checkout) -> Path | None:
        """A work tree holding the push branch as last fetched, where the outputs of the previous commit
        are; None when the branch does not exist yet. On the tracked branch that is the source checkout."""
        branch = self.branch_for(rendered_from)
        if branch == rendered_from.branch:
            return rendered_from.worktree
        base = self.source.commit_of(f"refs/remotes/origin/{branch}")
        if base is None:
            return None
        worktree = self._worktree(rendered_from.revision)
        self.source.materialize(base, worktree)
        return worktree

    def branch_for(self, checkout: Checkout) -> str:
        """The branch outputs of `checkout` go to; GitConfigError when there is none (a tag or commit ref
        without `push_branch`), so a cycle can fail before it applies anything."""
        branch = self.settings.push_branch or checkout.branch
        if branch is None:
            raise GitConfigError(
                f"{self.source.display_url}: ref {self.settings.ref!r} is a tag or a commit; "
                "set a push branch to commit back"
            )
        return branch

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that two writers do not retry in lockstep."""
        delay = min(self.settings.push_backoff * 2.0 ** (attempt - 1), self.settings.push_backoff_max)
        return float(delay * (0.5 + self._jitter() / 2))

    def _worktree(self, revision: str) -> Path:
        """The publish work tree, created (or re-created when broken) next to the clone."""
        publish = self.source.publish_dir
        runner = self.source.runner
        if (publish / ".git").is_file() and runner.try_run(publish, ["rev-parse", "--git-dir"]).ok:
            return publish
        shutil.rmtree(publish, ignore_errors=True)
        runner.run(self.source.repo_dir, ["worktree", "prune"], what="pruning of stale work trees")
        runner.run(
            self.source.repo_dir,
            ["worktree", "add", "--detach", "--no-checkout", "--force", str(publish), revision],
            what="creation of the publish work tree",
        )
        return publish

    def _clear(self, worktree: Path) -> None:
        """An empty index and work tree: the first commit of a separate output branch has no parent."""
        self.source.runner.run(worktree, ["read-tree", "--empty"], what="emptying of the index")
        self.source.runner.run(worktree, ["clean", "-ffdxq"], what="clean of the work tree")

    def _write(self, worktree: Path, outputs: Outputs) -> None:
        """Make the output directories of `worktree` hold exactly `outputs.files`. A file whose bytes are
        already there is not written again, so Git finds it unchanged from its index without hashing it:
        a cycle's commit-back costs what changed, not the size of rendered/."""
        root = worktree.resolve()
        wanted = {worktree / name for name in outputs.files}
        for directory in outputs.dirs:
            target = worktree / directory
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                for path in sorted(target.rglob("*"), reverse=True):
                    if path.is_symlink() or (path.is_file() and path not in wanted):
                        path.unlink()
                    elif path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
                        path.rmdir()
        for name in sorted(outputs.files):
            content = outputs.files[name]  # made one at a time: rendered files are not all held at once
            target = worktree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.parent.resolve().is_relative_to(root):
                raise GitConfigError(f"output file {name!r} would be written outside the work tree (symlink)")
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.is_file() and not target.is_symlink() and target.read_bytes() == content:
                continue
            target.write_bytes(content)

    def _commit(
        self,
        worktree: Path,
        outputs: Outputs,
        base: str | None,
        rendered_from: Checkout,
        branch: str,
    ) -> str | None:
        """Commit the outputs on top of `base`; None when the tree would not change."""
        runner = self.source.runner
        self._write(worktree, outputs)
        runner.run(worktree, ["add", "--all", "--force", "--", "."], what="staging of the output files")
        tree = runner.run(worktree, ["write-tree"], what="writing the tree").strip()
        base_tree = runner.run(worktree, ["rev-parse", f"{base}^{{tree}}"]).strip() if base else EMPTY_TREE
        if tree == base_tree:
            return None
        message = self.settings.message_template.format(
            revision=rendered_from.revision, short_revision=rendered_from.short_revision, branch=branch
        )
        identity = [
            "-c",
            f"user.name={self.settings.author_name}",
            "-c",
            f"user.email={self.settings.author_email}",
        ]
        parents = ["-p", base] if base else []
        return runner.run(
            worktree, [*identity, "commit-tree", tree, *parents, "-m", message], what="commit"
        ).strip()

    def _push(self, commit: str, branch: str) -> str | None:
        """None when pushed; the refusal when it is worth retrying on a fresh fetch (the remote moved, or
        another pusher held the ref's lock); raises on anything else."""
        outcome = self.source.runner.try_run(
            self.source.repo_dir,
            ["push", "--porcelain", "origin", f"{commit}:refs/heads/{branch}"],
            network=True,
        )
        if outcome.ok:
            return None
        refusal = push_refusal(outcome.stdout)
        if retryable(refusal):
            log.info("git.push_rejected", branch=branch, reason=refusal)
            return refusal
        if refusal:
            raise PushRejected(f"{self.source.display_url} refused the push to {branch!r}: {refusal}")
        raise RemoteUnavailable(f"cannot push to {self.source.display_url}: {last_lines(outcome.stderr)}")


def retryable(refusal: str) -> bool:
    """Whether a fresh fetch and another push may succeed: `[rejected]` (the remote moved since the fetch)
    or a ref-lock failure; not a hook that declined or a protected branch."""
    return refusal.startswith("[rejected]") or _ref_locked(refusal)


_LOCK_FAILURES = ("(failed to update ref)", "(cannot lock ref", "(failed to lock)")


def _ref_locked(refusal: str) -> bool:
    """A `[remote rejected]` because the remote could not take the ref's lock: a concurrent push held it
    (or just moved the ref). Hooks declining and protected branches are not among these."""
    return refusal.startswith("[remote rejected]") and any(reason in refusal for reason in _LOCK_FAILURES)
