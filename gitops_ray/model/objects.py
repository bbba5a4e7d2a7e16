"""Plain-data Kubernetes objects: the one representation every pipeline step passes around."""

from __future__ import annotations

import re
from typing import Any

KubeObject = dict[str, Any]
"""A Kubernetes object as plain JSON-compatible data (what YAML/JSON decoding gives)."""

# Apply order (lightkube/Helm style): what others depend on goes first; prune runs in reverse.
KIND_ORDER: tuple[str, ...] = (
    "Namespace",
    "CustomResourceDefinition",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "Deployment",
    "StatefulSet",
    "Job",
    "RayCluster",
    "Pod",
    "Ingress",
)


# Kinds that live outside namespaces: a document of these kinds never gets a namespace filled in.
CLUSTER_SCOPED_KINDS: frozenset[str] = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "Node",
    }
)

_DIGITS = re.compile(r"(\d+)")


def kind_rank(kind: str) -> int:
    """Position of `kind` in the apply order; unknown kinds go after all known ones."""
    try:
        return KIND_ORDER.index(kind)
    except ValueError:
        return len(KIND_ORDER)


def api_group(api_version: str) -> str:
    """`apps/v1` -> `apps`; `v1` -> `` (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def metadata(obj: KubeObject) -> dict[str, Any]:
    """`metadata`, or {} when it is absent or not a mapping."""
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def labels_of(obj: KubeObject) -> dict[str, Any]:
    value = metadata(obj).get("labels")
    return value if isinstance(value, dict) else {}


def annotations_of(obj: KubeObject) -> dict[str, Any]:
    value = metadata(obj).get("annotations")
    return value if isinstance(value, dict) else {}


def label(obj: KubeObject, key: str) -> str | None:
    """A label's value as text, None when the object does not carry it."""
    value = labels_of(obj).get(key)
    return None if value is None else str(value)


def annotation(obj: KubeObject, key: str) -> str | None:
    """An annotation's value as text, None when the object does not carry it."""
    value = annotations_of(obj).get(key)
    return None if value is None else str(value)


def uid(obj: KubeObject) -> str:
    """The API server's uid of a live object; "" for desired objects."""
    return str(metadata(obj).get("uid") or "")


def being_deleted(obj: KubeObject) -> bool:
    """A live object with a deletionTimestamp: terminating, or held by a finalizer."""
    return bool(metadata(obj).get("deletionTimestamp"))


def managed_fields(obj: KubeObject) -> list[dict[str, Any]]:
    """The `metadata.managedFields` entries (one per field manager and operation) that are mappings."""
    entries = metadata(obj).get("managedFields")
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []


def object_ref(obj: KubeObject) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace, name): identifies an object in messages, sets and sorting."""
    meta = metadata(obj)
    return (
        str(obj.get("apiVersion", "")),
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def describe(obj: KubeObject) -> str:
    """`Pod default/foo` - how objects are named in logs and reports."""
    _, kind, namespace, name = object_ref(obj)
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """`worker-2` before `worker-10`: digit runs compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part)


def sort_key(obj: KubeObject) -> tuple[int, str, str, tuple[tuple[int, int | str], ...], str]:
    """Stable order inside a unit: kind order, then kind, namespace and name (numbers in names by value)."""
    _, kind, namespace, name = object_ref(obj)
    return (kind_rank(kind), kind, namespace, natural_key(name), name)
