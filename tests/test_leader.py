"""Lease-based leader election: renew, stand by, take over after the Lease goes quiet on *our* clock; and
the leader's deadline: it acts only until 2/3 of the duration after sending its last successful renew."""

from __future__ import annotations

import copy
import socket
import time
from typing import Any

import pytest
import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException

from gitops_ray.edge.fencing import Fenced
from gitops_ray.edge.kube.lease import KubeLeaseStore, LeaderElector, Lease, LeaseConfig, LeaseConflict


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


class Unreachable:
    """One replica's view of the store: `down` makes every request fail as `error` (a partition of that
    replica only); `latency` advances the clock while a request is on its way."""

    def __init__(self, store: MemoryLeaseStore, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.error: Exception | None = None
        self.latency = 0.0

    def _call(self) -> None:
        self.clock.now += self.latency
        if self.error is not None:
            raise self.error

    def get(self) -> Lease | None:
        self._call()
        return self.store.get()

    def create(self, lease: Lease) -> Lease:
        self._call()
        return self.store.create(lease)

    def replace(self, lease: Lease) -> Lease:
        self._call()
        return self.store.replace(lease)


def elector(store: MemoryLeaseStore | Unreachable, identity: str, clock: Clock) -> LeaderElector:
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
    store, config = MemoryLeaseStore(), LeaseConfig("gitops-ray", "ops", "a", duration=15)
    LeaderElector(store, config, Clock(), wall_clock=Clock(now=0.0)).try_acquire_or_renew()  # 1970
    b_config = LeaseConfig("gitops-ray", "ops", "b", duration=15)
    far = Clock(now=1_900_000_000.0)
    assert not LeaderElector(store, b_config, far, wall_clock=far).try_acquire_or_renew()


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


# -- the leader's deadline (fencing) -----------------------------------------------------------------


def test_the_renew_deadline_is_two_thirds_of_the_lease_duration() -> None:
    assert LeaseConfig("gitops-ray", "ops", "a", duration=15).renew_deadline == 10
    assert LeaseConfig("gitops-ray", "ops", "a", duration=6).renew_deadline == 4


def test_a_leader_holds_the_lease_until_the_deadline_of_its_last_renew_and_not_after() -> None:
    clock = Clock()
    leader = elector(MemoryLeaseStore(), "a", clock)
    leader.try_acquire_or_renew()
    assert leader.holds_lease(clock.now + 9.99)
    assert not leader.holds_lease(clock.now + 10)


def test_the_deadline_counts_from_when_the_renew_was_sent_not_when_it_was_answered() -> None:
    clock = Clock()
    slow = Unreachable(MemoryLeaseStore(), clock)
    slow.latency = 3.0  # each of the round's two requests (read, then write) takes 3 s
    leader = elector(slow, "a", clock)
    sent = clock.now
    assert leader.try_acquire_or_renew()
    assert clock.now == sent + 6
    assert leader.holds_lease(sent + 9.99) and not leader.holds_lease(sent + 10)


def test_a_renew_answered_after_its_deadline_does_not_make_a_leader() -> None:
    clock = Clock()
    slow = Unreachable(MemoryLeaseStore(), clock)
    slow.latency = 6.0
    assert not elector(slow, "a", clock).try_acquire_or_renew()


@pytest.mark.parametrize(
    "error",
    [
        urllib3.exceptions.MaxRetryError(None, "/leases", reason="connection refused"),  # type: ignore[arg-type]
        urllib3.exceptions.ReadTimeoutError(None, "/leases", "read timed out"),  # type: ignore[arg-type]
        ApiException(status=500, reason="Internal Server Error"),
        ApiException(status=503, reason="Service Unavailable"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
    ],
    ids=["refused", "read-timeout", "500", "503", "reset", "timeout"],
)
def test_a_failed_renew_never_raises_and_the_leader_leads_on_only_until_its_deadline(
    error: Exception,
) -> None:
    clock = Clock()
    view = Unreachable(MemoryLeaseStore(), clock)
    leader = elector(view, "a", clock)
    assert leader.try_acquire_or_renew()
    view.error = error
    clock.now += 5
    assert leader.try_acquire_or_renew()  # the renew failed, the deadline has not passed yet
    clock.now += 4.99
    assert leader.try_acquire_or_renew()
    clock.now += 0.01
    assert not leader.try_acquire_or_renew()
    assert not leader.is_leader


def test_a_cut_off_leader_stops_strictly_before_a_standby_may_take_over() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    view = Unreachable(store, clock)
    a, b = elector(view, "a", clock), elector(store, "b", clock)
    a.try_acquire_or_renew()
    renewed = clock.now
    b.try_acquire_or_renew()  # b sees a's renew at once: the earliest it can start counting
    view.error = ConnectionRefusedError(111, "Connection refused")
    for step in range(1, 16):  # both keep trying once a second
        clock.now = renewed + step - 0.01
        assert a.try_acquire_or_renew() == (step <= 10)
        assert not b.try_acquire_or_renew()
    clock.now = renewed + 15
    assert b.try_acquire_or_renew()  # five seconds after a stopped acting
    assert not a.try_acquire_or_renew() and store.holder == "b"


def test_a_leader_whose_renew_lost_a_race_stops_at_once() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    a = elector(store, "a", clock)
    a.try_acquire_or_renew()
    store.get = lambda: None  # type: ignore[method-assign]  # a reads no Lease, creates one: 409
    assert not a.try_acquire_or_renew()
    assert not a.holds_lease(clock.now)


def test_the_write_check_passes_while_the_lease_is_held_and_fences_after_the_deadline() -> None:
    clock = Clock()
    leader = elector(MemoryLeaseStore(), "a", clock)
    leader.try_acquire_or_renew()
    leader.check()
    clock.now += 10
    with pytest.raises(Fenced, match=r"not renewed within 10\.0 s"):
        leader.check()


def test_the_write_check_of_a_standby_fences() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    elector(store, "a", clock).try_acquire_or_renew()
    standby = elector(store, "b", clock)
    standby.try_acquire_or_renew()
    with pytest.raises(Fenced):
        standby.check()


def test_a_lease_past_its_deadline_is_not_released() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    view = Unreachable(store, clock)
    a = elector(view, "a", clock)
    a.try_acquire_or_renew()
    clock.now += 10  # a may no longer act; what the Lease says is no longer a's to change
    a.release()
    assert store.holder == "a" and store.version == 1


def test_a_released_elector_never_leads_again() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    a = elector(store, "a", clock)
    a.try_acquire_or_renew()
    a.release()
    assert not a.try_acquire_or_renew()
    assert store.holder is None


def test_a_release_that_cannot_reach_the_api_server_does_not_raise() -> None:
    store, clock = MemoryLeaseStore(), Clock()
    view = Unreachable(store, clock)
    a = elector(view, "a", clock)
    a.try_acquire_or_renew()
    view.error = ConnectionRefusedError(111, "Connection refused")
    a.release()
    assert not a.is_leader and store.holder == "a"


def test_a_lease_request_to_a_server_that_never_answers_gives_up_within_the_store_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never says a word
        configuration = Configuration(host=f"https://127.0.0.1:{silent.getsockname()[1]}")
        configuration.retries = False
        store = KubeLeaseStore(ApiClient(configuration), "ops", "gitops-ray", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(urllib3.exceptions.HTTPError):
            store.get()
        assert time.monotonic() - started < 2
