"""Where a kind lives in the API: URL paths for (apiVersion, kind), from a table of built-ins or discovery."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from gitops_ray.model.objects import api_group


@dataclass(frozen=True)
class Resource:
    """One API resource: `plural` is the URL segment (`pods`), `namespaced` says whether paths carry one."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        return api_group(self.api_version)

    def collection_path(self, namespace: str | None) -> str:
        """The LIST/POST path; `namespace=None` on a namespaced kind means across all namespaces."""
        prefix = f"/api/{self.api_version}" if not self.group else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{prefix}/{self.plural}"

    def object_path(self, namespace: str, name: str) -> str:
        return f"{self.collection_path(namespace)}/{quote(name, safe='')}"

    def permission(self, verb: str, namespace: str | None = None) -> str:
        """How RBAC names the right to `verb` this resource, for 403 messages."""
        where = f" in namespace {namespace}" if self.namespaced and namespace else ""
        return f'{verb} {self.plural} (apiGroup "{self.group}"){where}'


_BUILTIN: tuple[Resource, ...] = (
    Resource("v1", "Namespace", "namespaces", False),
    Resource("v1", "ServiceAccount", "serviceaccounts", True),
    Resource("v1", "Secret", "secrets", True),
    Resource("v1", "ConfigMap", "configmaps", True),
    Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
    Resource("v1", "Service", "services", True),
    Resource("v1", "Pod", "pods", True),
    Resource("v1", "Endpoints", "endpoints", True),
    Resource("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False),
    Resource("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    Resource("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    Resource("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    Resource("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    Resource("apps/v1", "Deployment", "deployments", True),
    Resource("apps/v1", "StatefulSet", "statefulsets", True),
    Resource("apps/v1", "DaemonSet", "daemonsets", True),
    Resource("batch/v1", "Job", "jobs", True),
    Resource("networking.k8s.io/v1", "Ingress", "ingresses", True),
    Resource("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True),
)
BUILTIN_RESOURCES: dict[tuple[str, str], Resource] = {(r.api_version, r.kind): r for r in _BUILTIN}


def discovery_path(api_version: str) -> str:
    """Where the API server lists the resources of one group version."""
    return f"/api/{api_version}" if not api_group(api_version) else f"/apis/{api_version}"


def resources_from_discovery(api_version: str, resource_list: dict[str, object]) -> dict[str, Resource]:
    """kind -> Resource from an `APIResourceList` (subresources such as `pods/status` are skipped)."""
    found: dict[str, Resource] = {}
    entries = resource_list.get("resources")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        name, kind = str(entry.get("name", "")), str(entry.get("kind", ""))
        if not name or not kind or "/" in name:
            continue
        found[kind] = Resource(api_version, kind, name, bool(entry.get("namespaced")))
    return found
