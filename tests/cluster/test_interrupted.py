"""An API server that goes away in the middle of a sync: the next sync converges, nothing lost or doubled.

This test runs its own API server (stopped and restarted with etcd's data kept), not the shared one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clusterkit import live, names, sync, write_source
from testenv import TestEnv
from testkit import raycluster

from gitops_ray.edge.apply import SyncOptions, sync_state
from gitops_ray.model.objects import KubeObject
from gitops_ray.source.desired import desired_state

pytestmark = pytest.mark.apiserver

NAMESPACE = "interrupted"  # does not exist yet: the sync creates it
CLUSTERS = ("alpha", "beta", "gamma")


def test_an_api_server_stopped_mid_sync_then_restarted_converges(
    start_testenv: Callable[[], TestEnv], tmp_path: Path
) -> None:
    env = start_testenv()
    write_source(
        tmp_path, {f"{NAMESPACE}/{name}.yaml": [raycluster(name, NAMESPACE, workers=3)] for name in CLUSTERS}
    )
    kube = env.connect()
    applied = 0
    lock = threading.Lock()
    apply = kube.apply

    def apply_until_the_server_stops(obj: KubeObject, field_manager: str) -> Any:
        nonlocal applied
        with lock:
            applied += 1
            if applied == 8:  # the Namespace, three parents, a few objects: then the API server is gone
                env.stop()
        return apply(obj, field_manager)

    kube.apply = apply_until_the_server_stops  # type: ignore[method-assign]
    interrupted = sync_state(desired_state(tmp_path), kube, SyncOptions())
    env.start()
    kube = env.connect()
    converged = sync(tmp_path, kube)
    settled = sync(tmp_path, kube)

    assert not interrupted.ok
    assert any(
        "API server unreachable" in error.message for unit in interrupted.units for error in unit.errors
    )
    assert converged.ok, converged
    assert names(kube, "Pod", NAMESPACE) == sorted(
        f"{name}-{suffix}"
        for name in CLUSTERS
        for suffix in ("head", *(f"small-worker-{i}" for i in range(3)))
    )
    assert names(kube, "Service", NAMESPACE) == [f"{name}-head-svc" for name in CLUSTERS]
    for name in CLUSTERS:
        members = live(kube, "ConfigMap", NAMESPACE, f"gitops-ray-{name}")["data"]["members"].splitlines()
        assert len(members) == 5, members
    assert settled.writes == 0
