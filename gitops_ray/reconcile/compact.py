"""Compact live Pods: what a cycle keeps of a listed Pod that provably needs no field-by-field comparison.

A Pod read from the cluster is mostly its spec and its managedFields (every field, twice over); a cycle at
tens of thousands of Pods that kept them whole would hold gigabytes. A Pod stamped with its spec-hash, not
being deleted and written by no one but gitops-ray (and the cluster's status bookkeeping) is judged by
`assess` from its labels, annotations and status alone, so only those are kept, with the few spec fields
`assess.terminated_pod` reads. Every other object is kept whole. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from sys import intern
from typing import Any

from gitops_ray.model.objects import KubeObject, annotation, being_deleted, metadata
from gitops_ray.model.ownership import SPEC_HASH_ANNOTATION
from gitops_ray.reconcile.owners import written_only_by_us

# What health and `assess.terminated_pod` read of a Pod's status: the phase, each condition's verdict
# (Ready, PodScheduled and why not) and each container's state (a terminated Ray container,
# CrashLoopBackOff, ImagePullBackOff), not the timestamps, images and ids around them.
KEPT_STATUS_FIELDS = ("phase", "conditions", "containerStatuses")
KEPT_CONDITION_FIELDS = ("type", "status", "reason", "message")
KEPT_CONTAINER_STATUS_FIELDS = ("name", "ready", "restartCount", "state")


def compactable(live: KubeObject) -> bool:
    """True if `assess` judges `live` the same without its spec and managedFields."""
    return (
        live.get("kind") == "Pod"
        and annotation(live, SPEC_HASH_ANNOTATION) is not None
        and not being_deleted(live)
        and written_only_by_us(live)
    )


def compact_live(live: KubeObject) -> KubeObject:
    """`live` without what no judgement of it reads (a new object), or `live` itself when it may need a
    field-by-field comparison. Strings that are equal across Pods (label values, namespaces, condition
    types) are interned: a decoded Pod has its own copy of each, and at tens of thousands of Pods sharing
    them halves what a compact Pod costs."""
    if not compactable(live):
        return live
    meta = {key: value for key, value in metadata(live).items() if key != "managedFields"}
    meta["namespace"] = _shared(meta.get("namespace"))
    for key in ("labels", "annotations"):
        if isinstance(meta.get(key), dict):  # keys are shared by the JSON decoder already; values are str
            meta[key] = {name: intern(value) for name, value in meta[key].items()}
    spec = live.get("spec") or {}
    kept_spec: KubeObject = {
        "containers": [{"name": _shared(container.get("name"))} for container in spec.get("containers") or []]
    }
    if "restartPolicy" in spec:
        kept_spec["restartPolicy"] = _shared(spec["restartPolicy"])
    status = live.get("status") or {}
    kept_status: KubeObject = {}
    if "phase" in status:
        kept_status["phase"] = _shared(status["phase"])
    if isinstance(status.get("conditions"), list):
        kept_status["conditions"] = [_kept(item, KEPT_CONDITION_FIELDS) for item in status["conditions"]]
    if isinstance(status.get("containerStatuses"), list):
        kept_status["containerStatuses"] = [
            _kept(item, KEPT_CONTAINER_STATUS_FIELDS) for item in status["containerStatuses"]
        ]
    return {
        "apiVersion": _shared(live.get("apiVersion")),
        "kind": "Pod",
        "metadata": meta,
        "spec": kept_spec,
        "status": kept_status,
    }


def _shared(value: Any) -> Any:
    """One copy of an equal string for all who hold it (`sys.intern`); anything else as it is."""
    return intern(value) if type(value) is str else value


def _kept(item: Any, fields: tuple[str, ...]) -> Any:
    if not isinstance(item, Mapping):
        return item
    return {field: _shared(item[field]) for field in fields if field in item}
