"""Which Kubernetes Events a cycle posts (observe.events): per unit, from what the cycle did and saw."""

from __future__ import annotations

import pytest

from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.observe.drift import ObjectDrift, UnitDrift
from gitops_ray.observe.events import (
    EventSpec,
    EventType,
    Reason,
    bounded,
    cycle_events,
    parent_ref,
    unit_events,
)
from gitops_ray.observe.outcome import SyncResult, UnitResult
from gitops_ray.reconcile.assess import Standing
from gitops_ray.reconcile.plan import Action, Counts, PlannedAction

KEY = UnitKey("ml", "demo")
PARENT = MemberRef("v1", "ConfigMap", "ml", "gitops-ray-demo")
RAYCLUSTER = MemberRef("ray.io/v1", "RayCluster", "ml", "demo")
HEAD = MemberRef("v1", "Pod", "ml", "demo-head")
WORKER_0 = MemberRef("v1", "Pod", "ml", "demo-cpu-worker-0")
WORKER_1 = MemberRef("v1", "Pod", "ml", "demo-cpu-worker-1")
SERVICE = MemberRef("v1", "Service", "ml", "demo-head-svc")
REV = "4e1d2c3b"


def change(action: Action, ref: MemberRef, standing: Standing | None = Standing.ABSENT) -> PlannedAction:
    return PlannedAction(action, ref, "reason", standing=standing)


def result(
    *changes: PlannedAction,
    failed: frozenset[MemberRef] = frozenset(),
    deferred: frozenset[MemberRef] = frozenset(),
    healed: frozenset[MemberRef] = frozenset(),
    held: str = "",
    errors: tuple[Problem, ...] = (),
    drift: tuple[ObjectDrift, ...] = (),
) -> UnitResult:
    unit_drift = UnitDrift(KEY, "clusters/ml/demo.yaml", drift, None)
    return UnitResult(
        KEY,
        Counts(),
        errors,
        unit_drift,
        tuple(changes),
        failed=failed,
        deferred=deferred,
        healed=healed,
        held=held,
    )


def notes(unit: UnitResult, wrote: bool = True) -> list[tuple[str, str, str]]:
    """(type, reason, message) of each Event about the parent."""
    return [
        (str(spec.type), str(spec.reason), spec.message) for spec in unit_events(unit, REV, (PARENT,), wrote)
    ]


CREATE_HEAD = change(Action.CREATE, HEAD)
CREATE_SERVICE = change(Action.CREATE, SERVICE)
UPDATE_WORKER = change(Action.UPDATE, WORKER_0, Standing.CHANGED)
RECREATE_WORKER = change(Action.RECREATE, WORKER_1, Standing.IMMUTABLE)
PRUNE_WORKER = change(Action.PRUNE, WORKER_1, None)
HEAL_HEAD = change(Action.RECREATE, HEAD, Standing.TERMINATED)
HEAL_SERVICE = change(Action.UPDATE, SERVICE, Standing.EDITED)

CASES = {
    "a quiet cycle posts nothing": (result(), []),
    "created and updated objects are Applied, named in apply order": (
        result(UPDATE_WORKER, CREATE_SERVICE, CREATE_HEAD),
        [
            (
                "Normal",
                "Applied",
                f"revision {REV}: 2 created, 1 updated: Service ml/demo-head-svc, Pod ml/demo-cpu-worker-0, "
                "Pod ml/demo-head",
            )
        ],
    ),
    "recreated Pods are Recreated": (
        result(RECREATE_WORKER),
        [
            (
                "Normal",
                "Recreated",
                f"revision {REV}: 1 recreated (deleted and created again): Pod ml/demo-cpu-worker-1",
            )
        ],
    ),
    "pruned objects are Pruned": (
        result(PRUNE_WORKER),
        [("Normal", "Pruned", f"revision {REV}: 1 pruned (no longer in Git): Pod ml/demo-cpu-worker-1")],
    ),
    "changes that repaired drift are Healed, with how each object stood, and not Applied": (
        result(HEAL_HEAD, HEAL_SERVICE, change(Action.CREATE, WORKER_0), healed=frozenset({HEAD, SERVICE})),
        [
            ("Normal", "Applied", f"revision {REV}: 1 created: Pod ml/demo-cpu-worker-0"),
            (
                "Normal",
                "Healed",
                f"revision {REV}: healed drift, 1 updated, 1 recreated: Service ml/demo-head-svc (edited), "
                "Pod ml/demo-head (terminated)",
            ),
        ],
    ),
    "a failed change is in no Normal Event, its error is Failed": (
        result(
            CREATE_HEAD,
            CREATE_SERVICE,
            failed=frozenset({SERVICE}),
            errors=(Problem("clusters/ml/demo.yaml", "apply Service ml/demo-head-svc: forbidden"),),
        ),
        [
            ("Normal", "Applied", f"revision {REV}: 1 created: Pod ml/demo-head"),
            (
                "Warning",
                "Failed",
                f"revision {REV}: clusters/ml/demo.yaml: apply Service ml/demo-head-svc: forbidden",
            ),
        ],
    ),
    "several errors are counted and the first is quoted": (
        result(errors=(Problem("a.yaml", "first"), Problem("a.yaml", "second"))),
        [("Warning", "Failed", f"revision {REV}: 2 errors, the first: a.yaml: first")],
    ),
    "a recreate still waiting for its old Pod is not Recreated yet": (
        result(RECREATE_WORKER, deferred=frozenset({WORKER_1})),
        [],
    ),
    "held prunes are PruneHeld, with the reason": (
        result(held="prune held: 1 broken file (clusters/ml/x.yaml): nothing is pruned this cycle"),
        [
            (
                "Warning",
                "PruneHeld",
                f"revision {REV}: prune held: 1 broken file (clusters/ml/x.yaml): nothing is pruned this "
                "cycle",
            )
        ],
    ),
    "drift left after the cycle is DriftDetected, by state; foreign and orphan objects are not": (
        result(
            drift=(
                ObjectDrift(HEAD, "terminated"),
                ObjectDrift(SERVICE, "differs"),
                ObjectDrift(WORKER_0, "foreign"),
                ObjectDrift(WORKER_1, "orphan"),
                ObjectDrift(RAYCLUSTER, "in-sync"),
            )
        ),
        [
            (
                "Warning",
                "DriftDetected",
                f"revision {REV}: 2 objects differ: Pod ml/demo-head (terminated), "
                "Service ml/demo-head-svc (differs)",
            )
        ],
    ),
    "objects past the fifth are counted, not named": (
        result(*(change(Action.CREATE, MemberRef("v1", "Pod", "ml", f"w-{i}")) for i in range(7))),
        [
            (
                "Normal",
                "Applied",
                f"revision {REV}: 7 created: Pod ml/w-0, Pod ml/w-1, Pod ml/w-2, Pod ml/w-3, Pod ml/w-4 "
                "and 2 more",
            )
        ],
    ),
}


@pytest.mark.parametrize(("unit", "expected"), CASES.values(), ids=CASES.keys())
def test_the_events_of_a_unit(unit: UnitResult, expected: list[tuple[str, str, str]]) -> None:
    assert notes(unit) == expected


def test_a_cycle_that_did_not_write_reports_drift_and_errors_but_no_changes() -> None:
    unit = result(
        HEAL_SERVICE,
        drift=(ObjectDrift(SERVICE, "differs"),),
        errors=(Problem("a.yaml", "bad"),),
    )

    assert notes(unit, wrote=False) == [
        ("Warning", "DriftDetected", f"revision {REV}: 1 object differs: Service ml/demo-head-svc (differs)"),
        ("Warning", "Failed", f"revision {REV}: a.yaml: bad"),
    ]


def test_a_message_is_cut_to_at_most_1024_bytes_at_a_character_boundary() -> None:
    message = bounded("é" * 600)  # 1200 bytes: 510 characters and "..." fit

    assert (len(message.encode()), message[-5:]) == (1023, "éé...")


def test_the_events_of_the_raycluster_target_regard_the_parent_and_the_raycluster() -> None:
    rendered = RenderedUnit(
        KEY,
        "clusters/ml/demo.yaml",
        "raycluster",
        ({"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "demo", "namespace": "ml"}},),
    )
    sync = SyncResult((result(change(Action.CREATE, RAYCLUSTER)),))

    specs = cycle_events(sync, DesiredState((rendered,)), REV, wrote=True)

    message = f"revision {REV}: 1 created: RayCluster ml/demo"
    assert specs == (
        EventSpec(PARENT, EventType.NORMAL, Reason.APPLIED, "Apply", message),
        EventSpec(RAYCLUSTER, EventType.NORMAL, Reason.APPLIED, "Apply", message),
    )


def test_the_events_of_the_pods_target_and_of_a_retired_unit_regard_the_parent_only() -> None:
    pods = RenderedUnit(KEY, "clusters/ml/demo.yaml", "pods", ())
    gone = UnitKey("ml", "old")
    sync = SyncResult((result(CREATE_HEAD), UnitResult(gone, Counts(), (), UnitDrift(gone, "", (), None))))

    specs = cycle_events(sync, DesiredState((pods,)), REV, wrote=True)

    assert [spec.regarding for spec in specs] == [PARENT]
    assert parent_ref(gone) == MemberRef("v1", "ConfigMap", "ml", "gitops-ray-old")
