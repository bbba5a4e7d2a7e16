"""The leader's quick repair of lost Ray nodes: events of the Pods gitops-ray applied, coalesced per cluster,
become syncs of those clusters alone, one at a time with the regular cycles (README "Reacting to Pod
changes"). Two threads: the watch (`edge.kube.watch.PodWatch`) and the syncs."""

from __future__ import annotations

import threading
from collections.abc import Callable

from gitops_ray.edge.kube import KubeApi
from gitops_ray.edge.kube.watch import IDLE_SECONDS, Coalescer, PodWatch
from gitops_ray.model.objects import KubeObject
from gitops_ray.observe.pod_events import OWNED_PODS_SELECTOR, applyset_to_sync

JOIN_SECONDS = 10.0  # a sync under way is fenced by then (shutdown fences every write at once)


class PodSyncs:
    """Runs `sync(applysets)` for the clusters whose Pods were deleted or stopped, holding `cycle_lock` (the
    lock of the regular cycles) and never once `stopping` is set. Watches only while `active()` (this
    replica leads)."""

    def __init__(
        self,
        kube: KubeApi,
        sync: Callable[[frozenset[str]], object],
        active: Callable[[], bool],
        cycle_lock: threading.Lock,
        stopping: threading.Event,
    ) -> None:
        self.sync = sync
        self.cycle_lock = cycle_lock
        self.stopping = stopping
        self.coalescer = Coalescer()
        self.watch = PodWatch(kube, self._noted, OWNED_PODS_SELECTOR, active)
        self._threads = (
            threading.Thread(target=self.watch.run, name="pod-watch", daemon=True),
            threading.Thread(target=self._syncs, name="pod-syncs", daemon=True),
        )

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """End both threads (call it once `stopping` is set): the watch at once, a sync under way once its
        next write is fenced."""
        self.watch.stop()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)

    def _noted(self, event_type: str, pod: KubeObject) -> None:
        applyset = applyset_to_sync(event_type, pod)
        if applyset:
            self.coalescer.add(applyset)

    def _syncs(self) -> None:
        while not self.stopping.is_set():
            applysets = self.coalescer.take(IDLE_SECONDS)
            if not applysets:
                continue
            with self.cycle_lock:
                if self.stopping.is_set():
                    return
                self.sync(applysets)
