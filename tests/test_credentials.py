"""A credential written literally into a RayCluster is a located warning suggesting a Secret; rendered
output still shows it as it is applied."""

from __future__ import annotations

from typing import Any

import pytest
from testkit import raycluster

from gitops_ray.model.units import Problem, Unit, UnitKey
from gitops_ray.render.options import RenderOptions
from gitops_ray.report.files import unit_stream
from gitops_ray.source.credentials import credential_warnings
from gitops_ray.source.desired import render_unit

SOURCE = "clusters/ml/demo.yaml"
HEAD_RAY = "spec.headGroupSpec.template.spec.containers[0]"
ENV_ADVICE = (
    "a literal credential is stored in Git and applied and rendered as written: put it in a Secret and "
    "reference it with valueFrom.secretKeyRef"
)
PARAM_ADVICE = (
    "a literal credential is stored in Git and applied and rendered as written: set env REDIS_PASSWORD from "
    "a Secret (valueFrom.secretKeyRef) and write $REDIS_PASSWORD here instead"
)


def unit(cluster: dict[str, Any]) -> Unit:
    return Unit(key=UnitKey("ml", "demo"), source=SOURCE, raycluster=cluster, document=0)


def with_head(**container_fields: Any) -> dict[str, Any]:
    """The test cluster with these fields set on its head's Ray container (the workers' stay as they are)."""
    cluster = raycluster("demo", "ml")
    head_spec = cluster["spec"]["headGroupSpec"]["template"]["spec"]
    head_spec["containers"] = [{**head_spec["containers"][0], **container_fields}]
    return cluster


def with_head_env(*env: dict[str, Any]) -> dict[str, Any]:
    return with_head(env=list(env))


def fields(cluster: dict[str, Any]) -> list[str]:
    return [warning.field for warning in credential_warnings(unit(cluster))]


def test_a_literal_password_env_value_is_a_warning_located_at_its_field() -> None:
    warnings = credential_warnings(unit(with_head_env({"name": "REDIS_PASSWORD", "value": "hunter2"})))
    assert warnings == (
        Problem(
            file=SOURCE,
            document=0,
            object="RayCluster ml/demo",
            field=f"{HEAD_RAY}.env[name=REDIS_PASSWORD].value",
            message=ENV_ADVICE,
        ),
    )


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"name": "REDIS_PASSWORD", "value": "hunter2"}, True),
        ({"name": "HF_TOKEN", "value": "hf_abc"}, True),
        ({"name": "OPENAI_API_KEY", "value": "sk-1"}, True),
        ({"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "true"}, False),
        ({"name": "USE_TOKEN", "value": "0"}, False),
        ({"name": "REDIS_PASSWORD", "value": "$OTHER"}, False),
        ({"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "r", "key": "p"}}}, False),
        ({"name": "RAY_PORT", "value": "6379"}, False),
    ],
    ids=["password", "token", "api-key", "boolean-switch", "zero", "reference", "secret-ref", "not-a-name"],
)
def test_which_env_values_count_as_literal_credentials(env: dict[str, Any], warned: bool) -> None:
    assert bool(fields(with_head_env(env))) is warned


def test_a_literal_redis_password_ray_start_param_is_a_warning_and_a_variable_is_not() -> None:
    literal = raycluster("demo", "ml", start_params={"redis-password": "hunter2"})
    literal["spec"]["headGroupSpec"]["rayStartParams"] = {"redis-password": "$REDIS_PASSWORD"}
    warnings = credential_warnings(unit(literal))
    assert [(w.field, w.message) for w in warnings] == [
        ("spec.workerGroupSpecs[0].rayStartParams.redis-password", PARAM_ADVICE)
    ]


def test_a_literal_redis_password_flag_in_a_command_is_a_warning_at_that_argument() -> None:
    cluster = with_head(args=["echo start", "ray start --head --redis-password=hunter2"])
    assert fields(cluster) == [f"{HEAD_RAY}.args[1]"]


def test_a_literal_gcs_fault_tolerance_redis_password_is_a_warning() -> None:
    cluster = raycluster("demo", "ml")
    cluster["spec"]["gcsFaultToleranceOptions"] = {
        "redisAddress": "redis:6379",
        "redisPassword": {"value": "x"},
    }
    assert fields(cluster) == ["spec.gcsFaultToleranceOptions.redisPassword.value"]


def test_a_cluster_without_literal_credentials_has_no_warning() -> None:
    assert credential_warnings(unit(raycluster("demo", "ml"))) == ()


def test_rendering_adds_the_warning_and_still_shows_the_value_as_it_is_applied() -> None:
    rendered = render_unit(
        unit(with_head_env({"name": "REDIS_PASSWORD", "value": "hunter2"})), RenderOptions()
    )
    assert rendered.ok
    assert [w.field for w in rendered.warnings] == [f"{HEAD_RAY}.env[name=REDIS_PASSWORD].value"]
    assert "      value: hunter2\n" in unit_stream(rendered)
