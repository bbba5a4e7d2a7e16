"""Leader election against the real API server: the Lease object and its optimistic concurrency."""

from __future__ import annotations

import pytest
from kubernetes.client import ApiClient

from gitops_ray.edge.kube.client import load_configuration
from gitops_ray.edge.kube.lease import KubeLeaseStore, LeaderElector, LeaseConfig, LeaseConflict

pytestmark = pytest.mark.apiserver


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def store(apiserver: object, namespace: str) -> KubeLeaseStore:
    api_client = ApiClient(load_configuration(apiserver.kubeconfig, None))  # type: ignore[attr-defined]
    return KubeLeaseStore(api_client, namespace, "gitops-ray")


def test_one_replica_leads_the_other_takes_over_after_release(apiserver: object, namespace: str) -> None:
    clock = Clock()
    a = LeaderElector(store(apiserver, namespace), LeaseConfig("gitops-ray", namespace, "a", 15), clock)
    b = LeaderElector(store(apiserver, namespace), LeaseConfig("gitops-ray", namespace, "b", 15), clock)
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    clock.now += 5
    assert a.try_acquire_or_renew()
    a.release()
    assert b.try_acquire_or_renew()
    lease = store(apiserver, namespace).get()
    assert lease is not None
    assert (lease["spec"]["holderIdentity"], lease["spec"]["leaseTransitions"]) == ("b", 1)


def test_a_stale_write_is_refused_by_the_api_server(apiserver: object, namespace: str) -> None:
    lease_store = store(apiserver, namespace)
    LeaderElector(lease_store, LeaseConfig("gitops-ray", namespace, "a", 15), Clock()).try_acquire_or_renew()
    stale = lease_store.get()
    assert stale is not None
    lease_store.replace({**stale, "spec": {**stale["spec"], "holderIdentity": "c"}})  # moves resourceVersion
    with pytest.raises(LeaseConflict):
        lease_store.replace({**stale, "spec": {**stale["spec"], "holderIdentity": "b"}})


def test_a_release_never_clears_a_lease_another_replica_took(apiserver: object, namespace: str) -> None:
    a_clock, b_clock = Clock(), Clock()
    a = LeaderElector(store(apiserver, namespace), LeaseConfig("gitops-ray", namespace, "a", 15), a_clock)
    b = LeaderElector(store(apiserver, namespace), LeaseConfig("gitops-ray", namespace, "b", 15), b_clock)
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    b_clock.now += 15  # b saw no renew for a full duration; a, on its own clock, still holds the Lease
    assert b.try_acquire_or_renew() and a.holds_lease()
    a.release()
    lease = store(apiserver, namespace).get()
    assert lease is not None and lease["spec"]["holderIdentity"] == "b"
