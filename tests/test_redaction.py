"""Secrets never reach people: the same rules for rendered files, review diffs and drift diffs."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.model.redaction import REDACTED, redact_field
from gitops_ray.reconcile.compare import object_diffs


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
        ("spec.headGroupSpec.rayStartParams.redis-password", "hunter2", REDACTED),
        (
            "spec.containers[name=ray].args",
            ["ray start --redis-password=x "],
            [f"ray start --redis-password={REDACTED} "],
        ),
    ],
    ids=["env-password", "env-api-key", "env-reference", "env-plain", "ray-start-param", "ray-start-flag"],
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
