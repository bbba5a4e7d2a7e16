"""The Kubernetes edge against a real API server: what each call sends and what it returns."""

from __future__ import annotations

import time

import pytest

from gitops_ray.edge.kube import KubeApi, KubeError, api

pytestmark = pytest.mark.apiserver


def config_map(namespace: str, name: str, data: dict[str, str]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def test_apply_creates_the_object_and_returns_it_as_stored(kube: KubeApi, namespace: str) -> None:
    stored = kube.apply(config_map(namespace, "settings", {"a": "1"}), "gitops-ray")

    assert stored["data"] == {"a": "1"}
    assert stored["metadata"]["managedFields"][0]["manager"] == "gitops-ray"
    assert kube.requests == {"PATCH": 1}


def test_list_objects_fills_in_api_version_and_kind(kube: KubeApi, namespace: str) -> None:
    kube.apply(config_map(namespace, "settings", {"a": "1"}), "gitops-ray")

    listed = kube.list_objects("v1", "ConfigMap", namespace)

    assert [(o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in listed] == [
        ("v1", "ConfigMap", "settings")
    ]


def test_a_list_longer_than_a_page_is_read_page_by_page_and_returns_every_object(
    kube: KubeApi, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(7):
        kube.apply(config_map(namespace, f"settings-{index}", {"a": str(index)}), "gitops-ray")
    monkeypatch.setattr(api, "LIST_PAGE", 3)
    before = kube.requests.get("GET", 0)

    listed = kube.list_objects("v1", "ConfigMap", namespace, cached=True)

    assert sorted(o["metadata"]["name"] for o in listed) == [f"settings-{i}" for i in range(7)]
    assert kube.requests["GET"] - before == 3


def test_shrink_is_applied_to_every_listed_object(kube: KubeApi, namespace: str) -> None:
    kube.apply(config_map(namespace, "settings", {"a": "1"}), "gitops-ray")

    listed = kube.list_objects(
        "v1", "ConfigMap", namespace, shrink=lambda obj: {"name": obj["metadata"]["name"]}
    )

    assert listed == [{"name": "settings"}]


def test_dry_run_apply_is_not_stored_and_not_counted_as_a_write(kube: KubeApi, namespace: str) -> None:
    kube.with_writes(dry_run=True).apply(config_map(namespace, "settings", {"a": "1"}), "gitops-ray")

    assert kube.list_objects("v1", "ConfigMap", namespace) == []
    assert kube.counter.writes == 0


def test_create_refuses_to_take_over_an_existing_object(kube: KubeApi, namespace: str) -> None:
    kube.apply(config_map(namespace, "settings", {"a": "1"}), "someone-else")

    with pytest.raises(KubeError) as raised:
        kube.create(config_map(namespace, "settings", {"a": "2"}), "gitops-ray")

    assert raised.value.conflict
    assert str(raised.value).startswith(f"create ConfigMap {namespace}/settings: ")
    assert "already exists" in str(raised.value)


def test_delete_with_the_uid_of_a_replaced_object_deletes_nothing(kube: KubeApi, namespace: str) -> None:
    old = kube.apply(config_map(namespace, "settings", {"a": "1"}), "gitops-ray")
    kube.delete(old)
    kube.apply(config_map(namespace, "settings", {"a": "2"}), "someone-else")

    with pytest.raises(KubeError) as raised:
        kube.delete(old)

    assert raised.value.conflict
    assert [o["data"] for o in kube.list_objects("v1", "ConfigMap", namespace)] == [{"a": "2"}]


def test_deleting_a_missing_object_reports_it_was_already_gone(kube: KubeApi, namespace: str) -> None:
    assert kube.delete(config_map(namespace, "never-was", {})) is False


def test_a_kind_the_server_does_not_serve_names_the_missing_crd(kube: KubeApi, namespace: str) -> None:
    with pytest.raises(KubeError, match=r"does not serve example\.com/v1 Widget \(is its CRD installed\?\)"):
        kube.list_objects("example.com/v1", "Widget", namespace)


def test_a_cached_list_sees_everything_this_client_wrote(kube: KubeApi, namespace: str) -> None:
    kube.list_objects("v1", "ConfigMap", namespace)  # first LIST of the kind: from etcd
    for index in range(20):
        kube.apply(config_map(namespace, f"settings-{index}", {"a": str(index)}), "gitops-ray")

    listed = kube.list_objects("v1", "ConfigMap", namespace, cached=True)

    assert sorted(o["metadata"]["name"] for o in listed) == sorted(f"settings-{i}" for i in range(20))


def test_a_cached_list_falls_back_to_etcd_when_the_cluster_never_saw_that_version(
    kube: KubeApi, namespace: str
) -> None:
    kube.apply(config_map(namespace, "settings", {"a": "1"}), "gitops-ray")
    kube._seen_versions[("v1", "ConfigMap")] += 1_000_000  # as after etcd was restored from a backup

    listed = kube.list_objects("v1", "ConfigMap", namespace, cached=True)

    assert [o["metadata"]["name"] for o in listed] == ["settings"]


def test_a_kind_is_found_once_its_crd_is_installed(kube: KubeApi, namespace: str) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    with pytest.raises(KubeError, match="does not serve"):
        kube.list_objects("example.com/v1", "Gadget", namespace)
    kube.apply(crd, "test-setup")
    deadline = time.monotonic() + 30
    while True:  # bounded polling: discovery serves a new CRD asynchronously
        try:
            listed = kube.list_objects("example.com/v1", "Gadget", namespace)
            break
        except KubeError:
            assert time.monotonic() < deadline, "the Gadget CRD was not served within 30 s"
            time.sleep(0.2)

    assert listed == []
