"""Semantic comparison: desired is a subset of live (server defaults ignored), and removed fields show."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from livekit import APPLIED_AT, managed_entry

from gitops_ray.reconcile.compare import (
    REDACTED,
    FieldDiff,
    display_path,
    fields_leaves,
    object_diffs,
    object_leaves,
)
from gitops_ray.reconcile.owners import fields_of

APPLYSET = "applyset-Rk-Amzf3PLu8JDZc8FIjn3rtWH3LyPk-O35MTwmysQg-v1"

DESIRED_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "demo-head",
        "namespace": "team-a",
        "labels": {
            "app.kubernetes.io/managed-by": "gitops-ray",
            "applyset.kubernetes.io/part-of": APPLYSET,
            "gitops-ray.io/cluster": "demo",
            "ray.io/node-type": "head",
        },
        "annotations": {"ray.io/ft-enabled": "false"},
    },
    "spec": {
        "containers": [
            {
                "name": "ray-head",
                "image": "rayproject/ray:2.52.0",
                "command": ["/bin/bash", "-c", "--"],
                "args": ["ray start --head --block"],
                "env": [
                    {"name": "RAY_PORT", "value": "6379"},
                    {
                        "name": "RAY_CLUSTER_NAMESPACE",
                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                    },
                ],
                "ports": [
                    {"containerPort": 6379, "name": "gcs-server", "protocol": "TCP"},
                    {"containerPort": 8265, "name": "dashboard"},
                ],
                "resources": {
                    "limits": {"cpu": "1", "memory": "1024Mi"},
                    "requests": {"cpu": "1000m", "memory": "1Gi"},
                },
                "volumeMounts": [{"mountPath": "/dev/shm", "name": "shared-mem"}],
            }
        ],
        "volumes": [{"name": "shared-mem", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}],
    },
}

# DESIRED_POD as a v1.20 API server returns it after `PATCH ...?fieldManager=gitops-ray` (apply):
# defaults filled in, quantities canonical, tolerations from admission, managedFields, status.
LIVE_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "demo-head",
        "namespace": "team-a",
        "uid": "4d4c2b0e-9a57-4a8e-b1f1-0c3e2f3a9b11",
        "resourceVersion": "1234",
        "creationTimestamp": "2026-11-23T04:00:00Z",
        "labels": {
            "app.kubernetes.io/managed-by": "gitops-ray",
            "applyset.kubernetes.io/part-of": APPLYSET,
            "gitops-ray.io/cluster": "demo",
            "ray.io/node-type": "head",
        },
        "annotations": {"ray.io/ft-enabled": "false"},
        "managedFields": [
            managed_entry(
                "gitops-ray",
                {
                    "f:metadata": {
                        "f:annotations": {"f:ray.io/ft-enabled": {}},
                        "f:labels": {
                            "f:app.kubernetes.io/managed-by": {},
                            "f:applyset.kubernetes.io/part-of": {},
                            "f:gitops-ray.io/cluster": {},
                            "f:ray.io/node-type": {},
                        },
                    },
                    "f:spec": {
                        "f:containers": {
                            'k:{"name":"ray-head"}': {
                                ".": {},
                                "f:args": {},
                                "f:command": {},
                                "f:env": {
                                    'k:{"name":"RAY_CLUSTER_NAMESPACE"}': {
                                        ".": {},
                                        "f:name": {},
                                        "f:valueFrom": {"f:fieldRef": {"f:fieldPath": {}}},
                                    },
                                    'k:{"name":"RAY_PORT"}': {".": {}, "f:name": {}, "f:value": {}},
                                },
                                "f:image": {},
                                "f:name": {},
                                "f:ports": {
                                    'k:{"containerPort":6379,"protocol":"TCP"}': {
                                        ".": {},
                                        "f:containerPort": {},
                                        "f:name": {},
                                        "f:protocol": {},
                                    },
                                    'k:{"containerPort":8265,"protocol":"TCP"}': {
                                        ".": {},
                                        "f:containerPort": {},
                                        "f:name": {},
                                    },
                                },
                                "f:resources": {
                                    "f:limits": {"f:cpu": {}, "f:memory": {}},
                                    "f:requests": {"f:cpu": {}, "f:memory": {}},
                                },
                                "f:volumeMounts": {
                                    'k:{"mountPath":"/dev/shm"}': {".": {}, "f:mountPath": {}, "f:name": {}}
                                },
                            }
                        },
                        "f:volumes": {
                            'k:{"name":"shared-mem"}': {
                                ".": {},
                                "f:emptyDir": {"f:medium": {}, "f:sizeLimit": {}},
                                "f:name": {},
                            }
                        },
                    },
                },
                "Apply",
                time=APPLIED_AT,
            )
        ],
    },
    "spec": {
        "volumes": [{"name": "shared-mem", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}],
        "containers": [
            {
                "name": "ray-head",
                "image": "rayproject/ray:2.52.0",
                "command": ["/bin/bash", "-c", "--"],
                "args": ["ray start --head --block"],
                "ports": [
                    {"name": "gcs-server", "containerPort": 6379, "protocol": "TCP"},
                    {"name": "dashboard", "containerPort": 8265, "protocol": "TCP"},
                ],
                "env": [
                    {"name": "RAY_PORT", "value": "6379"},
                    {
                        "name": "RAY_CLUSTER_NAMESPACE",
                        "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
                    },
                ],
                "resources": {
                    "limits": {"cpu": "1", "memory": "1Gi"},
                    "requests": {"cpu": "1", "memory": "1Gi"},
                },
                "volumeMounts": [{"name": "shared-mem", "mountPath": "/dev/shm"}],
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    },
    "status": {"phase": "Pending", "qosClass": "Guaranteed"},
}

DESIRED_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "demo-head-svc", "namespace": "team-a"},
    "spec": {
        "type": "",
        "clusterIP": "None",
        "publishNotReadyAddresses": True,
        "selector": {"ray.io/cluster": "demo", "ray.io/node-type": "head"},
        "ports": [
            {"name": "client", "port": 10001, "appProtocol": "tcp", "protocol": "TCP"},
            {"name": "dashboard", "port": 8265, "appProtocol": "tcp", "protocol": "TCP"},
        ],
    },
}

# DESIRED_SERVICE as a v1.20 API server returns it after server-side apply.
LIVE_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "demo-head-svc",
        "namespace": "team-a",
        "uid": "0b7e6d55-3f0e-4c55-8d0f-5a3c9f1e2d77",
        "resourceVersion": "1240",
        "creationTimestamp": "2026-11-23T04:00:00Z",
        "managedFields": [
            managed_entry(
                "gitops-ray",
                {
                    "f:spec": {
                        "f:clusterIP": {},
                        "f:ports": {
                            'k:{"port":10001,"protocol":"TCP"}': {
                                ".": {},
                                "f:appProtocol": {},
                                "f:name": {},
                                "f:port": {},
                                "f:protocol": {},
                            },
                            'k:{"port":8265,"protocol":"TCP"}': {
                                ".": {},
                                "f:appProtocol": {},
                                "f:name": {},
                                "f:port": {},
                                "f:protocol": {},
                            },
                        },
                        "f:publishNotReadyAddresses": {},
                        "f:selector": {"f:ray.io/cluster": {}, "f:ray.io/node-type": {}},
                        "f:type": {},
                    }
                },
                "Apply",
                time=APPLIED_AT,
            )
        ],
    },
    "spec": {
        "ports": [
            {"name": "client", "protocol": "TCP", "appProtocol": "tcp", "port": 10001, "targetPort": 10001},
            {"name": "dashboard", "protocol": "TCP", "appProtocol": "tcp", "port": 8265, "targetPort": 8265},
        ],
        "selector": {"ray.io/cluster": "demo", "ray.io/node-type": "head"},
        "clusterIP": "None",
        "clusterIPs": ["None"],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "publishNotReadyAddresses": True,
    },
    "status": {"loadBalancer": {}},
}


Path = tuple[str | int, ...]


def edited(obj: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A deep copy of `obj` with the value at `path` (keys and list indexes) replaced; None deletes it."""
    result = copy.deepcopy(obj)
    node: Any = result
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("desired", "live"),
    [(DESIRED_POD, LIVE_POD), (DESIRED_SERVICE, LIVE_SERVICE)],
    ids=["pod", "service"],
)
def test_object_as_the_api_server_returns_it_after_apply_has_no_diffs(
    desired: dict[str, Any], live: dict[str, Any]
) -> None:
    assert object_diffs(desired, live) == ()


@pytest.mark.parametrize(
    ("desired", "live"),
    [(DESIRED_POD, LIVE_POD), (DESIRED_SERVICE, LIVE_SERVICE)],
    ids=["pod", "service"],
)
def test_paths_from_the_desired_object_equal_the_paths_the_api_server_records(
    desired: dict[str, Any], live: dict[str, Any]
) -> None:
    recorded = {leaf for fields in fields_of(live, "gitops-ray") for leaf in fields_leaves(fields)}
    identity = {("f:apiVersion",), ("f:kind",), ("f:metadata", "f:name"), ("f:metadata", "f:namespace")}
    assert set(object_leaves(desired)) - identity == recorded


C0: Path = ("spec", "containers", 0)


@pytest.mark.parametrize(
    ("path", "desired_value", "live_value"),
    [
        ((*C0, "resources", "limits", "memory"), "1024Mi", "1Gi"),
        ((*C0, "resources", "requests", "cpu"), "1000m", "1"),
        ((*C0, "resources", "requests", "cpu"), 1, "1"),
        ((*C0, "resources", "requests", "cpu"), "0.5", "500m"),
        (("spec", "volumes", 0, "emptyDir", "sizeLimit"), "1073741824", "1Gi"),
        ((*C0, "ports", 0, "containerPort"), "6379", 6379),
        ((*C0, "terminationMessagePath"), "", "/dev/termination-log"),
        (("spec", "hostNetwork"), False, None),
        (("spec", "priority"), 0, 0),
        (("spec", "nodeSelector"), {}, None),
    ],
    ids=[
        "binary-suffixes",
        "milli-cpu",
        "int-vs-string-quantity",
        "decimal-fraction",
        "plain-bytes-size-limit",
        "string-port-vs-int",
        "empty-string-is-left-to-server-default",
        "false-reads-back-absent",
        "zero-int",
        "empty-map-reads-back-absent",
    ],
)
def test_semantically_equal_values_are_no_diff(path: Path, desired_value: Any, live_value: Any) -> None:
    desired = edited(DESIRED_POD, path, desired_value)
    live = edited(LIVE_POD, path, live_value) if live_value is not None else LIVE_POD
    assert object_diffs(desired, live) == ()


def test_a_port_without_protocol_matches_the_defaulted_tcp_port() -> None:
    assert "protocol" not in DESIRED_POD["spec"]["containers"][0]["ports"][1]
    assert object_diffs(DESIRED_POD, LIVE_POD) == ()


def test_list_items_matched_by_merge_key_ignore_order() -> None:
    live = edited(LIVE_POD, (*C0, "env"), list(reversed(LIVE_POD["spec"]["containers"][0]["env"])))
    assert object_diffs(DESIRED_POD, live) == ()


@pytest.mark.parametrize(
    ("live_path", "live_value", "expected"),
    [
        (
            (*C0, "image"),
            "rayproject/ray:2.9.0",
            FieldDiff(
                "spec.containers[name=ray-head].image", "rayproject/ray:2.52.0", "rayproject/ray:2.9.0"
            ),
        ),
        (
            (*C0, "env", 0, "value"),
            "6380",
            FieldDiff("spec.containers[name=ray-head].env[name=RAY_PORT].value", "6379", "6380"),
        ),
        (
            (*C0, "resources", "limits", "memory"),
            "2Gi",
            FieldDiff("spec.containers[name=ray-head].resources.limits.memory", "1024Mi", "2Gi"),
        ),
        (
            (*C0, "ports", 1),
            None,
            FieldDiff(
                "spec.containers[name=ray-head].ports[containerPort=8265,protocol=TCP]",
                {"containerPort": 8265, "name": "dashboard"},
                None,
            ),
        ),
        (
            (*C0, "args"),
            ["ray start --head --block", "--verbose"],
            FieldDiff(
                "spec.containers[name=ray-head].args",
                ["ray start --head --block"],
                ["ray start --head --block", "--verbose"],
            ),
        ),
        (
            ("metadata", "labels", "ray.io/node-type"),
            None,
            FieldDiff('metadata.labels["ray.io/node-type"]', "head", None),
        ),
        (
            ("spec", "volumes", 0, "emptyDir", "medium"),
            "",
            FieldDiff("spec.volumes[name=shared-mem].emptyDir.medium", "Memory", ""),
        ),
    ],
    ids=[
        "changed-image",
        "changed-env-value",
        "changed-quantity",
        "missing-keyed-item",
        "atomic-list-grew",
        "missing-label",
        "emptied-string",
    ],
)
def test_a_live_value_that_differs_is_reported_with_its_path(
    live_path: Path, live_value: Any, expected: FieldDiff
) -> None:
    live = edited(LIVE_POD, live_path, live_value)
    assert object_diffs(DESIRED_POD, live) == (expected,)


def test_a_field_applied_before_but_no_longer_desired_is_a_removal() -> None:
    desired = edited(DESIRED_POD, ("metadata", "annotations"), {})
    assert object_diffs(desired, LIVE_POD) == (
        FieldDiff('metadata.annotations["ray.io/ft-enabled"]', None, "false"),
    )


def test_a_removed_list_item_is_reported_once_at_the_item() -> None:
    desired = edited(DESIRED_POD, (*C0, "env"), [{"name": "RAY_PORT", "value": "6379"}])
    assert object_diffs(desired, LIVE_POD) == (
        FieldDiff(
            "spec.containers[name=ray-head].env[name=RAY_CLUSTER_NAMESPACE]",
            None,
            {
                "name": "RAY_CLUSTER_NAMESPACE",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
            },
        ),
    )


def test_a_removal_already_gone_from_live_is_not_drift() -> None:
    desired = edited(DESIRED_POD, ("metadata", "annotations"), {})
    live = edited(LIVE_POD, ("metadata", "annotations"), {})
    assert object_diffs(desired, live) == ()


@pytest.mark.parametrize(
    ("manager", "section", "field"),
    [("gitops-ray", "annotations", "created-once"), ("kubectl-label", "labels", "team")],
    ids=["written-by-us-without-apply", "owned-by-another-manager"],
)
def test_fields_not_from_our_apply_are_not_removals(manager: str, section: str, field: str) -> None:
    live = copy.deepcopy(LIVE_SERVICE)
    live["metadata"][section] = {field: "yes"}
    live["metadata"]["managedFields"].append(
        managed_entry(manager, {"f:metadata": {f"f:{section}": {".": {}, f"f:{field}": {}}}})
    )
    assert object_diffs(DESIRED_SERVICE, live) == ()


SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "redis-password", "namespace": "team-a"},
    "type": "Opaque",
    "stringData": {"password": "hunter2"},
}


def live_secret(data: dict[str, str], owned: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "redis-password",
            "namespace": "team-a",
            "managedFields": [
                {
                    "manager": "gitops-ray",
                    "operation": "Apply",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:stringData": {f"f:{key}": {} for key in owned}, "f:type": {}},
                }
            ],
        },
        "type": "Opaque",
        "data": data,
    }


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (live_secret({"password": "aHVudGVyMg=="}, ["password"]), ()),
        (
            live_secret({"password": "b3RoZXI="}, ["password"]),
            (FieldDiff("data.password", REDACTED, REDACTED),),
        ),
        (live_secret({}, ["password"]), (FieldDiff("data.password", REDACTED, None),)),
    ],
    ids=["string-data-equals-live-data", "changed-value", "missing-value"],
)
def test_secret_values_compare_as_stored_and_never_show(
    live: dict[str, Any], expected: tuple[FieldDiff, ...]
) -> None:
    diffs = object_diffs(SECRET, live)
    assert diffs == expected
    assert "hunter2" not in json.dumps([diff.as_dict() for diff in diffs])


def test_a_removed_secret_key_is_redacted() -> None:
    live = live_secret({"password": "aHVudGVyMg==", "old": "c2VjcmV0"}, ["password"])
    live["metadata"]["managedFields"][0]["fieldsV1"] = {"f:data": {"f:password": {}, "f:old": {}}}
    assert object_diffs(SECRET, live) == (FieldDiff("data.old", None, REDACTED),)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (
            ("f:spec", "f:containers", 'k:{"name":"ray-head"}', "f:image"),
            "spec.containers[name=ray-head].image",
        ),
        (("f:metadata", "f:labels", "f:ray.io/cluster"), 'metadata.labels["ray.io/cluster"]'),
        (("f:spec", "f:ports", 'k:{"port":6379,"protocol":"TCP"}'), "spec.ports[port=6379,protocol=TCP]"),
        (("f:spec", "f:tolerations", "i:1", "f:key"), "spec.tolerations[1].key"),
        (
            ("f:metadata", "f:finalizers", 'v:"example.com/guard"'),
            'metadata.finalizers[="example.com/guard"]',
        ),
    ],
    ids=["keyed-item", "dotted-map-key", "composite-key", "positional-item", "set-member"],
)
def test_display_path(path: tuple[str, ...], text: str) -> None:
    assert display_path(path) == text
