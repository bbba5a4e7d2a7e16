"""Compact live Pods: what a cycle keeps of a listed Pod that provably needs no field-by-field comparison.

A Pod read from the cluster is mostly its spec and its managedFields (every field, twice over); a cycle at
tens of thousands of Pods that kept them whole would hold gigabytes. A Pod stamped with its spec-hash, not
being deleted and written by no one but gitops-ray (and the cluster's status bookkeeping) is judged by
`assess` from its labels, annotations and status alone, so only those are kept, with the few spec fields
`assess.terminated_pod` reads. Every other object is kept whole. Pure.
"""

from __future__ import annotations

from gitops_ray.model.objects import KubeObject, annotation, being_deleted, metadata
from gitops_ray.model.ownership import SPEC_HASH_ANNOTATION
from gitops_ray.reconcile.owners import written_only_by_us

# Status fields health and `assess.terminated_pod` read: the phase, the conditions (Ready, PodScheduled)
# and the containers' states (a terminated Ray container, CrashLoopBackOff, ImagePullBackOff).
KEPT_STATUS_FIELDS = ("phase", "conditions", "containerStatuses")


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
    field-by-field comparison."""
    if not compactable(live):
        return live
    meta = {key: value for key, value in metadata(live).items() if key != "managedFields"}
    spec = live.get("spec") or {}
    containers = [{"name": container.get("name")} for container in spec.get("containers") or []]
    kept_spec: KubeObject = {"containers": containers}
    if "restartPolicy" in spec:
        kept_spec["restartPolicy"] = spec["restartPolicy"]
    status = live.get("status") or {}
    compact: KubeObject = {
        "apiVersion": live.get("apiVersion"),
        "kind": "Pod",
        "metadata": meta,
        "spec": kept_spec,
        "status": {key: status[key] for key in KEPT_STATUS_FIELDS if key in status},
    }
    return compact
