"""The ApplySet parent ConfigMap: what it records, that it reads back, and that a bad one is refused."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from gitops_ray.model.objects import natural_key
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import UnitKey
from gitops_ray.reconcile.inventory import (
    Inventory,
    InventoryError,
    inventory_parent,
    parse_inventory,
    shrink,
    widen,
)

KEY = UnitKey("team-a", "demo")
DEMO_ID = "applyset-ZVZODZTmtz1m0Li6BfyfZC0HNWxD1pGBJEEbdT8NTX8-v1"
HEAD = MemberRef("v1", "Pod", "team-a", "demo-head")
SERVICE = MemberRef("v1", "Service", "team-a", "demo-head-svc")
ROLE = MemberRef("rbac.authorization.k8s.io/v1", "Role", "team-a", "demo")
CLUSTER_ROLE = MemberRef("rbac.authorization.k8s.io/v1", "ClusterRole", "", "demo-reader")
SHARED_CONFIG = MemberRef("v1", "ConfigMap", "shared", "demo-scripts")

INVENTORY = Inventory(
    KEY, "clusters/team-a/demo.yaml", frozenset({HEAD, SERVICE, ROLE, CLUSTER_ROLE, SHARED_CONFIG})
)

PARENT: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {
        "name": "gitops-ray-demo",
        "namespace": "team-a",
        "labels": {
            "applyset.kubernetes.io/id": DEMO_ID,
            "app.kubernetes.io/managed-by": "gitops-ray",
            "gitops-ray.io/cluster": "demo",
        },
        "annotations": {
            "applyset.kubernetes.io/tooling": "gitops-ray/v1",
            "applyset.kubernetes.io/contains-group-kinds": (
                "ClusterRole.rbac.authorization.k8s.io,ConfigMap,Pod,Role.rbac.authorization.k8s.io,Service"
            ),
            "applyset.kubernetes.io/additional-namespaces": "shared",
            "gitops-ray.io/source": "clusters/team-a/demo.yaml",
        },
    },
    "data": {
        "members": (
            "/v1/ConfigMap/shared/demo-scripts\n"
            "/v1/Pod/team-a/demo-head\n"
            "/v1/Service/team-a/demo-head-svc\n"
            "rbac.authorization.k8s.io/v1/ClusterRole//demo-reader\n"
            "rbac.authorization.k8s.io/v1/Role/team-a/demo\n"
        )
    },
}


def test_parent_manifest_records_members_group_kinds_namespaces_and_source() -> None:
    assert inventory_parent(INVENTORY) == PARENT


def test_parent_of_an_empty_inventory_has_no_members_and_no_additional_namespaces() -> None:
    parent = inventory_parent(Inventory(KEY, "clusters/team-a/demo.yaml"))
    assert parent["data"] == {"members": ""}
    assert parent["metadata"]["annotations"] == {
        "applyset.kubernetes.io/tooling": "gitops-ray/v1",
        "applyset.kubernetes.io/contains-group-kinds": "",
        "gitops-ray.io/source": "clusters/team-a/demo.yaml",
    }


def test_parent_reads_back_as_the_same_inventory() -> None:
    assert parse_inventory(PARENT) == INVENTORY


def test_parent_records_the_source_identity_and_reads_it_back() -> None:
    identified = replace(INVENTORY, source_id="https://git.example/org/ray#clusters")
    parent = inventory_parent(identified)
    assert (
        parent["metadata"]["annotations"]["gitops-ray.io/source-id"] == "https://git.example/org/ray#clusters"
    )
    assert parse_inventory(parent) == identified


def test_parent_without_a_source_identity_reads_back_with_none() -> None:
    assert "gitops-ray.io/source-id" not in PARENT["metadata"]["annotations"]
    assert parse_inventory(PARENT).source_id == ""


def test_parent_as_returned_by_the_api_server_reads_back() -> None:
    live = copy.deepcopy(PARENT)
    live["metadata"].update(
        uid="9f1c2a3b-0000-4000-8000-000000000001",
        resourceVersion="77",
        managedFields=[
            {"manager": "gitops-ray", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {}}
        ],
    )
    assert parse_inventory(live) == INVENTORY


def test_member_equality_ignores_the_api_version() -> None:
    assert MemberRef("networking.k8s.io/v1", "Ingress", "a", "b") == MemberRef(
        "networking.k8s.io/v1beta1", "Ingress", "a", "b"
    )
    assert MemberRef("apps/v1", "Deployment", "a", "b") != MemberRef(
        "extensions/v1beta1", "Deployment", "a", "b"
    )


@pytest.mark.parametrize(
    ("obj", "ref"),
    [
        (
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}},
            MemberRef("v1", "Pod", "ns", "p"),
        ),
        (
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "demo-reader"},
            },
            CLUSTER_ROLE,
        ),
    ],
    ids=["namespaced", "cluster-scoped"],
)
def test_member_from_object(obj: dict[str, Any], ref: MemberRef) -> None:
    assert MemberRef.from_object(obj) == ref


def test_widen_adds_and_shrink_removes_members() -> None:
    base = Inventory(KEY, "clusters/team-a/demo.yaml", frozenset({HEAD}))
    assert widen(base, [SERVICE]).members == {HEAD, SERVICE}
    assert shrink(widen(base, [SERVICE]), [HEAD]).members == {SERVICE}


def parent_with(
    *,
    kind: str = "ConfigMap",
    name: str = "gitops-ray-demo",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str | None] | None = None,
    members: str | None = None,
) -> dict[str, Any]:
    """PARENT with some fields changed; an annotation set to None is removed."""
    parent = copy.deepcopy(PARENT)
    parent["kind"] = kind
    parent["metadata"]["name"] = name
    parent["metadata"]["labels"].update(labels or {})
    for annotation, value in (annotations or {}).items():
        if value is None:
            del parent["metadata"]["annotations"][annotation]
        else:
            parent["metadata"]["annotations"][annotation] = value
    if members is not None:
        parent["data"] = {"members": members}
    return parent


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        (
            parent_with(kind="Secret"),
            "Secret team-a/gitops-ray-demo: kind: an inventory parent is a v1 ConfigMap",
        ),
        (
            parent_with(name="other"),
            "ConfigMap team-a/other: metadata.name: "
            "an inventory parent is named gitops-ray-<cluster> in a namespace",
        ),
        (
            parent_with(labels={"applyset.kubernetes.io/id": "applyset-x-v1"}),
            "ConfigMap team-a/gitops-ray-demo: metadata.labels[applyset.kubernetes.io/id]: "
            f"is 'applyset-x-v1', expected '{DEMO_ID}'",
        ),
        (
            parent_with(labels={"gitops-ray.io/cluster": "other"}),
            "ConfigMap team-a/gitops-ray-demo: metadata.labels[gitops-ray.io/cluster]: "
            "is 'other', expected 'demo'",
        ),
        (
            parent_with(annotations={"applyset.kubernetes.io/tooling": "kubectl/v1.27"}),
            "ConfigMap team-a/gitops-ray-demo: metadata.annotations[applyset.kubernetes.io/tooling]: "
            "is 'kubectl/v1.27': this ApplySet is not managed by gitops-ray",
        ),
        (
            parent_with(annotations={"gitops-ray.io/source": None}),
            "ConfigMap team-a/gitops-ray-demo: metadata.annotations[gitops-ray.io/source]: "
            "missing: the source file is unknown",
        ),
        (
            parent_with(members="/v1/Pod/team-a/demo-head\nPod/demo-worker\n"),
            "ConfigMap team-a/gitops-ray-demo: data.members line 2: "
            "expected <group>/<version>/<Kind>/<namespace>/<name>, got 'Pod/demo-worker'",
        ),
        (
            parent_with(members="apps//Deployment/team-a/x\n"),
            "ConfigMap team-a/gitops-ray-demo: data.members line 1: "
            "version, Kind and name must not be empty, got 'apps//Deployment/team-a/x'",
        ),
    ],
    ids=[
        "not-a-configmap",
        "foreign-name",
        "wrong-applyset-id",
        "cluster-label-disagrees",
        "someone-elses-applyset",
        "no-source",
        "malformed-member-line",
        "empty-version",
    ],
)
def test_malformed_parent_is_refused_naming_object_and_field(parent: dict[str, Any], message: str) -> None:
    with pytest.raises(InventoryError) as raised:
        parse_inventory(parent)
    assert str(raised.value) == message


def test_blank_member_lines_are_ignored() -> None:
    parent = parent_with(members="\n/v1/Pod/team-a/demo-head\n\n")
    assert parse_inventory(parent).members == {HEAD}


def test_workers_sort_by_numeric_index() -> None:
    names = ["demo-gpu-worker-10", "demo-gpu-worker-2", "demo-gpu-worker-1"]
    assert sorted(names, key=natural_key) == [
        "demo-gpu-worker-1",
        "demo-gpu-worker-2",
        "demo-gpu-worker-10",
    ]
