"""Builders for live objects as the API server returns them (managedFields entries, a stored copy of a
desired object), and the unit every pure reconcile/observe test is about."""

from __future__ import annotations

import copy
from typing import Any

from gitops_ray.model.ownership import PART_OF_LABEL, membership_labels
from gitops_ray.model.units import UnitKey
from gitops_ray.reconcile.stamp import stamp

KEY = UnitKey("team-a", "demo")
SOURCE = "clusters/team-a/demo.yaml"
OURS = membership_labels("demo", "team-a")
APPLYSET = OURS[PART_OF_LABEL]
APPLIED_AT = "2026-11-23T04:00:00Z"

Writer = tuple[str, dict[str, Any]]  # a field manager and the fieldsV1 it owns


def managed_entry(
    manager: str, fields: dict[str, Any], operation: str = "Update", time: str | None = None
) -> dict[str, Any]:
    """One `metadata.managedFields` entry: `manager` owns `fields` (a fieldsV1 tree) by `operation`."""
    entry: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": "v1"}
    if time is not None:
        entry["time"] = time
    return {**entry, "fieldsType": "FieldsV1", "fieldsV1": fields}


def applied(desired: dict[str, Any], *writers: Writer) -> dict[str, Any]:
    """`desired` as the API server returns it after our apply, plus Update entries for `writers`."""
    live = copy.deepcopy(stamp(desired))
    live["metadata"]["uid"] = "00000000-0000-4000-8000-000000000001"
    live["metadata"]["resourceVersion"] = "100"
    live["metadata"]["managedFields"] = [
        managed_entry("gitops-ray", {}, "Apply"),
        *(managed_entry(manager, fields) for manager, fields in writers),
    ]
    return live
