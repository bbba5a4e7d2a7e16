"""Writes each cluster's status onto its inventory parent (`observe.status`), only when it changed.

Server-side apply under its own field manager (`gitops-ray-status`): the inventory write (manager
`gitops-ray`) never sets, and so never removes, the status annotation and labels, and the status write
never touches the inventory's fields. A parent that does not exist (never written, or deleted this cycle
with its retired cluster) gets no status: applying one would create a ConfigMap that is no inventory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gitops_ray.edge.kube import KubeError
from gitops_ray.edge.kube.protocol import ClusterApi
from gitops_ray.model.objects import KubeObject
from gitops_ray.model.units import Problem, UnitKey
from gitops_ray.observe.status import (
    STATUS_FIELD_MANAGER,
    Observed,
    needs_write,
    read_status,
    status_document,
    status_manifest,
)


def now_text() -> str:
    """RFC 3339 in UTC to the second, as Kubernetes writes condition times."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_status(
    kube: ClusterApi, key: UnitKey, source: str, parent: KubeObject, observed: Observed, now: str
) -> Problem | None:
    """Apply the status `observed` gives when the live `parent` does not carry it yet; a refused write is
    a problem of the unit (its next cycle tries again)."""
    document = status_document(observed, read_status(parent), now)
    if not needs_write(parent, document):
        return None
    try:
        kube.apply(status_manifest(key, document), STATUS_FIELD_MANAGER)
    except KubeError as error:
        return Problem(source, f"status of {key}: {error}")
    return None
