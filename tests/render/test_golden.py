"""Golden files: KubeRay's eight sample clusters rendered by the manifest core, and the example repo's
committed `rendered/`. A difference fails; `scripts/update-golden` rewrites them (review the diff)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from gitops_ray.render import render_raycluster
from gitops_ray.report.files import rendered_files, yaml_stream
from gitops_ray.source.desired import desired_state

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REPO = ROOT / "example-repo"
CLUSTERS = EXAMPLE_REPO / "clusters"
GOLDEN = Path(__file__).resolve().parent / "golden"
# KubeRay's samples, verbatim but for a namespace where two samples would clash in `default` and the
# autoscaler's target annotation (its Pods are KubeRay's to create).
SAMPLES = {
    "autoscaler": "autoscaling/autoscaler.yaml",
    "complete": "default/complete.yaml",
    "custom-head-service": "default/custom-head-service.yaml",
    "external-redis": "redis-ft/external-redis.yaml",
    "head-command": "default/head-command.yaml",
    "overwrite-command": "default/overwrite-command.yaml",
    "sample": "default/sample.yaml",
    "tpu-v4-multihost": "default/tpu-v4-multihost.yaml",
}
UPDATE = os.environ.get("GITOPS_RAY_UPDATE_GOLDEN") == "1"


def check_or_update(path: Path, actual: bytes) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    assert path.is_file(), f"{path} is missing: run scripts/update-golden"
    assert actual.decode() == path.read_text(), (
        f"{path} is stale: run scripts/update-golden and review the diff"
    )


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_kuberay_sample_renders_as_its_golden_file(sample: str) -> None:
    documents = list(yaml.safe_load_all((CLUSTERS / SAMPLES[sample]).read_text()))
    raycluster = next(d for d in documents if d and d.get("kind") == "RayCluster")
    rendered = render_raycluster(raycluster).objects
    check_or_update(GOLDEN / f"{sample}.yaml", yaml_stream(rendered).encode())


def test_example_repo_rendered_dir_is_up_to_date() -> None:
    expected = rendered_files(desired_state(EXAMPLE_REPO), "rendered")
    committed = {
        path.relative_to(EXAMPLE_REPO).as_posix() for path in (EXAMPLE_REPO / "rendered").rglob("*.yaml")
    }
    if not UPDATE:
        assert committed == set(expected), "example-repo/rendered/ is stale: run scripts/update-golden"
    for relative, content in expected.items():
        check_or_update(EXAMPLE_REPO / relative, content)
