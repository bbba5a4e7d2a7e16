"""The real Kubernetes API server of the tests (scripts/k8s-testenv), as a class tests can import from any
folder (tests/ is on sys.path through its conftest; importing `conftest` itself would depend on which
folder's conftest was loaded first)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

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


def build() -> None:
    """Build (once per machine, cached) the API server binaries."""
    _testenv("build")
