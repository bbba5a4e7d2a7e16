"""Between cycles the leader syncs the clusters whose Pods were deleted or stopped: events are coalesced (a
burst is one sync per cluster), each sync covers those clusters alone, against the last cycle's desired
state, and only while that state can be trusted. The watch itself runs on the real API server
(tests/cluster/test_pod_watch.py), the whole controller in tests/faults/test_pod_reactions.py."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml
from fakekube import FakeCluster

from gitops_ray.app.controller import Controller
from gitops_ray.app.pod_syncs import PodSyncs
from gitops_ray.app.settings import ControllerSettings
from gitops_ray.edge.apply import SyncOptions, sync_state
from gitops_ray.edge.fencing import Fenced
from gitops_ray.edge.git import RepoSettings
from gitops_ray.edge.kube import KubeApi, RequestCounter
from gitops_ray.edge.kube.watch import Coalescer
from gitops_ray.model.ownership import unit_applyset_id
from gitops_ray.source.desired import desired_state

CONTAINER = {"name": "ray", "image": "rayproject/ray:2.53.0"}


def raycluster(name: str) -> dict[str, object]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [CONTAINER]}}},
            "workerGroupSpecs": [
                {"groupName": "small", "replicas": 1, "template": {"spec": {"containers": [CONTAINER]}}}
            ],
        },
    }


DEMO = unit_applyset_id("demo", "team-a")
OTHER = unit_applyset_id("other", "team-a")


# --- coalescing -------------------------------------------------------------------------------------------


def test_a_burst_of_events_is_taken_once_per_key() -> None:
    coalescer = Coalescer(quiet=0.2, longest=2.0)
    for index in range(30):
        coalescer.add(DEMO if index % 3 else OTHER)
    assert coalescer.take(timeout=1.0) == {DEMO, OTHER}
    assert coalescer.take(timeout=0.1) == frozenset()


def test_a_key_noted_after_a_take_is_taken_by_the_next() -> None:
    coalescer = Coalescer(quiet=0.05)
    coalescer.add(DEMO)
    assert coalescer.take(timeout=1.0) == {DEMO}
    coalescer.add(DEMO)
    assert coalescer.take(timeout=1.0) == {DEMO}


def test_a_take_waits_until_the_burst_is_quiet_but_no_longer_than_longest() -> None:
    coalescer = Coalescer(quiet=0.3, longest=0.6)
    stop = threading.Event()

    def keep_noting() -> None:
        while not stop.wait(0.05):
            coalescer.add(DEMO)

    started = time.monotonic()
    coalescer.add(OTHER)
    noting = threading.Thread(target=keep_noting)
    noting.start()
    try:
        assert coalescer.take(timeout=1.0) == {DEMO, OTHER}
        waited = time.monotonic() - started
    finally:
        stop.set()
        noting.join()
    assert 0.55 <= waited < 3.0  # never quiet for 0.3 s: taken at `longest`


def test_thirty_pods_deleted_at_once_make_one_sync_per_cluster() -> None:
    synced: list[frozenset[str]] = []
    stopping = threading.Event()
    syncs = PodSyncs(
        KubeApi(None, RequestCounter()), synced.append, lambda: False, threading.Lock(), stopping
    )
    syncs.start()  # not leading: the watch idles; the events below come as the watch would pass them on
    try:
        for index in range(30):
            labels = {"app.kubernetes.io/managed-by": "gitops-ray"}
            labels["applyset.kubernetes.io/part-of"] = DEMO if index < 20 else OTHER
            syncs.watch.notify(
                "DELETED", {"kind": "Pod", "metadata": {"name": f"p{index}", "labels": labels}}
            )
        deadline = time.monotonic() + 5
        while not synced and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        stopping.set()
        syncs.stop()
    assert synced == [frozenset({DEMO, OTHER})]


# --- the controller's sync of single clusters -------------------------------------------------------------


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "team-a").mkdir(parents=True)
    for name in ("demo", "other"):
        (root / "team-a" / f"{name}.yaml").write_text(yaml.safe_dump(raycluster(name)))
    return root


def controller_on(fake: FakeCluster, tmp_path: Path) -> Controller:
    settings = ControllerSettings(repo="https://git.example/ray.git")
    return Controller(RepoSettings(settings.repo, cache_dir=tmp_path / "cache"), settings, lambda: fake)


def synced_cluster(source: Path) -> FakeCluster:
    fake = FakeCluster()
    fake.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}, "test-setup")
    sync_state(desired_state(source), fake, SyncOptions())
    fake.sent.clear()
    return fake


def test_a_deleted_pod_is_created_again_from_the_last_desired_state(source: Path, tmp_path: Path) -> None:
    fake = synced_cluster(source)
    fake.objects.pop(("", "Pod", "team-a", "demo-small-worker-0"))
    controller = controller_on(fake, tmp_path)
    controller.desired = desired_state(source)

    result = controller.sync_pods([DEMO])

    assert result is not None and [str(unit.key) for unit in result.units] == ["team-a/demo"]
    assert fake.sent == [("PATCH", "Pod team-a/demo-small-worker-0", False)]
    assert controller.metrics.registry.get_sample_value("gitops_ray_pod_syncs_total", {"result": "done"}) == 1


def test_before_a_cycle_of_its_leadership_the_controller_syncs_nothing(source: Path, tmp_path: Path) -> None:
    fake = synced_cluster(source)
    fake.objects.pop(("", "Pod", "team-a", "demo-small-worker-0"))
    assert controller_on(fake, tmp_path).sync_pods([DEMO]) is None
    assert fake.sent == []


def test_a_stand_by_syncs_nothing_and_forgets_what_it_rendered(source: Path, tmp_path: Path) -> None:
    fake = synced_cluster(source)
    fake.objects.pop(("", "Pod", "team-a", "demo-small-worker-0"))
    controller = controller_on(fake, tmp_path)
    controller.desired = desired_state(source)
    controller.is_leader = lambda: False

    assert controller.sync_pods([DEMO]) is None
    assert controller.tick() is None
    assert (fake.sent, controller.desired) == ([], None)


def test_an_applyset_of_no_declared_cluster_syncs_nothing(source: Path, tmp_path: Path) -> None:
    fake = synced_cluster(source)
    controller = controller_on(fake, tmp_path)
    controller.desired = desired_state(source)
    assert controller.sync_pods([unit_applyset_id("gone", "team-a")]) is None
    assert fake.sent == []


def test_a_fenced_sync_writes_nothing_and_forgets_the_desired_state(source: Path, tmp_path: Path) -> None:
    def fenced() -> None:
        raise Fenced("the Lease may have expired")

    fake = synced_cluster(source)
    fake.objects.pop(("", "Pod", "team-a", "demo-small-worker-0"))
    controller = controller_on(fake, tmp_path)
    controller.desired = desired_state(source)
    controller.check = fenced

    assert controller.sync_pods([DEMO]) is None
    assert (fake.sent, controller.desired) == ([], None)
    assert (
        controller.metrics.registry.get_sample_value("gitops_ray_pod_syncs_total", {"result": "fenced"}) == 1
    )
