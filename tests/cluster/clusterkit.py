"""Building blocks for the API server tests: a RayCluster, a source tree on disk, one sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gitops_ray.edge.apply import SyncOptions, sync_state
from gitops_ray.edge.kube import KubeApi
from gitops_ray.model.objects import KubeObject
from gitops_ray.observe.outcome import SyncResult
from gitops_ray.source.desired import desired_state


def write_source(root: Path, files: dict[str, list[KubeObject]]) -> Path:
    """Write `files` (repo-relative path -> YAML documents) under `root`, replacing what was there."""
    for old in root.rglob("*.yaml"):
        old.unlink()
    for relative, documents in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return root


def sync(root: Path, kube: KubeApi, **options: Any) -> SyncResult:
    """Load `root` and run one cycle with `options` (SyncOptions fields)."""
    return sync_state(desired_state(root), kube, SyncOptions(**options))


def names(kube: KubeApi, kind: str, namespace: str, api_version: str = "v1") -> list[str]:
    """Names of the live objects of a kind, sorted."""
    return sorted(obj["metadata"]["name"] for obj in kube.list_objects(api_version, kind, namespace))


def uids(kube: KubeApi, kind: str, namespace: str) -> dict[str, str]:
    """name -> uid of the live objects of a kind: a changed uid means deleted and created again."""
    return {o["metadata"]["name"]: o["metadata"]["uid"] for o in kube.list_objects("v1", kind, namespace)}


def live(kube: KubeApi, kind: str, namespace: str, name: str) -> KubeObject:
    """One live object (by listing, so tests need no extra client call)."""
    found = [o for o in kube.list_objects("v1", kind, namespace) if o["metadata"]["name"] == name]
    assert found, f"{kind} {namespace}/{name} does not exist"
    return found[0]


def edit_service_label(kube: KubeApi, namespace: str, value: str) -> None:
    """What `kubectl label --overwrite` or `kubectl edit` does to `demo-head-svc`: another field manager
    changes a label gitops-ray sets."""
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "demo-head-svc",
                "namespace": namespace,
                "labels": {"app.kubernetes.io/name": value},
            },
        },
        "kubectl-edit",
    )
