"""One repository cycle: fetch -> desired state -> optional apply -> report files -> commit-back.

The shell around the pure core for one repo: `sync --once` runs it once, the controller on every poll. A cycle
whose fingerprint (sources, settings, cluster state) equals the previous one is skipped before rendering, so
the controller's own commits, which touch only the output directories, never cause another render.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import structlog

from gitops_ray.config import REPO_CONFIG_FILE, SourceOptions, read_repo_config
from gitops_ray.desired import desired_state
from gitops_ray.fencing import WriteCheck, unfenced
from gitops_ray.git import Checkout, CommitBack, GitSource, Outputs, Publication, RepoSettings
from gitops_ray.report import output_files
from gitops_ray.units import DesiredState, Problem, UnitKey

if TYPE_CHECKING:
    from gitops_ray.drift import UnitDrift
    from gitops_ray.kube import KubeApi
    from gitops_ray.sync import SyncOptions, SyncResult

log = structlog.get_logger(__name__)

KubeFactory = Callable[[], "KubeApi"]
"""Opens the cluster connection; only called when a cycle applies."""


@dataclass(frozen=True)
class CycleFingerprint:
    """What a cycle's result depends on: `sources` the source path and the repo config (output directories
    excluded), `config` the controller-side settings, `cluster` the caller's cluster-state token."""

    sources: str
    config: str
    cluster: str


@dataclass(frozen=True)
class UnitSummary:
    """One unit as the cycle saw it: how many objects it wants, and what is wrong with it."""

    key: UnitKey
    source: str
    target: str
    objects: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CycleResult:
    """The outcome of one cycle. `fingerprint`: pass it as `previous` to the next cycle (None when the apply
    failed somewhere, so the next cycle retries even if nothing changed); `skipped`: nothing to do (same
    fingerprint as `previous`); `sync`: what the apply did (None when not applying); `publication`: the
    pushed commit (None when the outputs did not change or the cycle was skipped); `problems`: bad input."""

    revision: str
    fingerprint: CycleFingerprint | None
    skipped: bool
    sync: SyncResult | None = None
    publication: Publication | None = None
    problems: tuple[Problem, ...] = ()
    units: tuple[UnitSummary, ...] = ()

    @property
    def committed(self) -> str | None:
        return self.publication.commit if self.publication else None


def run_repo_cycle(
    settings: RepoSettings,
    *,
    options: SourceOptions | None = None,
    kube_factory: KubeFactory | None = None,
    sync_options: SyncOptions | None = None,
    previous: CycleFingerprint | None = None,
    cluster_token: str = "",
    check: WriteCheck = unfenced,
) -> CycleResult:
    """Run one cycle for `settings.url`; raises GitSourceError (remote, ref, push) or ConfigError.

    `options` replaces the repo's own `gitops-ray.yaml` (None: read it from each checkout); `settings.path`
    overrides its path. With `kube_factory` the desired state is applied (`gitops_ray.sync`) and drift is
    reported; without it the cycle renders and commits back only. A failure leaves the remote as it was.
    `check` runs before every cluster write and every push; `Fenced` from it aborts the cycle.
    """
    applying = kube_factory is not None
    with GitSource(settings) as source:
        checkout = source.sync()
        commit_back = CommitBack(source, check=check)
        commit_back.branch_for(checkout)  # fail before applying when there is nowhere to commit back
        source_options = _source_options(checkout, settings, options)
        fingerprint = CycleFingerprint(
            sources=_sources_digest(source, checkout.revision, source_options),
            config=_digest(repr((settings, options, sync_options, applying))),
            cluster=cluster_token,
        )
        if fingerprint == previous:
            log.info("cycle.skipped", url=source.display_url, revision=checkout.revision)
            return CycleResult(checkout.revision, fingerprint, skipped=True)
        state = desired_state(checkout.worktree, source_options)
        sync = _apply(state, kube_factory, sync_options, check) if kube_factory is not None else None
        drift = {unit.key: unit.drift for unit in sync.units} if sync is not None else None

        def recompute(head: Checkout) -> Outputs | None:
            """Outputs for a newer remote head; its drift is unknown until the next cycle applies it."""
            head_options = _source_options(head, settings, options)
            if _sources_digest(source, head.revision, head_options) == fingerprint.sources:
                return None
            return _outputs(desired_state(head.worktree, head_options), None, head_options)

        publication = commit_back.publish(_outputs(state, drift, source_options), checkout, recompute)
    problems = state.problems + _emptiness(state, source_options)
    log.info(
        "cycle.done",
        url=source.display_url,
        revision=checkout.revision,
        units=len(state.units),
        problems=len(problems),
        commit=publication.commit if publication else None,
    )
    return CycleResult(
        revision=checkout.revision,
        fingerprint=fingerprint if sync is None or sync.ok else None,
        skipped=False,
        sync=sync,
        publication=publication,
        problems=problems,
        units=tuple(
            UnitSummary(unit.key, unit.source, unit.target, len(unit.objects), unit.problems)
            for unit in state.units
        ),
    )


def _source_options(
    checkout: Checkout, settings: RepoSettings, options: SourceOptions | None
) -> SourceOptions:
    chosen = options if options is not None else read_repo_config(checkout.worktree)
    return chosen if settings.path is None else replace(chosen, path=settings.path)


def _sources_digest(source: GitSource, revision: str, options: SourceOptions) -> str:
    return source.tree_digest(
        revision, (options.path, REPO_CONFIG_FILE), (options.rendered_dir, options.drift_dir)
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _outputs(
    state: DesiredState, drift: Mapping[UnitKey, UnitDrift] | None, options: SourceOptions
) -> Outputs:
    files = output_files(state, drift, rendered_dir=options.rendered_dir, drift_dir=options.drift_dir)
    return Outputs(files, (options.rendered_dir, options.drift_dir))


def _emptiness(state: DesiredState, options: SourceOptions) -> tuple[Problem, ...]:
    """A source that yields no unit at all is reported (and, per DESIGN, prunes nothing by itself)."""
    if state.units or state.broken_sources:
        return ()
    message = "no cluster files found: nothing rendered, and nothing is pruned unless explicitly allowed"
    return (Problem(file=options.path, message=message),)


def _apply(
    state: DesiredState, kube_factory: KubeFactory, sync_options: SyncOptions | None, check: WriteCheck
) -> SyncResult:
    """Apply through the sync engine (imported here so render-only cycles need no Kubernetes client)."""
    from gitops_ray.sync import SyncOptions, sync_state

    return sync_state(state, kube_factory().with_writes(check=check), sync_options or SyncOptions())
