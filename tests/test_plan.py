"""Planning: one action per object from desired, live and inventory; safe pruning; apply and prune order."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from livekit import APPLIED_AT, APPLYSET, KEY, OURS, SOURCE, Writer, applied, managed_entry

from gitops_ray.model.ownership import membership_labels
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.reconcile.assess import immutable_change
from gitops_ray.reconcile.inventory import Inventory
from gitops_ray.reconcile.owners import written_only_by_us
from gitops_ray.reconcile.plan import (
    Action,
    Counts,
    PlannedAction,
    ordered_for_apply,
    ordered_for_prune,
    plan_object,
    plan_state,
    plan_unit,
)
from gitops_ray.reconcile.stamp import StampMemo, stamp


def pod(name: str, node_type: str, image: str = "rayproject/ray:2.52.0") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "team-a", "labels": {**OURS, "ray.io/node-type": node_type}},
        "spec": {
            "containers": [{"name": "ray-head" if node_type == "head" else "ray-worker", "image": image}]
        },
    }


HEAD = pod("demo-head", "head")
WORKER_0 = pod("demo-gpu-worker-0", "worker")
SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "demo-head-svc", "namespace": "team-a", "labels": dict(OURS)},
    "spec": {
        "clusterIP": "None",
        "selector": {"ray.io/cluster": "demo", "ray.io/node-type": "head"},
        "ports": [{"name": "gcs-server", "port": 6379, "protocol": "TCP"}],
    },
}


# SERVICE as a v1.20 API server returns it after our apply (stamped, defaulted, with managedFields).
LIVE_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "demo-head-svc",
        "namespace": "team-a",
        "uid": "0b7e6d55-3f0e-4c55-8d0f-5a3c9f1e2d77",
        "resourceVersion": "1240",
        "creationTimestamp": "2026-11-23T04:00:00Z",
        "labels": dict(OURS),
        "annotations": {
            "gitops-ray.io/applied-hash": stamp(SERVICE)["metadata"]["annotations"][
                "gitops-ray.io/applied-hash"
            ]
        },
        "managedFields": [
            managed_entry(
                "gitops-ray",
                {
                    "f:metadata": {
                        "f:annotations": {"f:gitops-ray.io/applied-hash": {}},
                        "f:labels": {f"f:{label}": {} for label in OURS},
                    },
                    "f:spec": {
                        "f:clusterIP": {},
                        "f:ports": {
                            'k:{"port":6379,"protocol":"TCP"}': {
                                ".": {},
                                "f:name": {},
                                "f:port": {},
                                "f:protocol": {},
                            }
                        },
                        "f:selector": {"f:ray.io/cluster": {}, "f:ray.io/node-type": {}},
                    },
                },
                "Apply",
                time=APPLIED_AT,
            )
        ],
    },
    "spec": {
        "ports": [{"name": "gcs-server", "protocol": "TCP", "port": 6379, "targetPort": 6379}],
        "selector": {"ray.io/cluster": "demo", "ray.io/node-type": "head"},
        "clusterIP": "None",
        "clusterIPs": ["None"],
        "type": "ClusterIP",
        "sessionAffinity": "None",
    },
    "status": {"loadBalancer": {}},
}

KUBECTL_EDIT_IMAGE: Writer = (
    "kubectl-edit",
    {"f:spec": {"f:containers": {'k:{"name":"ray-head"}': {"f:image": {}}}}},
)
KUBELET_STATUS: Writer = ("kubelet", {"f:status": {"f:conditions": {}, "f:phase": {}}})
SOMEONE_STATUS: Writer = ("status-writer", {"f:status": {"f:phase": {}}})


def with_status(live: dict[str, Any], phase: str, restart: str = "", terminated: str = "") -> dict[str, Any]:
    """A live Pod as the kubelet reports it: `phase`, the restartPolicy the API server defaulted, and the
    container named `terminated` exited."""
    spec = {**live["spec"], "restartPolicy": restart} if restart else live["spec"]
    statuses = [{"name": terminated, "state": {"terminated": {"exitCode": 1}}}] if terminated else []
    return {**live, "spec": spec, "status": {"phase": phase, "containerStatuses": statuses}}


def ref(obj: dict[str, Any]) -> MemberRef:
    return MemberRef.from_object(obj)


def with_image(live: dict[str, Any], image: str) -> dict[str, Any]:
    changed = copy.deepcopy(live)
    changed["spec"]["containers"][0]["image"] = image
    return changed


def without_our_labels(obj: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    changed["metadata"]["labels"] = {"ray.io/node-type": "head"}
    return changed


def unit(*objects: dict[str, Any], problems: tuple[Problem, ...] = ()) -> RenderedUnit:
    return RenderedUnit(KEY, SOURCE, objects=objects, problems=problems)


# --- stamping -------------------------------------------------------------------------------------------


def test_stamp_adds_the_applied_hash_of_the_object() -> None:
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "scripts", "namespace": "team-a"},
    }
    assert stamp({**config, "data": {"run.sh": "echo hi"}}) == {
        **config,
        "metadata": {**config["metadata"], "annotations": {"gitops-ray.io/applied-hash": "a5d2127e4c85bb68"}},
        "data": {"run.sh": "echo hi"},
    }


def test_stamp_adds_the_spec_hash_to_pods() -> None:
    small = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "team-a"}}
    stamped = stamp({**small, "spec": {"containers": [{"name": "c", "image": "i"}]}})
    assert stamped["metadata"]["annotations"] == {
        "gitops-ray.io/spec-hash": "6d6569ff9fc9d91a",
        "gitops-ray.io/applied-hash": "d65e62dd279758b2",
    }


def test_stamp_is_idempotent_and_leaves_its_input_alone() -> None:
    original = copy.deepcopy(HEAD)
    assert stamp(stamp(HEAD)) == stamp(HEAD)
    assert original == HEAD


def test_stamp_memo_gives_the_same_stamped_objects_for_the_same_objects_tuple() -> None:
    memo, objects = StampMemo(), (SERVICE, HEAD)
    first = memo.stamped(KEY, objects)
    assert first == (stamp(SERVICE), stamp(HEAD))
    assert memo.stamped(KEY, objects) is first


def test_stamp_memo_stamps_again_when_the_unit_has_other_objects() -> None:
    memo = StampMemo()
    memo.stamped(KEY, (SERVICE, HEAD))
    assert memo.stamped(KEY, (HEAD,)) == (stamp(HEAD),)


def test_stamp_memo_forgets_units_it_is_not_told_to_keep() -> None:
    memo, objects = StampMemo(), (HEAD,)
    first = memo.stamped(KEY, objects)
    memo.keep([])
    assert memo.stamped(KEY, objects) is not first


def test_a_plan_with_a_stamp_memo_is_the_plan_without_one() -> None:
    live = {ref(SERVICE): LIVE_SERVICE, ref(HEAD): applied(HEAD)}
    memo, planned = StampMemo(), unit(SERVICE, HEAD, WORKER_0)
    without = plan_unit(planned, live, inventory(SERVICE, HEAD))
    assert plan_unit(planned, live, inventory(SERVICE, HEAD), stamps=memo) == without
    assert plan_unit(planned, live, inventory(SERVICE, HEAD), stamps=memo) == without


def test_a_unit_names_its_objects_refs_in_order() -> None:
    assert unit(SERVICE, HEAD).refs == (ref(SERVICE), ref(HEAD))


# --- one object -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "live", "action", "reason"),
    [
        (HEAD, None, Action.CREATE, "absent"),
        (SERVICE, LIVE_SERVICE, Action.UNCHANGED, "live matches desired"),
        (HEAD, applied(HEAD), Action.UNCHANGED, "live matches desired"),
        (HEAD, applied(HEAD, KUBELET_STATUS, SOMEONE_STATUS), Action.UNCHANGED, "live matches desired"),
        (
            {**SERVICE, "metadata": {**SERVICE["metadata"], "annotations": {"team": "ml"}}},
            LIVE_SERVICE,
            Action.UPDATE,
            "desired state changed since the last apply",
        ),
        (
            HEAD,
            with_image(applied(HEAD, KUBECTL_EDIT_IMAGE), "rayproject/ray:2.9.0"),
            Action.UPDATE,
            "drift to heal: spec.containers[name=ray-head].image",
        ),
        (
            HEAD,
            applied(HEAD, KUBECTL_EDIT_IMAGE),
            Action.UNCHANGED,
            "live matches desired",
        ),
        (
            HEAD,
            applied(pod("demo-head", "head", image="rayproject/ray:2.9.0")),
            Action.RECREATE,
            "pod spec changed (spec-hash 8cda4f45dac56eb3 -> a31e175a935c1d3e); pod specs are immutable",
        ),
        (
            HEAD,
            without_our_labels(applied(HEAD)),
            Action.CONFLICT,
            "exists but was not created by gitops-ray for this unit "
            "(no matching applyset.kubernetes.io/part-of label): left alone",
        ),
        (
            SERVICE,
            {
                **LIVE_SERVICE,
                "metadata": {**LIVE_SERVICE["metadata"], "labels": membership_labels("other", "team-a")},
            },
            Action.CONFLICT,
            "belongs to gitops-ray unit 'other' (another ApplySet): declared by two units, left alone",
        ),
        (
            HEAD,
            {
                **applied(HEAD),
                "metadata": {**applied(HEAD)["metadata"], "deletionTimestamp": "2026-11-23T04:20:00Z"},
            },
            Action.RECREATE,
            "being deleted: created again once gone",
        ),
        (
            HEAD,
            with_status(applied(HEAD), phase="Failed"),
            Action.RECREATE,
            "pod phase Failed: it will not run again; deleted and created again (as KubeRay does)",
        ),
        (
            WORKER_0,
            with_status(applied(WORKER_0), phase="Succeeded"),
            Action.RECREATE,
            "pod phase Succeeded: it will not run again; deleted and created again (as KubeRay does)",
        ),
        (
            WORKER_0,
            with_status(applied(WORKER_0), phase="Running", restart="Never", terminated="ray-worker"),
            Action.RECREATE,
            "the Ray container terminated and restartPolicy is Never: deleted and created again "
            "(as KubeRay does)",
        ),
        (
            WORKER_0,
            with_status(applied(WORKER_0), phase="Running", restart="Always", terminated="ray-worker"),
            Action.UNCHANGED,
            "live matches desired",
        ),
        (
            WORKER_0,
            with_status(applied(WORKER_0), phase="Running", restart="Never", terminated="sidecar"),
            Action.UNCHANGED,
            "live matches desired",
        ),
    ],
    ids=[
        "absent",
        "service-after-apply",
        "pod-after-apply",
        "only-status-written-by-others",
        "desired-changed",
        "edited-by-kubectl",
        "kubectl-edit-set-the-same-value",
        "pod-spec-changed",
        "same-name-not-ours",
        "same-name-other-unit",
        "being-deleted",
        "pod-failed",
        "pod-succeeded",
        "ray-container-terminated-restart-never",
        "ray-container-terminated-restart-always",
        "sidecar-terminated-restart-never",
    ],
)
def test_object_action(
    desired: dict[str, Any], live: dict[str, Any] | None, action: Action, reason: str
) -> None:
    planned = plan_object(stamp(desired), live, APPLYSET)
    assert (planned.action, planned.reason) == (action, reason)


def test_pod_label_change_updates_in_place() -> None:
    relabelled = copy.deepcopy(HEAD)
    relabelled["metadata"]["labels"]["team"] = "ml"
    assert plan_object(stamp(relabelled), applied(HEAD), APPLYSET).action is Action.UPDATE


def test_planned_create_carries_the_stamped_object() -> None:
    assert plan_object(stamp(HEAD), None, APPLYSET) == PlannedAction(
        Action.CREATE, ref(HEAD), "absent", stamp(HEAD)
    )


def service_with(cluster_ip: str | None) -> dict[str, Any]:
    changed = copy.deepcopy(SERVICE)
    if cluster_ip is None:
        del changed["spec"]["clusterIP"]
    else:
        changed["spec"]["clusterIP"] = cluster_ip
    return changed


def workload(kind: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1" if kind != "Job" else "batch/v1",
        "kind": kind,
        "metadata": {"name": "redis"},
        "spec": spec,
    }


TEMPLATE = {"spec": {"containers": [{"name": "redis", "image": "redis:7"}], "restartPolicy": "Never"}}


@pytest.mark.parametrize(
    ("desired", "live", "reason"),
    [
        (
            service_with(None),
            service_with("None"),
            "service changes between headless and not (spec.clusterIP is immutable)",
        ),
        (
            service_with("None"),
            service_with("10.0.0.12"),
            "service changes between headless and not (spec.clusterIP is immutable)",
        ),
        (
            service_with("10.0.0.20"),
            service_with("10.0.0.12"),
            "spec.clusterIP changes from 10.0.0.12 to 10.0.0.20 (immutable)",
        ),
        (service_with(None), service_with("10.0.0.12"), ""),
        (
            workload("Deployment", selector={"matchLabels": {"app": "redis"}}),
            workload("Deployment", selector={"matchLabels": {"app": "cache"}}),
            "spec.selector changed (immutable)",
        ),
        (
            workload("Deployment", selector={"matchLabels": {"app": "redis"}}, replicas=2),
            workload("Deployment", selector={"matchLabels": {"app": "redis"}}, replicas=1),
            "",
        ),
        (
            workload("Job", template=TEMPLATE),
            workload(
                "Job",
                template={
                    "spec": {**TEMPLATE["spec"], "containers": [{"name": "redis", "image": "redis:6"}]}
                },
            ),
            "spec.template.spec.containers[name=redis].image changed "
            "(a Job's selector and template are immutable)",
        ),
        (
            pod("p", "worker"),
            {**pod("p", "worker"), "spec": {"containers": [{"name": "ray-worker", "image": "x"}]}},
            "pod spec differs and pod specs are immutable",
        ),
    ],
    ids=[
        "headless-to-cluster-ip",
        "cluster-ip-to-headless",
        "cluster-ip-changed",
        "allocated-cluster-ip-kept",
        "deployment-selector",
        "deployment-replicas",
        "job-template",
        "pod-without-spec-hash",
    ],
)
def test_immutable_change(desired: dict[str, Any], live: dict[str, Any], reason: str) -> None:
    assert immutable_change(desired, live) == reason


@pytest.mark.parametrize(
    ("writers", "only_us"),
    [
        ((), True),
        ((KUBELET_STATUS,), True),
        ((("kube-controller-manager", {"f:metadata": {"f:finalizers": {}}}),), True),
        ((KUBECTL_EDIT_IMAGE,), False),
    ],
    ids=["only-us", "kubelet-status", "controller-manager", "kubectl-edit"],
)
def test_written_only_by_us(writers: tuple[Writer, ...], only_us: bool) -> None:
    assert written_only_by_us(applied(HEAD, *writers)) is only_us


# --- prune candidates -----------------------------------------------------------------------------------


def prune_disabled(obj: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    changed["metadata"]["annotations"]["gitops-ray.io/prune"] = "disabled"
    return changed


@pytest.mark.parametrize(
    ("live", "action", "reason"),
    [
        (applied(WORKER_0), Action.PRUNE, "no longer in the source"),
        (prune_disabled(applied(WORKER_0)), Action.KEEP, "prune disabled by annotation gitops-ray.io/prune"),
        (
            without_our_labels(applied(WORKER_0)),
            Action.KEEP,
            "no longer carries this unit's labels: left alone",
        ),
        (None, Action.KEEP, "already gone"),
    ],
    ids=["ours", "prune-disabled", "labels-removed", "already-gone"],
)
def test_member_no_longer_desired(live: dict[str, Any] | None, action: Action, reason: str) -> None:
    live_objects = {ref(WORKER_0): live} if live is not None else {}
    plan = plan_unit(unit(HEAD), {ref(HEAD): applied(HEAD), **live_objects}, inventory(HEAD, WORKER_0))
    assert [(p.action, p.reason) for p in plan.actions if p.ref == ref(WORKER_0)] == [(action, reason)]


def inventory(*objects: dict[str, Any], source: str = SOURCE) -> Inventory:
    return Inventory(KEY, source, frozenset(ref(obj) for obj in objects))


@pytest.mark.parametrize(
    ("live", "released", "final"),
    [
        (applied(WORKER_0), set(), {ref(HEAD)}),
        (prune_disabled(applied(WORKER_0)), set(), {ref(HEAD), ref(WORKER_0)}),
        (without_our_labels(applied(WORKER_0)), {ref(WORKER_0)}, {ref(HEAD)}),
        (None, {ref(WORKER_0)}, {ref(HEAD)}),
    ],
    ids=["pruned", "prune-disabled-stays-listed", "labels-removed-is-forgotten", "gone-is-forgotten"],
)
def test_inventory_after_prune(
    live: dict[str, Any] | None, released: set[MemberRef], final: set[MemberRef]
) -> None:
    live_objects = {ref(HEAD): applied(HEAD)} | ({ref(WORKER_0): live} if live is not None else {})
    plan = plan_unit(unit(HEAD), live_objects, inventory(HEAD, WORKER_0))
    assert plan.released == released
    pruned = [p.ref for p in plan.actions if p.action is Action.PRUNE]
    assert plan.final_inventory(pruned) == Inventory(KEY, SOURCE, frozenset(final))


def test_a_failed_delete_stays_in_the_inventory() -> None:
    plan = plan_unit(
        unit(HEAD), {ref(HEAD): applied(HEAD), ref(WORKER_0): applied(WORKER_0)}, inventory(HEAD, WORKER_0)
    )
    assert plan.final_inventory(pruned=[]) == inventory(HEAD, WORKER_0)


# --- one unit -------------------------------------------------------------------------------------------


def test_first_sync_creates_everything_and_the_parent() -> None:
    plan = plan_unit(unit(SERVICE, HEAD, WORKER_0), {}, None)
    assert [(p.action, p.ref) for p in plan.actions] == [
        (Action.CREATE, ref(SERVICE)),
        (Action.CREATE, ref(HEAD)),
        (Action.CREATE, ref(WORKER_0)),
    ]
    assert plan.parent_action is Action.CREATE
    assert plan.inventory == inventory(SERVICE, HEAD, WORKER_0)
    assert plan.counts() == Counts(created=3)


def test_an_unchanged_unit_plans_no_writes() -> None:
    live = {ref(SERVICE): LIVE_SERVICE, ref(HEAD): applied(HEAD)}
    plan = plan_unit(unit(SERVICE, HEAD), live, inventory(SERVICE, HEAD))
    assert plan.has_writes is False
    assert plan.parent_action is Action.UNCHANGED
    assert plan.counts() == Counts(unchanged=2)


def test_the_parent_is_widened_before_apply_with_new_members() -> None:
    plan = plan_unit(unit(HEAD, WORKER_0), {ref(HEAD): applied(HEAD)}, inventory(HEAD))
    assert plan.parent_action is Action.UPDATE
    assert plan.inventory == inventory(HEAD, WORKER_0)
    assert plan.has_writes is True


def test_a_moved_file_updates_the_recorded_source() -> None:
    plan = plan_unit(unit(HEAD), {ref(HEAD): applied(HEAD)}, inventory(HEAD, source="old/demo.yaml"))
    assert plan.parent_action is Action.UPDATE
    assert plan.inventory == inventory(HEAD)


def test_a_conflicting_object_is_not_added_to_the_inventory() -> None:
    plan = plan_unit(unit(HEAD), {ref(HEAD): without_our_labels(applied(HEAD))}, None)
    assert plan.inventory == Inventory(KEY, SOURCE)
    assert plan.counts() == Counts(conflicts=1)


def test_a_unit_with_problems_is_skipped_whole_and_nothing_is_pruned() -> None:
    broken = Problem(SOURCE, "spec.headGroupSpec is required", document=0)
    plan = plan_unit(
        unit(HEAD, problems=(broken,)), {ref(WORKER_0): applied(WORKER_0)}, inventory(HEAD, WORKER_0)
    )
    assert [(p.action, p.ref, p.reason) for p in plan.actions] == [
        (Action.SKIP, ref(HEAD), "unit has problems: not applied"),
        (Action.SKIP, ref(WORKER_0), "unit has problems: not pruned"),
    ]
    assert (plan.parent_action, plan.has_writes, plan.problems) == (Action.SKIP, False, (broken,))


def test_an_object_declared_twice_makes_the_unit_a_problem() -> None:
    plan = plan_unit(unit(HEAD, HEAD), {}, None)
    assert plan.problems == (
        Problem(SOURCE, "declared more than once in this unit", object="Pod team-a/demo-head"),
    )
    assert {p.action for p in plan.actions} == {Action.SKIP}


def test_counts_report_failed_writes_as_failed() -> None:
    plan = plan_unit(unit(SERVICE, HEAD), {}, None)
    assert plan.counts(failed=[ref(HEAD)]) == Counts(created=1, failed=1)
    assert plan.counts(failed=[ref(HEAD)]).as_dict() == {
        "created": 1,
        "updated": 0,
        "recreated": 0,
        "unchanged": 0,
        "conflicts": 0,
        "pruned": 0,
        "kept": 0,
        "skipped": 0,
        "failed": 1,
        "pending": 0,
    }


# --- order ----------------------------------------------------------------------------------------------


def test_apply_order_is_kind_order_then_head_then_workers_by_index() -> None:
    objects = [pod("demo-gpu-worker-10", "worker"), pod("demo-gpu-worker-2", "worker"), HEAD, SERVICE]
    plan = plan_unit(unit(*objects), {}, None)
    assert [p.ref.name for p in ordered_for_apply(plan.actions)] == [
        "demo-head-svc",
        "demo-head",
        "demo-gpu-worker-2",
        "demo-gpu-worker-10",
    ]


def test_counts_report_recreates_still_waiting_as_pending() -> None:
    live = {ref(HEAD): with_status(applied(HEAD), phase="Failed"), ref(WORKER_0): applied(WORKER_0)}
    plan = plan_unit(unit(HEAD, WORKER_0), live, inventory(HEAD, WORKER_0))
    assert plan.counts(pending=[ref(HEAD)]) == Counts(unchanged=1, pending=1)


def test_prune_order_is_reversed_highest_worker_first() -> None:
    members = [SERVICE, HEAD, pod("demo-gpu-worker-2", "worker"), pod("demo-gpu-worker-10", "worker")]
    live = {ref(obj): applied(obj) for obj in members}
    plan = plan_unit(unit(), live, inventory(*members))
    assert [p.ref.name for p in ordered_for_prune(plan.actions)] == [
        "demo-gpu-worker-10",
        "demo-gpu-worker-2",
        "demo-head",
        "demo-head-svc",
    ]


def test_apply_order_leaves_out_unchanged_and_conflicting_objects() -> None:
    live = {ref(SERVICE): LIVE_SERVICE, ref(HEAD): without_our_labels(applied(HEAD))}
    plan = plan_unit(unit(SERVICE, HEAD, WORKER_0), live, None)
    assert [p.ref for p in ordered_for_apply(plan.actions)] == [ref(WORKER_0)]


# --- whole state ----------------------------------------------------------------------------------------

OTHER_KEY = UnitKey("team-a", "other")
OTHER_SOURCE = "clusters/team-a/other.yaml"
OTHER_POD = {
    **pod("other-head", "head"),
    "metadata": {"name": "other-head", "namespace": "team-a", "labels": membership_labels("other", "team-a")},
}
OTHER_INVENTORY = Inventory(OTHER_KEY, OTHER_SOURCE, frozenset({ref(OTHER_POD)}))
LIVE = {ref(HEAD): applied(HEAD), ref(OTHER_POD): applied(OTHER_POD)}


def actions_by_unit(plan: Any) -> dict[str, list[tuple[Action, str]]]:
    return {str(u.key): [(p.action, p.ref.name) for p in u.actions] for u in plan.units}


def test_a_deleted_file_prunes_exactly_its_cluster() -> None:
    state = DesiredState(units=(unit(HEAD),))
    plan = plan_state(state, LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY})
    assert actions_by_unit(plan) == {
        "team-a/demo": [(Action.UNCHANGED, "demo-head")],
        "team-a/other": [(Action.PRUNE, "other-head")],
    }
    assert [u.retired for u in plan.units] == [False, True]


HELD_BY_OTHER_SOURCE = f"prune held: 1 broken file ({OTHER_SOURCE}): nothing is pruned this cycle"


def test_a_broken_file_protects_its_clusters_from_prune() -> None:
    state = DesiredState(
        units=(unit(HEAD),), broken_sources=(Problem(OTHER_SOURCE, "mapping values are not allowed here"),)
    )
    plan = plan_state(state, LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY})
    assert plan.units[1].actions == (PlannedAction(Action.KEEP, ref(OTHER_POD), HELD_BY_OTHER_SOURCE),)
    assert plan.units[1].has_writes is False
    assert plan.prune_held == HELD_BY_OTHER_SOURCE


def test_a_moved_and_broken_file_holds_the_prune_of_the_cluster_it_came_from() -> None:
    moved = "clusters/team-a/renamed.yaml"
    state = DesiredState(units=(unit(HEAD),), broken_sources=(Problem(moved, "could not find expected ':'"),))
    plan = plan_state(state, LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY})
    assert actions_by_unit(plan)["team-a/other"] == [(Action.KEEP, "other-head")]
    assert plan.prune_held == f"prune held: 1 broken file ({moved}): nothing is pruned this cycle"
    assert plan.counts() == Counts(unchanged=1, kept=1)


def test_a_broken_file_holds_the_prunes_inside_healthy_units_too() -> None:
    live = {ref(HEAD): applied(HEAD), ref(WORKER_0): applied(WORKER_0)}
    state = DesiredState(units=(unit(HEAD),), broken_sources=(Problem("z.yaml", "bad"),))
    plan = plan_state(state, live, {KEY: inventory(HEAD, WORKER_0)})
    assert plan.units[0].actions[1] == PlannedAction(
        Action.KEEP,
        ref(WORKER_0),
        "prune held: 1 broken file (z.yaml): nothing is pruned this cycle",
        live=applied(WORKER_0),
    )


def test_a_unit_with_problems_protects_other_inventories_from_its_file() -> None:
    broken = RenderedUnit(
        UnitKey("team-a", "other-renamed"), OTHER_SOURCE, problems=(Problem(OTHER_SOURCE, "bad"),)
    )
    plan = plan_state(
        DesiredState(units=(unit(HEAD), broken)), LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY}
    )
    assert actions_by_unit(plan)["team-a/other"] == [(Action.KEEP, "other-head")]


def test_an_inventory_of_another_source_is_never_retired() -> None:
    state = DesiredState(units=(unit(HEAD),), source_id="https://git.example/a#clusters")
    theirs = replace(OTHER_INVENTORY, source_id="https://git.example/b#clusters")
    ours = replace(inventory(HEAD), source_id="https://git.example/a#clusters")
    plan = plan_state(state, LIVE, {KEY: ours, OTHER_KEY: theirs})
    assert actions_by_unit(plan) == {"team-a/demo": [(Action.UNCHANGED, "demo-head")]}


def test_a_retired_inventory_of_this_source_is_pruned() -> None:
    state = DesiredState(units=(unit(HEAD),), source_id="https://git.example/a#clusters")
    mine = replace(OTHER_INVENTORY, source_id="https://git.example/a#clusters")
    plan = plan_state(state, LIVE, {OTHER_KEY: mine})
    assert actions_by_unit(plan)["team-a/other"] == [(Action.PRUNE, "other-head")]


def test_a_plan_of_some_units_plans_only_them_and_retires_no_inventory() -> None:
    state = DesiredState(units=(unit(HEAD),))
    plan = plan_state(state, LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY}, only={KEY})
    assert actions_by_unit(plan) == {"team-a/demo": [(Action.UNCHANGED, "demo-head")]}
    assert plan.prune_held == ""


def test_a_plan_of_some_units_holds_their_prunes_while_a_unit_it_leaves_out_is_broken() -> None:
    broken = RenderedUnit(OTHER_KEY, OTHER_SOURCE, problems=(Problem(OTHER_SOURCE, "bad"),))
    live = {ref(HEAD): applied(HEAD), ref(WORKER_0): applied(WORKER_0)}
    state = DesiredState(units=(unit(HEAD), broken))
    plan = plan_state(state, live, {KEY: inventory(HEAD, WORKER_0)}, only={KEY})
    assert actions_by_unit(plan) == {
        "team-a/demo": [(Action.UNCHANGED, "demo-head"), (Action.KEEP, "demo-gpu-worker-0")]
    }
    assert plan.prune_held == f"prune held: 1 broken file ({OTHER_SOURCE}): nothing is pruned this cycle"


def test_a_cluster_recorded_by_another_source_is_not_applied_without_adopt() -> None:
    state = DesiredState(units=(unit(HEAD, WORKER_0),), source_id="https://git.example/a#clusters")
    theirs = replace(inventory(HEAD), source_id="https://git.example/b#clusters")
    plan = plan_state(state, LIVE, {KEY: theirs})
    assert [problem.message for problem in plan.units[0].problems] == [
        "cluster team-a/demo is managed by another source (https://git.example/b#clusters): not applied "
        "(pass --adopt to take it over)"
    ]
    assert plan.has_writes is False


def test_adopt_takes_a_cluster_over_and_records_this_source() -> None:
    state = DesiredState(units=(unit(HEAD, WORKER_0),), source_id="https://git.example/a#clusters")
    theirs = replace(inventory(HEAD), source_id="https://git.example/b#clusters")
    plan = plan_state(state, LIVE, {KEY: theirs}, adopt=True)
    assert plan.units[0].ok
    assert plan.units[0].inventory is not None
    assert plan.units[0].inventory.source_id == "https://git.example/a#clusters"
    assert plan.units[0].parent_action is Action.UPDATE


def test_an_inventory_without_a_source_identity_is_adopted_by_the_source_that_declares_it() -> None:
    state = DesiredState(units=(unit(HEAD),), source_id="https://git.example/a#clusters")
    plan = plan_state(state, LIVE, {KEY: inventory(HEAD)})
    assert plan.units[0].ok
    assert plan.units[0].inventory is not None
    assert plan.units[0].inventory.source_id == "https://git.example/a#clusters"


def test_an_empty_source_prunes_nothing_without_allow_empty_prune() -> None:
    plan = plan_state(DesiredState(), LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY})
    assert plan.prune_held == (
        "prune held: the source yields no clusters while 2 are deployed: nothing is pruned "
        "(pass --allow-empty-prune to prune them)"
    )
    assert plan.has_writes is False
    assert plan.counts() == Counts(kept=2)


def test_an_empty_source_prunes_everything_with_allow_empty_prune() -> None:
    plan = plan_state(
        DesiredState(), LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY}, allow_empty_prune=True
    )
    assert plan.prune_held == ""
    assert plan.counts() == Counts(pruned=2)


def test_two_files_defining_one_cluster_are_both_skipped() -> None:
    clash = Problem(SOURCE, "team-a/demo is defined more than once (also in clusters/team-a/copy.yaml)")
    twin = RenderedUnit(KEY, "clusters/team-a/copy.yaml", objects=(HEAD,), problems=(clash,))
    plan = plan_state(DesiredState(units=(unit(HEAD, problems=(clash,)), twin)), LIVE, {KEY: inventory(HEAD)})
    assert [u.ok for u in plan.units] == [False, False]
    assert plan.has_writes is False


def test_state_counts_add_up_units() -> None:
    plan = plan_state(
        DesiredState(units=(unit(HEAD, WORKER_0),)), LIVE, {KEY: inventory(HEAD), OTHER_KEY: OTHER_INVENTORY}
    )
    assert plan.counts() == Counts(created=1, unchanged=1, pruned=1)
