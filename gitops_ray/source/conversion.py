"""`ray.io/v1alpha1` RayClusters, converted to `ray.io/v1` as the API server converts them for KubeRay.

KubeRay v1.7.0's RayCluster CRD serves `v1` (storage) and `v1alpha1` and has no conversion webhook
(strategy `None`): the API server converts by changing `apiVersion` alone. The v1alpha1 schema is the v1
schema minus the fields listed below, and v1alpha1 requires `rayStartParams` in every group; an object that
breaks either rule is refused by the API server (kubectl's strict field validation), so here it is an
error. A v1alpha1 object that passes is rendered and applied as the v1 object, with the CRD's deprecation
warning. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gitops_ray.model.objects import KubeObject
from gitops_ray.model.units import RAYCLUSTER_API_VERSION, Problem

V1ALPHA1 = "ray.io/v1alpha1"
# The CRD's `deprecationWarning` for v1alpha1, which kubectl prints on every v1alpha1 request.
DEPRECATION = (
    "ray.io/v1alpha1 RayCluster is deprecated; use ray.io/v1 RayCluster. "
    "v1alpha1 receives no new fields and will be unavailable in KubeRay 1.9."
)
# Spec fields of the v1 schema that the v1alpha1 schema lacks ("*": every item of a list).
V1_ONLY_FIELDS: tuple[tuple[str, ...], ...] = (
    ("authOptions",),
    ("autoscalerOptions", "args"),
    ("autoscalerOptions", "command"),
    ("autoscalerOptions", "version"),
    ("gcsFaultToleranceOptions",),
    ("headGroupSpec", "ingressOptions"),
    ("headGroupSpec", "labels"),
    ("headGroupSpec", "resources"),
    ("historyServerOptions",),
    ("managedBy",),
    ("networkPolicy",),
    ("tlsOptions",),
    ("upgradeStrategy",),
    ("workerGroupSpecs", "*", "idleTimeoutSeconds"),
    ("workerGroupSpecs", "*", "labels"),
    ("workerGroupSpecs", "*", "numOfHosts"),
    ("workerGroupSpecs", "*", "priority"),
    ("workerGroupSpecs", "*", "resources"),
    ("workerGroupSpecs", "*", "suspend"),
)
# Fields v1alpha1 requires and v1 does not (v1 defaults `rayStartParams` to {}).
V1ALPHA1_REQUIRED: tuple[tuple[str, ...], ...] = (
    ("headGroupSpec", "rayStartParams"),
    ("workerGroupSpecs", "*", "rayStartParams"),
)


def _found(value: object, parts: tuple[str, ...], at: str) -> Iterator[tuple[str, bool]]:
    """(field path, whether it is set) for each place `parts` names in `value` whose parent exists."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for index, item in enumerate(value if isinstance(value, list) else ()):
            yield from _found(item, rest, f"{at}[{index}]")
        return
    if not isinstance(value, dict):
        return
    field = f"{at}.{head}"
    if rest:
        yield from _found(value.get(head), rest, field)
    else:
        yield field, head in value


def from_v1alpha1(
    raycluster: KubeObject, at: Callable[[str, str], Problem]
) -> tuple[KubeObject, list[Problem], Problem]:
    """(the v1 object, what the API server refuses in the v1alpha1 one, the deprecation warning).

    Refused: the v1-only fields, and a group without `rayStartParams`. `at(message, field)` locates each
    problem and the warning (file, document, RayCluster).
    """
    spec = raycluster.get("spec")
    unknown = f"unknown field in {V1ALPHA1} (it exists in {RAYCLUSTER_API_VERSION}); "
    unknown += f"set apiVersion: {RAYCLUSTER_API_VERSION} to use it"
    required = f"required in {V1ALPHA1} (optional in {RAYCLUSTER_API_VERSION})"
    problems = [
        at(unknown, field)
        for parts in V1_ONLY_FIELDS
        for field, present in _found(spec, parts, "spec")
        if present
    ]
    problems += [
        at(required, field)
        for parts in V1ALPHA1_REQUIRED
        for field, present in _found(spec, parts, "spec")
        if not present
    ]
    converted = f"{DEPRECATION} Rendered and applied as {RAYCLUSTER_API_VERSION}, which has the same fields; "
    converted += f"set apiVersion: {RAYCLUSTER_API_VERSION}"
    return {**raycluster, "apiVersion": RAYCLUSTER_API_VERSION}, problems, at(converted, "apiVersion")
