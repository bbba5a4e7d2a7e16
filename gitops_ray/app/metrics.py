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
            statuses = [unit.drift.status for unit in result.sync.units]
            for status in ("in-sync", "drifted", "broken", "unknown"):
                self.units.labels(status).set(statuses.count(status))
        if result.sync is None or result.sync.ok:
            self.last_success.set_to_current_time()

    def record_sync(self, sync: SyncResult) -> None:
        """The requests and object changes of a sync, a cycle's or one between cycles (`pod_syncs`)."""
        self.writes.inc(sync.writes)
        for verb, count in sync.requests.items():
            self.requests.labels(verb).inc(count)
        for unit in sync.units:
            for change in unit.changes:
                standing = change.standing.value if change.standing else "retired"
                self.changes.labels(change.action.value, standing).inc()
