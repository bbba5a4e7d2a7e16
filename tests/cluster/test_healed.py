"""A cycle counts as healed what it wrote to repair drift (an object someone deleted or edited), not what a
Git change asked for: the `healed` figure of the cycle's log line, on a real API server."""

from __future__ import annotations

from pathlib import Path

import pytest
from clusterkit import edit_service_label, live, sync, write_source
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.apiserver


def test_a_pod_someone_deleted_and_a_service_someone_edited_are_healed(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube)
    kube.delete(live(kube, "Pod", namespace, "demo-small-worker-0"))
    edit_service_label(kube, namespace, "edited")

    result = sync(tmp_path, kube, delete_wait=5)

    assert (result.counts.created, result.counts.updated, result.healed) == (1, 1, 2)
    assert sorted(str(ref) for unit in result.units for ref in unit.healed) == [
        f"Pod {namespace}/demo-small-worker-0",
        f"Service {namespace}/demo-head-svc",
    ]


def test_objects_a_git_change_adds_are_not_healed(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync(tmp_path, kube)
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})

    result = sync(tmp_path, kube)

    assert (result.counts.created, result.healed) == (1, 0)
