"""Field owners: who wrote what, from `metadata.managedFields` (one entry per field manager and operation).

The one place that reads managedFields: the planner asks whether anyone but gitops-ray wrote an object,
the drift report which other managers own fields gitops-ray sets, the diff which fields our last apply set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_ray.model.objects import KubeObject, managed_fields
from gitops_ray.model.ownership import FIELD_MANAGER

# Managers whose writes are the cluster's own bookkeeping, never a user's change to our fields.
SYSTEM_MANAGERS = frozenset({"kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver"})


def fields_of(live: KubeObject, manager: str, operation: str = "") -> list[Mapping[str, Any]]:
    """The `fieldsV1` trees recorded for `manager` (only its `operation` entries when given)."""
    return [
        entry.get("fieldsV1") or {}
        for entry in managed_fields(live)
        if entry.get("manager") == manager and (not operation or entry.get("operation") == operation)
    ]


def other_writers(live: KubeObject) -> list[tuple[str, Mapping[str, Any]]]:
    """(manager, fieldsV1) of every writer that is neither gitops-ray nor the cluster's own bookkeeping."""
    writers = []
    for entry in managed_fields(live):
        manager = str(entry.get("manager") or "(unnamed)")
        if manager != FIELD_MANAGER and manager not in SYSTEM_MANAGERS:
            writers.append((manager, entry.get("fieldsV1") or {}))
    return writers


def written_only_by_us(live: KubeObject) -> bool:
    """True if no one but gitops-ray (and the cluster's own status bookkeeping) wrote to the object.

    Every write is recorded in managedFields, so with a matching applied-hash this proves live equals what
    we applied, without a field-by-field comparison: what keeps a no-op cycle cheap at thousands of objects.
    """
    return not any(any(segment != "f:status" for segment in fields) for _, fields in other_writers(live))
