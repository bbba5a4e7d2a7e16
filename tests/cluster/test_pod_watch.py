"""The Pod watch on a real API server: it lists, then passes on every change of the Pods gitops-ray applied;
it resumes a watch the server ends from the last version, lists again when that version is too old and
passes on what vanished meanwhile as deleted, watches only while its replica leads, and stops at once."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from clusterkit import live, sync, write_source
from testenv import TestEnv
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi
from gitops_ray.edge.kube.watch import PodWatch
from gitops_ray.model.objects import KubeObject
from gitops_ray.observe.pod_events import OWNED_PODS_SELECTOR

pytestmark = pytest.mark.apiserver

Seen = tuple[str, str, str]  # (event type, namespace, name)


class Recorder:
    """A `PodWatch` running on a thread, and every event it passed on."""

    def __init__(self, kube: KubeApi, **options: Any) -> None:
        self.seen: list[Seen] = []
        self._changed = threading.Condition()
        self.watch = PodWatch(kube, self._note, OWNED_PODS_SELECTOR, **options)
        self.thread = threading.Thread(target=self.watch.run, daemon=True)

    def _note(self, event: str, pod: KubeObject) -> None:
        with self._changed:
            self.seen.append((event, pod["metadata"]["namespace"], pod["metadata"]["name"]))
            self._changed.notify_all()

    def wait_for(self, event: Seen, seconds: float = 10) -> float:
        """Seconds until `event` was passed on (it may have been already)."""
        started = time.monotonic()
        with self._changed:
            assert self._changed.wait_for(lambda: event in self.seen, seconds), f"{event} not in {self.seen}"
        return time.monotonic() - started

    def of(self, namespace: str) -> list[Seen]:
        with self._changed:
            return [seen for seen in self.seen if seen[1] == namespace]


@contextmanager
def running(recorder: Recorder) -> Iterator[Recorder]:
    recorder.thread.start()
    try:
        yield recorder
    finally:
        recorder.watch.stop()
        recorder.thread.join(5)


def recording(kube: KubeApi, **options: Any) -> contextlib.AbstractContextManager[Recorder]:
    return running(Recorder(kube, **options))


def one_worker(kube: KubeApi, namespace: str, tmp_path: Path) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    assert sync(tmp_path, kube).ok


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.05)


def test_the_listed_pods_and_a_pod_deleted_later_are_passed_on(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    one_worker(kube, namespace, tmp_path)
    with recording(kube) as recorder:
        recorder.wait_for(("ADDED", namespace, "demo-small-worker-0"))
        kube.delete(live(kube, "Pod", namespace, "demo-small-worker-0"))
        seconds = recorder.wait_for(("DELETED", namespace, "demo-small-worker-0"))
    print(f"deleted Pod passed on after {seconds:.3f} s")
    assert recorder.of(namespace) == [
        ("ADDED", namespace, "demo-head"),
        ("ADDED", namespace, "demo-small-worker-0"),
        ("MODIFIED", namespace, "demo-small-worker-0"),  # deletionTimestamp set
        ("DELETED", namespace, "demo-small-worker-0"),
    ]
    assert (recorder.watch.lists, recorder.watch.watches) == (1, 1)


def test_a_watch_the_server_ends_is_resumed_from_the_last_version_without_listing_again(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    one_worker(kube, namespace, tmp_path)
    with recording(kube, seconds=1) as recorder:
        wait_until(lambda: recorder.watch.watches >= 3, 10, "three watches of one second")
        kube.delete(live(kube, "Pod", namespace, "demo-small-worker-0"))
        recorder.wait_for(("DELETED", namespace, "demo-small-worker-0"))
    assert recorder.watch.lists == 1
    assert recorder.of(namespace)[-1] == ("DELETED", namespace, "demo-small-worker-0")


def test_a_version_too_old_for_a_restarted_api_server_lists_again_and_a_pod_gone_meanwhile_is_deleted(
    start_testenv: Callable[[], TestEnv], tmp_path: Path
) -> None:
    env = start_testenv()  # its own: restarted below
    try:
        kube = env.connect()
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "watched"}}, "test-setup")
        one_worker(kube, "watched", tmp_path)
        leading = threading.Event()
        leading.set()
        with recording(kube, active=leading.is_set) as recorder:
            recorder.wait_for(("ADDED", "watched", "demo-small-worker-0"))
            leading.clear()  # stands by: no watch while the API server restarts and the Pod goes
            recorder.watch.interrupt()
            env.stop()
            env.start()  # a new watch cache, which starts after the watch's last version
            kube.delete(live(kube, "Pod", "watched", "demo-small-worker-0"))
            leading.set()
            recorder.wait_for(("DELETED", "watched", "demo-small-worker-0"), 30)
        assert recorder.of("watched") == [
            ("ADDED", "watched", "demo-head"),
            ("ADDED", "watched", "demo-small-worker-0"),
            ("MODIFIED", "watched", "demo-head"),  # reported as the relist reads it
            ("DELETED", "watched", "demo-small-worker-0"),  # once the relist is whole
        ]
        assert recorder.watch.lists == 2
    finally:
        env.stop()


def test_a_watch_of_a_replica_that_does_not_lead_neither_lists_nor_watches_until_it_leads(
    kube: KubeApi, namespace: str, tmp_path: Path
) -> None:
    one_worker(kube, namespace, tmp_path)
    leading = threading.Event()
    with recording(kube, active=leading.is_set) as recorder:
        time.sleep(1.5)
        assert (recorder.watch.lists, recorder.watch.watches) == (0, 0)
        leading.set()
        recorder.wait_for(("ADDED", namespace, "demo-small-worker-0"))


def test_stop_ends_the_watch_at_once(kube: KubeApi) -> None:
    with recording(kube) as recorder:
        wait_until(lambda: recorder.watch.watches == 1, 10, "a watch")
        time.sleep(0.5)  # reading: nothing to read until something changes
        stopped = time.monotonic()
        recorder.watch.stop()
        recorder.thread.join(5)
        seconds = time.monotonic() - stopped
    assert not recorder.thread.is_alive()
    assert seconds < 1.0
