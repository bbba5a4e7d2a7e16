"""Lease-based leader election: renew, stand by, take over after the Lease goes quiet on *our* clock."""

from __future__ import annotations

import copy
from typing import Any

from gitops_ray.leader import LeaderElector, Lease, LeaseConfig, LeaseConflict


class MemoryLeaseStore:
    """A Lease with resourceVersion checks, as the API server does them."""

    def __init__(self) -> None:
        self.lease: Lease | None = None
        self.version = 0

    def get(self) -> Lease | None:
        return copy.deepcopy(self.lease)

    def create(self, lease: Lease) -> Lease:
        if self.lease is not None:
            raise LeaseConflict("exists")
        return self._store(lease)

    def replace(self, lease: Lease) -> Lease:
        if self.lease is None or lease["metadata"].get("resourceVersion") != str(self.version):
            raise LeaseConflict("stale")
        return self._store(lease)

    def _store(self, lease: Lease) -> Lease:
        self.version += 1
        self.lease = {
            **copy.deepcopy(lease),
            "metadata": {**lease["metadata"], "resourceVersion": str(self.version)},
        }
        return copy.deepcopy(self.lease)

    @property
    def holder(self) -> Any:
        return (self.lease or {}).get("spec", {}).get("holderIdentity")


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def elector(store: MemoryLeaseStore, identity: str, clock: Clock) -> LeaderElector:
    return LeaderElector(store, LeaseConfig("gitops-ray", "ops", identity, duration=15), clock)


def test_the_first_replica_creates_the_lease_and_leads() -> None:
    store = MemoryLeaseStore()
    assert elector(store, "a", Clock()).try_acquire_or_renew()
    assert store.holder == "a"
    assert store.lease is not None and store.lease["spec"]["leaseDurationSeconds"] == 15


def test_a_second_replica_stands_by_while_the_leader_renews() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    leader, standby = elector(store, "a", clock), elector(store, "b", clock)
    leader.try_acquire_or_renew()
    for _ in range(5):
        clock.now += 10
        assert leader.try_acquire_or_renew()
        assert not standby.try_acquire_or_renew()
    assert store.holder == "a"


def test_a_silent_leader_is_replaced_once_the_standby_saw_no_change_for_the_duration() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    elector(store, "a", clock).try_acquire_or_renew()
    standby = elector(store, "b", clock)
    assert not standby.try_acquire_or_renew()  # first sight of the record starts the standby's timer
    clock.now += 14.9
    assert not standby.try_acquire_or_renew()
    clock.now += 0.1
    assert standby.try_acquire_or_renew()
    assert store.holder == "b"
    assert store.lease is not None and store.lease["spec"]["leaseTransitions"] == 1


def test_a_remote_clock_far_in_the_past_does_not_make_a_live_leader_look_expired() -> None:
    store = MemoryLeaseStore()
    elector(store, "a", Clock(now=0.0)).try_acquire_or_renew()  # renewTime written from a clock at 1970
    assert not elector(store, "b", Clock(now=1_900_000_000.0)).try_acquire_or_renew()


def test_losing_a_race_for_the_lease_means_standing_by() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    a = elector(store, "a", clock)
    a.try_acquire_or_renew()
    b = elector(store, "b", clock)
    b.try_acquire_or_renew()
    clock.now += 20
    stale = store.get()
    a.try_acquire_or_renew()  # the leader renews first
    assert stale is not None
    store.get = lambda: copy.deepcopy(stale)  # type: ignore[method-assign]  # b acts on what it read before
    assert not b.try_acquire_or_renew()


def test_a_released_lease_is_taken_over_at_once() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    a, b = elector(store, "a", clock), elector(store, "b", clock)
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    a.release()
    assert (a.is_leader, store.holder) == (False, None)
    assert b.try_acquire_or_renew()
