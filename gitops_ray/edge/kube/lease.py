"""Leader election over a coordination.k8s.io/v1 Lease: one replica reconciles, the others stand by.

Kubernetes itself is the arbiter (optimistic concurrency on the Lease's resourceVersion); nothing
home-made coordinates replicas. As in client-go, a leader is presumed gone when the Lease record has not
changed for `duration` seconds *as observed on this replica's own clock*: clocks of different machines
are never compared.

Leading has a deadline, as client-go's `renewDeadline`: a leader acts only until `renew_deadline` (2/3 of
the duration) after it *sent* its last successful renew. A stand-by saw that renew no earlier than it was
sent and waits the full duration from there, so the old leader has stopped a third of the duration
before anyone may take over, even when it cannot reach the API server at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from gitops_ray.edge.fencing import Fenced
from gitops_ray.edge.kube.official import ApiException
from gitops_ray.edge.kube.transport import call

log = structlog.get_logger(__name__)

Lease = dict[str, Any]


class LeaseConflict(Exception):
    """Someone else changed or created the Lease first (HTTP 409): not the leader this round."""


class LeaseStore(Protocol):
    """Where the Lease lives; `create`/`replace` raise LeaseConflict when another writer won, anything
    else when the API server could not answer."""

    def get(self) -> Lease | None: ...

    def create(self, lease: Lease) -> Lease: ...

    def replace(self, lease: Lease) -> Lease: ...


@dataclass(frozen=True)
class LeaseConfig:
    name: str
    namespace: str
    identity: str
    duration: float = 15.0

    @property
    def renew_deadline(self) -> float:
        """How long after sending its last successful renew the leader may still act (client-go's
        renewDeadline, which must be shorter than leaseDuration): two thirds of the duration."""
        return self.duration * 2 / 3

    @property
    def retry_period(self) -> float:
        """Time between rounds: a leader gets several attempts to renew before its deadline passes
        (client-go's retryPeriod)."""
        return self.duration / 6


def _micro_time(timestamp: float) -> str:
    """The Lease's MicroTime format, e.g. `2026-11-23T04:00:00.123456Z`."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Acquire or renew the Lease once per round; `holds_lease()` says whether this replica may act *now*.

    `clock` is monotonic (deadlines and observations of the Lease); `wall_clock` only stamps renewTime
    for people reading the Lease. Not for concurrent rounds: one thread runs them, any may ask
    `holds_lease`.
    """

    def __init__(
        self,
        store: LeaseStore,
        config: LeaseConfig,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.wall_clock = wall_clock
        self._renew_sent: float | None = None  # when the last successful acquire/renew round began
        self._released = False
        self._reported = False  # what the last `leader.changed` line said
        self._observed: tuple[str, str] | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0

    @property
    def is_leader(self) -> bool:
        return self.holds_lease()

    @property
    def last_renew(self) -> float | None:
        """When the last successful acquire or renew round began (`clock`); None while not leading."""
        return self._renew_sent

    def holds_lease(self, now: float | None = None) -> bool:
        """True while `now` is before the renew deadline of the last successful renew."""
        if self._renew_sent is None:
            return False
        return (self.clock() if now is None else now) < self._renew_sent + self.config.renew_deadline

    def check(self) -> None:
        """The write check of this replica's Lease (see `gitops_ray.edge.fencing`)."""
        if not self.holds_lease():
            raise Fenced(
                f"Lease {self.config.name} not renewed within {self.config.renew_deadline:.1f} s: "
                "another replica may lead"
            )

    def _spec(self, acquire: bool, transitions: int) -> dict[str, Any]:
        stamp = _micro_time(self.wall_clock())
        spec: dict[str, Any] = {
            "holderIdentity": self.config.identity,
            "leaseDurationSeconds": max(1, round(self.config.duration)),
            "renewTime": stamp,
            "leaseTransitions": transitions,
        }
        if acquire:
            spec["acquireTime"] = stamp
        return spec

    def _expired(self, lease: Lease, now: float) -> bool:
        spec = lease.get("spec") or {}
        record = (str(spec.get("holderIdentity") or ""), str(spec.get("renewTime") or ""))
        if record != self._observed:
            self._observed, self._observed_at = record, now
        if not record[0]:
            return True  # released
        return now >= self._observed_at + float(spec.get("leaseDurationSeconds") or self.config.duration)

    def _round(self, now: float) -> bool:
        """Read the Lease, then renew ours, take over an expired one, or stand by; True when we wrote."""
        lease = self.store.get()
        if lease is None:
            self.store.create(
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.config.name, "namespace": self.config.namespace},
                    "spec": self._spec(acquire=True, transitions=0),
                }
            )
            return True
        spec = lease.get("spec") or {}
        ours = spec.get("holderIdentity") == self.config.identity
        if not ours and not self._expired(lease, now):
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if ours else 1)
        renewed = {**lease, "spec": {**spec, **self._spec(acquire=not ours, transitions=transitions)}}
        self.store.replace(renewed)
        return True

    def try_acquire_or_renew(self) -> bool:
        """One round; never raises. An API server that cannot be reached (or answers with an error) leaves
        the last successful renew in place, so this replica leads on until its deadline and no longer."""
        if self._released:
            return False
        sent = self.clock()  # before the first request: no stand-by can have seen this renew earlier
        try:
            self._renew_sent = sent if self._round(sent) else None
        except LeaseConflict:
            self._renew_sent = None  # another replica wrote the Lease first
        except Exception as error:  # unreachable, timeouts, 5xx, garbage: all mean "not renewed"
            log.warning(
                "leader.renew_failed",
                identity=self.config.identity,
                lease=self.config.name,
                error=str(error),
                error_type=type(error).__name__,
                leading=self.holds_lease(),
            )
        leading = self.holds_lease()
        if leading != self._reported:
            self._reported = leading
            log.info("leader.changed", leader=leading, identity=self.config.identity, lease=self.config.name)
        return leading

    def release(self) -> None:
        """Give the Lease up at shutdown so a stand-by takes over at once instead of after `duration`.

        Call it only once this replica has stopped writing. A Lease it no longer holds (deadline passed,
        or another holder) is left alone; afterwards this elector never leads again."""
        holding = self.holds_lease()
        self._renew_sent, self._released = None, True
        if not holding:
            return
        try:
            lease = self.store.get()
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == self.config.identity:
                spec = {**lease["spec"], "holderIdentity": None}
                self.store.replace({**lease, "spec": spec})  # resourceVersion: only the Lease we read
                log.info("leader.released", identity=self.config.identity, lease=self.config.name)
        except LeaseConflict:
            pass
        except Exception as error:  # the stand-by takes over after `duration` instead
            log.warning("leader.release_failed", error=str(error), error_type=type(error).__name__)


class KubeLeaseStore:
    """The Lease object on the API server, as plain JSON, through the official client."""

    def __init__(self, api_client: Any, namespace: str, name: str, timeout: float = 10.0) -> None:
        self.api_client = api_client
        self.timeout = timeout  # a renew answered after the deadline is worth nothing: keep it short
        self.collection = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        self.path = f"{self.collection}/{name}"

    def _call(self, method: str, path: str, body: Lease | None = None) -> Lease | None:
        try:
            data: Lease = json.loads(
                call(self.api_client, method, path, timeout=(self.timeout, self.timeout), body=body)
            )
            return data
        except ApiException as error:
            if error.status == 404 and method == "GET":
                return None
            if error.status == 409:
                raise LeaseConflict(str(error.reason)) from None
            raise

    def get(self) -> Lease | None:
        return self._call("GET", self.path)

    def create(self, lease: Lease) -> Lease:
        return self._call("POST", self.collection, lease) or {}

    def replace(self, lease: Lease) -> Lease:
        return self._call("PUT", self.path, lease) or {}
