"""The status of one cluster, written on its inventory parent (the ApplySet ConfigMap `gitops-ray-<cluster>`).

A ConfigMap has no `status` subresource, so the status document is the JSON annotation `gitops-ray.io/status`
and the coarse states are labels (`kubectl get cm -l gitops-ray.io/health=Failed -A`). Its conditions
follow kstatus (`Ready`, and the abnormal-true `Reconciling` and `Stalled`), so tools that read conditions
understand it. It is applied with its own field manager (`gitops-ray-status`), so status fields never
fight the inventory's. The document changes only when the cluster's state does: transition times are
carried over, and a cycle where nothing changed writes nothing. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gitops_ray.model.objects import KubeObject, annotation, label
from gitops_ray.model.ownership import PARENT_API_VERSION, PARENT_KIND, parent_name
from gitops_ray.model.units import Problem, UnitKey
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.health import ClusterHealth

STATUS_ANNOTATION = "gitops-ray.io/status"
SYNC_LABEL = "gitops-ray.io/sync"
HEALTH_LABEL = "gitops-ray.io/health"
STATUS_FIELD_MANAGER = "gitops-ray-status"

SyncState = Literal["Synced", "OutOfSync", "Failed", "Held"]
SYNC_STATES: tuple[SyncState, ...] = ("Synced", "OutOfSync", "Failed", "Held")


@dataclass(frozen=True)
class Observed:
    """What one cycle saw of a cluster: everything its status says but the transition times."""

    target: str
    revision: str
    sync: SyncState
    health: ClusterHealth
    drift: str = ""  # objects not in sync by state: "1 differs, 2 missing"
    message: str = ""  # why it is not Synced (an error, a pending recreate, a held prune)
    wrote: bool = True  # this cycle created, updated, recreated or pruned some of the cluster's objects


def observe_unit(
    drift: UnitDrift,
    errors: tuple[Problem, ...],
    pending: tuple[str, ...],
    held: str,
    target: str,
    revision: str,
    health: ClusterHealth,
    wrote: bool = True,
) -> Observed:
    """Sync state: `Failed` when the cycle had errors for the unit (bad input, a refused request), `Held`
    when the cluster left the source but is kept (`held`: why prunes are held), `OutOfSync` while an
    object differs from Git (missing, terminated, changed, orphaned, owned by someone else) or a recreate
    is pending after the cycle, else `Synced`. Objects in state `foreign` (values as in Git, some fields
    co-owned by another field manager, as the autoscaler's `replicas`) are in the drift column only."""
    counts = ", ".join(f"{n} {state}" for state, n in drift.state_counts().items() if state != "in-sync")
    sync: SyncState
    if errors:
        sync = "Failed"
        message = str(errors[0]) + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
    elif held:
        sync, message = "Held", held
    elif pending or any(obj.state not in ("in-sync", "foreign") for obj in drift.objects):
        sync, message = "OutOfSync", pending[0] if pending else f"drift: {counts}"
    else:
        sync, message = "Synced", ""
    return Observed(target, revision, sync, health, counts, message, wrote)


def _condition(
    kind: str, true: bool, reason: str, message: str, previous: Mapping[str, Any], now: str
) -> dict[str, str]:
    status = "True" if true else "False"
    was = previous.get(kind) or {}
    since = str(was.get("lastTransitionTime") or now) if was.get("status") == status else now
    return {"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": since}


def status_conditions(observed: Observed, previous: list[Any] | None, now: str) -> list[dict[str, str]]:
    """kstatus conditions: `Stalled` (sync Failed or Held, or health Failed: a person must act),
    `Reconciling` (otherwise, while out of sync or not yet healthy) and `Ready` (Synced and Current).
    Each keeps its lastTransitionTime while its status stays."""
    before = {str(c.get("type")): c for c in previous or [] if isinstance(c, dict)}
    health = observed.health
    sync_reasons = {"Failed": "SyncFailed", "Held": "PruneHeld", "OutOfSync": "OutOfSync", "Synced": "Synced"}
    if observed.sync in ("Failed", "Held"):
        stalled = (True, sync_reasons[observed.sync], observed.message)
    elif health.state == "Failed":
        stalled = (True, health.reason, health.message)
    else:
        stalled = (False, "", "")
    if stalled[0]:
        reconciling = (False, "", "")
    elif observed.sync == "OutOfSync":
        reconciling = (True, "OutOfSync", observed.message)
    elif health.state != "Current":
        reconciling = (True, health.reason, health.message)
    else:
        reconciling = (False, "", "")
    ready = observed.sync == "Synced" and health.state == "Current"
    if ready:
        ready_why = ("Ready", "")
    elif observed.sync != "Synced":
        ready_why = (sync_reasons[observed.sync], observed.message)
    else:
        ready_why = (health.reason, health.message)
    return [
        _condition("Ready", ready, *ready_why, before, now),
        _condition("Reconciling", *reconciling, before, now),
        _condition("Stalled", *stalled, before, now),
    ]


def status_document(observed: Observed, previous: Mapping[str, Any] | None, now: str) -> dict[str, Any]:
    """The status annotation's document. `lastTransitionTime` is when sync or health last changed; with
    nothing changed it equals `previous`, so the caller writes nothing. `revision` is the commit whose
    sources the cluster last took: a cluster that was in sync and that this cycle did not write keeps its
    revision, so a commit to one cluster's file rewrites that cluster's status, not every cluster's."""
    before = previous or {}
    unchanged = before.get("sync") == observed.sync and before.get("health") == observed.health.state
    conditions = before.get("conditions")
    kept = before.get("revision")
    stays = not observed.wrote and before.get("sync") == "Synced" == observed.sync and isinstance(kept, str)
    return {
        "target": observed.target,
        "revision": kept if stays and kept else observed.revision,
        "sync": observed.sync,
        "health": observed.health.state,
        "healthReason": observed.health.reason,
        "healthMessage": observed.health.message,
        "workers": observed.health.workers,
        "drift": observed.drift,
        "message": observed.message,
        "lastTransitionTime": str(before.get("lastTransitionTime") or now) if unchanged else now,
        "conditions": status_conditions(observed, conditions if isinstance(conditions, list) else None, now),
    }


def read_status(parent: KubeObject) -> dict[str, Any] | None:
    """The status document of a live parent; None when it has none or it is not a JSON object (it is
    then written anew)."""
    text = annotation(parent, STATUS_ANNOTATION)
    if not text:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def status_text(document: Mapping[str, Any]) -> str:
    """The annotation's value: compact, keys sorted, so the same status is always the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def status_manifest(key: UnitKey, document: Mapping[str, Any]) -> KubeObject:
    """What the status field manager applies to the parent: the annotation and the two labels only."""
    return {
        "apiVersion": PARENT_API_VERSION,
        "kind": PARENT_KIND,
        "metadata": {
            "name": parent_name(key.name),
            "namespace": key.namespace,
            "labels": {SYNC_LABEL: str(document["sync"]), HEALTH_LABEL: str(document["health"])},
            "annotations": {STATUS_ANNOTATION: status_text(document)},
        },
    }


def needs_write(parent: KubeObject | None, document: Mapping[str, Any]) -> bool:
    """True unless the live parent already carries exactly this status (annotation and labels)."""
    if parent is None:
        return True
    return (
        annotation(parent, STATUS_ANNOTATION) != status_text(document)
        or label(parent, SYNC_LABEL) != document["sync"]
        or label(parent, HEALTH_LABEL) != document["health"]
    )
