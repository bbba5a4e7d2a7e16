"""The sync cycle's orchestration, driven by an in-memory cluster: which writes are sent, in which order,
and what is counted. What the API server does with them is tested against the real one (tests/cluster)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakekube import FakeCluster, forbid

from gitops_ray.edge.apply import SyncOptions, sync_state
from gitops_ray.edge.fencing import Fenced
from gitops_ray.edge.kube import KubeError
from gitops_ray.model.objects import KubeObject
from gitops_ray.model.units import DesiredState, UnitKey
from gitops_ray.source.desired import desired_state

CONTAINER = {"name": "ray", "image": "rayproject/ray:2.53.0", "resources": {"limits": {"cpu": "1"}}}
CLUSTER = {
    "apiVersion": "ray.io/v1",
    "kind": "RayCluster",
    "metadata": {"name": "demo", "namespace": "team-a"},
    "spec": {
        "rayVersion": "2.53.0",
        "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [CONTAINER]}}},
        "workerGroupSpecs": [
            {
                "groupName": "small",
                "replicas": 1,
                "minReplicas": 0,
                "maxReplicas": 4,
                "rayStartParams": {},
                "template": {"spec": {"containers": [CONTAINER]}},
            }
        ],
    },
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}


@pytest.fixture
def state(tmp_path: Path) -> DesiredState:
    (tmp_path / "team-a").mkdir()
    (tmp_path / "team-a" / "demo.yaml").write_text(yaml.safe_dump(CLUSTER))
    return desired_state(tmp_path)


def cluster_with_namespace(fake: FakeCluster) -> FakeCluster:
    fake.apply(NAMESPACE, "test-setup")
    fake.sent.clear()
    return fake


def test_a_first_sync_writes_the_inventory_before_any_member_and_the_status_last(
    state: DesiredState,
) -> None:
    fake = cluster_with_namespace(FakeCluster())
    sync_state(state, fake, SyncOptions())
    assert fake.sent == [
        ("PATCH", "ConfigMap team-a/gitops-ray-demo", False),
        ("PATCH", "Service team-a/demo-head-svc", False),
        ("PATCH", "Pod team-a/demo-head", False),
        ("PATCH", "Pod team-a/demo-small-worker-0", False),
        ("PATCH", "ConfigMap team-a/gitops-ray-demo", False),
    ]


def test_a_second_sync_of_an_unchanged_source_sends_no_write(state: DesiredState) -> None:
    fake = cluster_with_namespace(FakeCluster())
    sync_state(state, fake, SyncOptions())
    fake.sent.clear()
    result = sync_state(state, fake, SyncOptions())
    assert (fake.sent, result.writes) == ([], 0)


def test_a_dry_run_sends_only_dry_writes(state: DesiredState) -> None:
    fake = cluster_with_namespace(FakeCluster())
    sync_state(state, fake, SyncOptions(dry_run=True))
    assert [dry for _, _, dry in fake.sent] == [True, True, True, True]
    assert fake.kinds() == [("Namespace", "team-a")]


def test_a_failed_inventory_write_sends_nothing_else_and_counts_every_write_failed(
    state: DesiredState,
) -> None:
    fake = cluster_with_namespace(FakeCluster(fail=forbid("PATCH", "ConfigMap")))
    result = sync_state(state, fake, SyncOptions())
    assert fake.sent == [("PATCH", "ConfigMap team-a/gitops-ray-demo", False)]
    assert (result.units[0].counts.created, result.units[0].counts.failed) == (0, 3)


def test_a_fenced_write_aborts_the_cycle(state: DesiredState) -> None:
    def no_longer_leader() -> None:
        raise Fenced("the Lease could have expired")

    fake = cluster_with_namespace(FakeCluster())
    with pytest.raises(Fenced):
        sync_state(state, fake.with_writes(check=no_longer_leader), SyncOptions())
    assert fake.sent == []


def test_a_pod_kept_compact_that_could_not_be_replaced_is_reported_with_its_real_differences(
    tmp_path: Path,
) -> None:
    fake = cluster_with_namespace(FakeCluster())
    source = tmp_path / "team-a" / "demo.yaml"
    source.parent.mkdir()
    source.write_text(yaml.safe_dump(CLUSTER))
    sync_state(desired_state(tmp_path), fake, SyncOptions())
    fake.fail = forbid("DELETE", "Pod")
    source.write_text(yaml.safe_dump(CLUSTER).replace("ray:2.53.0", "ray:2.54.0"))

    result = sync_state(desired_state(tmp_path), fake, SyncOptions())

    head = next(drift for drift in result.units[0].drift.objects if drift.ref.name == "demo-head")
    assert (head.state, [(diff.path, diff.live, diff.desired) for diff in head.diffs]) == (
        "differs",
        [
            (
                'metadata.annotations["ray.io/upgrade-strategy-recreate-hash"]',
                "C3PF7DI40GRM8VTV2F2V1501JJDM1N40",
                "D2UTI9UCPGGJP9F24GJCRSU3R3SRER51",
            ),
            ("spec.containers[name=ray].image", "rayproject/ray:2.53.0", "rayproject/ray:2.54.0"),
        ],
    )


def test_a_units_duration_includes_the_time_its_writes_took(state: DesiredState) -> None:
    def slow_pods(verb: str, obj: KubeObject) -> None:
        if obj["kind"] == "Pod":
            time.sleep(0.2)  # the head and one worker: 0.4 s of writes

    result = sync_state(state, cluster_with_namespace(FakeCluster(fail=slow_pods)), SyncOptions())
    (unit,) = result.units
    assert unit.duration is not None and 0.4 <= unit.duration < 5


def test_a_unit_that_could_not_be_carried_out_has_no_duration(state: DesiredState) -> None:
    result = sync_state(state, FakeCluster(), SyncOptions(create_namespaces=False))
    (unit,) = result.units
    assert (unit.errors[0].message, unit.duration) == (
        "namespace team-a does not exist (namespace creation is off)",
        None,
    )


PARENT_KEY = ("", "ConfigMap", "team-a", "gitops-ray-demo")


def test_the_status_is_applied_by_its_own_field_manager_beside_the_inventory(state: DesiredState) -> None:
    fake = cluster_with_namespace(FakeCluster())
    result = sync_state(state, fake, SyncOptions(revision="abc123"))
    parent = fake.objects[PARENT_KEY]
    status = json.loads(parent["metadata"]["annotations"]["gitops-ray.io/status"])
    assert sorted(fake.applied[PARENT_KEY]) == ["gitops-ray", "gitops-ray-status"]
    assert "members" in parent["data"]
    assert (status["revision"], status["sync"], status["health"], status["healthMessage"]) == (
        "abc123",
        "Synced",
        "InProgress",
        "head not ready",
    )
    assert {k: v for k, v in parent["metadata"]["labels"].items() if k.startswith("gitops-ray.io/")} == {
        "gitops-ray.io/cluster": "demo",
        "gitops-ray.io/sync": "Synced",
        "gitops-ray.io/health": "InProgress",
    }
    assert result.units[0].status is not None and result.units[0].status.sync == "Synced"


def test_a_refused_status_write_is_an_error_of_its_unit(state: DesiredState) -> None:
    def status_forbidden(verb: str, obj: dict[str, Any]) -> KubeError | None:
        if verb == "PATCH" and obj.get("kind") == "ConfigMap" and "data" not in obj:
            return KubeError("apply ConfigMap team-a/gitops-ray-demo: forbidden", 403, "Forbidden")
        return None

    fake = cluster_with_namespace(FakeCluster(fail=status_forbidden))
    result = sync_state(state, fake, SyncOptions())
    assert [str(error) for error in result.units[0].errors] == [
        "team-a/demo.yaml: status of team-a/demo: apply ConfigMap team-a/gitops-ray-demo: forbidden"
    ]
    assert result.units[0].counts.created == 3


def test_an_observing_cycle_reports_the_status_but_writes_none(state: DesiredState) -> None:
    fake = cluster_with_namespace(FakeCluster())
    sync_state(state, fake, SyncOptions())
    fake.objects.pop(("", "Pod", "team-a", "demo-small-worker-0"))
    fake.sent.clear()
    result = sync_state(state, fake, SyncOptions(heal=False))
    status = result.units[0].status
    assert fake.sent == []
    assert status is not None
    assert (status.sync, status.message) == ("OutOfSync", "drift: 1 missing")


def test_a_sync_of_one_cluster_writes_only_its_objects_and_retires_no_other(tmp_path: Path) -> None:
    other = {**CLUSTER, "metadata": {"name": "other", "namespace": "team-a"}}
    (tmp_path / "team-a").mkdir()
    (tmp_path / "team-a" / "demo.yaml").write_text(yaml.safe_dump(CLUSTER))
    (tmp_path / "team-a" / "other.yaml").write_text(yaml.safe_dump(other))
    fake = cluster_with_namespace(FakeCluster())
    sync_state(desired_state(tmp_path), fake, SyncOptions())
    for name in ("demo-small-worker-0", "other-small-worker-0"):
        fake.objects.pop(("", "Pod", "team-a", name))
    (tmp_path / "team-a" / "other.yaml").unlink()  # left the source: only a whole sync may retire it
    fake.sent.clear()

    result = sync_state(desired_state(tmp_path), fake, SyncOptions(), only={UnitKey("team-a", "demo")})

    assert fake.sent == [("PATCH", "Pod team-a/demo-small-worker-0", False)]
    assert [str(unit.key) for unit in result.units] == ["team-a/demo"]
    assert ("Pod", "other-head") in fake.kinds()
