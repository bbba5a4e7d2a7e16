"""Sync benchmark against the real test API server (scripts/k8s-testenv): N clusters of 1 head + 30 workers
+ a Service in one namespace, through four phases:

  first        everything created
  noop         nothing changed: one LIST per kind, zero writes
  one-changed  one cluster's head changed: only its head Pod is recreated
  drift-check  `--no-heal`: drift and health computed, nothing written

Prints one line per phase (then the requests by verb):
  `sync <phase>: <objects> objects, <requests> requests, <writes> writes, <seconds> s`
Rendering happens before the clock starts (bench/render.py measures it).
Targets: noop and drift-check <= 2 s; first >= 200 objects/s; one-changed writes only what changed.
Run: .venv/bin/python bench/sync.py [--clusters N] [--workers W] [--kubeconfig FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from gitops_ray.edge.apply import SyncOptions, sync_state
from gitops_ray.edge.kube import KubeApi, connect
from gitops_ray.model.units import DesiredState
from gitops_ray.observe.outcome import SyncResult
from gitops_ray.source.desired import desired_state

TESTENV = Path(__file__).resolve().parent.parent / "scripts" / "k8s-testenv"
NAMESPACE = "bench"


def cluster(index: int, workers: int, head_cpus: str = "0") -> dict[str, Any]:
    container = {
        "name": "ray",
        "image": "rayproject/ray:2.53.0",
        "resources": {"limits": {"cpu": "2", "memory": "8Gi"}, "requests": {"cpu": "2", "memory": "8Gi"}},
    }
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": f"bench-{index:04d}", "namespace": NAMESPACE},
        "spec": {
            "rayVersion": "2.53.0",
            "headGroupSpec": {
                "rayStartParams": {"num-cpus": head_cpus},
                "template": {"spec": {"containers": [container]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "workers",
                    "replicas": workers,
                    "minReplicas": 0,
                    "maxReplicas": workers,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [container]}},
                }
            ],
        },
    }


def write_source(root: Path, clusters: int, workers: int, changed: int | None = None) -> DesiredState:
    """Write one file per cluster (cluster `changed` gets another head `num-cpus`) and render it all."""
    for index in range(clusters):
        head_cpus = "1" if index == changed else "0"
        path = root / NAMESPACE / f"bench-{index:04d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(cluster(index, workers, head_cpus), sort_keys=False))
    return desired_state(root)


def report(phase: str, state: DesiredState, result: SyncResult, seconds: float) -> None:
    objects = sum(len(unit.objects) for unit in state.units)
    verbs = ", ".join(f"{verb} {count}" for verb, count in result.requests.items())
    failed = [error for unit in result.units for error in unit.errors]
    print(
        f"sync {phase}: {objects} objects, {sum(result.requests.values())} requests, {result.writes} writes, "
        f"{seconds:.2f} s [{verbs}]" + (f" FAILED: {failed[0]}" if failed else ""),
        flush=True,
    )


def timed(state: DesiredState, kube: KubeApi, options: SyncOptions) -> tuple[SyncResult, float]:
    start = time.perf_counter()
    result = sync_state(state, kube, options)
    return result, time.perf_counter() - start


def run(kube: KubeApi, root: Path, clusters: int, workers: int) -> None:
    state = write_source(root, clusters, workers)
    for phase in ("first", "noop"):
        result, seconds = timed(state, kube, SyncOptions())
        report(phase, state, result, seconds)
    changed = write_source(root, clusters, workers, changed=clusters // 2)
    result, seconds = timed(changed, kube, SyncOptions())
    report("one-changed", changed, result, seconds)
    result, seconds = timed(changed, kube, SyncOptions(heal=False))
    report("drift-check", changed, result, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--workers", type=int, default=30)
    parser.add_argument("--kubeconfig", help="use this cluster instead of starting a test API server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gitops-ray-bench-") as tmp:
        root = Path(tmp) / "source"
        if args.kubeconfig:
            run(connect(args.kubeconfig, None), root, args.clusters, args.workers)
            return
        rundir = Path(tmp) / "k8s"
        up = subprocess.run([str(TESTENV), "up", str(rundir)], capture_output=True, text=True, check=True)
        try:
            run(connect(up.stdout.strip().splitlines()[-1], None), root, args.clusters, args.workers)
        finally:
            subprocess.run([str(TESTENV), "down", str(rundir)], check=True)


if __name__ == "__main__":
    main()
