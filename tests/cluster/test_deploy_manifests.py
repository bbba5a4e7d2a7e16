"""deploy/ is what operators apply: every document must be accepted by a real API server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.apiserver

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("manifest", ["rbac.yaml", "controller.yaml"])
def test_every_deploy_document_passes_a_server_side_dry_run(kube: KubeApi, manifest: str) -> None:
    documents = [d for d in yaml.safe_load_all((DEPLOY / manifest).read_text()) if d]
    controller_docs = yaml.safe_load_all((DEPLOY / "controller.yaml").read_text())
    namespace = next(d for d in controller_docs if d and d["kind"] == "Namespace")
    kube.apply(namespace, "test-setup")  # `kubectl apply -f deploy/` creates it first (controller.yaml)
    kinds = [kube.with_writes(dry_run=True).apply(document, "test-setup")["kind"] for document in documents]
    assert kinds == [document["kind"] for document in documents]
