"""The real Kubernetes API server for tests marked `apiserver`: built once per machine (cached by
scripts/k8s-testenv), started once per session on free 127.0.0.1 ports, stopped at the end."""

from __future__ import annotations

import json
import re
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_ray.edge.kube import KubeApi, connect

TESTENV_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "k8s-testenv"


def _testenv(*args: str) -> str:
    """Run scripts/k8s-testenv; its last line of output is the answer (bin dir, kubeconfig path)."""
    done = subprocess.run([str(TESTENV_SCRIPT), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/k8s-testenv {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


class TestEnv:
    """One etcd + kube-apiserver + kube-controller-manager. `stop()` then `start()` restarts the same
    cluster (etcd's data, address and token kept: a kubeconfig stays valid). Every write request is
    audited: `audit_events()` lists them as the API server saw them."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, rundir: Path) -> None:
        self.rundir = rundir
        self.kubeconfig = ""

    def start(self) -> None:
        self.kubeconfig = _testenv("up", str(self.rundir))

    def stop(self) -> None:
        _testenv("down", str(self.rundir))

    def connect(self) -> KubeApi:
        """A fresh admin client (its request counters start at zero)."""
        return connect(self.kubeconfig, None)

    def audit_events(self) -> list[dict[str, Any]]:
        """Every audited write so far (create, update, patch, delete, deletecollection), in log order:
        `userAgent`, `verb`, `objectRef`, `requestReceivedTimestamp`, `stageTimestamp`, ..."""
        log = self.rundir / "audit.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return [json.loads(line) for line in lines if line.endswith("}")]  # a last line may be half-written


@pytest.fixture(scope="session")
def start_testenv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], TestEnv]]:
    """Factory: each call starts one more API server; all are stopped when the session ends."""
    _testenv("build")
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
