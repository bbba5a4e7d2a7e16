"""Render benchmark: N generated clusters (1 head + G groups of W workers) rendered in-process.

Prints `render: <clusters> clusters, <objects> objects, <objects/s> objects/s, peak RSS <MB> MB`.
Target: >= 20,000 objects/s on one core and < 300 MB for the default 1,000 clusters.
Rendering is single-threaded, so objects/s is measured against the process's CPU time (one core),
which stays meaningful on a shared machine; the wall time is printed on a second line.
Run: .venv/bin/python bench/render.py [--clusters N] [--groups G] [--workers W]
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

from gitops_ray.model.units import Unit, UnitKey
from gitops_ray.render.options import RenderOptions
from gitops_ray.source.desired import render_unit


def container(name: str, cpu: str, memory: str, gpus: int = 0) -> dict[str, Any]:
    limits: dict[str, Any] = {"cpu": cpu, "memory": memory}
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
    return {
        "name": name,
        "image": "rayproject/ray:2.53.0",
        "resources": {"limits": limits, "requests": {"cpu": cpu, "memory": memory}},
        "env": [{"name": "TEAM", "value": "ml"}],
    }


def generated_cluster(index: int, groups: int, workers: int) -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": f"bench-{index:05d}", "namespace": "bench"},
        "spec": {
            "rayVersion": "2.53.0",
            "headGroupSpec": {
                "rayStartParams": {"num-cpus": "0"},
                "template": {"spec": {"containers": [container("ray-head", "2", "8Gi")]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": f"group-{group}",
                    "replicas": workers,
                    "minReplicas": 0,
                    "maxReplicas": workers * 2,
                    "rayStartParams": {},
                    "template": {
                        "spec": {"containers": [container("ray-worker", "4", "16Gi", gpus=group % 2)]}
                    },
                }
                for group in range(groups)
            ],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--workers", type=int, default=10)
    args = parser.parse_args()
    units = [
        Unit(
            key=UnitKey("bench", f"bench-{i:05d}"),
            source=f"clusters/bench/bench-{i:05d}.yaml",
            raycluster=generated_cluster(i, args.groups, args.workers),
            document=0,
        )
        for i in range(args.clusters)
    ]
    options = RenderOptions()
    started, started_cpu = time.perf_counter(), time.process_time()
    objects = 0
    for unit in units:
        rendered = render_unit(unit, options)
        if not rendered.ok:
            raise SystemExit(f"bench cluster failed to render: {rendered.problems[0]}")
        objects += len(rendered.objects)
    cpu = time.process_time() - started_cpu
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"render: {args.clusters} clusters, {objects} objects, {objects / cpu:,.0f} objects/s, "
        f"peak RSS {peak_mb:.0f} MB"
    )
    print(f"render wall time: {wall:.2f} s ({objects / wall:,.0f} objects/s on this machine now)")


if __name__ == "__main__":
    main()
