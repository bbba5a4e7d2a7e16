"""A cluster's status on its inventory parent: sync, health, kstatus conditions, written only on change."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import Problem, UnitKey
from gitops_ray.observe.drift import Health, ObjectDrift, UnitDrift
from gitops_ray.observe.health import ClusterHealth
from gitops_ray.observe.status import (
    Observed,
    needs_write,
    observe_unit,
    read_status,
    status_document,
    status_manifest,
    status_text,
)

KEY = UnitKey("team-a", "demo")
SOURCE = "clusters/team-a/demo.yaml"
HEAD = MemberRef("v1", "Pod", "team-a", "demo-head")
READY = ClusterHealth("Current", "Ready", "", "2/2")
STARTING = ClusterHealth("InProgress", "WorkersNotReady", "workers ready 1/2", "1/2")
CRASHING = ClusterHealth("Failed", "CrashLoopBackOff", "CrashLoopBackOff: Pod demo-head", "2/2")
T0, T1 = "2026-12-04T10:00:00Z", "2026-12-04T10:05:00Z"


def drift(*states: str) -> UnitDrift:
    objects = tuple(ObjectDrift(MemberRef("v1", "Pod", "team-a", f"p{i}"), s) for i, s in enumerate(states))
    return UnitDrift(KEY, SOURCE, objects, Health(True, 2, 2))


@pytest.mark.parametrize(
    ("unit_drift", "errors", "pending", "held", "sync", "message", "counts"),
    [
        (drift("in-sync"), (), (), "", "Synced", "", ""),
        (
            drift("differs", "missing", "in-sync"),
            (),
            (),
            "",
            "OutOfSync",
            "drift: 1 missing, 1 differs",
            "1 missing, 1 differs",
        ),
        (
            drift("in-sync"),
            (),
            ("Pod team-a/demo-head still terminating",),
            "",
            "OutOfSync",
            "Pod team-a/demo-head still terminating",
            "",
        ),
        (
            drift("in-sync"),
            (Problem(SOURCE, "forbidden"), Problem(SOURCE, "refused")),
            (),
            "",
            "Failed",
            "clusters/team-a/demo.yaml: forbidden (and 1 more)",
            "",
        ),
        (drift("in-sync"), (), (), "1 file is broken", "Held", "1 file is broken", ""),
        (drift("foreign", "in-sync"), (), (), "", "Synced", "", "1 foreign"),
    ],
    ids=["synced", "drifted", "recreate-pending", "errors", "held", "fields-co-owned"],
)
def test_the_sync_state_of_a_unit(
    unit_drift: UnitDrift,
    errors: tuple[Problem, ...],
    pending: tuple[str, ...],
    held: str,
    sync: str,
    message: str,
    counts: str,
) -> None:
    assert observe_unit(unit_drift, errors, pending, held, "pods", "abc123", READY) == Observed(
        "pods",
        "abc123",
        sync,
        READY,
        counts,
        message,  # type: ignore[arg-type]
    )


def conditions(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(c["type"], c["status"], c["reason"], c["lastTransitionTime"]) for c in document["conditions"]]


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        (
            Observed("pods", "r", "Synced", READY),
            [("Ready", "True", "Ready"), ("Reconciling", "False", ""), ("Stalled", "False", "")],
        ),
        (
            Observed("pods", "r", "Synced", STARTING),
            [
                ("Ready", "False", "WorkersNotReady"),
                ("Reconciling", "True", "WorkersNotReady"),
                ("Stalled", "False", ""),
            ],
        ),
        (
            Observed("pods", "r", "OutOfSync", READY, "1 differs", "drift: 1 differs"),
            [("Ready", "False", "OutOfSync"), ("Reconciling", "True", "OutOfSync"), ("Stalled", "False", "")],
        ),
        (
            Observed("pods", "r", "Synced", CRASHING),
            [
                ("Ready", "False", "CrashLoopBackOff"),
                ("Reconciling", "False", ""),
                ("Stalled", "True", "CrashLoopBackOff"),
            ],
        ),
        (
            Observed("pods", "r", "Failed", READY, "", "forbidden"),
            [
                ("Ready", "False", "SyncFailed"),
                ("Reconciling", "False", ""),
                ("Stalled", "True", "SyncFailed"),
            ],
        ),
        (
            Observed("pods", "r", "Held", READY, "", "1 file is broken"),
            [("Ready", "False", "PruneHeld"), ("Reconciling", "False", ""), ("Stalled", "True", "PruneHeld")],
        ),
    ],
    ids=["ready", "starting", "out-of-sync", "crashing", "sync-failed", "held"],
)
def test_kstatus_conditions(observed: Observed, expected: list[tuple[str, str, str]]) -> None:
    document = status_document(observed, None, T0)
    assert conditions(document) == [(*condition, T0) for condition in expected]


def test_a_first_status_document() -> None:
    assert status_document(Observed("pods", "abc123", "Synced", STARTING), None, T0) == {
        "target": "pods",
        "revision": "abc123",
        "sync": "Synced",
        "health": "InProgress",
        "healthReason": "WorkersNotReady",
        "healthMessage": "workers ready 1/2",
        "workers": "1/2",
        "drift": "",
        "message": "",
        "lastTransitionTime": T0,
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "WorkersNotReady",
                "message": "workers ready 1/2",
                "lastTransitionTime": T0,
            },
            {
                "type": "Reconciling",
                "status": "True",
                "reason": "WorkersNotReady",
                "message": "workers ready 1/2",
                "lastTransitionTime": T0,
            },
            {"type": "Stalled", "status": "False", "reason": "", "message": "", "lastTransitionTime": T0},
        ],
    }


def test_nothing_changed_gives_the_same_document_so_nothing_is_written() -> None:
    observed = Observed("pods", "abc123", "Synced", READY)
    first = status_document(observed, None, T0)
    parent = status_manifest(KEY, first)
    again = status_document(observed, read_status(parent), T1)
    assert (again, needs_write(parent, again)) == (first, False)


def test_a_health_change_moves_only_the_times_of_what_changed() -> None:
    first = status_document(Observed("pods", "abc123", "Synced", STARTING), None, T0)
    later = status_document(Observed("pods", "abc123", "Synced", READY), first, T1)
    assert (later["health"], later["lastTransitionTime"]) == ("Current", T1)
    assert conditions(later) == [
        ("Ready", "True", "Ready", T1),
        ("Reconciling", "False", "", T1),
        ("Stalled", "False", "", T0),
    ]


def test_a_new_revision_with_the_same_states_keeps_the_transition_time_but_is_written() -> None:
    first = status_document(Observed("pods", "abc123", "Synced", READY), None, T0)
    later = status_document(Observed("pods", "def456", "Synced", READY), first, T1)
    assert (later["revision"], later["lastTransitionTime"]) == ("def456", T0)
    assert needs_write(status_manifest(KEY, first), later) is True


def test_a_cluster_in_sync_that_the_cycle_did_not_write_keeps_its_revision_and_is_not_written() -> None:
    first = status_document(Observed("pods", "abc123", "Synced", READY), None, T0)
    later = status_document(Observed("pods", "def456", "Synced", READY, wrote=False), first, T1)
    assert (later["revision"], needs_write(status_manifest(KEY, first), later)) == ("abc123", False)


def test_a_cluster_that_was_out_of_sync_takes_the_new_revision_even_unwritten() -> None:
    first = status_document(Observed("pods", "abc123", "OutOfSync", READY), None, T0)
    later = status_document(Observed("pods", "def456", "Synced", READY, wrote=False), first, T1)
    assert later["revision"] == "def456"


def test_the_status_manifest_holds_the_annotation_and_the_coarse_labels_only() -> None:
    document = status_document(Observed("pods", "abc123", "OutOfSync", CRASHING), None, T0)
    assert status_manifest(KEY, document) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "gitops-ray-demo",
            "namespace": "team-a",
            "labels": {"gitops-ray.io/sync": "OutOfSync", "gitops-ray.io/health": "Failed"},
            "annotations": {"gitops-ray.io/status": status_text(document)},
        },
    }
    assert json.loads(status_text(document)) == document


@pytest.mark.parametrize(
    "annotations",
    [{}, {"gitops-ray.io/status": "{not json"}, {"gitops-ray.io/status": "[1]"}],
    ids=["none", "not-json", "not-an-object"],
)
def test_an_unreadable_status_is_written_anew(annotations: dict[str, str]) -> None:
    parent = {"metadata": {"name": "gitops-ray-demo", "annotations": annotations}}
    assert read_status(parent) is None
