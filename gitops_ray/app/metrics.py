"""Prometheus metrics of one controller process (its own registry: nothing global)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from gitops_ray.edge.cycle import CycleResult
from gitops_ray.edge.kube.events import EventTally
from gitops_ray.observe.outcome import SyncResult


class Metrics:
    """Prometheus metrics of one controller process (its own registry: nothing global), with the
    standard `process_*` (CPU, memory, open files) and `python_info` series that dashboards expect
    (deploy/monitoring/)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.cycles = Counter(
            "gitops_ray_cycles",
            "Cycles by result (applied, skipped, failed, fenced)",
            ["result"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "gitops_ray_cycle_duration_seconds",
            "Wall time of cycles that did work",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
            registry=self.registry,
        )
        self.last_success = Gauge(
            "gitops_ray_last_success_timestamp_seconds",
            "When a cycle last finished without error",
            registry=self.registry,
        )
        self.units = Gauge("gitops_ray_units", "Units by drift status", ["status"], registry=self.registry)
        self.problems = Gauge(
            "gitops_ray_problems", "Bad inputs found in the last cycle", registry=self.registry
        )
        self.writes = Counter(
            "gitops_ray_cluster_writes", "Writes sent to the API server", registry=self.registry
        )
        self.requests = Counter(
            "gitops_ray_api_requests", "API requests sent, by verb", ["verb"], registry=self.registry
        )
        self.commits = Counter(
            "gitops_ray_commits", "Commits pushed back to the repository", registry=self.registry
        )
        self.changes = Counter(
            "gitops_ray_object_changes",
            "Objects created, updated, recreated or pruned (or, in a dry run, that would be), by action and "
            "by what the live object was (recreated Pods: terminated, immutable, terminating)",
            ["action", "standing"],
            registry=self.registry,
        )
        self.events = Counter(
            "gitops_ray_events",
            "Kubernetes Events posted, by result: created, counted (a repeat raised an Event's count), "
            "failed (logged as event.failed; the cycle goes on)",
            ["result"],
            registry=self.registry,
        )
        self.cluster_info = Gauge(
            "gitops_ray_cluster_info",
            "1 per cluster of the last cycle, with its target, sync state and health (as argocd_app_info)",
            ["namespace", "name", "target", "sync", "health"],
            registry=self.registry,
        )
        self.pod_syncs = Counter(
            "gitops_ray_pod_syncs",
            "Syncs of single clusters between cycles because their Pods were deleted or stopped, by result "
            "(done, failed, fenced)",
            ["result"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "gitops_ray_leader", "1 while this replica holds the Lease", registry=self.registry
        )
        self.git_requests = Counter(
            "gitops_ray_git_requests",
            "Git network requests by operation (clone, fetch, push) and result (ok, timeout, rejected, "
            "auth, unreachable, error)",
            ["operation", "result"],
            registry=self.registry,
        )
        # Series per cluster, as Flux's per-object metrics: few buckets keep it at 12 each (9 buckets, sum,
        # count, created).
        self.cluster_duration = Histogram(
            "gitops_ray_cluster_reconcile_seconds",
            "Wall time a cycle spent on one cluster (its writes, waits for deleted Pods and drift report)",
            ["namespace", "name"],
            buckets=(0.01, 0.05, 0.25, 1, 5, 20, 60, 300),
            registry=self.registry,
        )
        self._timed_clusters: set[tuple[str, str]] = set()

    def git_request(self, operation: str, result: str) -> None:
        """The Git edge's observer (`edge.git.GitRequestObserver`)."""
        self.git_requests.labels(operation, result).inc()

    def record_events(self, tally: EventTally) -> None:
        for result in ("created", "counted", "failed"):
            self.events.labels(result).inc(getattr(tally, result))

    def record(self, result: CycleResult, seconds: float) -> None:
        if result.skipped:
            self.cycles.labels("skipped").inc()
            return
        self.cycles.labels("applied").inc()
        self.duration.observe(seconds)
        self.problems.set(len(result.problems))
        if result.publication is not None:
            self.commits.inc()
        if result.sync is not None:
            self.record_sync(result.sync)
            self.cluster_info.clear()  # a cluster that is gone loses its series
            for unit in result.sync.units:
                if unit.status is not None:
                    self.cluster_info.labels(
                        unit.key.namespace,
                        unit.key.name,
                        unit.status.target,
                        unit.status.sync,
                        unit.status.health.state,
                    ).set(1)
            statuses = [unit.drift.status for unit in result.sync.units]
            for status in ("in-sync", "drifted", "broken", "unknown"):
                self.units.labels(status).set(statuses.count(status))
        if result.sync is None or result.sync.ok:
            self.last_success.set_to_current_time()
        self._record_clusters(result)

    def _record_clusters(self, result: CycleResult) -> None:
        """Each cluster's reconcile time; a cluster no longer in the source loses its series, so the
        series follow the repository (a pruned cluster's last cycle is not observed)."""
        present = {(unit.key.namespace, unit.key.name) for unit in result.units}
        for unit in result.sync.units if result.sync is not None else ():
            labels = (unit.key.namespace, unit.key.name)
            if unit.duration is not None and labels in present:
                self.cluster_duration.labels(*labels).observe(unit.duration)
                self._timed_clusters.add(labels)
        for labels in self._timed_clusters - present:
            self.cluster_duration.remove(*labels)
        self._timed_clusters &= present

    def record_sync(self, sync: SyncResult) -> None:
        """The requests and object changes of a sync, a cycle's or one between cycles (`pod_syncs`)."""
        self.writes.inc(sync.writes)
        for verb, count in sync.requests.items():
            self.requests.labels(verb).inc(count)
        for unit in sync.units:
            for change in unit.changes:
                standing = change.standing.value if change.standing else "retired"
                self.changes.labels(change.action.value, standing).inc()
