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
        self.cluster_info = Gauge(
            "gitops_ray_cluster_info",
            "1 per cluster of the last cycle, with its target, sync state and health (as argocd_app_info)",
            ["namespace", "name", "target", "sync", "health"],
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
            self.writes.inc(result.sync.writes)
            for verb, count in result.sync.requests.items():
                self.requests.labels(verb).inc(count)
            for unit in result.sync.units:
                for change in unit.changes:
                    standing = change.standing.value if change.standing else "retired"
                    self.changes.labels(change.action.value, standing).inc()
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
