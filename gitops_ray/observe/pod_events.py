"""Which changes to the Pods gitops-ray applied call for a sync of their unit at once, before the next cycle.

Pure. A Pod that is gone, or that will never run again (KubeRay's `shouldDeletePod`, here
`assess.terminated_pod`), is a Ray node lost until it is created again; every other change (a Pod
scheduled, started, ready, or written by gitops-ray itself) waits for the regular cycle, so the
controller's own writes never call for another sync. README: "Reacting to Pod changes".
"""

from __future__ import annotations

from collections.abc import Iterable

from gitops_ray.model.objects import KubeObject, label
from gitops_ray.model.ownership import MANAGED_BY_LABEL, MANAGED_BY_VALUE, PART_OF_LABEL, unit_applyset_id
from gitops_ray.model.units import DesiredState, UnitKey
from gitops_ray.reconcile.assess import terminated_pod

OWNED_PODS_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"
"""The label selector of the Pods to watch: every Pod gitops-ray applied, in every namespace."""

DELETED = "DELETED"


def applyset_to_sync(event_type: str, pod: KubeObject) -> str:
    """The ApplySet (`applyset.kubernetes.io/part-of`) of the unit a watch event about `pod` calls to sync
    now, or "" when the event can wait for the regular cycle. `event_type` is the watch's ADDED, MODIFIED
    or DELETED."""
    if label(pod, MANAGED_BY_LABEL) != MANAGED_BY_VALUE:
        return ""
    if event_type != DELETED and not terminated_pod(pod):
        return ""
    return str(label(pod, PART_OF_LABEL) or "")


def units_of(state: DesiredState, applysets: Iterable[str]) -> frozenset[UnitKey]:
    """The units of `state` these ApplySets name; an ApplySet of no unit (a cluster the source no longer
    declares, whose retirement is the regular cycle's to decide) names none."""
    wanted = frozenset(applysets)
    return frozenset(
        unit.key for unit in state.units if unit_applyset_id(unit.key.name, unit.key.namespace) in wanted
    )
