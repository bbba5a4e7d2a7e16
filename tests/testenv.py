"""The real Kubernetes API server of the tests (scripts/k8s-testenv), as a class tests can import from any
folder (tests/ is on sys.path through its conftest; importing `conftest` itself would depend on which
folder's conftest was loaded first)."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from gitops_ray.edge.kube import KubeApi, connect
from gitops_ray.model.objects import KubeObject

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


def identity_kubeconfig(admin: KubeApi, admin_kubeconfig: str, rbac: list[KubeObject], out: Path) -> str:
    """Install `rbac` (a ServiceAccount, its roles and bindings; its namespace is created) and write to
    `out` a kubeconfig that authenticates with the token kube-controller-manager issues for the account."""
    account = next(obj for obj in rbac if obj["kind"] == "ServiceAccount")
    name, namespace = account["metadata"]["name"], account["metadata"]["namespace"]
    admin.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, "test-setup")
    for obj in rbac:
        admin.apply(obj, "test-setup")
    token = ""
    deadline = time.monotonic() + 30
    while not token and time.monotonic() < deadline:  # the token controller issues it asynchronously
        for secret in admin.list_objects("v1", "Secret", namespace):
            annotations = secret["metadata"].get("annotations") or {}
            data = secret.get("data") or {}
            if annotations.get("kubernetes.io/service-account.name") == name and data.get("token"):
                token = base64.b64decode(data["token"]).decode()
        if not token:
            time.sleep(0.2)
    assert token, f"no token for ServiceAccount {namespace}/{name} after 30 s"
    config = yaml.safe_load(Path(admin_kubeconfig).read_text())
    config["users"] = [{"name": name, "user": {"token": token}}]
    config["contexts"][0]["context"]["user"] = name
    out.write_text(yaml.safe_dump(config))
    return str(out)
