"""Head and worker Pods of a RayCluster, as KubeRay v1.7.0 builds them (`common/pod.go`, `reconcilePods`).

KubeRay builds a pod in two stages, "template defaulting" then "BuildPod", and the order of its mutations
decides the order of env vars, volumes, mounts and containers. The functions below follow that order step
by step on a private deep copy of the group's template; the input RayCluster is never mutated.

gitops-ray differs from the operator only where Git demands it: fixed pod names with stable indexes
instead of `generateName`, a deterministic multi-host replica name and external storage namespace, no
ownerReferences, and `protocol: TCP` written on every container port (the API server's default). See
docs/kuberay-rendering.md#where-gitops-ray-differs.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from gitops_ray.model.kuberay import (
    APP_NAME,
    APP_NAME_LABEL,
    CREATED_BY_LABEL,
    EXTERNAL_STORAGE_NS_ANNOTATION,
    FT_ENABLED_ANNOTATION,
    GROUP_LABEL,
    HEAD_NODE_TYPE,
    HOST_INDEX_LABEL,
    IDENTIFIER_LABEL,
    IS_RAY_NODE_LABEL,
    KUBERAY_VERSION_ANNOTATION,
    NODE_TYPE_LABEL,
    OVERWRITE_CMD_ANNOTATION,
    RAY_CLUSTER_LABEL,
    RECREATE_HASH_ANNOTATION,
    REPLICA_INDEX_LABEL,
    REPLICA_NAME_LABEL,
    SERVE_LABEL,
    WORKER_NODE_TYPE,
)
from gitops_ray.model.objects import KubeObject
from gitops_ray.model.ownership import canonical_json
from gitops_ray.render import cluster as rc
from gitops_ray.render import names, raystart
from gitops_ray.render.apimachinery import parse_generic_version, version_at_least
from gitops_ray.render.errors import InvalidRayCluster, RenderError
from gitops_ray.render.options import RenderOptions
from gitops_ray.render.validate import GCS_STORAGE_PATH, GCS_STORAGE_VOLUME

HEAD_GROUP_LABEL_VALUE = "headgroup"

PROTECTED_LABELS = frozenset({NODE_TYPE_LABEL, GROUP_LABEL, RAY_CLUSTER_LABEL})

ULIMIT_PREFIX = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; "
AUTOSCALER_START_CMD = (
    "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace $(RAY_CLUSTER_NAMESPACE)"
)
AUTOSCALER_CONTAINER_NAME = "autoscaler"
WAIT_GCS_READY_CONTAINER_NAME = "wait-gcs-ready"
# The init container's script, byte for byte as KubeRay v1.7.0 has it; both `%s:%s` are `<FQDN>:<head port>`.
WAIT_GCS_READY_ARGS_TEMPLATE = (
    "\n"
    "\t\t\t\t\tSECONDS=0\n"
    "\t\t\t\t\twhile true; do\n"
    "\t\t\t\t\t\tif (( SECONDS <= 120 )); then\n"
    "\t\t\t\t\t\t\tif ray health-check --address %s:%s > /dev/null 2>&1; then\n"
    '\t\t\t\t\t\t\t\techo "GCS is ready."\n'
    "\t\t\t\t\t\t\t\tbreak\n"
    "\t\t\t\t\t\t\tfi\n"
    '\t\t\t\t\t\t\techo "$SECONDS seconds elapsed: Waiting for GCS to be ready."\n'
    "\t\t\t\t\t\telse\n"
    "\t\t\t\t\t\t\tif ray health-check --address %s:%s; then\n"
    '\t\t\t\t\t\t\t\techo "GCS is ready. Any error messages above can be safely ignored."\n'
    "\t\t\t\t\t\t\t\tbreak\n"
    "\t\t\t\t\t\t\tfi\n"
    '\t\t\t\t\t\t\techo "$SECONDS seconds elapsed: Still waiting for GCS to be ready. For '
    "troubleshooting, refer to the FAQ at "
    'https://docs.ray.io/en/master/cluster/kubernetes/troubleshooting.html."\n'
    "\t\t\t\t\t\tfi\n"
    "\t\t\t\t\t\tsleep 5\n"
    "\t\t\t\t\tdone\n"
    "\t\t\t\t"
)
SMALL_CONTAINER_RESOURCES = {"cpu": "200m", "memory": "256Mi"}
AUTOSCALER_RESOURCES = {"cpu": "500m", "memory": "512Mi"}

SHARED_MEMORY_VOLUME = "shared-mem"
SHARED_MEMORY_PATH = "/dev/shm"
RAY_LOGS_VOLUME = "ray-logs"
RAY_LOGS_PATH = "/tmp/ray"
RAY_TOKEN_VOLUME = "ray-token"
RAY_TOKEN_PATH = "/var/run/secrets/ray.io/serviceaccount"
AUTH_TOKEN_SECRET_KEY = "auth_token"

# Probes (initLivenessAndReadinessProbe).
DEFAULT_DASHBOARD_PORT = 8265
DEFAULT_AGENT_PORT = 52365
DEFAULT_SERVE_PORT = 8000
HTTP_HEALTH_MIN_RAY_VERSION = (2, 53, 0)
_HEALTH_COMMAND = "wget --tries 1 -T {timeout} -q -O- http://localhost:{port}/{path} | grep success"
_INT32 = re.compile(r"^[+-]?[0-9]+$")

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


# ---------------------------------------------------------------------------------------------------------
# Small helpers over containers (plain dicts).


def _env(name: str, value: str) -> dict[str, Any]:
    """An env entry; an empty value is left out as Go's `omitempty` does, so desired equals live."""
    return {"name": name, "value": value} if value else {"name": name}


def _field_env(name: str, field_path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}


def _has_env(container: dict[str, Any], name: str) -> bool:
    return any(entry.get("name") == name for entry in container.get("env") or [])


def _append_env(container: dict[str, Any], *entries: dict[str, Any]) -> None:
    container["env"] = [*(container.get("env") or []), *entries]


def _append_env_if_absent(container: dict[str, Any], entry: dict[str, Any]) -> None:
    if not _has_env(container, entry["name"]):
        _append_env(container, entry)


def _append_mount(container: dict[str, Any], mount: dict[str, Any]) -> None:
    container["volumeMounts"] = [*(container.get("volumeMounts") or []), mount]


def _append_volume(pod_spec: dict[str, Any], volume: dict[str, Any]) -> None:
    pod_spec["volumes"] = [*(pod_spec.get("volumes") or []), volume]


def _has_volume(pod_spec: dict[str, Any], name: str) -> bool:
    return any(volume.get("name") == name for volume in pod_spec.get("volumes") or [])


def _string_map(value: Any) -> dict[str, str]:
    """A YAML map as Go's map[string]string reads it (a null value is the empty string)."""
    return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()}


def supports_http_health_probes(ray_version: str) -> bool:
    """Ray >= 2.53 (k8s generic version parse) serves `/api/healthz`; anything unparsable gets exec probes."""
    try:
        return version_at_least(parse_generic_version(ray_version), HTTP_HEALTH_MIN_RAY_VERSION)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------------------
# Names and values gitops-ray derives deterministically.


def head_service_account_name(cluster: KubeObject) -> str:
    """Autoscaler ServiceAccount: CheckName(GetHeadGroupServiceAccountName): template SA, else cluster."""
    account = rc.pod_spec(rc.head_group(cluster)).get("serviceAccountName") or rc.name(cluster)
    return names.check_name(str(account))


def gcs_storage_claim_name(cluster: KubeObject) -> str:
    """RocksDB GCS FT claim (GetGCSStoragePVCName): `storage.claimName`, else `<cluster>-gcs-pvc`."""
    storage = (rc.spec(cluster).get("gcsFaultToleranceOptions") or {}).get("storage") or {}
    return str(storage.get("claimName") or f"{rc.name(cluster)}-gcs-pvc")


def external_storage_namespace(cluster: KubeObject) -> str:
    """GCS FT storage namespace: options field, else the annotation, else derived from namespace/name.

    KubeRay defaults to the RayCluster UID; files in Git have none, so a stable UUIDv5 stands in.
    """
    options = rc.spec(cluster).get("gcsFaultToleranceOptions") or {}
    if options.get("externalStorageNamespace"):
        return str(options["externalStorageNamespace"])
    annotations = rc.annotations(cluster)
    if EXTERNAL_STORAGE_NS_ANNOTATION in annotations:
        return annotations[EXTERNAL_STORAGE_NS_ANNOTATION]
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gitops-ray:{rc.namespace(cluster)}/{rc.name(cluster)}"))


def multi_host_replica_name(cluster: KubeObject, group_name: str, replica_index: int) -> str:
    """`<group>-<5 base36 chars>` from sha256 of `<ns>/<cluster>/<group>/<index>`.

    KubeRay appends 5 random characters; a hash keeps Git, rendered files and the cluster in agreement.
    """
    key = f"{rc.namespace(cluster)}/{rc.name(cluster)}/{group_name}/{replica_index}"
    number = int.from_bytes(hashlib.sha256(key.encode()).digest(), "big")
    suffix = ""
    for _ in range(5):
        number, digit = divmod(number, 36)
        suffix += _BASE36[digit]
    return f"{group_name}-{suffix}"


def recreate_hash(cluster: KubeObject) -> str:
    """base32hex(SHA-1(canonical JSON of the spec without the fields that never force a Recreate upgrade))."""
    spec = _copy_tree(rc.spec(cluster))
    spec.pop("upgradeStrategy", None)
    groups = [spec.get("headGroupSpec") or {}, *(spec.get("workerGroupSpecs") or [])]
    for group in groups:
        template_spec = (group.get("template") or {}).get("spec") or {}
        template_spec.pop("tolerations", None)
        template_spec.pop("schedulingGates", None)
    for group in spec.get("workerGroupSpecs") or []:
        for key in ("replicas", "minReplicas", "maxReplicas"):
            group.pop(key, None)
        scale_strategy = group.pop("scaleStrategy", None) or {}
        scale_strategy.pop("workersToDelete", None)
        if scale_strategy:
            group["scaleStrategy"] = scale_strategy
    digest = hashlib.sha1(canonical_json(spec).encode()).digest()
    return base64.b32hexencode(digest).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------------------
# The facts every step of one cluster's pods needs.


@dataclass(frozen=True)
class _ClusterFacts:
    """Cluster-level answers computed once per render, not once per group or pod."""

    name: str
    namespace: str
    fqdn: str
    head_port: str
    crd: str
    ray_version: str
    autoscaling: bool
    autoscaler_version: str
    token_auth: bool
    k8s_token_auth: bool
    auth_secret: str
    overwrite_cmd: bool

    @classmethod
    def of(cls, cluster: KubeObject, options: RenderOptions) -> _ClusterFacts:
        spec = rc.spec(cluster)
        auth = spec.get("authOptions") or {}
        return cls(
            name=rc.name(cluster),
            namespace=rc.namespace(cluster),
            fqdn=rc.head_fqdn(cluster, options),
            head_port=rc.head_port(cluster),
            crd=rc.originated_from_crd(cluster),
            ray_version=str(spec.get("rayVersion") or ""),
            autoscaling=rc.autoscaling_enabled(cluster),
            autoscaler_version=rc.autoscaler_version(cluster),
            token_auth=auth.get("mode") == "token",
            k8s_token_auth=bool(auth.get("enableK8sTokenAuth")),
            auth_secret=str(auth.get("secretName") or names.check_name(rc.name(cluster))),
            overwrite_cmd=rc.annotations(cluster).get(OVERWRITE_CMD_ANNOTATION, "").lower() == "true",
        )


# ---------------------------------------------------------------------------------------------------------
# Template stage pieces (DefaultHeadPodTemplate and DefaultWorkerPodTemplate).


def pod_labels(
    node_type: str, cluster_name: str, group_name: str, user_labels: dict[str, str]
) -> dict[str, str]:
    """labelPod: system labels, then user labels, except node-type, group and cluster, which never change."""
    labels = {
        IS_RAY_NODE_LABEL: "yes",
        RAY_CLUSTER_LABEL: cluster_name,
        NODE_TYPE_LABEL: node_type,
        GROUP_LABEL: group_name,
        IDENTIFIER_LABEL: names.check_label(f"{cluster_name}-{node_type}"),
        APP_NAME_LABEL: APP_NAME,
        CREATED_BY_LABEL: "kuberay-operator",
    }
    labels.update({key: value for key, value in user_labels.items() if key not in PROTECTED_LABELS})
    return labels


def _group_params(group: dict[str, Any]) -> dict[str, str]:
    """rayStartParams with the group's `resources` and `labels` folded in (updateRayStartParams*)."""
    params = raystart.with_group_resources(
        _string_map(group.get("rayStartParams")), group.get("resources") or {}
    )
    return raystart.with_group_labels(params, _string_map(group.get("labels")))


def _merged_user_labels(group: dict[str, Any]) -> dict[str, str]:
    """Template labels with the group's `labels` on top (mergeLabels)."""
    template_labels = (group.get("template") or {}).get("metadata") or {}
    return {**_string_map(template_labels.get("labels")), **_string_map(group.get("labels"))}


def _ray_container(pod_spec: dict[str, Any], group_field: str) -> dict[str, Any]:
    containers = pod_spec.get("containers") or []
    if not containers:
        kind = "headGroupSpec" if group_field == "spec.headGroupSpec" else "workerGroupSpec"
        raise InvalidRayCluster(f"{kind} should have at least one container", f"{group_field}.template.spec")
    ray: dict[str, Any] = containers[0]
    return ray


def _add_token_auth_env(container: dict[str, Any], facts: _ClusterFacts) -> None:
    """SetContainerTokenAuthEnvVars: RAY_AUTH_MODE, then the k8s-token switch and mount, or the token."""
    _append_env_if_absent(container, _env("RAY_AUTH_MODE", "token"))
    if facts.k8s_token_auth:
        _append_env_if_absent(container, _env("RAY_ENABLE_K8S_TOKEN_AUTH", "true"))
        if not any(mount.get("name") == RAY_TOKEN_VOLUME for mount in container.get("volumeMounts") or []):
            _append_mount(
                container, {"name": RAY_TOKEN_VOLUME, "mountPath": RAY_TOKEN_PATH, "readOnly": True}
            )
    else:
        secret_ref = {"secretKeyRef": {"name": facts.auth_secret, "key": AUTH_TOKEN_SECRET_KEY}}
        _append_env_if_absent(container, {"name": "RAY_AUTH_TOKEN", "valueFrom": secret_ref})


def _configure_token_auth(pod_spec: dict[str, Any], ray: dict[str, Any], facts: _ClusterFacts) -> None:
    """Token auth on the Ray container, the pod's `ray-token` volume and the `wait-gcs-ready` container."""
    if not facts.token_auth:
        return
    _add_token_auth_env(ray, facts)
    if facts.k8s_token_auth and not _has_volume(pod_spec, RAY_TOKEN_VOLUME):
        projected = {"sources": [{"serviceAccountToken": {"path": "token"}}]}
        _append_volume(pod_spec, {"name": RAY_TOKEN_VOLUME, "projected": projected})
    for init in pod_spec.get("initContainers") or []:
        if init.get("name") == WAIT_GCS_READY_CONTAINER_NAME:
            _add_token_auth_env(init, facts)


def _add_metrics_port(ray: dict[str, Any]) -> None:
    if not any(port.get("name") == rc.METRICS_PORT_NAME for port in ray.get("ports") or []):
        metrics = {"name": rc.METRICS_PORT_NAME, "containerPort": rc.DEFAULT_METRICS_PORT}
        ray["ports"] = [*(ray.get("ports") or []), metrics]


def _autoscaler_container(
    cluster: KubeObject, ray: dict[str, Any], facts: _ClusterFacts, options: RenderOptions
) -> dict[str, Any]:
    """BuildAutoscalerContainer: defaults, token auth env, then the `autoscalerOptions` overrides."""
    container: dict[str, Any] = {
        "name": AUTOSCALER_CONTAINER_NAME,
        "image": ray.get("image"),
        "imagePullPolicy": "IfNotPresent",
        "env": [
            _field_env("RAY_CLUSTER_NAME", f"metadata.labels['{RAY_CLUSTER_LABEL}']"),
            _field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
            _field_env("RAY_HEAD_POD_NAME", "metadata.name"),
            _env("KUBERAY_CRD_VER", "v1"),
            _env("KUBERAY_GEN_AUTOSCALER_START_CMD", AUTOSCALER_START_CMD),
        ],
        "command": options.shell_command,
        "args": [AUTOSCALER_START_CMD],
        "resources": {"limits": dict(AUTOSCALER_RESOURCES), "requests": dict(AUTOSCALER_RESOURCES)},
    }
    if facts.token_auth:
        _add_token_auth_env(container, facts)
    overrides = _copy_tree(rc.spec(cluster).get("autoscalerOptions") or {})
    for key in ("resources", "image", "imagePullPolicy", "securityContext"):
        if overrides.get(key) is not None:
            container[key] = overrides[key]
    for key in ("env", "envFrom", "volumeMounts"):
        if overrides.get(key):
            container[key] = [*(container.get(key) or []), *overrides[key]]
    for key in ("command", "args"):
        if overrides.get(key):
            container[key] = overrides[key]
    if not container["image"]:
        del container["image"]  # Go's omitempty
    return container


def _configure_head_gcs_ft(
    cluster: KubeObject,
    template: dict[str, Any],
    ray: dict[str, Any],
    params: dict[str, str],
    options: RenderOptions,
) -> None:
    """Head part of configureGCSFaultTolerance; mutates the template, the Ray container and `params`."""
    annotations = template["metadata"].setdefault("annotations", {})
    enabled = rc.is_gcs_ft_enabled(cluster)
    annotations[FT_ENABLED_ANNOTATION] = "true" if enabled else "false"
    if not enabled:
        return
    ft_options = rc.spec(cluster).get("gcsFaultToleranceOptions")
    embedded = (
        rc.gcs_ft_backend(cluster) == "rocksdb" and options.feature_gates.gcs_fault_tolerance_embedded_storage
    )
    if embedded:
        _append_env_if_absent(ray, _env("RAY_gcs_storage", "rocksdb"))
        _append_env_if_absent(ray, _env("RAY_gcs_storage_path", GCS_STORAGE_PATH))
        mount = {"name": GCS_STORAGE_VOLUME, "mountPath": GCS_STORAGE_PATH}
        sub_path = ((ft_options or {}).get("storage") or {}).get("subPath")
        if sub_path:
            mount["subPath"] = sub_path
        _append_mount(ray, mount)
        claim = {"claimName": gcs_storage_claim_name(cluster)}
        _append_volume(template["spec"], {"name": GCS_STORAGE_VOLUME, "persistentVolumeClaim": claim})
        return
    storage_namespace = external_storage_namespace(cluster)
    annotations[EXTERNAL_STORAGE_NS_ANNOTATION] = storage_namespace
    _append_env_if_absent(ray, _env("RAY_external_storage_namespace", storage_namespace))
    if ft_options is None:
        # Legacy annotation mode: the Redis cleanup job needs the password as env.
        if not _has_env(ray, "REDIS_PASSWORD") and "redis-password" in params:
            _append_env(ray, _env("REDIS_PASSWORD", params["redis-password"]))
        return
    _append_env(ray, _env("RAY_REDIS_ADDRESS", str(ft_options.get("redisAddress") or "")))
    for option_key, param, env_name in (
        ("redisUsername", "redis-username", "REDIS_USERNAME"),
        ("redisPassword", "redis-password", "REDIS_PASSWORD"),
    ):
        credential = ft_options.get(option_key)
        if credential is None:
            continue
        params[param] = f"${env_name}"
        entry = _env(env_name, str(credential.get("value") or ""))
        if credential.get("valueFrom") is not None:
            entry["valueFrom"] = _copy_tree(credential["valueFrom"])
        _append_env(ray, entry)


def _new_template(group: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A deep copy of the group's template with metadata/spec dicts present and the namespace forced."""
    template: dict[str, Any] = _copy_tree(group.get("template") or {})
    metadata = dict(template.get("metadata") or {})
    metadata.pop("generateName", None)
    metadata["namespace"] = namespace
    template["metadata"] = metadata
    template["spec"] = dict(template.get("spec") or {})
    return template


def _set_overwrite_annotation(template: dict[str, Any], facts: _ClusterFacts) -> None:
    annotations = template["metadata"].setdefault("annotations", {})
    if facts.overwrite_cmd:
        annotations[OVERWRITE_CMD_ANNOTATION] = "true"


def _head_template(
    cluster: KubeObject, facts: _ClusterFacts, options: RenderOptions
) -> tuple[dict[str, Any], dict[str, str]]:
    """DefaultHeadPodTemplate: the defaulted head template and its final rayStartParams."""
    group = rc.head_group(cluster)
    template = _new_template(group, facts.namespace)
    template["metadata"]["name"] = names.head_pod_name(facts.name)
    pod_spec = template["spec"]
    ray = _ray_container(pod_spec, "spec.headGroupSpec")
    params = _group_params(group)
    template["metadata"]["labels"] = pod_labels(
        HEAD_NODE_TYPE, facts.name, HEAD_GROUP_LABEL_VALUE, _merged_user_labels(group)
    )
    params = raystart.with_missing_params(params, raystart.HEAD)
    _set_overwrite_annotation(template, facts)
    if facts.autoscaling:
        params["no-monitor"] = "true"
        pod_spec["serviceAccountName"] = head_service_account_name(cluster)
        pod_spec["containers"] = [
            *pod_spec["containers"],
            _autoscaler_container(cluster, ray, facts, options),
        ]
        if facts.autoscaler_version == "v2":
            _append_env(ray, _env("RAY_enable_autoscaler_v2", "true"))
            pod_spec["restartPolicy"] = "Never"
        elif facts.autoscaler_version == "v1":
            _append_env(ray, _env("RAY_enable_autoscaler_v2", "false"))
    _configure_head_gcs_ft(cluster, template, ray, params, options)
    _add_metrics_port(ray)
    _configure_token_auth(pod_spec, ray, facts)
    return template, params


def _wait_gcs_ready_container(
    ray: dict[str, Any], facts: _ClusterFacts, options: RenderOptions
) -> dict[str, Any]:
    """`wait-gcs-ready`: waits for the GCS; env and mounts copy the Ray container's at this moment."""
    container: dict[str, Any] = {
        "name": WAIT_GCS_READY_CONTAINER_NAME,
        "command": options.shell_command,
        "args": [WAIT_GCS_READY_ARGS_TEMPLATE % (facts.fqdn, facts.head_port, facts.fqdn, facts.head_port)],
        "resources": {"limits": dict(SMALL_CONTAINER_RESOURCES), "requests": dict(SMALL_CONTAINER_RESOURCES)},
    }
    for key in ("image", "imagePullPolicy", "env", "volumeMounts"):
        if ray.get(key):
            container[key] = _copy_tree(ray[key])
    if ray.get("securityContext") is not None:
        container["securityContext"] = _copy_tree(ray["securityContext"])
    return container


def _worker_template(
    cluster: KubeObject, group_index: int, facts: _ClusterFacts, options: RenderOptions
) -> tuple[dict[str, Any], dict[str, str]]:
    """DefaultWorkerPodTemplate without the per-pod name and index labels: the template and its params."""
    group = rc.worker_groups(cluster)[group_index]
    field = f"spec.workerGroupSpecs[{group_index}]"
    template = _new_template(group, facts.namespace)
    pod_spec = template["spec"]
    ray = _ray_container(pod_spec, field)
    if options.enable_init_container_injection:
        init = _wait_gcs_ready_container(ray, facts, options)
        pod_spec["initContainers"] = [*(pod_spec.get("initContainers") or []), init]
    template["metadata"].pop("name", None)
    params = _group_params(group)
    group_name = str(group.get("groupName") or "")
    template["metadata"]["labels"] = pod_labels(
        WORKER_NODE_TYPE, facts.name, group_name, _merged_user_labels(group)
    )
    params = raystart.with_missing_params(params, raystart.WORKER, f"{facts.fqdn}:{facts.head_port}")
    _set_overwrite_annotation(template, facts)
    if rc.is_gcs_ft_enabled(cluster):
        _append_env_if_absent(ray, _env("RAY_gcs_rpc_server_reconnect_timeout_s", "600"))
    _add_metrics_port(ray)
    if facts.autoscaling and facts.autoscaler_version == "v2":
        pod_spec["restartPolicy"] = "Never"
    _configure_token_auth(pod_spec, ray, facts)
    return template, params


# ---------------------------------------------------------------------------------------------------------
# BuildPod stage (shared by head and workers).


def _add_empty_dir(pod_spec: dict[str, Any], container: dict[str, Any], name: str, path: str) -> None:
    """Mount an emptyDir at `path` unless something is mounted there; add the volume unless the name exists.

    The shared-memory volume is memory-backed and sized like the container's memory limit (else request).
    """
    if any(mount.get("mountPath") == path for mount in container.get("volumeMounts") or []):
        return
    if not _has_volume(pod_spec, name):
        empty_dir: dict[str, Any] = {}
        if name == SHARED_MEMORY_VOLUME:
            empty_dir["medium"] = "Memory"
            resources = container.get("resources") or {}
            for section in ("limits", "requests"):
                if "memory" in (resources.get(section) or {}):
                    empty_dir["sizeLimit"] = resources[section]["memory"]
                    break
        _append_volume(pod_spec, {"name": name, "emptyDir": empty_dir})
    _append_mount(container, {"name": name, "mountPath": path})


def _user_command(ray: dict[str, Any]) -> str:
    """The user's command then args, each element wrapped as ` <elem> ` (convertCmdToString)."""
    return "".join(f" {element} " for element in [*(ray.get("command") or []), *(ray.get("args") or [])])


def _set_command(
    ray: dict[str, Any], annotations: dict[str, str], start: str, options: RenderOptions
) -> None:
    """Run the user's command, then `ulimit ...; ray start ...`, unless the user asked to keep theirs."""
    user = _user_command(ray)
    if str(annotations.get(OVERWRITE_CMD_ANNOTATION, "")).lower() == "true" or "ray start" in user:
        return
    generated = ULIMIT_PREFIX + start
    ray["command"] = options.shell_command
    ray["args"] = [f"{user} && {generated}" if user else generated]


def _set_ray_env(
    ray: dict[str, Any], node_type: str, start: str, facts: _ClusterFacts, options: RenderOptions
) -> None:
    """setContainerEnvVars, in order ("always" appends even over a user entry of the same name)."""
    for name, value in options.default_container_envs:
        _append_env_if_absent(ray, _env(name, value))
    ip = "127.0.0.1"
    if node_type == raystart.WORKER:
        ip = facts.fqdn
        _append_env(ray, _env("FQ_RAY_IP", facts.fqdn), _env("RAY_IP", facts.fqdn.split(".")[0]))
    _append_env(
        ray,
        _field_env("RAY_CLUSTER_NAME", f"metadata.labels['{RAY_CLUSTER_LABEL}']"),
        _field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
        _field_env("RAY_CLOUD_INSTANCE_ID", "metadata.name"),
        _field_env("RAY_NODE_TYPE_NAME", f"metadata.labels['{GROUP_LABEL}']"),
        _env("KUBERAY_GEN_RAY_START_CMD", start),
    )
    _append_env_if_absent(ray, _env("RAY_PORT", facts.head_port))
    if facts.crd == "RayService":
        _append_env_if_absent(ray, _env("RAY_timeout_ms_task_wait_for_death_info", "0"))
        _append_env_if_absent(ray, _env("RAY_gcs_server_request_timeout_seconds", "5"))
        _append_env_if_absent(ray, _env("RAY_SERVE_KV_TIMEOUT_S", "5"))
    _append_env_if_absent(ray, _env("RAY_ADDRESS", f"{ip}:{facts.head_port}"))
    _append_env_if_absent(ray, _env("RAY_USAGE_STATS_KUBERAY_IN_USE", "1"))
    if node_type == raystart.HEAD:
        tags = f"kuberay_version={options.kuberay_version};kuberay_crd={facts.crd}"
        _append_env(ray, _env("RAY_USAGE_STATS_EXTRA_TAGS", tags))
    _append_env_if_absent(ray, _env("RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "1"))


def _port_param(params: dict[str, str], key: str, default: int) -> int:
    """A port from rayStartParams parsed as a base-10 int32, else `default`."""
    text = params.get(key)
    if text is None or not _INT32.match(text):
        return default
    value = int(text)
    return value if -(2**31) <= value < 2**31 else default


def _container_port(container: dict[str, Any], port_name: str, default: int) -> int:
    for port in container.get("ports") or []:
        if port.get("name") == port_name:
            return int(port.get("containerPort") or 0)
    return default


def _set_probes(ray: dict[str, Any], node_type: str, params: dict[str, str], facts: _ClusterFacts) -> None:
    """initLivenessAndReadinessProbe: unless the user wrote them; HTTP for Ray >= 2.53, else exec wget."""
    head = node_type == raystart.HEAD
    agent_port = _port_param(params, "dashboard-agent-listen-port", DEFAULT_AGENT_PORT)
    dashboard_port = _port_param(params, "dashboard-port", DEFAULT_DASHBOARD_PORT)
    commands = [_HEALTH_COMMAND.format(timeout=2, port=agent_port, path="api/local_raylet_healthz")]
    if head:
        commands.append(_HEALTH_COMMAND.format(timeout=10, port=dashboard_port, path="api/gcs_healthz"))

    def handler(command_list: list[str]) -> dict[str, Any]:
        if supports_http_health_probes(facts.ray_version):
            return {"httpGet": {"path": "/api/healthz", "port": agent_port}}
        return {"exec": {"command": ["bash", "-c", " && ".join(command_list)]}}

    timeout = 5 if head else 2
    if ray.get("livenessProbe") is None:
        timing = {"initialDelaySeconds": 30, "timeoutSeconds": timeout, "periodSeconds": 5}
        ray["livenessProbe"] = {**handler(commands), **timing, "successThreshold": 1, "failureThreshold": 120}
    if ray.get("readinessProbe") is None:
        timing = {"initialDelaySeconds": 10, "timeoutSeconds": timeout, "periodSeconds": 5}
        readiness: dict[str, Any] = {
            **handler(commands),
            **timing,
            "successThreshold": 1,
            "failureThreshold": 10,
        }
        if facts.crd == "RayService" and not head:
            serve_port = _container_port(ray, "serve", DEFAULT_SERVE_PORT)
            serve = _HEALTH_COMMAND.format(timeout=10, port=serve_port, path="-/healthz")
            readiness.pop("httpGet", None)
            readiness["exec"] = {"command": ["bash", "-c", " && ".join([*commands, serve])]}
            readiness["failureThreshold"] = 1
        ray["readinessProbe"] = readiness


def _build_pod(
    template: dict[str, Any],
    node_type: str,
    params: dict[str, str],
    facts: _ClusterFacts,
    options: RenderOptions,
) -> KubeObject:
    """KubeRay's BuildPod on a defaulted template, then the controller's operator defaults."""
    metadata = template["metadata"]
    pod_spec = template["spec"]
    head = node_type == raystart.HEAD
    sidecars = options.head_sidecar_containers if head else options.worker_sidecar_containers
    pod_spec["containers"] = [*pod_spec["containers"], *(_copy_tree(sidecar) for sidecar in sidecars)]
    if facts.crd == "RayService":
        metadata["labels"][SERVE_LABEL] = "false" if head else "true"
    ray = pod_spec["containers"][0]
    if "plasma-directory" not in params:
        _add_empty_dir(pod_spec, ray, SHARED_MEMORY_VOLUME, SHARED_MEMORY_PATH)
    if head and facts.autoscaling:
        autoscaler = next(c for c in pod_spec["containers"] if c.get("name") == AUTOSCALER_CONTAINER_NAME)
        _add_empty_dir(pod_spec, ray, RAY_LOGS_VOLUME, RAY_LOGS_PATH)
        _add_empty_dir(pod_spec, autoscaler, RAY_LOGS_VOLUME, RAY_LOGS_PATH)
    start = raystart.generate_ray_start_command(node_type, params, ray.get("resources") or {})
    _set_command(ray, metadata.get("annotations") or {}, start, options)
    for init in pod_spec.get("initContainers") or []:
        _append_env(init, _env("FQ_RAY_IP", facts.fqdn), _env("RAY_IP", facts.fqdn.split(".")[0]))
    _set_ray_env(ray, node_type, start, facts, options)
    if options.enable_probes_injection:
        _set_probes(ray, node_type, params, facts)
    labels = metadata["labels"]
    annotations = metadata.setdefault("annotations", {})
    for key, value in options.default_pod_annotations:
        annotations.setdefault(key, value)
    for key, value in options.default_pod_labels:
        labels.setdefault(key, value)
    for container in [*pod_spec["containers"], *(pod_spec.get("initContainers") or [])]:
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec}


def _copy_tree(value: Any) -> Any:
    """Deep copy of JSON-like data (dicts, lists, scalars); several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copy_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_tree(item) for item in value]
    return value


def _drop_empty_annotations(pod: KubeObject) -> KubeObject:
    """KubeRay leaves `{}`; the API server stores no annotations at all, so neither do we."""
    if not pod["metadata"].get("annotations"):
        pod["metadata"].pop("annotations", None)
    return pod


# ---------------------------------------------------------------------------------------------------------
# Public entry points.


def render_head_pod(cluster: KubeObject, options: RenderOptions) -> KubeObject:
    """The head Pod `<cluster>-head` of a defaulted, validated RayCluster."""
    return _head_pod(cluster, _ClusterFacts.of(cluster, options), options)


def _head_pod(cluster: KubeObject, facts: _ClusterFacts, options: RenderOptions) -> KubeObject:
    template, params = _head_template(cluster, facts, options)
    pod = _build_pod(template, raystart.HEAD, params, facts, options)
    pod["metadata"]["annotations"][RECREATE_HASH_ANNOTATION] = recreate_hash(cluster)
    pod["metadata"]["annotations"][KUBERAY_VERSION_ANNOTATION] = options.kuberay_version
    return pod


def render_worker_pods(cluster: KubeObject, group_index: int, options: RenderOptions) -> list[KubeObject]:
    """The worker Pods of group `group_index`, by stable index (GetWorkerGroupDesiredReplicas; fixed names).

    Single-host: `<prefix><i>` for i < desired. Multi-host (numOfHosts > 1, RayMultiHostIndexing on):
    `<prefix><replica>-<host>` with replica-name and host-index labels. Scaling up never renames a pod.
    """
    return _worker_pods(cluster, group_index, _ClusterFacts.of(cluster, options), options)


def _worker_pods(
    cluster: KubeObject, group_index: int, facts: _ClusterFacts, options: RenderOptions
) -> list[KubeObject]:
    group = rc.worker_groups(cluster)[group_index]
    replicas = rc.desired_replicas(group)
    if replicas == 0:
        return []
    template, params = _worker_template(cluster, group_index, facts, options)
    base = _drop_empty_annotations(_build_pod(template, raystart.WORKER, params, facts, options))
    group_name = str(group.get("groupName") or "")
    prefix = names.worker_pod_prefix(facts.name, group_name)
    hosts = rc.num_of_hosts(group)
    indexing = options.feature_gates.ray_multi_host_indexing
    pods: list[KubeObject] = []
    if hosts > 1 and indexing:
        for replica in range(replicas):
            replica_labels = {
                REPLICA_INDEX_LABEL: str(replica),
                REPLICA_NAME_LABEL: multi_host_replica_name(cluster, group_name, replica),
            }
            for host in range(hosts):
                labels = {**replica_labels, HOST_INDEX_LABEL: str(host)}
                pods.append(_stamp(base, f"{prefix}{replica}-{host}", labels))
        return pods
    for index in range(replicas * hosts):
        labels = {REPLICA_INDEX_LABEL: str(index)} if indexing else {}
        pods.append(_stamp(base, f"{prefix}{index}", labels))
    return pods


def _stamp(base: KubeObject, name: str, labels: dict[str, str]) -> KubeObject:
    """The group's pod with its own name and index labels.

    Pods of one group share their `spec` (identical by construction): rendered objects are read-only
    downstream (see `desired.with_membership`), and copying it per pod was most of the render time.
    """
    metadata = base["metadata"]
    return {**base, "metadata": {**metadata, "name": name, "labels": {**metadata["labels"], **labels}}}


def _check_pod_count(cluster: KubeObject, limit: int) -> None:
    """Refuse before building: a typo like `replicas: 2000000000` must fail its own cluster, not exhaust
    the memory of the process that renders every cluster."""
    total = 1
    for index, group in enumerate(rc.worker_groups(cluster)):
        total += rc.desired_replicas(group) * rc.num_of_hosts(group)
        if total > limit:
            raise RenderError(
                f"the cluster would have more than {limit} Pods (maxPodsPerCluster in gitops-ray.yaml); "
                f"this group alone asks for {rc.desired_replicas(group) * rc.num_of_hosts(group)}",
                f"spec.workerGroupSpecs[{index}].replicas",
            )


def render_pods(cluster: KubeObject, options: RenderOptions) -> list[KubeObject]:
    """All Pods of a defaulted, validated RayCluster: head first, then each worker group in list order.

    `spec.suspend: true` means no Pods at all; `scaleStrategy.workersToDelete` is ignored (Git names no
    live pods to pick).
    """
    if rc.spec(cluster).get("suspend"):
        return []
    _check_pod_count(cluster, options.max_pods_per_cluster)
    facts = _ClusterFacts.of(cluster, options)
    pods = [_head_pod(cluster, facts, options)]
    for group_index in range(len(rc.worker_groups(cluster))):
        pods.extend(_worker_pods(cluster, group_index, facts, options))
    return pods
