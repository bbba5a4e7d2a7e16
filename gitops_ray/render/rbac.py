"""Who may talk to what: the autoscaler's ServiceAccount/Role/RoleBinding and the token-auth Secret.

KubeRay: `BuildServiceAccount`, `BuildRole`, `BuildRoleBinding` in `common/rbac.go`; the Secret comes from
`raycluster_controller.go`. No ownerReferences: gitops-ray owns these objects through its ApplySet labels.
"""

from __future__ import annotations

from typing import Any

from gitops_ray.model.kuberay import APP_NAME, APP_NAME_LABEL, RAY_CLUSTER_LABEL
from gitops_ray.model.objects import KubeObject
from gitops_ray.model.ownership import GENERATED_SECRET_ANNOTATION
from gitops_ray.render import cluster as rc
from gitops_ray.render import names
from gitops_ray.render.pod import head_service_account_name

AUTH_TOKEN_KEY = "auth_token"
AUTOSCALER_RULES: tuple[dict[str, Any], ...] = (
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]},
    {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "patch"]},
)


def _metadata(cluster: KubeObject, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": rc.namespace(cluster),
        "labels": {
            RAY_CLUSTER_LABEL: rc.name(cluster),
            APP_NAME_LABEL: APP_NAME,
            "app.kubernetes.io/created-by": "kuberay-operator",
        },
    }


def autoscaler_rbac(cluster: KubeObject) -> list[KubeObject]:
    """ServiceAccount, Role and RoleBinding when `enableInTreeAutoscaling` is true, else [].

    A ServiceAccount named in the head template is the user's to provide (KubeRay does not create it either),
    so only the default one, named after the cluster, is rendered.
    """
    if not rc.autoscaling_enabled(cluster):
        return []
    account = head_service_account_name(cluster)
    role = names.check_name(rc.name(cluster))
    objects: list[KubeObject] = []
    if not rc.pod_spec(rc.head_group(cluster)).get("serviceAccountName"):
        objects.append(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(cluster, account)}
        )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _metadata(cluster, role),
            "rules": [{key: list(value) for key, value in rule.items()} for rule in AUTOSCALER_RULES],
        }
    )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _metadata(cluster, role),
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": rc.namespace(cluster)}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        }
    )
    return objects


def auth_secret(cluster: KubeObject) -> KubeObject | None:
    """The Secret holding Ray's auth token, when KubeRay would generate one; None otherwise.

    KubeRay creates it for any `authOptions.mode` other than `disabled` (not only `token`) unless the user
    names a `secretName` or uses Kubernetes token auth. Its random token cannot live in Git, so the Secret is
    rendered without data and marked: the apply engine creates it once with a random `auth_token` and never
    updates it.
    """
    auth = rc.spec(cluster).get("authOptions")
    if auth is None or auth.get("mode") == "disabled":
        return None
    if auth.get("secretName") or auth.get("enableK8sTokenAuth"):
        return None
    name = rc.name(cluster)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": names.check_name(name),
            "namespace": rc.namespace(cluster),
            "labels": {RAY_CLUSTER_LABEL: name},
            "annotations": {GENERATED_SECRET_ANNOTATION: AUTH_TOKEN_KEY},
        },
    }
