"""Where a kind lives in the API: URL paths for (apiVersion, kind), from a table of built-ins or discovery."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from gitops_ray.model.objects import CLUSTER_SCOPED_KINDS, api_group


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


# Where the built-in kinds live; whether a kind is namespaced comes from the one scope table
# (`model.objects.CLUSTER_SCOPED_KINDS`), so rendering and the API paths cannot disagree.
_BUILTIN_PLURALS: tuple[tuple[str, str, str], ...] = (
    ("v1", "Namespace", "namespaces"),
    ("v1", "ServiceAccount", "serviceaccounts"),
    ("v1", "Secret", "secrets"),
    ("v1", "ConfigMap", "configmaps"),
    ("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("v1", "Service", "services"),
    ("v1", "Pod", "pods"),
    ("v1", "Endpoints", "endpoints"),
    ("v1", "Event", "events"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings"),
    ("rbac.authorization.k8s.io/v1", "Role", "roles"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    ("apps/v1", "Deployment", "deployments"),
    ("apps/v1", "StatefulSet", "statefulsets"),
    ("apps/v1", "DaemonSet", "daemonsets"),
    ("batch/v1", "Job", "jobs"),
    ("networking.k8s.io/v1", "Ingress", "ingresses"),
    ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
)
_BUILTIN: tuple[Resource, ...] = tuple(
    Resource(api_version, kind, plural, kind not in CLUSTER_SCOPED_KINDS)
    for api_version, kind, plural in _BUILTIN_PLURALS
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
