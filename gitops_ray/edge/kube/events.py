"""`EventRecorder`: posts the Events of a cycle (`observe.events`) as core v1 Events, counting repeats.

Core v1, as client-go's `tools/record` recorder writes them (KubeRay's own Events on a RayCluster are
such Events): `count`, `firstTimestamp`, `lastTimestamp` and `source` are what every kubectl shows
(`kubectl describe`'s "x3 over 10m" and "From"; v1.20's reads nothing else), and `reportingComponent` /
`reportingInstance` are set too, so `--field-selector reportingComponent=gitops-ray` finds them. An
`events.k8s.io/v1` Event may not set `count` or `source`, and kubectl v1.20 shows neither its series count
nor its controller.

Repeats are aggregated as client-go's `EventCorrelator` does: the same Event (regarded object with its
uid, type, reason, message) seen again within `window` seconds of its last occurrence is a PATCH of the
existing Event's `count` and `lastTimestamp`, not a new Event; the recorder remembers the last
`cache_size` Events it posted (an LRU, as client-go's). An Event that expired meanwhile (PATCH 404) is
created again.

Events are writes: they go through `KubeApi`'s one write gate, so a fenced replica posts none (`Fenced`
propagates and aborts the cycle, as for any write) and a dry-run client posts none at all. Any other
failure is logged and counted (the tally goes to `report`: the controller's metrics), never raised: an
Event never fails a cycle.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from gitops_ray.edge.kube.api import KubeApi
from gitops_ray.edge.kube.errors import KubeError, NotFound
from gitops_ray.model.objects import KubeObject, uid
from gitops_ray.model.ownership import FIELD_MANAGER
from gitops_ray.model.refs import MemberRef
from gitops_ray.observe.events import REPORTING_CONTROLLER, EventSpec

log = structlog.get_logger(__name__)

CACHE_SIZE = 4096  # client-go's maxLruCacheEntries
# A repeat within this long of the last one counts on the same Event: the API server's default
# --event-ttl, which every PATCH renews, so an Event that keeps recurring is never lost in between.
WINDOW_SECONDS = 3600.0

_Key = tuple[str, str, str, str, str, str, str, str]  # regarded object (with uid), type, reason, message


@dataclass
class _Posted:
    """An Event this recorder posted: where it is and how often it was seen."""

    name: str
    namespace: str
    count: int
    last_seen: float


@dataclass(frozen=True)
class EventTally:
    """What one `post` did: Events created, repeats counted on an existing Event, and failures."""

    created: int = 0
    counted: int = 0
    failed: int = 0


def _timestamp(seconds: float) -> str:
    """An Event timestamp (RFC 3339, whole seconds), e.g. `2026-12-04T16:00:00Z`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventRecorder:
    """Posts Events for one replica (`instance`, its identity: the Events' `reportingInstance` and
    `source.host`). Keep one per process, so repeats across cycles are counted on the same Event. `report`
    receives the tally of every `post`."""

    def __init__(
        self,
        instance: str,
        *,
        report: Callable[[EventTally], None] = lambda tally: None,
        window: float = WINDOW_SECONDS,
        cache_size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.instance = instance
        self.report = report
        self.window = window
        self.cache_size = cache_size
        self.clock = clock
        self._posted: OrderedDict[_Key, _Posted] = OrderedDict()

    def post(self, kube: KubeApi, specs: Iterable[EventSpec]) -> EventTally:
        """Post `specs`. A dry-run client posts nothing; `Fenced` propagates; other errors are logged and
        counted in the tally."""
        if kube.dry_run:
            return EventTally()
        created = counted = failed = 0
        uids: dict[MemberRef, str] = {}
        for spec in specs:
            try:
                if spec.regarding not in uids:
                    uids[spec.regarding] = _uid_of(kube, spec.regarding)
                if self._record(kube, spec, uids[spec.regarding]):
                    counted += 1
                else:
                    created += 1
            except KubeError as error:
                failed += 1
                log.warning(
                    "event.failed",
                    object=str(spec.regarding),
                    reason=str(spec.reason),
                    error=str(error),
                )
        tally = EventTally(created, counted, failed)
        self.report(tally)
        return tally

    def _record(self, kube: KubeApi, spec: EventSpec, regarding_uid: str) -> bool:
        """Post one Event; True when it was counted on an Event posted before."""
        ref = spec.regarding
        key: _Key = (
            ref.api_version,
            ref.kind,
            ref.namespace,
            ref.name,
            regarding_uid,
            str(spec.type),
            str(spec.reason),
            spec.message,
        )
        now = self.clock()
        earlier = self._posted.get(key)
        if earlier is not None and now - earlier.last_seen <= self.window:
            count = earlier.count + 1
            patch = {"count": count, "lastTimestamp": _timestamp(now)}
            if kube.merge_patch("v1", "Event", earlier.namespace, earlier.name, patch) is not None:
                self._remember(key, _Posted(earlier.name, earlier.namespace, count, now))
                return True
        event = self._event(spec, regarding_uid, now)
        kube.create(event, FIELD_MANAGER)
        self._remember(key, _Posted(event["metadata"]["name"], ref.namespace, 1, now))
        return False

    def _remember(self, key: _Key, posted: _Posted) -> None:
        self._posted[key] = posted
        self._posted.move_to_end(key)
        while len(self._posted) > self.cache_size:
            self._posted.popitem(last=False)

    def _event(self, spec: EventSpec, regarding_uid: str, now: float) -> KubeObject:
        """A new core v1 Event, named as client-go names them (`<object>.<nanoseconds, hex>`)."""
        ref = spec.regarding
        involved = {
            "apiVersion": ref.api_version,
            "kind": ref.kind,
            "namespace": ref.namespace,
            "name": ref.name,
        }
        if regarding_uid:
            involved["uid"] = regarding_uid
        stamp = _timestamp(now)
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{ref.name}.{time.time_ns():x}", "namespace": ref.namespace},
            "involvedObject": involved,
            "type": str(spec.type),
            "reason": str(spec.reason),
            "action": spec.action,
            "message": spec.message,
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "source": {"component": REPORTING_CONTROLLER, "host": self.instance},
            "reportingComponent": REPORTING_CONTROLLER,
            "reportingInstance": self.instance,
        }


def _uid_of(kube: KubeApi, ref: MemberRef) -> str:
    """The regarded object's uid (kubectl describe finds Events by it); "" when it does not exist (a
    unit that failed before its parent was ever written, a parent deleted with its last member, a
    RayCluster whose CRD is not installed)."""
    try:
        live = kube.get(ref.api_version, ref.kind, ref.namespace, ref.name)
    except NotFound:
        return ""
    return uid(live) if live is not None else ""
