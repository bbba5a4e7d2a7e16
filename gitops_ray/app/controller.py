"""The in-cluster controller: poll the repo, sync, commit back, on a schedule; metrics and health over HTTP.

`Controller.tick()` is one poll and knows nothing of time or threads, so tests call it directly; the
scheduler (apscheduler), the HTTP server and the Lease elector are wired around it in `run_controller`.
A cycle is skipped when the sources, the settings and the cluster epoch are unchanged; the epoch moves
every `resync_interval`, so drift in the cluster is found and healed even while Git is quiet. Between
cycles, a watch of the Pods it applied makes the leader sync a cluster whose Pod was deleted or stopped
within seconds (`Controller.sync_pods`, README "Reacting to Pod changes").
"""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler

from gitops_ray import __version__
from gitops_ray.app.http import serve_http
from gitops_ray.app.logs import configure_logging
from gitops_ray.app.memory import limit_malloc_arenas
from gitops_ray.app.metrics import Metrics
from gitops_ray.app.settings import ControllerSettings
from gitops_ray.app.webhook import Webhook, webhook_secret
from gitops_ray.edge.apply import SyncOptions
from gitops_ray.edge.cycle import (
    CycleFingerprint,
    CycleResult,
    KubeFactory,
    StateMemo,
    run_repo_cycle,
    sync_units,
)
from gitops_ray.edge.fencing import Fenced, WriteCheck, unfenced
from gitops_ray.edge.git import RepoSettings, credentials_from_env
from gitops_ray.model.errors import GitopsRayError
from gitops_ray.model.units import DesiredState
from gitops_ray.observe.outcome import SyncResult
from gitops_ray.observe.pod_events import units_of
from gitops_ray.source.render_cache import MemoryRenderCache

if TYPE_CHECKING:
    from gitops_ray.app.pod_syncs import PodSyncs
    from gitops_ray.edge.kube import KubeApi
    from gitops_ray.edge.kube.events import EventRecorder
    from gitops_ray.edge.kube.lease import LeaderElector

log = structlog.get_logger(__name__)


@dataclass
class Controller:
    """One replica's poll loop body. Not thread-safe: `run_controller` runs one tick or `sync_pods` at a
    time."""

    repo: RepoSettings
    settings: ControllerSettings
    kube_factory: KubeFactory | None
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], float] = time.monotonic
    is_leader: Callable[[], bool] = lambda: True
    check: WriteCheck = unfenced  # before every cluster write and push; `Fenced` aborts the cycle
    fingerprint: CycleFingerprint | None = None
    epoch: int = 0
    last_full_cycle: float | None = None
    tick_started: float | None = None
    ticks_done: int = 0
    # Rendered units by content: a resync epoch or a one-file change renders only what changed.
    render_cache: MemoryRenderCache = field(default_factory=MemoryRenderCache)
    state_memo: StateMemo = field(default_factory=StateMemo)
    # Posts each cycle's Kubernetes Events; one per process, so repeats count on the same Event.
    events: EventRecorder | None = None
    # What the last cycle of this leadership rendered, for `sync_pods`; None when there is none to trust.
    desired: DesiredState | None = None
    desired_revision: str = ""  # the commit `desired` was rendered from (statuses and Events say it)
    term: int = 0  # moved by `forget`: a cycle begun before it does not leave its state behind

    @property
    def sync_options(self) -> SyncOptions:
        return SyncOptions(
            dry_run=self.settings.dry_run,
            heal=self.settings.heal,
            allow_empty_prune=self.settings.allow_empty_prune,
            create_namespaces=self.settings.create_namespaces,
            adopt=self.settings.adopt,
            delete_wait=self.settings.delete_wait,
            source_id=self.settings.source_name,
        )

    def tick(self) -> CycleResult | None:
        """One poll; None when standing by or when the cycle failed or was fenced (logged and counted).
        Every line a poll logs carries the same random `cycle` id.

        A fenced cycle keeps no fingerprint, nor does a stand-by: whoever leads next runs a full cycle."""
        if not self.is_leader():
            self.fingerprint = None
            self.forget()
            return None
        with structlog.contextvars.bound_contextvars(cycle=secrets.token_hex(4)):
            return self._tick()

    def forget(self) -> None:
        """Drop the desired state `sync_pods` works from: this replica may have stopped leading, and
        whoever led meanwhile may have applied a newer revision. The next full cycle sets it again."""
        self.desired = None
        self.desired_revision = ""
        self.term += 1

    def _tick(self) -> CycleResult | None:
        """One poll of the leader."""
        now = self.clock()
        term = self.term
        if self.last_full_cycle is not None and now - self.last_full_cycle >= self.settings.resync_interval:
            self.epoch += 1  # a new cluster epoch: the next cycle re-checks the cluster
        self.tick_started = now
        try:
            self.render_cache.cycle()
            result = run_repo_cycle(
                self.repo,
                kube_factory=self.kube_factory,
                sync_options=self.sync_options if self.kube_factory is not None else None,
                previous=self.fingerprint,
                cluster_token=str(self.epoch),
                check=self.check,
                cache=self.render_cache,
                memo=self.state_memo,
                on_git_request=self.metrics.git_request,
                events=self.events,
            )
        except Fenced as error:
            self.fingerprint = None
            self.forget()
            self.metrics.cycles.labels("fenced").inc()
            log.warning("cycle.fenced", reason=str(error))
            return None
        except (GitopsRayError, OSError) as error:
            self.forget()  # it may have applied part of a state it never returned
            self.metrics.cycles.labels("failed").inc()
            log.error("cycle.failed", error=str(error), error_type=type(error).__name__)
            return None
        finally:
            self.tick_started = None
            self.ticks_done += 1
        self.fingerprint = result.fingerprint
        if not result.skipped:
            self.last_full_cycle = now
            if self.term == term:
                self.desired, self.desired_revision = result.state, result.applied_revision
        self.metrics.record(result, self.clock() - now)
        for problem in result.problems:
            log.warning("input.problem", problem=str(problem))
        if result.sync is not None:
            for unit in result.sync.units:
                for problem in unit.errors:
                    log.error("unit.failed", unit=str(unit.key), error=str(problem))
        return result

    def sync_pods(self, applysets: Collection[str]) -> SyncResult | None:
        """Sync the clusters of these ApplySets (their Pods were deleted or stopped) against the desired
        state of the last cycle: only their objects, no inventory retired, nothing committed. None when
        there is nothing to trust or to do: standing by, before the first cycle of this leadership, after
        a failed or fenced one, or when no cluster of the source has these ApplySets."""
        state = self.desired
        if state is None or self.kube_factory is None or not self.is_leader():
            return None
        units = units_of(state, applysets)
        if not units:
            return None
        with structlog.contextvars.bound_contextvars(cycle=secrets.token_hex(4)):
            try:
                sync = sync_units(
                    state,
                    units,
                    self.kube_factory,
                    self.sync_options,
                    self.check,
                    self.desired_revision,
                    self.events,
                    self.state_memo.stamps,
                )
            except Fenced as error:
                self.forget()
                self.metrics.pod_syncs.labels("fenced").inc()
                log.warning("units.fenced", reason=str(error))
                return None
            except (GitopsRayError, OSError) as error:
                self.metrics.pod_syncs.labels("failed").inc()
                log.error("units.failed", error=str(error), error_type=type(error).__name__)
                return None
            self.metrics.pod_syncs.labels("done" if sync.ok else "failed").inc()
            self.metrics.record_sync(sync)
            for unit in sync.units:
                for problem in unit.errors:
                    log.error("unit.failed", unit=str(unit.key), error=str(problem))
        return sync

    def healthy(self, now: float) -> bool:
        """False when a tick has been running far longer than any sane cycle (a hung process)."""
        stuck_after = max(3 * self.settings.interval, 600.0)
        return self.tick_started is None or now - self.tick_started < stuck_after


def repo_settings(settings: ControllerSettings, environ: dict[str, str]) -> RepoSettings:
    """The Git side of the settings; credentials from `GITOPS_RAY_GIT_*` variables or their files."""
    return RepoSettings(
        url=settings.repo,
        ref=settings.ref,
        path=settings.path,
        cache_dir=Path(settings.cache_dir),
        credentials=credentials_from_env(environ),
        author_name=settings.author_name,
        author_email=settings.author_email,
        message_template=settings.message_template,
        push_branch=settings.push_branch,
    )


def user_agent(identity: str) -> str:
    """How this replica's requests appear in the API server's audit log."""
    return f"gitops-ray/{__version__} ({identity})"


def run_controller(settings: ControllerSettings, environ: dict[str, str]) -> int:
    """Run until SIGTERM/SIGINT: poll every `interval`; with leader election, one round on the Lease every
    sixth of its duration, and writes only while the Lease is certainly ours.

    On a signal, writes are fenced at once (the running cycle aborts at its next write or push), the
    running cycle is waited for, and only then is the Lease released: a successor never overlaps us."""
    limit_malloc_arenas(environ)  # before any thread starts
    configure_logging(settings.log_format, settings.log_level)
    secret = webhook_secret(settings, environ)
    agent = user_agent(settings.identity)
    kube_factory: KubeFactory | None = None
    api_client: Any = None
    watch_kube: KubeApi | None = None
    if settings.apply:
        from gitops_ray.edge.kube import connect
        from gitops_ray.edge.kube.client import official_api_client

        kube = connect(settings.kubeconfig, settings.context, user_agent=agent, resend=False)
        kube_factory = lambda: kube  # noqa: E731 (one connection for the process's lifetime)
        if settings.heal and not settings.dry_run:
            # its own pool; no urllib3 retries: the watch retries with its own backoff
            watch_kube = connect(settings.kubeconfig, settings.context, user_agent=agent, resend=False)
        if settings.leader_election:  # no urllib3 retries: the elector's next round is the retry
            api_client = official_api_client(
                settings.kubeconfig, settings.context, user_agent=agent, resend=False
            )
    stopping = threading.Event()
    controller = Controller(repo_settings(settings, environ), settings, kube_factory)
    if kube_factory is not None:
        from gitops_ray.edge.kube.events import EventRecorder

        controller.events = EventRecorder(settings.identity, report=controller.metrics.record_events)
    ready = threading.Event()
    scheduler = BlockingScheduler(timezone="UTC")
    elector: LeaderElector | None = None
    lease_thread: threading.Thread | None = None
    cycle_lock = threading.Lock()  # held by a running cycle; shutdown takes it before releasing the Lease
    pod_syncs: PodSyncs | None = None
    if watch_kube is not None:
        from gitops_ray.app.pod_syncs import PodSyncs

        pod_syncs = PodSyncs(
            watch_kube, controller.sync_pods, lambda: controller.is_leader(), cycle_lock, stopping
        )
    if settings.leader_election:
        from gitops_ray.edge.kube.lease import KubeLeaseStore, LeaderElector, LeaseConfig

        if api_client is None:
            raise SystemExit("leader election needs the cluster: it cannot run with apply off")
        config = LeaseConfig(
            settings.lease_name, settings.lease_namespace, settings.identity, settings.lease_duration
        )
        store = KubeLeaseStore(
            api_client, settings.lease_namespace, settings.lease_name, timeout=config.renew_deadline / 2
        )
        lease_elector = elector = LeaderElector(store, config)

        def lease_round() -> None:
            """One round; when this replica did not lead all along, what it rendered before is forgotten.
            A round that did not renew closes the Pod watch (reopened from its last version once renewed,
            so nothing is missed): the API server may be going away, and its graceful shutdown waits for
            open watches."""
            held, renewed = lease_elector.holds_lease(), lease_elector.last_renew
            leading = lease_elector.try_acquire_or_renew()
            if not (held and leading):
                controller.forget()
            if pod_syncs is not None and lease_elector.last_renew == renewed:
                pod_syncs.watch.interrupt()
            ready.set()

        def lease_rounds() -> None:
            while not stopping.wait(config.retry_period):
                lease_round()

        lease_round()  # before the first poll, which then finds out whether it leads
        controller.is_leader = lease_elector.holds_lease
        # read at scrape time: the gauge drops at the deadline itself, not after a hung renew gives up
        controller.metrics.leader.set_function(lambda: 1.0 if lease_elector.holds_lease() else 0.0)
        lease_thread = threading.Thread(target=lease_rounds, name="lease", daemon=True)
        lease_thread.start()

    def check() -> None:
        if stopping.is_set():
            raise Fenced("stopping: no new writes, the Lease is released once this cycle has ended")
        if elector is not None:
            elector.check()

    controller.check = check

    poll_requested = threading.Event()  # a webhook asked for a poll that has not started yet

    def tick() -> None:
        """One poll. A poll due while a cycle runs is dropped: it never overlaps, the next one is at the
        interval. A webhook's request waits for the running cycle (which may have fetched before the push)
        and then polls once, however many requests came meanwhile."""
        requested = poll_requested.is_set()
        if not cycle_lock.acquire(blocking=requested):
            return
        try:
            if stopping.is_set() or (requested and not poll_requested.is_set()):
                return  # stopping, or the request was served by the poll this one waited for
            poll_requested.clear()
            controller.tick()
        finally:
            cycle_lock.release()
        ready.set()

    def request_poll() -> bool:
        """The webhook: run the poll job now (the scheduler's thread pool runs it); False on a stand-by,
        which has nothing to poll."""
        if not controller.is_leader():
            return False
        if poll_requested.is_set():
            return True  # a poll asked for earlier has not started yet: it serves this request too
        poll_requested.set()
        if scheduler.running:
            scheduler.modify_job("cycle", next_run_time=datetime.now(UTC))
        return True

    server = serve_http(
        settings.metrics_address,
        controller.metrics.registry,
        lambda: controller.healthy(controller.clock()),
        ready,
        Webhook(secret, request_poll) if secret is not None else None,
    )
    scheduler.add_job(
        tick,
        "interval",
        seconds=settings.interval,
        id="cycle",
        name="poll",
        # the running poll, one a webhook asked for (it waits, see tick) and one due at the interval,
        # which returns at once: a webhook's run is never refused for too many instances
        max_instances=3,
        coalesce=True,
        next_run_time=datetime.now(UTC),  # first poll at once (None would pause the job)
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("controller.stopping", signal=signal.Signals(signum).name)
        stopping.set()
        if scheduler.running:  # a second signal while shutting down changes nothing
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "controller.started",
        repo=controller.repo.url,
        ref=settings.ref,
        interval=settings.interval,
        identity=settings.identity,
        webhook=secret is not None,
    )
    if pod_syncs is not None:
        pod_syncs.start()
    try:
        scheduler.start()
    finally:
        stopping.set()
        if pod_syncs is not None:
            pod_syncs.stop()
        if lease_thread is not None:
            lease_thread.join()
        with cycle_lock:  # the running cycle, fenced by `stopping`, has ended: nothing more is written
            if elector is not None:
                elector.release()
        server.shutdown()
        log.info("controller.stopped", identity=settings.identity)
    return 0
