"""Literal credentials in a RayCluster: a warning, not a redaction.

Rendered output shows exactly what is applied (`model.redaction`), so a password written into a RayCluster
appears in `rendered/` and in review diffs as it stands in Git. It is already in the repository; what
helps is saying so where it is written, with the fix: a Secret, referenced by `valueFrom.secretKeyRef`
(or `$REDIS_PASSWORD` in `ray start`, as KubeRay's `ray-cluster.external-redis.yaml` sample does).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_ray.model.objects import KubeObject
from gitops_ray.model.redaction import SECRET_FLAG, SECRET_PARAMS, credential_env, literal
from gitops_ray.model.units import Problem, Unit

_ENV_ADVICE = "put it in a Secret and reference it with valueFrom.secretKeyRef"
_PARAM_ADVICE = (
    "set env REDIS_PASSWORD from a Secret (valueFrom.secretKeyRef) and write $REDIS_PASSWORD here instead"
)
_WARNING = "a literal credential is stored in Git and applied and rendered as written: "


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(index, item) for index, item in enumerate(value or []) if isinstance(item, dict)]


def _container_findings(container: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    for _, env in _items(container.get("env")):
        if credential_env(env.get("name"), env.get("value")):
            yield f"{path}.env[name={env['name']}].value", _ENV_ADVICE
    for field in ("command", "args"):
        for index, text in enumerate(container.get(field) or []):
            if isinstance(text, str) and SECRET_FLAG.search(text):
                yield f"{path}.{field}[{index}]", f"--redis-password=: {_PARAM_ADVICE}"


def _group_findings(group: Any, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(group, dict):
        return
    params = group.get("rayStartParams") or {}
    for name in sorted(SECRET_PARAMS & params.keys()):
        if literal(params[name]):
            yield f"{path}.rayStartParams.{name}", _PARAM_ADVICE
    pod_spec = (group.get("template") or {}).get("spec") or {}
    for field in ("initContainers", "containers"):
        for index, container in _items(pod_spec.get(field)):
            yield from _container_findings(container, f"{path}.template.spec.{field}[{index}]")


def _findings(raycluster: KubeObject) -> Iterator[tuple[str, str]]:
    spec = raycluster.get("spec") or {}
    redis_password = (spec.get("gcsFaultToleranceOptions") or {}).get("redisPassword") or {}
    if literal(redis_password.get("value")):
        yield (
            "spec.gcsFaultToleranceOptions.redisPassword.value",
            "put it in a Secret and use redisPassword.valueFrom.secretKeyRef",
        )
    for _, env in _items((spec.get("autoscalerOptions") or {}).get("env")):
        if credential_env(env.get("name"), env.get("value")):
            yield f"spec.autoscalerOptions.env[name={env['name']}].value", _ENV_ADVICE
    yield from _group_findings(spec.get("headGroupSpec"), "spec.headGroupSpec")
    for index, group in enumerate(spec.get("workerGroupSpecs") or []):
        yield from _group_findings(group, f"spec.workerGroupSpecs[{index}]")


def credential_warnings(unit: Unit) -> tuple[Problem, ...]:
    """A warning at each literal credential of the unit's RayCluster (field, and what to do instead)."""
    if unit.raycluster is None:
        return ()
    return tuple(
        unit.problem_at_raycluster(_WARNING + advice, field) for field, advice in _findings(unit.raycluster)
    )
