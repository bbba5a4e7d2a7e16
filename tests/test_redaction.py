"""Secrets and live credentials never reach people: Secret values are hidden everywhere, and values read
from the cluster pass one gate (`redact_field`) that hides literal credentials too; rendered output shows
everything else as it is applied."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.model.redaction import REDACTED, redact_field, redact_object
from gitops_ray.model.refs import MemberRef
from gitops_ray.reconcile.compare import object_diffs
from gitops_ray.reconcile.plan import Action, PlannedAction
from gitops_ray.report.text import change_lines


def pod(password: str, flag: str) -> dict[str, Any]:
    container = {"name": "ray", "env": [{"name": "REDIS_PASSWORD", "value": password}], "args": [flag]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}}


@pytest.mark.parametrize(
    ("path", "value", "shown"),
    [
        ("spec.containers[name=ray].env[name=REDIS_PASSWORD].value", "hunter2", REDACTED),
        ("spec.containers[name=ray].env[name=API_KEY].value", "k", REDACTED),
        ("spec.containers[name=ray].env[name=REDIS_PASSWORD].value", "$REDIS_PASSWORD", "$REDIS_PASSWORD"),
        ("spec.containers[name=ray].env[name=RAY_PORT].value", "6379", "6379"),
        ("spec.containers[name=ray].env[name=RAY_ENABLE_K8S_TOKEN_AUTH].value", "true", "true"),
        ("spec.headGroupSpec.rayStartParams.redis-password", "hunter2", REDACTED),
        (
            "spec.containers[name=ray].args",
            ["ray start --redis-password=x "],
            [f"ray start --redis-password={REDACTED} "],
        ),
    ],
    ids=[
        "env-password",
        "env-api-key",
        "env-reference",
        "env-plain",
        "env-flag",
        "ray-start-param",
        "ray-start-flag",
    ],
)
def test_field_values_are_redacted_by_path_and_content(path: str, value: Any, shown: Any) -> None:
    assert redact_field(path, value) == shown


def test_a_drift_diff_of_a_pod_credential_shows_no_value() -> None:
    diffs = object_diffs(
        pod("new", "ray start --redis-password=new "), pod("old", "ray start --redis-password=old ")
    )
    assert "new" not in repr(diffs) and "old" not in repr(diffs)
    assert [diff.path for diff in diffs] == [
        "spec.containers[name=ray].args",
        "spec.containers[name=ray].env[name=REDIS_PASSWORD].value",
    ]


def test_a_live_drift_diff_shows_a_token_switch_but_not_a_token() -> None:
    def with_env(env: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "ray", "env": env}]},
        }

    desired = with_env(
        [{"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "true"}, {"name": "TOKEN", "value": "a"}]
    )
    live = with_env(
        [{"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "false"}, {"name": "TOKEN", "value": "b"}]
    )
    assert [(diff.path, diff.desired, diff.live) for diff in object_diffs(desired, live)] == [
        ("spec.containers[name=ray].env[name=RAY_ENABLE_K8S_TOKEN_AUTH].value", "true", "false"),
        ("spec.containers[name=ray].env[name=TOKEN].value", REDACTED, REDACTED),
    ]


@pytest.mark.parametrize(
    ("obj", "shown"),
    [
        (
            {"kind": "Secret", "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "admin"}},
            {"kind": "Secret", "data": {"password": REDACTED}, "stringData": {"user": REDACTED}},
        ),
        (
            {
                "kind": "Pod",
                "spec": {"containers": [{"env": [{"name": "REDIS_PASSWORD", "value": "hunter2"}]}]},
            },
            {
                "kind": "Pod",
                "spec": {"containers": [{"env": [{"name": "REDIS_PASSWORD", "value": "hunter2"}]}]},
            },
        ),
        (
            {"kind": "RayCluster", "spec": {"headGroupSpec": {"rayStartParams": {"redis-password": "x"}}}},
            {"kind": "RayCluster", "spec": {"headGroupSpec": {"rayStartParams": {"redis-password": "x"}}}},
        ),
        (
            {"kind": "Pod", "spec": {"containers": [{"args": ["ray start --redis-password=x "]}]}},
            {"kind": "Pod", "spec": {"containers": [{"args": ["ray start --redis-password=x "]}]}},
        ),
    ],
    ids=["secret-values", "env-password", "ray-start-param", "ray-start-flag"],
)
def test_rendered_objects_hide_only_secret_values(obj: dict[str, Any], shown: dict[str, Any]) -> None:
    assert redact_object(obj) == shown


def test_diff_cluster_lines_of_an_update_hide_a_live_credential() -> None:
    def service(password: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s", "namespace": "ml"},
            "spec": {"headGroupSpec": {"rayStartParams": {"redis-password": password}}},
        }

    desired, live = service("new-secret"), service("old-secret")
    planned = PlannedAction(Action.UPDATE, MemberRef.from_object(desired), "changed", desired, live)
    assert change_lines(planned) == [
        "~ update Service ml/s (changed)",
        f"  spec.headGroupSpec.rayStartParams.redis-password: {REDACTED!r} -> {REDACTED!r}",
    ]
