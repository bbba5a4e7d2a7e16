"""Compact live objects: what a cycle keeps of a listed Pod or Service that provably needs no field-by-field
comparison.

A Pod read from the cluster is mostly its spec and its managedFields (every field, twice over); a cycle at
tens of thousands of Pods that kept them whole would hold gigabytes. An object stamped by gitops-ray (a Pod
with its spec-hash), not being deleted and written by no one but gitops-ray (and the cluster's status
bookkeeping) is judged by `assess` from its labels, annotations and status alone, so only those are kept,
with the few spec fields `assess` reads (a Pod's container names and restartPolicy for `terminated_pod`, a
Service's clusterIP for `immutable_change`). Every other object is kept whole. Pure.
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
KEPT_CONTAINER_STATE_FIELDS = ("reason", "message", "exitCode")  # of `waiting`, `running`, `terminated`
# Metadata no judgement reads: who wrote what (read before compacting), and the versions and times the
# API server keeps (a LIST remembers the newest resourceVersion before its objects are compacted).
DROPPED_METADATA = frozenset({"managedFields", "resourceVersion", "creationTimestamp"})
COMPACT_KINDS = frozenset({"Pod", "Service"})

Shared = dict[str, Any]
"""Equal kept parts seen so far, by their text: the kept specs and statuses of a group's Pods are mostly
equal, and one copy serves them all (nothing downstream mutates objects in place)."""


def compactable(live: KubeObject) -> bool:
    """True if `assess` judges `live` the same without its managedFields and the rest of its spec."""
    kind = live.get("kind")
    return (
        kind in COMPACT_KINDS
        and (kind != "Pod" or annotation(live, SPEC_HASH_ANNOTATION) is not None)
        and not being_deleted(live)
        and written_only_by_us(live)
    )


def compact_live(live: KubeObject, shared: Shared | None = None) -> KubeObject:
    """`live` without what no judgement of it reads (a new object), or `live` itself when it may need a
    field-by-field comparison. Strings that are equal across objects (label values, namespaces, condition
    types) are interned, and with `shared` (one per LIST or cycle) equal kept specs and statuses are one
    object: a decoded Pod has its own copy of each, and at tens of thousands of Pods sharing them halves
    what a compact Pod costs."""
    if not compactable(live):
        return live
    meta = {key: value for key, value in metadata(live).items() if key not in DROPPED_METADATA}
    meta["namespace"] = _shared(meta.get("namespace"))
    for key in ("labels", "annotations"):
        if isinstance(meta.get(key), dict):  # keys are shared by the JSON decoder already; values are str
            meta[key] = {name: intern(value) for name, value in meta[key].items()}
    compact: KubeObject = {
        "apiVersion": _shared(live.get("apiVersion")),
        "kind": live["kind"],
        "metadata": meta,
    }
    spec = live.get("spec") or {}
    if live["kind"] == "Service":
        compact["spec"] = _one({"clusterIP": spec["clusterIP"]} if "clusterIP" in spec else {}, shared)
        return compact
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
        kept_status["containerStatuses"] = [_container_status(item) for item in status["containerStatuses"]]
    compact["spec"] = _one(kept_spec, shared)
    compact["status"] = _one(kept_status, shared)
    return compact


def _one(part: KubeObject, shared: Shared | None) -> KubeObject:
    """The equal part seen before, else `part` (remembered). Kept parts are plain JSON values built in a
    fixed field order, so equal parts have equal texts."""
    if shared is None:
        return part
    found: KubeObject = shared.setdefault(repr(part), part)
    return found


def _container_status(item: Any) -> Any:
    kept = _kept(item, KEPT_CONTAINER_STATUS_FIELDS)
    if isinstance(kept, dict) and isinstance(kept.get("state"), Mapping):
        kept["state"] = {
            _shared(name): _kept(detail, KEPT_CONTAINER_STATE_FIELDS)
            for name, detail in kept["state"].items()
        }
    return kept


def _shared(value: Any) -> Any:
    """One copy of an equal string for all who hold it (`sys.intern`); anything else as it is."""
    return intern(value) if type(value) is str else value


def _kept(item: Any, fields: tuple[str, ...]) -> Any:
    if not isinstance(item, Mapping):
        return item
    return {field: _shared(item[field]) for field in fields if field in item}
