"""Leader election over a coordination.k8s.io/v1 Lease: one replica reconciles, the others stand by.

Kubernetes itself is the arbiter (optimistic concurrency on the Lease's resourceVersion); nothing
home-made coordinates replicas. As in client-go, a leader is presumed gone when the Lease record has not
changed for `duration` seconds *as observed on this replica's own clock*: clocks of different machines
are never compared.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

log = structlog.get_logger(__name__)

Lease = dict[str, Any]


class LeaseConflict(Exception):
    """Someone else changed or created the Lease first (HTTP 409): not the leader this round."""


class LeaseStore(Protocol):
    """Where the Lease lives; `create`/`replace` raise LeaseConflict when another writer won."""

    def get(self) -> Lease | None: ...

    def create(self, lease: Lease) -> Lease: ...

    def replace(self, lease: Lease) -> Lease: ...


@dataclass(frozen=True)
class LeaseConfig:
    name: str
    namespace: str
    identity: str
    duration: float = 15.0


def _micro_time(timestamp: float) -> str:
    """The Lease's MicroTime format, e.g. `2026-11-23T04:00:00.123456Z`."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Acquire or renew the Lease on each call; `is_leader` says what the last call found."""

    def __init__(
        self, store: LeaseStore, config: LeaseConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.is_leader = False
        self._observed: tuple[str, str] | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0

    def _spec(self, now: float, acquire: bool, transitions: int) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "holderIdentity": self.config.identity,
            "leaseDurationSeconds": max(1, round(self.config.duration)),
            "renewTime": _micro_time(now),
            "leaseTransitions": transitions,
        }
        if acquire:
            spec["acquireTime"] = _micro_time(now)
        return spec

    def _expired(self, lease: Lease, now: float) -> bool:
        spec = lease.get("spec") or {}
        record = (str(spec.get("holderIdentity") or ""), str(spec.get("renewTime") or ""))
        if record != self._observed:
            self._observed, self._observed_at = record, now
        if not record[0]:
            return True  # released
        return now >= self._observed_at + float(spec.get("leaseDurationSeconds") or self.config.duration)

    def try_acquire_or_renew(self) -> bool:
        """One round: renew our Lease, take over an expired one, or stand by."""
        now = self.clock()
        was_leader = self.is_leader
        try:
            lease = self.store.get()
            if lease is None:
                self.store.create(
                    {
                        "apiVersion": "coordination.k8s.io/v1",
                        "kind": "Lease",
                        "metadata": {"name": self.config.name, "namespace": self.config.namespace},
                        "spec": self._spec(now, acquire=True, transitions=0),
                    }
                )
                self.is_leader = True
            else:
                spec = lease.get("spec") or {}
                holder = spec.get("holderIdentity")
                ours = holder == self.config.identity
                if ours or self._expired(lease, now):
                    transitions = int(spec.get("leaseTransitions") or 0) + (0 if ours else 1)
                    renewed = {
                        **lease,
                        "spec": {**spec, **self._spec(now, acquire=not ours, transitions=transitions)},
                    }
                    self.store.replace(renewed)
                    self.is_leader = True
                else:
                    self.is_leader = False
        except LeaseConflict:
            self.is_leader = False
        if self.is_leader != was_leader:
            log.info(
                "leader.changed", leader=self.is_leader, identity=self.config.identity, lease=self.config.name
            )
        return self.is_leader

    def release(self) -> None:
        """Give the Lease up at shutdown so a stand-by takes over at once instead of after `duration`."""
        if not self.is_leader:
            return
        self.is_leader = False
        try:
            lease = self.store.get()
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == self.config.identity:
                spec = {**lease["spec"], "holderIdentity": None}
                self.store.replace({**lease, "spec": spec})
        except LeaseConflict:
            pass


class KubeLeaseStore:
    """The Lease object on the API server, as plain JSON, through the official client."""

    def __init__(self, api_client: ApiClient, namespace: str, name: str) -> None:
        self.api_client = api_client
        self.collection = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        self.path = f"{self.collection}/{name}"

    def _call(self, method: str, path: str, body: Lease | None = None) -> Lease | None:
        try:
            response = self.api_client.call_api(
                path,
                method,
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                body=body,
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                _preload_content=False,
                _request_timeout=10,
            )
            try:
                data: Lease = json.loads(response.data)
            finally:
                response.release_conn()
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
