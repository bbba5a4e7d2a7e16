"""Building blocks for the fault-injection tests: the real `gitops-ray` process, source trees on disk, a real
bare Git remote, snapshots of everything in a namespace, and a reduced-permission identity.

Every process runs `python -m gitops_ray` with this interpreter and environment (so PYTHONPATH selects
the code under test), every address is 127.0.0.1, every wait is bounded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes.client import CoreV1Api
from kubernetes.config import new_client_from_config
from testkit import GIT_ENV

from gitops_ray.edge.kube import KubeApi
from gitops_ray.model.objects import KubeObject

NEW_IMAGE = "rayproject/ray:2.53.0-py312"
SOURCE_ID_ANNOTATION = "gitops-ray.io/source-id"
# Everything a namespace may hold in these tests: what gitops-ray renders and what the cluster adds.
SNAPSHOT_KINDS = (
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Endpoints"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
)
Snapshot = dict[str, tuple[str, str]]  # "Kind name" -> (uid, resourceVersion)


# --- sources ------------------------------------------------------------------------------------------


def write_files(root: Path, files: dict[str, list[KubeObject]]) -> Path:
    """Make the YAML files under `root` exactly `files` (repo-relative path -> documents)."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.rglob("*.yaml"):
        if ".git" not in old.parts:
            old.unlink()
    for relative, documents in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return root


# --- the real CLI -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A finished `gitops-ray` process."""

    status: int
    out: str
    err: str
    seconds: float

    def lines(self) -> list[str]:
        return self.out.splitlines()

    def __str__(self) -> str:  # shown in assertion messages
        return f"exit {self.status} after {self.seconds:.1f} s\n--- stdout\n{self.out}--- stderr\n{self.err}"


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "gitops_ray", *args]


def cli_env() -> dict[str, str]:
    return {**os.environ, **GIT_ENV}


def gitops_ray(*args: str, timeout: float = 120) -> Run:
    """Run `gitops-ray ARGS` to completion (bounded) and capture what it printed."""
    started = time.monotonic()
    done = subprocess.run(
        cli_command(*args), capture_output=True, text=True, env=cli_env(), timeout=timeout, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def line_starting(run: Run, prefix: str) -> str:
    """The one stdout line starting with `prefix` ("" when there is none)."""
    found = [line for line in run.lines() if line.startswith(prefix)]
    assert len(found) <= 1, f"more than one line starts with {prefix!r}:\n{run}"
    return found[0] if found else ""


# --- the live cluster ---------------------------------------------------------------------------------


def snapshot(kube: KubeApi, namespace: str) -> Snapshot:
    """uid and resourceVersion of every object of SNAPSHOT_KINDS in the namespace (read from etcd)."""
    found: Snapshot = {}
    for api_version, kind in SNAPSHOT_KINDS:
        for obj in kube.list_objects(api_version, kind, namespace):
            meta = obj["metadata"]
            found[f"{kind} {meta['name']}"] = (str(meta["uid"]), str(meta["resourceVersion"]))
    return found


def settled_snapshot(kube: KubeApi, namespace: str, seconds: float = 15) -> Snapshot:
    """A snapshot once the cluster's own controllers (tokens, endpoints, root CA) stopped writing: two
    snapshots one second apart agree."""
    deadline = time.monotonic() + seconds
    previous = snapshot(kube, namespace)
    while time.monotonic() < deadline:
        time.sleep(1)
        current = snapshot(kube, namespace)
        if current == previous:
            return current
        previous = current
    raise AssertionError(f"namespace {namespace} kept changing for {seconds} s")


def uids(kube: KubeApi, kind: str, namespace: str) -> dict[str, str]:
    """name -> uid of the live objects of a kind: a changed uid means deleted and created again."""
    return {o["metadata"]["name"]: o["metadata"]["uid"] for o in kube.list_objects("v1", kind, namespace)}


def cluster_uids(kube: KubeApi, namespace: str, cluster: str) -> dict[str, str]:
    """uids of a cluster's Pods, Services and inventory parent (`gitops-ray-<cluster>`)."""
    found = {}
    for kind in ("Pod", "Service", "ConfigMap"):
        for name, uid in uids(kube, kind, namespace).items():
            if name.startswith(f"{cluster}-") or name == f"gitops-ray-{cluster}":
                found[f"{kind} {name}"] = uid
    return found


def images(kube: KubeApi, namespace: str) -> dict[str, str]:
    """Pod name -> image of its first container."""
    return {
        pod["metadata"]["name"]: pod["spec"]["containers"][0]["image"]
        for pod in kube.list_objects("v1", "Pod", namespace)
    }


def source_id(kube: KubeApi, namespace: str, cluster: str) -> str:
    """The source identity recorded on a cluster's inventory parent ("" when absent)."""
    parent = kube.get("v1", "ConfigMap", namespace, f"gitops-ray-{cluster}")
    assert parent is not None, f"no inventory parent gitops-ray-{cluster} in {namespace}"
    return str((parent["metadata"].get("annotations") or {}).get(SOURCE_ID_ANNOTATION) or "")


def core_api(kubeconfig: str) -> CoreV1Api:
    """The official client, for what a kubelet or a person does (status, finalizers, deletes)."""
    return CoreV1Api(new_client_from_config(kubeconfig))


def wait_for(condition: Callable[[], bool], seconds: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not met within {seconds} s")


# --- Git ----------------------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    """Run git as a user would (not through gitops-ray) and return its stdout."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout.strip()


def bare_remote_with_clone(tmp_path: Path) -> tuple[Path, Path]:
    """A bare repository (branch main) and a user's clone of it."""
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", "remote.git")
    git(tmp_path, "clone", "--quiet", str(tmp_path / "remote.git"), "user")
    git(tmp_path / "user", "symbolic-ref", "HEAD", "refs/heads/main")
    return tmp_path / "remote.git", tmp_path / "user"


def commit_and_push(clone: Path, message: str) -> None:
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "-m", message)
    git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str) -> str:
    """The body of a GET ("" while nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except (OSError, urllib.error.URLError):
        return ""


# --- a reduced-permission identity --------------------------------------------------------------------


def without_configmap_writes(name: str) -> list[KubeObject]:
    """deploy/rbac.yaml under another name, its ClusterRole allowed to read ConfigMaps but not to write them
    (so no inventory parent can be created)."""
    rbac_yaml = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
    objects = [doc for doc in yaml.safe_load_all(rbac_yaml.read_text()) if doc]
    for obj in objects:
        obj["metadata"]["name"] = name
        if obj["kind"] == "ClusterRoleBinding":
            obj["roleRef"]["name"] = name
            obj["subjects"][0]["name"] = name
        if obj["kind"] == "ClusterRole":
            for rule in obj["rules"]:
                rule["resources"] = [r for r in rule["resources"] if r != "configmaps"]
            obj["rules"].append({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]})
    return objects
