"""Kubernetes Events on the real API server: what a cycle posts, how repeats are counted, what posts none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from clusterkit import write_source
from kubernetes import client, config
from test_raycluster_target import autoscaled, raycluster_crd  # noqa: F401 (the CRD fixture)
from test_rbac import connect_as, deploy_rbac
from testkit import raycluster

from gitops_ray.edge.apply import SyncOptions, sync_state
from gitops_ray.edge.fencing import Fenced
from gitops_ray.edge.kube import KubeApi
from gitops_ray.edge.kube.events import EventRecorder, EventTally
from gitops_ray.model.objects import KubeObject
from gitops_ray.model.refs import MemberRef
from gitops_ray.observe.events import EventSpec, EventType, Reason, cycle_events
from gitops_ray.source.desired import desired_state

pytestmark = pytest.mark.apiserver

REV = "4e1d2c3b9a0f"


def sync_and_post(root: Path, kube: KubeApi, recorder: EventRecorder, **options: Any) -> EventTally:
    """One cycle of `root` (`options`: SyncOptions fields) whose Events `recorder` posts, as
    `edge.cycle` does: through the cycle's client, dry when the cycle is."""
    state = desired_state(root)
    sync_options = SyncOptions(**options)
    result = sync_state(state, kube, sync_options)
    wrote = sync_options.heal and not sync_options.dry_run
    specs = cycle_events(result, state, REV, wrote)
    return recorder.post(kube.with_writes(dry_run=sync_options.dry_run), specs)


def events(kube: KubeApi, namespace: str) -> list[tuple[str, str, str, int]]:
    """(reason, involved object, type, count) of every Event in the namespace, sorted."""
    return sorted(
        (
            event["reason"],
            f"{event['involvedObject']['kind']}/{event['involvedObject']['name']}",
            event["type"],
            event["count"],
        )
        for event in kube.list_objects("v1", "Event", namespace)
    )


def only_event(kube: KubeApi, namespace: str) -> KubeObject:
    found = kube.list_objects("v1", "Event", namespace)
    assert len(found) == 1, found
    return found[0]


def test_a_cycle_that_creates_a_cluster_posts_applied_on_its_parent(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})

    tally = sync_and_post(tmp_path, kube, EventRecorder("replica-1"))

    event = only_event(kube, namespace)
    parent = kube.get("v1", "ConfigMap", namespace, "gitops-ray-demo")
    assert parent is not None
    assert tally == EventTally(created=1)
    assert {key: event[key] for key in ("type", "reason", "action", "message", "count")} == {
        "type": "Normal",
        "reason": "Applied",
        "action": "Apply",
        "message": f"revision {REV}: 3 created: Service {namespace}/demo-head-svc, "
        f"Pod {namespace}/demo-head, Pod {namespace}/demo-small-worker-0",
        "count": 1,
    }
    assert event["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "namespace": namespace,
        "name": "gitops-ray-demo",
        "uid": parent["metadata"]["uid"],
    }
    assert (event["reportingComponent"], event["reportingInstance"], event["source"]) == (
        "gitops-ray",
        "replica-1",
        {"component": "gitops-ray", "host": "replica-1"},
    )


def test_kubectl_finds_the_events_by_reporting_component(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    sync_and_post(tmp_path, kube, EventRecorder("replica-1"))
    core = client.CoreV1Api(config.new_client_from_config(apiserver_kubeconfig))

    # what `kubectl get events --field-selector reportingComponent=gitops-ray,reason=Applied` asks for
    selector = "reportingComponent=gitops-ray,reason=Applied"
    found = core.list_namespaced_event(namespace, field_selector=selector).items

    assert [event.involved_object.name for event in found] == ["gitops-ray-demo"]
    assert core.list_namespaced_event(namespace, field_selector="reportingComponent=other").items == []


def test_a_cycle_with_nothing_to_do_posts_no_event(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    recorder = EventRecorder("replica-1")
    sync_and_post(tmp_path, kube, recorder)

    tally = sync_and_post(tmp_path, kube, recorder)

    assert tally == EventTally()
    assert events(kube, namespace) == [("Applied", "ConfigMap/gitops-ray-demo", "Normal", 1)]


def test_a_repeated_failure_is_one_event_counted_twice(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    broken = raycluster("demo", namespace, workers=1)
    broken["spec"]["workerGroupSpecs"][0].update(minReplicas=5, maxReplicas=2)  # KubeRay rejects min > max
    write_source(tmp_path, {f"{namespace}/demo.yaml": [broken]})
    recorder = EventRecorder("replica-1")

    first = sync_and_post(tmp_path, kube, recorder)
    second = sync_and_post(tmp_path, kube, recorder)

    assert (first, second) == (EventTally(created=1), EventTally(counted=1))
    assert events(kube, namespace) == [("Failed", "ConfigMap/gitops-ray-demo", "Warning", 2)]
    event = only_event(kube, namespace)
    assert event["message"].startswith(f"revision {REV}: {namespace}/demo.yaml: document 0 (RayCluster")
    assert "uid" not in event["involvedObject"]  # the cluster never applied: its parent does not exist


def test_the_deployed_cluster_role_is_enough_to_post_and_count_events(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    as_controller = connect_as(kube, apiserver_kubeconfig, deploy_rbac(), tmp_path)
    broken = raycluster("demo", namespace, workers=1)
    broken["spec"]["workerGroupSpecs"][0].update(minReplicas=5, maxReplicas=2)
    write_source(tmp_path / "src", {f"{namespace}/demo.yaml": [broken]})
    recorder = EventRecorder("replica-1")

    tallies = [sync_and_post(tmp_path / "src", as_controller, recorder) for _ in range(2)]

    assert tallies == [EventTally(created=1), EventTally(counted=1)]


def test_a_repeat_after_the_window_is_a_new_event(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    recorder = EventRecorder("replica-1", window=600, clock=lambda: now[0])
    spec = EventSpec(
        MemberRef("v1", "ConfigMap", namespace, "gitops-ray-demo"),
        EventType.WARNING,
        Reason.FAILED,
        "Sync",
        f"revision {REV}: broken",
    )

    tallies = [recorder.post(kube, [spec])]
    now[0] += 601
    tallies.append(recorder.post(kube, [spec]))

    assert tallies == [EventTally(created=1), EventTally(created=1)]
    assert events(kube, namespace) == [
        ("Failed", "ConfigMap/gitops-ray-demo", "Warning", 1),
        ("Failed", "ConfigMap/gitops-ray-demo", "Warning", 1),
    ]


def test_a_repeat_of_an_event_deleted_meanwhile_creates_it_again(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    recorder = EventRecorder("replica-1")
    spec = EventSpec(
        MemberRef("v1", "ConfigMap", namespace, "gitops-ray-demo"),
        EventType.WARNING,
        Reason.FAILED,
        "Sync",
        f"revision {REV}: broken",
    )
    recorder.post(kube, [spec])
    kube.delete(only_event(kube, namespace))  # what the API server's event TTL does

    tally = recorder.post(kube, [spec])

    assert tally == EventTally(created=1)
    assert events(kube, namespace) == [("Failed", "ConfigMap/gitops-ray-demo", "Warning", 1)]


def test_a_dry_run_posts_no_event(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})

    tally = sync_and_post(tmp_path, kube, EventRecorder("replica-1"), dry_run=True)

    assert tally == EventTally()
    assert kube.list_objects("v1", "Event", namespace) == []


def test_a_fenced_replica_posts_no_event(kube: KubeApi, namespace: str) -> None:
    def fenced() -> None:
        raise Fenced("the Lease is no longer ours")

    spec = EventSpec(
        MemberRef("v1", "ConfigMap", namespace, "gitops-ray-demo"),
        EventType.NORMAL,
        Reason.APPLIED,
        "Apply",
        f"revision {REV}: 1 created: Pod {namespace}/demo-head",
    )
    writes = kube.counter.writes

    with pytest.raises(Fenced):
        EventRecorder("replica-1").post(kube.with_writes(check=fenced), [spec])

    assert kube.counter.writes == writes
    assert kube.list_objects("v1", "Event", namespace) == []


def test_a_failed_post_is_counted_and_does_not_stop_the_others(kube: KubeApi, namespace: str) -> None:
    tallies: list[EventTally] = []
    recorder = EventRecorder("replica-1", report=tallies.append)
    missing = EventSpec(
        MemberRef("v1", "ConfigMap", "no-such-namespace-x1", "gitops-ray-demo"),
        EventType.NORMAL,
        Reason.APPLIED,
        "Apply",
        f"revision {REV}: 1 created",
    )
    present = EventSpec(
        MemberRef("v1", "ConfigMap", namespace, "gitops-ray-demo"),
        EventType.NORMAL,
        Reason.APPLIED,
        "Apply",
        f"revision {REV}: 1 created",
    )

    tally = recorder.post(kube, [missing, present])

    assert tallies == [tally] == [EventTally(created=1, failed=1)]
    assert events(kube, namespace) == [("Applied", "ConfigMap/gitops-ray-demo", "Normal", 1)]


@pytest.mark.usefixtures("raycluster_crd")
def test_with_target_raycluster_the_raycluster_gets_the_events_too(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [autoscaled("demo", namespace, replicas=1)]})

    sync_and_post(tmp_path, kube, EventRecorder("replica-1"))

    live = kube.get("ray.io/v1", "RayCluster", namespace, "demo")
    assert live is not None
    assert events(kube, namespace) == [
        ("Applied", "ConfigMap/gitops-ray-demo", "Normal", 1),
        ("Applied", "RayCluster/demo", "Normal", 1),
    ]
    on_raycluster = [
        event
        for event in kube.list_objects("v1", "Event", namespace)
        if event["involvedObject"]["kind"] == "RayCluster"
    ]
    assert on_raycluster[0]["involvedObject"]["uid"] == live["metadata"]["uid"]
    assert on_raycluster[0]["message"] == f"revision {REV}: 1 created: RayCluster {namespace}/demo"
