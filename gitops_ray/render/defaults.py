"""Turn raw RayCluster YAML into what KubeRay would see: schema-checked and defaulted (CRD, `setDefaults`).

Why: the API server checks and defaults a RayCluster before KubeRay reads it, and KubeRay's `setDefaults`
adds a little more; every later render step relies on both having happened.
"""

from __future__ import annotations

from typing import Any

from gitops_ray.model.objects import KubeObject
from gitops_ray.render.errors import SchemaError
from gitops_ray.render.schema import conform, raycluster_schema

API_VERSION = "ray.io/v1"
KIND = "RayCluster"
DEFAULT_NAMESPACE = "default"
_METADATA_STRING_FIELDS = ("name", "namespace")
_METADATA_MAP_FIELDS = ("labels", "annotations")


def _check_identity(raycluster: object) -> dict[str, Any]:
    if not isinstance(raycluster, dict):
        raise SchemaError(f"a RayCluster must be a mapping, got {type(raycluster).__name__}")
    if raycluster.get("apiVersion") != API_VERSION:
        raise SchemaError(f'must be "{API_VERSION}", got {raycluster.get("apiVersion")!r}', "apiVersion")
    if raycluster.get("kind") != KIND:
        raise SchemaError(f'must be "{KIND}", got {raycluster.get("kind")!r}', "kind")
    return raycluster


def _check_metadata(metadata: object) -> None:
    """The API server validates ObjectMeta itself (the CRD schema leaves it free-form)."""
    if not isinstance(metadata, dict):
        raise SchemaError("Required value" if metadata is None else "must be of type object", "metadata")
    for key in _METADATA_STRING_FIELDS:
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            raise SchemaError("must be of type string", f"metadata.{key}")
    if not metadata.get("name"):
        raise SchemaError(
            "Required value: a RayCluster in Git needs a name (generateName is not supported)",
            "metadata.name",
        )
    for key in _METADATA_MAP_FIELDS:
        entries = metadata.get(key)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise SchemaError("must be of type object", f"metadata.{key}")
        for entry_key, entry_value in entries.items():
            if not isinstance(entry_key, str) or not isinstance(entry_value, str):
                raise SchemaError(
                    'keys and values must be strings (quote values such as "true" in YAML)',
                    f"metadata.{key}[{entry_key}]",
                )


def _set_operator_defaults(cluster: KubeObject) -> None:
    """KubeRay's setDefaults (`TestSetDefaults`): a missing head or worker `rayStartParams` becomes `{}`."""
    spec = cluster["spec"]
    spec["headGroupSpec"].setdefault("rayStartParams", {})
    for group in spec.get("workerGroupSpecs") or []:
        group.setdefault("rayStartParams", {})


def apply_crd_defaults(raycluster: KubeObject) -> KubeObject:
    """A defaulted deep copy of `raycluster`; raises SchemaError naming the field the API server would reject.

    Applies every default of the CRD schema (worker replicas/minReplicas 0, maxReplicas 2147483647,
    numOfHosts 1, priority 0, networkPolicy.mode DenyAll; plus the Kubernetes defaults the CRD embeds, e.g.
    container port `protocol: TCP`), then setDefaults; a RayCluster without a namespace goes to `default`.
    See docs/kuberay-rendering.md#defaults.
    """
    checked = _check_identity(raycluster)
    _check_metadata(checked.get("metadata"))
    if checked.get("spec") is None:
        raise SchemaError("Required value", "spec")
    cluster: KubeObject = conform(checked, raycluster_schema())
    cluster["metadata"].setdefault("namespace", DEFAULT_NAMESPACE)
    if not cluster["metadata"]["namespace"]:
        cluster["metadata"]["namespace"] = DEFAULT_NAMESPACE
    _set_operator_defaults(cluster)
    return cluster
