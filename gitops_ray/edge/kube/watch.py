"""A watch of the Pods gitops-ray applied, across namespaces, so the controller repairs a lost Ray node within
seconds rather than at its next resync (README "Reacting to Pod changes").

As client-go's reflector: LIST, then WATCH from the list's resourceVersion. A watch the API server ends
(after `WATCH_SECONDS`) or a dropped connection is resumed from the last version seen, and the server
replays what happened meanwhile; a version the server no longer keeps (410 Gone, "too old resource
version") means changes may have been missed, so the Pods are listed again and those gone since are
reported deleted (client-go's `DeletedFinalStateUnknown`). Failures are retried with exponential backoff.
It watches only while `active()` (this replica leads), and `stop()` ends it at once.

`Coalescer` turns a burst of events (thirty Pods deleted at once) into one sync per unit.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from sys import intern
from typing import Any

import structlog
import urllib3

from gitops_ray.edge.kube.api import KubeApi
from gitops_ray.edge.kube.errors import KubeError
from gitops_ray.model.objects import KubeObject, label, metadata
from gitops_ray.model.ownership import MANAGED_BY_LABEL, PART_OF_LABEL

log = structlog.get_logger(__name__)

WATCH_SECONDS = 60  # the API server ends each watch after this; it is resumed from the last version
SILENCE_SECONDS = 30.0  # a watch silent for this long past its end is a dead connection
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
IDLE_SECONDS = 1.0  # how often a replica that does not lead looks again; a watch shorter than this is suspect
DELETED = "DELETED"
EXPIRED = 410  # HTTP Gone: the resourceVersion is older than the API server keeps

Notify = Callable[[str, KubeObject], None]
"""Called with each event's type (ADDED, MODIFIED, DELETED) and Pod, on the watch's thread."""
PodKey = tuple[str, str]  # (namespace, name)


class Expired(Exception):
    """The watch's resourceVersion is older than the API server keeps: list again."""


def _key(pod: KubeObject) -> PodKey:
    meta = metadata(pod)
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


Remembered = tuple[str, str, str]
"""What a relist needs of a Pod to report it deleted: its uid and the two labels that say whose it is
(`observe.pod_events.applyset_to_sync`). A tuple of shared strings: tens of thousands are kept."""


def _remembered(pod: KubeObject) -> Remembered:
    return (
        str(metadata(pod).get("uid") or ""),
        intern(label(pod, MANAGED_BY_LABEL) or ""),
        intern(label(pod, PART_OF_LABEL) or ""),
    )


def _gone(key: PodKey, remembered: Remembered) -> KubeObject:
    """The Pod a relist no longer finds, as its DELETED event reports it."""
    uid, managed_by, part_of = remembered
    labels = {MANAGED_BY_LABEL: managed_by, PART_OF_LABEL: part_of}
    meta = {"namespace": key[0], "name": key[1], "uid": uid, "labels": labels}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta}


def _lines(response: Any) -> Iterator[bytes]:
    """The watch's events, one JSON document per line, as they arrive."""
    pending = b""
    for chunk in response.stream(2**16):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from (line for line in complete if line.strip())


def _shut(response: Any) -> None:
    """Shut the socket under `response` down, so a read blocked on it in another thread returns now."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class PodWatch:
    """Watches the Pods `label_selector` selects in every namespace and calls `notify` for each change, from
    `run()` on a thread of its own. The API server ends each watch after `seconds`. `lists` and `watches`
    count the requests that started each."""

    def __init__(
        self,
        kube: KubeApi,
        notify: Notify,
        label_selector: str,
        active: Callable[[], bool] = lambda: True,
        seconds: int = WATCH_SECONDS,
    ) -> None:
        self.kube = kube
        self.notify = notify
        self.label_selector = label_selector
        self.active = active
        self.seconds = seconds
        self.failures = 0  # failed attempts since the last watch opened
        self.version = ""  # the last resourceVersion seen; "" lists first
        self.known: dict[PodKey, Remembered] = {}  # the Pods as last seen, for the next relist to compare
        self.lists = 0
        self.watches = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._response: Any = None

    def run(self) -> None:
        """Watch until `stop()`; failures are logged and retried, never raised."""
        backoff = BACKOFF_FIRST_SECONDS
        while not self._stopping.is_set():
            if not self.active():
                self._stopping.wait(IDLE_SECONDS)
                continue
            started = time.monotonic()
            try:
                if not self.version:
                    self._relist()
                self._watch()
            except Expired as error:
                log.info("watch.expired", error=str(error), action="listing the Pods again")
                self.version = ""
                continue
            except (KubeError, urllib3.exceptions.HTTPError, OSError, ValueError) as error:
                if self._stopping.is_set():
                    return
                if not self.active():
                    continue  # closed by `interrupt()` on stepping down: no failure
                self.failures += 1
                log.warning(
                    "watch.failed", error=str(error), error_type=type(error).__name__, retry_seconds=backoff
                )
            else:
                if time.monotonic() - started >= IDLE_SECONDS:
                    backoff = BACKOFF_FIRST_SECONDS
                    continue  # the server ended the watch after WATCH_SECONDS: resume at once
            self._stopping.wait(backoff)
            backoff = min(2 * backoff, BACKOFF_MAX_SECONDS)

    def stop(self) -> None:
        """End `run()`: at once, even in the middle of a watch."""
        self._stopping.set()
        self.interrupt()

    def interrupt(self) -> None:
        """Close the open watch now (this replica no longer leads, or stops); `run()` then goes on as
        `active()` and `stop()` say, from the last version seen."""
        with self._lock:
            response = self._response
        if response is not None:
            _shut(response)

    def _relist(self) -> None:
        """List the Pods; report every listed one changed as its page arrives, then those gone since the
        last look deleted. Of each Pod only what a later relist compares is kept: tens of thousands of
        Pods, even compacted, would be tens of MB while the first cycle holds its own."""

        def seen(pod: KubeObject) -> tuple[PodKey, Remembered]:
            key = _key(pod)
            self.notify("MODIFIED" if key in self.known else "ADDED", pod)
            return key, _remembered(pod)

        pods, version = self.kube.list_with_version("v1", "Pod", None, self.label_selector, shrink=seen)
        self.lists += 1
        listed = dict(pods)
        for key, remembered in sorted(self.known.items()):
            now = listed.get(key)
            if now is None or now[0] != remembered[0]:
                self.notify(DELETED, _gone(key, remembered))
        self.known = listed
        self.version = version
        log.info("watch.listed", pods=len(pods), version=version)

    def _watch(self) -> None:
        """One watch request, read until the API server ends it, this replica stops leading or `stop()`."""
        try:
            response = self.kube.watch(
                "v1",
                "Pod",
                None,
                self.label_selector,
                self.version,
                self.seconds,
                self.seconds + SILENCE_SECONDS,
            )
        except KubeError as error:
            if error.status == EXPIRED:
                raise Expired(error.message) from None
            raise
        with self._lock:
            self._response = response
        self.watches += 1
        if self.failures:
            log.info("watch.resumed", failures=self.failures, version=self.version)
            self.failures = 0
        try:
            if self._stopping.is_set() or not self.active():
                return  # stopped or stepped down while connecting: `interrupt()` found no response yet
            for line in _lines(response):
                if self._stopping.is_set() or not self.active():
                    return
                self._event(json.loads(line))
        finally:
            with self._lock:
                self._response = None
            response.close()
            response.release_conn()

    def _event(self, event: Mapping[str, Any]) -> None:
        kind = str(event.get("type") or "")
        obj: KubeObject = event.get("object") or {}
        if kind == "ERROR":
            message = str(obj.get("message") or obj)
            if obj.get("code") == EXPIRED:
                raise Expired(message)
            raise KubeError(f"watch Pod: {message}", int(obj.get("code") or 0), str(obj.get("reason") or ""))
        version = metadata(obj).get("resourceVersion")
        if version:
            self.version = str(version)
        if kind == "BOOKMARK":
            return
        if kind == DELETED:
            self.known.pop(_key(obj), None)
        else:
            self.known[_key(obj)] = _remembered(obj)
        self.notify(kind, obj)


class Coalescer:
    """Gathers keys from bursts of events so each is handled once per burst: `take` returns every key noted,
    once none came for `quiet` seconds (or `longest` after the first of them)."""

    def __init__(self, quiet: float = 0.2, longest: float = 1.0) -> None:
        self.quiet = quiet
        self.longest = longest
        self._changed = threading.Condition()
        self._keys: set[str] = set()
        self._first = 0.0
        self._last = 0.0

    def add(self, key: str) -> None:
        with self._changed:
            now = time.monotonic()
            if not self._keys:
                self._first = now
            self._keys.add(key)
            self._last = now
            self._changed.notify_all()

    def take(self, timeout: float) -> frozenset[str]:
        """Every key noted, once quiet; empty when none came within `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self._keys), timeout):
                return frozenset()
            while (left := min(self._last + self.quiet, self._first + self.longest) - time.monotonic()) > 0:
                self._changed.wait(left)
            keys = frozenset(self._keys)
            self._keys.clear()
            return keys
