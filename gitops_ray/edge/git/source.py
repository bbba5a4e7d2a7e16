"""The Git source: a cached clone, fetched on each poll and checked out at the configured ref.

Layout under `settings.cache_dir/<repo-name>-<hash of url>/`: `repo/` (the clone; its work tree is the source
checkout), `publish/` (the commit-back work tree, see commitback.py) and `lock` (one process per cache).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import structlog

from gitops_ray.edge.git.credentials import auth_environment, redact
from gitops_ray.edge.git.errors import GitConfigError, GitSourceError, RefNotFound, RemoteUnavailable
from gitops_ray.edge.git.process import (
    GitRequestObserver,
    GitRunner,
    base_environment,
    ignore_request,
    last_lines,
)
from gitops_ray.edge.git.settings import RepoSettings

log = structlog.get_logger(__name__)

_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_HEX = re.compile(r"[0-9a-f]{7,40}")
_HEADS_REFSPEC = "+refs/heads/*:refs/remotes/origin/*"
_TAGS_REFSPEC = "+refs/tags/*:refs/tags/*"
# Local settings of our clone (no secrets): background gc would outlive the command and race the next one.
_CLONE_CONFIG = (
    ("gc.autoDetach", "false"),
    ("maintenance.autoDetach", "false"),
    ("advice.detachedHead", "false"),
)


@dataclass(frozen=True)
class Checkout:
    """The files of commit `revision` on disk in `worktree`; `branch` is the tracked branch when the ref is a
    branch (None for a tag or a commit)."""

    revision: str
    worktree: Path
    branch: str | None = None

    @property
    def short_revision(self) -> str:
        return self.revision[:12]


def repo_cache_dir(settings: RepoSettings) -> Path:
    """Where a repository's clone lives: stable per URL, readable by people."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", settings.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))
    digest = hashlib.sha256(settings.url.encode()).hexdigest()[:12]
    return settings.cache_dir / f"{name.strip('-.') or 'repo'}-{digest}"


class GitSource:
    """Clone once, fetch on every `sync()`, check out the configured ref. Use as a context manager.

    While open it holds the cache lock and a private directory for credential helpers; `close()` releases
    both. A clone found corrupt is deleted and cloned again; an unreachable remote raises RemoteUnavailable
    and leaves the clone and its checkout as they were. `on_request` is told of every clone, fetch and push
    (commit-back's too) with its result.
    """

    def __init__(self, settings: RepoSettings, on_request: GitRequestObserver = ignore_request) -> None:
        self.settings = settings
        self._on_request = on_request
        self.cache = repo_cache_dir(settings)
        self.repo_dir = self.cache / "repo"
        self.publish_dir = self.cache / "publish"
        self.display_url = redact(settings.url)
        self._stack = ExitStack()
        self._runner: GitRunner | None = None

    def __enter__(self) -> GitSource:
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            self._stack.enter_context(_cache_lock(self.cache / "lock"))
            self._remove_stale_index_locks()
            # Never let git walk up from a damaged clone into an enclosing repository.
            env = base_environment(self.settings.timeouts) | {
                "GIT_CEILING_DIRECTORIES": str(self.cache.resolve())
            }
            env |= self._stack.enter_context(
                auth_environment(self.settings.credentials, self.settings.timeouts.connect)
            )
        except BaseException:
            self._stack.close()
            raise
        self._runner = GitRunner(
            env, self.settings.timeouts, self.settings.credentials.secrets, self._on_request
        )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._runner = None
        self._stack.close()

    @property
    def runner(self) -> GitRunner:
        if self._runner is None:
            raise GitSourceError(f"{self.display_url}: GitSource used outside its `with` block")
        return self._runner

    def sync(self) -> Checkout:
        """Fetch and check out the configured ref: `repo_dir` then holds the files of that revision.

        A failed fetch with an intact clone means the remote is the problem: RemoteUnavailable, nothing
        touched. A corrupt clone, or any failing local command (the cache is ours alone), means the clone is:
        it is deleted and cloned again, once.
        """
        try:
            return self._sync()
        except (RefNotFound, GitConfigError):
            raise
        except RemoteUnavailable:
            if not self._clone_is_corrupt():
                raise
        except GitSourceError as error:
            log.warning("git.local_failure", url=self.display_url, error=str(error))
        log.warning("git.clone_broken", url=self.display_url, action="delete and clone again")
        shutil.rmtree(self.repo_dir, ignore_errors=True)
        shutil.rmtree(self.publish_dir, ignore_errors=True)
        return self._sync()

    def last_fetched(self) -> Checkout | None:
        """The configured ref as the last successful fetch left it, checked out; None when the cache holds
        no clone or the ref was never fetched. No network: for cycles that go on while the remote is down."""
        if not (self.repo_dir / ".git").exists():
            return None
        found = self.resolve(self.settings.ref)
        if found is None:
            return None
        revision, branch = found
        checkout = self.checkout(revision, self.repo_dir, branch)
        log.info("git.last_fetched", url=self.display_url, ref=self.settings.ref, revision=revision)
        return checkout

    def fetch(self) -> None:
        """Update remote branches and tags (pruning deleted ones); RemoteUnavailable on any failure."""
        args = ["fetch", "--prune", "--force", "--quiet", "origin", _HEADS_REFSPEC, _TAGS_REFSPEC]
        outcome = self.runner.try_run(self.repo_dir, args, network=True)
        if not outcome.ok:
            raise RemoteUnavailable(f"cannot fetch from {self.display_url}: {last_lines(outcome.stderr)}")

    def resolve(self, ref: str) -> tuple[str, str | None] | None:
        """(commit sha, branch or None) for a branch, tag or commit already fetched; None if unknown.

        A plain name is tried as a branch first, then as a tag, then as a commit sha; `refs/heads/<b>` and
        `refs/tags/<t>` are taken literally.
        """
        candidates: list[tuple[str, str | None]]
        if ref.startswith("refs/heads/"):
            candidates = [
                ("refs/remotes/origin/" + ref.removeprefix("refs/heads/"), ref.removeprefix("refs/heads/"))
            ]
        elif ref.startswith("refs/"):
            candidates = [(ref, None)]
        else:
            candidates = [(f"refs/remotes/origin/{ref}", ref), (f"refs/tags/{ref}", None)]
            if _HEX.fullmatch(ref):
                candidates.append((ref, None))
        for name, branch in candidates:
            revision = self.commit_of(name)
            if revision is not None:
                return revision, branch
        return None

    def commit_of(self, name: str) -> str | None:
        """The commit a local ref or sha names, or None."""
        outcome = self.runner.try_run(
            self.repo_dir, ["rev-parse", "--verify", "--quiet", "--end-of-options", name + "^{commit}"]
        )
        return outcome.stdout.strip() if outcome.ok else None

    def materialize(self, revision: str, worktree: Path) -> None:
        """Make `worktree` hold exactly the files of `revision` (detached HEAD, untracked files removed)."""
        self.runner.run(
            worktree, ["checkout", "--force", "--detach", "--quiet", revision], what=f"checkout {revision}"
        )
        self.runner.run(worktree, ["clean", "-ffdxq"], what="clean of the work tree")

    def checkout(self, revision: str, worktree: Path, branch: str | None) -> Checkout:
        """Materialize `revision` into `worktree` and describe it."""
        self.materialize(revision, worktree)
        return Checkout(revision, worktree, branch)

    def last_change(self, revision: str, paths: tuple[str, ...], exclude_dirs: tuple[str, ...]) -> str:
        """The newest commit up to `revision` that changed something under `paths` outside `exclude_dirs`:
        the revision a cluster's status names. Commit-back moves the branch on every drift report; the
        sources it applied stay those of this commit, so the status (and its write) does not move with it."""
        pathspecs = [
            *(path for path in paths if path not in ("", ".")),
            *(f":(exclude){d}" for d in exclude_dirs),
        ]
        if any(path in ("", ".") for path in paths):
            pathspecs.insert(0, ".")
        found = self.runner.run(self.repo_dir, ["rev-list", "-1", revision, "--", *pathspecs]).strip()
        return found or revision

    def tree_digest(self, revision: str, paths: tuple[str, ...], exclude_dirs: tuple[str, ...]) -> str:
        """Hash of every (mode, object, path) under `paths` at `revision`, except under `exclude_dirs`.

        Over the source path and the repo config, with the output directories excluded, it changes exactly
        when a render could change: commits that touch only `rendered/` and `drift/` keep it.
        """
        pathspecs = [] if "." in paths else ["--", *paths]
        args = ["ls-tree", "-r", "-z", "--full-tree", revision, *pathspecs]
        entries = self.runner.run(self.repo_dir, args, what=f"listing of {revision}").split("\0")
        excluded = tuple(directory + "/" for directory in exclude_dirs)
        kept = [entry for entry in entries if entry and not entry.split("\t", 1)[-1].startswith(excluded)]
        return hashlib.sha256("\0".join(kept).encode()).hexdigest()

    def _sync(self) -> Checkout:
        self._ensure_clone()
        ref = self.settings.ref
        found = self.resolve(ref) if _FULL_SHA.fullmatch(ref) else None  # a pinned commit needs no network
        if found is None:
            self.fetch()
            found = self.resolve(ref) or self._fetch_commit(ref)
        if found is None:
            raise RefNotFound(f"ref {ref!r} not found in {self.display_url}: not a branch, tag or commit")
        revision, branch = found
        checkout = self.checkout(revision, self.repo_dir, branch)
        log.info("git.synced", url=self.display_url, ref=ref, revision=revision)
        return checkout

    def _fetch_commit(self, ref: str) -> tuple[str, str | None] | None:
        """A full sha that no branch or tag reaches: ask for it by name (servers may refuse)."""
        if not _FULL_SHA.fullmatch(ref):
            return None
        outcome = self.runner.try_run(self.repo_dir, ["fetch", "--quiet", "origin", ref], network=True)
        return (ref, None) if outcome.ok and self.commit_of(ref) else None

    def _ensure_clone(self) -> None:
        if (self.repo_dir / ".git").exists():
            return
        partial = self.cache / "repo.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(self.repo_dir, ignore_errors=True)
        outcome = self.runner.try_run(
            self.cache,
            ["clone", "--no-local", "--no-checkout", "--quiet", "--", self.settings.url, str(partial)],
            network=True,
        )
        if not outcome.ok:
            shutil.rmtree(partial, ignore_errors=True)
            raise RemoteUnavailable(f"cannot clone {self.display_url}: {last_lines(outcome.stderr)}")
        for key, value in _CLONE_CONFIG:
            self.runner.run(partial, ["config", "--local", key, value], what="configuration of the clone")
        os.replace(partial, self.repo_dir)  # an interrupted clone never looks complete
        log.info("git.cloned", url=self.display_url, cache=str(self.repo_dir))

    def _remove_stale_index_locks(self) -> None:
        """Index locks left by a killed git: with the cache lock held, no live git can own them."""
        for lock in [self.repo_dir / ".git/index.lock", *self.repo_dir.glob(".git/worktrees/*/index.lock")]:
            lock.unlink(missing_ok=True)

    def _clone_is_corrupt(self) -> bool:
        if not self.repo_dir.exists():
            return False
        for args in (
            ["rev-parse", "--git-dir"],
            ["fsck", "--connectivity-only", "--no-dangling", "--no-progress"],
        ):
            if not self.runner.try_run(self.repo_dir, args).ok:
                return True
        return False


@contextmanager
def _cache_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on the cache directory: two processes must not work in one clone."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GitSourceError(f"cache {path.parent} is in use by another gitops-ray process") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
