"""One repository cycle: fetch -> desired state -> optional apply -> report files -> commit-back.

The shell around the pure core for one repo: `sync --once` runs it once, the controller on every poll. A cycle
whose fingerprint (sources, settings, cluster state) equals the previous one is skipped before rendering, so
the controller's own commits, which touch only the output directories, never cause another render.

While the remote is unreachable a cycle goes on with the revision it last fetched: it renders and applies
(so each new cluster epoch still heals drift) but commits nothing; its fingerprint says so, and the first
cycle after the remote is back runs in full and commits.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from gitops_ray.edge.fencing import WriteCheck, unfenced
from gitops_ray.edge.git import (
    Checkout,
    CommitBack,
    GitRequestObserver,
    GitSource,
    Outputs,
    Publication,
    RemoteUnavailable,
    RepoSettings,
    ignore_request,
)
from gitops_ray.model.ownership import source_identity
from gitops_ray.model.units import DesiredState, Problem, UnitKey
from gitops_ray.observe.events import cycle_events
from gitops_ray.reconcile.stamp import StampMemo
from gitops_ray.report.files import output_files
from gitops_ray.source.config import REPO_CONFIG_FILE, SourceOptions, read_repo_config
from gitops_ray.source.desired import desired_state
from gitops_ray.source.render_cache import RenderCache

if TYPE_CHECKING:
    from gitops_ray.edge.apply import SyncOptions
    from gitops_ray.edge.kube import KubeApi
    from gitops_ray.edge.kube.events import EventRecorder
    from gitops_ray.observe.drift import UnitDrift
    from gitops_ray.observe.outcome import SyncResult

log = structlog.get_logger(__name__)

CYCLE_COUNTS = ("created", "updated", "recreated", "pruned", "failed", "pending", "conflicts")

KubeFactory = Callable[[], "KubeApi"]
"""Opens the cluster connection; only called when a cycle applies."""


@dataclass(frozen=True)
class CycleFingerprint:
    """What a cycle's result depends on: `sources` the source path and the repo config (output directories
    excluded), `config` the controller-side settings, `cluster` the caller's cluster-state token, `offline`
    whether the remote was unreachable (nothing was committed, so the first cycle after it is back runs)."""

    sources: str
    config: str
    cluster: str
    offline: bool = False


@dataclass
class StateMemo:
    """The last cycle's desired state and the sources and settings it came from. A cycle whose sources and
    settings are the same (every resync epoch while Git is quiet) takes it as it is, instead of loading,
    grouping and keying every file again: the desired state is a pure function of those two digests."""

    sources: str = ""
    config: str = ""
    state: DesiredState | None = None
    stamps: StampMemo = field(default_factory=StampMemo)  # the state's objects stamped, for every cycle

    def get(self, fingerprint: CycleFingerprint) -> DesiredState | None:
        same = (self.sources, self.config) == (fingerprint.sources, fingerprint.config)
        return replace(self.state, rendered=0) if same and self.state is not None else None

    def put(self, fingerprint: CycleFingerprint, state: DesiredState) -> None:
        self.sources, self.config, self.state = fingerprint.sources, fingerprint.config, state


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
    failed somewhere or left a recreate pending, so the next cycle retries even if nothing changed);
    `skipped`: nothing to do (same fingerprint as `previous`); `sync`: what the apply did (None when not
    applying); `publication`: the pushed commit (None when the outputs did not change or the cycle was
    skipped); `problems`: bad input;
    `offline`: why the remote was unreachable when the cycle went on with the last fetched revision (nothing
    was committed), None when it was reachable; `state`: the desired state it rendered (None when
    skipped), which the controller syncs single units against between cycles (`sync_units`)."""

    revision: str
    fingerprint: CycleFingerprint | None
    skipped: bool
    sync: SyncResult | None = None
    publication: Publication | None = None
    problems: tuple[Problem, ...] = ()
    units: tuple[UnitSummary, ...] = ()
    offline: str | None = None
    state: DesiredState | None = field(default=None, compare=False, repr=False)
    applied_revision: str = ""  # the newest commit that changed the applied sources (statuses, Events)

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
    cache: RenderCache | None = None,
    memo: StateMemo | None = None,
    on_git_request: GitRequestObserver = ignore_request,
    events: EventRecorder | None = None,
) -> CycleResult:
    """Run one cycle for `settings.url`; raises GitSourceError (remote, ref, push) or ConfigError.

    `options` replaces the repo's own `gitops-ray.yaml` (None: read it from each checkout); `settings.path`
    overrides its path. With `kube_factory` the desired state is applied (`edge.apply`) and drift is
    reported; without it the cycle renders and commits back only. A failure leaves the remote as it was.
    An unreachable remote raises RemoteUnavailable only when no revision of the ref was ever fetched;
    otherwise the cycle goes on offline with the last fetched one (`CycleResult.offline`).
    `check` runs before every cluster write and every push; `Fenced` from it aborts the cycle. With
    `cache`, units (and their rendered files) whose inputs did not change are not rendered again; with
    `memo`, a cycle over the same sources and settings as the last one reuses its desired state.
    `on_git_request` is told of every clone, fetch and push with its result (the controller's metrics).
    With `events`, the apply posts its Kubernetes Events (`observe.events`) with the revision.
    """
    started = time.monotonic()
    applying = kube_factory is not None
    empty_prune = sync_options.allow_empty_prune if sync_options is not None else False
    with GitSource(settings, on_git_request) as source:
        checkout, offline = _checkout(source)
        commit_back = CommitBack(source, check=check)
        commit_back.branch_for(checkout)  # fail before applying when there is nowhere to commit back
        source_options = _source_options(checkout, settings, options)
        fingerprint = CycleFingerprint(
            sources=_sources_digest(source, checkout.revision, source_options),
            config=_digest(repr((settings, options, sync_options, applying))),
            cluster=cluster_token,
            offline=offline is not None,
        )
        if _unchanged(fingerprint, previous):
            log.info(
                "cycle.skipped",
                url=source.display_url,
                revision=checkout.revision,
                duration_seconds=_seconds_since(started),
                **_counts(None),
            )
            return CycleResult(checkout.revision, previous, skipped=True, offline=offline)
        applied = _source_revision(source, checkout.revision, source_options) if applying else ""
        state = memo.get(fingerprint) if memo is not None else None
        if state is None:
            state = _desired_state(checkout, settings, source_options, cache)
            if memo is not None:
                memo.put(fingerprint, state)
        sync = (
            _apply(
                state, kube_factory, sync_options, check, applied, events, None, memo.stamps if memo else None
            )
            if kube_factory is not None
            else None
        )
        drift = {unit.key: unit.drift for unit in sync.units} if sync is not None else None

        def recompute(head: Checkout) -> Outputs | None:
            """Outputs for a newer remote head; its drift is unknown until the next cycle applies it."""
            head_options = _source_options(head, settings, options)
            if _sources_digest(source, head.revision, head_options) == fingerprint.sources:
                return None
            head_state = _desired_state(head, settings, head_options, cache)
            return _outputs(head_state, None, head_options, head.worktree, empty_prune, cache)

        publication = None
        if offline is None:
            outputs = _outputs(
                state, drift, source_options, commit_back.previous_outputs(checkout), empty_prune, cache
            )
            publication = commit_back.publish(outputs, checkout, recompute)
    problems = state.problems + _emptiness(state, source_options)
    if sync is not None:
        _log_changes(sync, sync_options.dry_run if sync_options is not None else False)
    log.info(
        "cycle.done",
        url=source.display_url,
        revision=checkout.revision,
        duration_seconds=_seconds_since(started),
        **_counts(sync),
        units=len(state.units),
        rendered=state.rendered,
        problems=len(problems),
        commit=publication.commit if publication else None,
        offline=offline is not None,
    )
    return CycleResult(
        revision=checkout.revision,
        fingerprint=fingerprint if sync is None or (sync.ok and sync.settled) else None,
        skipped=False,
        sync=sync,
        publication=publication,
        problems=problems,
        units=tuple(
            UnitSummary(unit.key, unit.source, unit.target, len(unit.objects), unit.problems)
            for unit in state.units
        ),
        offline=offline,
        state=state,
        applied_revision=applied,
    )


def sync_units(
    state: DesiredState,
    units: Collection[UnitKey],
    kube_factory: KubeFactory,
    sync_options: SyncOptions,
    check: WriteCheck = unfenced,
    revision: str = "",
    events: EventRecorder | None = None,
    stamps: StampMemo | None = None,
) -> SyncResult:
    """Sync `units` only, against `state` as a cycle rendered it from `revision`: the controller's answer to
    a Pod that was deleted or stopped (README "Reacting to Pod changes"). Nothing is fetched, rendered or
    committed: the next cycle refreshes `drift/`; statuses and Events are those of a cycle. Logs a line per
    object written, then `units.synced` with the counts."""
    started = time.monotonic()
    sync = _apply(state, kube_factory, sync_options, check, revision, events, units, stamps)
    _log_changes(sync, sync_options.dry_run)
    log.info(
        "units.synced",
        units=sorted(str(key) for key in units),
        duration_seconds=_seconds_since(started),
        **_counts(sync),
    )
    return sync


def _seconds_since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def _counts(sync: SyncResult | None) -> dict[str, int]:
    """The figures of a cycle's summary line (all 0 when nothing was applied); `healed` are the created,
    updated and recreated objects that repaired drift rather than carried a Git change."""
    counts = sync.counts if sync is not None else None
    figures = {name: getattr(counts, name) if counts else 0 for name in CYCLE_COUNTS}
    return {**figures, "healed": sync.healed if sync is not None else 0}


def _log_changes(sync: SyncResult, dry_run: bool) -> None:
    """One line per object written (or, in a dry run, that would be): `object.create`, `.update`,
    `.recreate`, `.prune`, with `result` done, failed or pending (a recreate waiting for its old object)."""
    for unit in sync.units:
        for change in unit.changes:
            result = (
                "failed"
                if change.ref in unit.failed
                else "pending"
                if change.ref in unit.deferred
                else "done"
            )
            (log.warning if result == "failed" else log.info)(
                f"object.{change.action.value}",
                unit=str(unit.key),
                object=str(change.ref),
                reason=change.reason,
                standing=change.standing.value if change.standing else None,
                healed=change.ref in unit.healed,
                result=result,
                dry_run=dry_run,
            )


def _unchanged(fingerprint: CycleFingerprint, previous: CycleFingerprint | None) -> bool:
    """Nothing to do: the same fingerprint, or, offline, what a cycle with the remote reachable already
    did and committed (then `previous` stays, so a remote that comes back changes nothing either)."""
    if previous is None:
        return False
    return fingerprint == previous or (
        fingerprint.offline and replace(fingerprint, offline=False) == previous
    )


def _checkout(source: GitSource) -> tuple[Checkout, str | None]:
    """The fetched ref, or, while the remote is unreachable, the revision last fetched with the reason.
    Without any earlier fetch there is nothing to go on: RemoteUnavailable."""
    try:
        return source.sync(), None
    except RemoteUnavailable as error:
        last = source.last_fetched()
        if last is None:
            raise
        log.warning(
            "git.unreachable",
            url=source.display_url,
            error=str(error),
            revision=last.revision,
            action="applying the last fetched revision; nothing is committed until the remote is back",
        )
        return last, str(error)


def _source_options(
    checkout: Checkout, settings: RepoSettings, options: SourceOptions | None
) -> SourceOptions:
    chosen = options if options is not None else read_repo_config(checkout.worktree)
    return chosen if settings.path is None else replace(chosen, path=settings.path)


def _desired_state(
    checkout: Checkout, settings: RepoSettings, options: SourceOptions, cache: RenderCache | None
) -> DesiredState:
    """The desired state of a checkout, owned by `<repository URL>#<cluster path>`: the same identity
    whichever cache directory or replica renders it, and the one `sync --once` gives a clone of it."""
    return desired_state(checkout.worktree, options, source_identity(settings.url, options.path), cache)


def _source_revision(source: GitSource, revision: str, options: SourceOptions) -> str:
    """The commit whose sources are applied: the newest that touched the source path or the repo config."""
    return source.last_change(
        revision, (options.path, REPO_CONFIG_FILE), (options.rendered_dir, options.drift_dir)
    )


def _sources_digest(source: GitSource, revision: str, options: SourceOptions) -> str:
    return source.tree_digest(
        revision, (options.path, REPO_CONFIG_FILE), (options.rendered_dir, options.drift_dir)
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _outputs(
    state: DesiredState,
    drift: Mapping[UnitKey, UnitDrift] | None,
    options: SourceOptions,
    previous_tree: Path | None,
    allow_empty_prune: bool,
    cache: RenderCache | None = None,
) -> Outputs:
    """The output files; the previous commit's rendered files (in `previous_tree`) keep held clusters,
    so they are read only when some may be held (a broken file, or a source that came back empty)."""
    holding = bool(state.broken_files) or (not state.units and not allow_empty_prune)
    files = output_files(
        state,
        drift,
        rendered_dir=options.rendered_dir,
        drift_dir=options.drift_dir,
        previous=_rendered_files_in(previous_tree, options.rendered_dir) if previous_tree and holding else {},
        allow_empty_prune=allow_empty_prune,
        cache=cache,
    )
    return Outputs(files, (options.rendered_dir, options.drift_dir))


def _rendered_files_in(tree: Path, rendered_dir: str) -> dict[str, bytes]:
    """`<rendered_dir>/<namespace>/<name>.yaml` files of a work tree by repo-relative path. Symbolic links
    are skipped: whatever they point at must never be copied into a commit."""
    root = tree / rendered_dir
    if root.is_symlink() or not root.is_dir() or not root.resolve().is_relative_to(tree.resolve()):
        return {}
    return {
        f"{rendered_dir}/{path.parent.name}/{path.name}": path.read_bytes()
        for path in sorted(root.glob("*/*.yaml"))
        if not path.is_symlink() and not path.parent.is_symlink() and path.is_file()
    }


def _emptiness(state: DesiredState, options: SourceOptions) -> tuple[Problem, ...]:
    """A source that yields no unit at all is reported (and prunes nothing by itself: see `plan_state`)."""
    if state.units or state.broken_sources:
        return ()
    message = "no cluster files found: nothing rendered, and nothing is pruned unless explicitly allowed"
    return (Problem(file=options.path, message=message),)


def _apply(
    state: DesiredState,
    kube_factory: KubeFactory,
    sync_options: SyncOptions | None,
    check: WriteCheck,
    revision: str,
    events: EventRecorder | None,
    only: Collection[UnitKey] | None = None,
    stamps: StampMemo | None = None,
) -> SyncResult:
    """Apply through the sync engine (imported here so render-only cycles need no Kubernetes client), then
    post the cycle's Events through the same fenced client (a dry run's client posts none); `revision`
    goes into each cluster's status and its Events."""
    from gitops_ray.edge.apply import SyncOptions, sync_state

    options = replace(sync_options or SyncOptions(), revision=revision)
    kube = kube_factory().with_writes(check=check)
    sync = sync_state(state, kube, options, only, stamps)
    if events is not None:
        wrote = options.heal and not options.dry_run
        events.post(kube.with_writes(dry_run=options.dry_run), cycle_events(sync, state, revision, wrote))
    return sync
