"""The real Kubernetes API server for tests marked `apiserver`: built once per machine (cached by
scripts/k8s-testenv), started once per session on free 127.0.0.1 ports, stopped at the end."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator

import pytest
from testenv import TestEnv, build

from gitops_ray.edge.kube import KubeApi


@pytest.fixture(scope="session")
def start_testenv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], TestEnv]]:
    """Factory: each call starts one more API server; all are stopped when the session ends."""
    build()
    started: list[TestEnv] = []

    def start() -> TestEnv:
        env = TestEnv(tmp_path_factory.mktemp("k8s-testenv"))
        started.append(env)
        env.start()
        return env

    yield start
    for env in started:
        env.stop()


@pytest.fixture(scope="session")
def apiserver(start_testenv: Callable[[], TestEnv]) -> TestEnv:
    """The session's shared API server; tests isolate themselves with a namespace each."""
    return start_testenv()


@pytest.fixture
def apiserver_kubeconfig(apiserver: TestEnv) -> str:
    """Path of the shared API server's admin kubeconfig (for tests that run the CLI or derive identities)."""
    return apiserver.kubeconfig


@pytest.fixture
def kube(apiserver: TestEnv) -> KubeApi:
    """An admin client on the shared API server, with its own request counters."""
    return apiserver.connect()


@pytest.fixture
def namespace(apiserver: TestEnv, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test; afterwards it goes, with the inventories in it first (so no later
    sync, which sees every inventory in the cluster, prunes or reports another test's units)."""
    admin = apiserver.connect()
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{slug}-{zlib.crc32(request.node.nodeid.encode()) % 100_000:05d}"
    admin.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, "test-setup")
    yield name
    for parent in admin.inventory_parents():
        if parent["metadata"]["namespace"] == name:
            admin.delete(parent)
    admin.delete({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
