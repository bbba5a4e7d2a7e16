"""Errors of the pure core; each names the field it is about so users can find it in their YAML."""

from __future__ import annotations

from gitops_ray.model.errors import GitopsRayError


class RenderError(GitopsRayError):
    """A RayCluster cannot be rendered; `field` is a path into the object (`spec.headGroupSpec`)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidRayCluster(RenderError):
    """KubeRay's validation (`utils/validation.go`) rejects the cluster; `message` is KubeRay's exact text."""


class SchemaError(RenderError):
    """The YAML does not fit the RayCluster CRD's schema (a type, a required field), as an API server says."""
