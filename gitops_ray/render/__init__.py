"""Render a RayCluster into the Kubernetes objects KubeRay v1.7.0 would create (docs/kuberay-rendering.md).

Pure and deterministic: the same RayCluster and options always give the same objects, byte for byte.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from gitops_ray.model.kuberay import RAY_CLUSTER_LABEL
from gitops_ray.model.objects import KubeObject
from gitops_ray.model.ownership import PRUNE_ANNOTATION, PRUNE_DISABLED
from gitops_ray.render import cluster as rc
from gitops_ray.render import ingress, pod, rbac, service
from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.errors import RenderError
from gitops_ray.render.options import RenderOptions
from gitops_ray.render.validate import validate_raycluster

__all__ = ["InternalRenderError", "RenderResult", "render_raycluster"]

DEFAULT_GCS_STORAGE_SIZE = "1Gi"
DEFAULT_OPTIONS = RenderOptions()  # frozen: KubeRay's default operator settings


@dataclass(frozen=True)
class RenderResult:
    """The objects KubeRay would create, in rayClusterReconcile's order, and KubeRay's non-fatal warnings."""

    objects: tuple[KubeObject, ...]
    warnings: tuple[str, ...]


class InternalRenderError(RenderError):
    """A bug in gitops-ray met an input it did not expect. Raised instead of the bare exception so that one
    odd RayCluster fails only its own unit; the message names the code location and never echoes user data
    (which may hold secrets)."""


def gcs_storage_claim(cluster: KubeObject) -> KubeObject | None:
    """The PVC KubeRay manages for the embedded (`rocksdb`) GCS fault-tolerance backend (`common/gcs_ft.go`).

    None for other backends and for a user `storage.claimName`. Validation already rejected `rocksdb` without
    the GCSFaultToleranceEmbeddedStorage gate. With `deletionPolicy: Retain` KubeRay leaves the claim behind
    when the cluster goes, so gitops-ray marks it never to be pruned.
    """
    ft_options = rc.spec(cluster).get("gcsFaultToleranceOptions")
    if ft_options is None or rc.gcs_ft_backend(cluster) != "rocksdb":
        return None
    storage: dict[str, Any] = ft_options.get("storage") or {}
    if storage.get("claimName"):
        return None
    metadata: dict[str, Any] = {
        "name": pod.gcs_storage_claim_name(cluster),
        "namespace": rc.namespace(cluster),
        "labels": {RAY_CLUSTER_LABEL: rc.name(cluster)},
    }
    if storage.get("deletionPolicy") == "Retain":
        metadata["annotations"] = {PRUNE_ANNOTATION: PRUNE_DISABLED}
    spec: dict[str, Any] = {"accessModes": list(storage.get("accessModes") or ["ReadWriteOnce"])}
    if storage.get("storageClassName"):
        spec["storageClassName"] = storage["storageClassName"]
    spec["resources"] = {"requests": {"storage": storage.get("size") or DEFAULT_GCS_STORAGE_SIZE}}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def _build(cluster: KubeObject, options: RenderOptions) -> list[KubeObject]:
    """Every object, in KubeRay's creation order (docs/kuberay-rendering.md#creation-order)."""
    optional_before_head = [ingress.head_ingress(cluster), rbac.auth_secret(cluster)]
    optional_after_head = [
        service.headless_worker_service(cluster),
        service.serve_service(cluster),
        gcs_storage_claim(cluster),
    ]
    return [
        *rbac.autoscaler_rbac(cluster),
        *(obj for obj in optional_before_head if obj is not None),
        service.head_service(cluster, options),
        *(obj for obj in optional_after_head if obj is not None),
        *pod.render_pods(cluster, options),
    ]


def _internal_error(error: Exception) -> InternalRenderError:
    frame = traceback.extract_tb(error.__traceback__)[-1]
    where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
    return InternalRenderError(f"internal error ({type(error).__name__} at {where}); please report the input")


def render_raycluster(raycluster: KubeObject, options: RenderOptions = DEFAULT_OPTIONS) -> RenderResult:
    """Schema check and CRD defaults, then KubeRay's validation, then every object KubeRay would create.

    Raises only RenderError subclasses: SchemaError (the API server would reject the YAML), InvalidRayCluster
    (KubeRay rejects it; exact message), ManagedElsewhere (`spec.managedBy` hands it to another controller),
    a plain RenderError for KubeRay's reconcile errors, and InternalRenderError for a gitops-ray bug.
    """
    try:
        cluster = apply_crd_defaults(raycluster)
        warnings = validate_raycluster(cluster, options)
        objects = _build(cluster, options)
    except RenderError:
        raise
    except Exception as error:  # the contract: one bad RayCluster never takes down the whole render
        raise _internal_error(error) from error
    return RenderResult(objects=tuple(objects), warnings=tuple(warnings))
