"""KubeRay v1.7.0's RayCluster validation (`utils/validation.go`): same rules, same order, same messages.

Why: a RayCluster KubeRay would reject must not be rendered, and users must read exactly what the operator
would have said in its Warning event. Input is the cluster after `defaults.apply_crd_defaults`.

Each stage is a generator of failures in KubeRay's evaluation order, so the first failure wins as in Go.
Where KubeRay iterates a Go map (group labels) keys are taken in sorted order, for deterministic messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gitops_ray.model.objects import KubeObject
from gitops_ray.render import cluster as rc
from gitops_ray.render.apimachinery import (
    is_dns1035_label,
    is_qualified_name,
    is_valid_label_value,
    parse_generic_version,
    version_at_least,
)
from gitops_ray.render.errors import InvalidRayCluster, RenderError, SchemaError
from gitops_ray.render.options import RenderOptions

KUBERAY_MANAGER = "ray.io/kuberay-operator"
MULTIKUEUE_MANAGER = "kueue.x-k8s.io/multikueue"
MAX_NAME_LENGTH = 53
RESOURCE_PARAMS = ("num-cpus", "num-gpus", "memory", "resources")
TOKEN_AUTH_MIN_VERSION = (2, 52, 0)
K8S_TOKEN_AUTH_MIN_VERSION = (2, 55, 0)
PRIORITY_MIN_VERSION = (2, 56, 0)
GCS_STORAGE_PATH = "/data/gcs"
GCS_STORAGE_VOLUME = "gcs-storage"

Failure = tuple[str, str]  # (KubeRay's message, field path)


class ManagedElsewhere(RenderError):
    """`spec.managedBy` names another controller (MultiKueue): KubeRay skips the cluster, gitops-ray renders
    nothing for it, and the unit reports why instead of silently applying nothing."""


class RejectedRayCluster(InvalidRayCluster):
    """KubeRay rejects the cluster. `message` is KubeRay's error text, exactly; `reason` and `event_message`
    are those of the Warning event KubeRay would record (`The RayCluster spec is invalid <ns>/<name>: ...`).
    """

    def __init__(self, message: str, field: str, reason: str, event_message: str) -> None:
        super().__init__(message, field)
        self.reason = reason
        self.event_message = event_message


def _ray_version_failure(
    ray_version: str, minimum: tuple[int, ...], subject: str, field: str
) -> Failure | None:
    """KubeRay's three Ray-version messages (missing, unparsable, too old) for a feature needing `minimum`."""
    wanted = ".".join(str(number) for number in minimum)
    if not ray_version:
        return f"{subject} but RayVersion was not specified. Ray version {wanted} or later is required", field
    try:
        parsed = parse_generic_version(ray_version)
    except ValueError as error:
        return f"{subject} but RayVersion format is invalid: {ray_version}, {error}", field
    if not version_at_least(parsed, minimum):
        return f"{subject} but minimum Ray version is {wanted}, got {ray_version}", field
    return None


def check_managed_by(cluster: KubeObject) -> None:
    """KubeRay's managedBy skip plus the CRD's CEL rule: only KubeRay-managed clusters are rendered."""
    managed_by = rc.spec(cluster).get("managedBy")
    if not managed_by or managed_by == KUBERAY_MANAGER:
        return
    if managed_by == MULTIKUEUE_MANAGER:
        raise ManagedElsewhere(
            f"spec.managedBy is {managed_by!r}: the KubeRay operator skips this RayCluster, "
            "so gitops-ray renders nothing for it",
            "spec.managedBy",
        )
    raise SchemaError(
        f"the managedBy field value must be either '{KUBERAY_MANAGER}' or '{MULTIKUEUE_MANAGER}'",
        "spec.managedBy",
    )


def _metadata_failures(cluster: KubeObject) -> Iterator[Failure]:
    name = rc.name(cluster)
    if len(name) > MAX_NAME_LENGTH:
        yield f"RayCluster name should be no more than {MAX_NAME_LENGTH} characters", "metadata.name"
    errors = is_dns1035_label(name)
    if errors:
        yield f"RayCluster name should be a valid DNS1035 label: [{' '.join(errors)}]", "metadata.name"


def _group_resource_failures(group: dict[str, Any], group_name: str, path: str) -> Iterator[Failure]:
    params = group.get("rayStartParams") or {}
    if group.get("resources") and any(params.get(key) for key in RESOURCE_PARAMS):
        yield (
            "resource fields should not be set in both rayStartParams and Resources for "
            f"{group_name} group; please use only one",
            f"{path}.resources",
        )


def _group_label_failures(group: dict[str, Any], group_name: str, path: str) -> Iterator[Failure]:
    if "labels" in (group.get("rayStartParams") or {}):
        yield (
            f"rayStartParams['labels'] is not supported for {group_name} group; "
            "please use the top-level Labels field instead",
            f"{path}.rayStartParams[labels]",
        )
    messages = []
    for key, value in sorted((group.get("labels") or {}).items()):
        key_errors = is_qualified_name(key)
        if key_errors:
            messages.append(
                f"invalid label key for {group_name} group: '{key}', error: {'; '.join(key_errors)}"
            )
        value_errors = is_valid_label_value(value)
        if value_errors:
            messages.append(
                f"invalid label value for key '{key}' in {group_name} group: '{value}', "
                f"error: {'; '.join(value_errors)}"
            )
    if messages:
        yield "; ".join(messages), f"{path}.labels"


def _worker_group_failures(cluster: KubeObject, index: int, group: dict[str, Any]) -> Iterator[Failure]:
    path = f"spec.workerGroupSpecs[{index}]"
    name = str(group.get("groupName") or "")
    autoscaling = rc.autoscaling_enabled(cluster)
    if not rc.pod_spec(group).get("containers"):
        yield "workerGroupSpec should have at least one container", f"{path}.template.spec.containers"
    minimum, maximum = group.get("minReplicas"), group.get("maxReplicas")
    if not autoscaling and (minimum is None or maximum is None):
        yield (
            f"worker group {name} must set both minReplicas and maxReplicas when autoscaling is disabled",
            f"{path}.minReplicas" if minimum is None else f"{path}.maxReplicas",
        )
    if minimum is not None and minimum < 0:
        yield f"worker group {name} has negative minReplicas {minimum}", f"{path}.minReplicas"
    if maximum is not None and maximum < 0:
        yield f"worker group {name} has negative maxReplicas {maximum}", f"{path}.maxReplicas"
    if minimum is not None and maximum is not None and minimum > maximum:
        yield (
            f"worker group {name} has minReplicas {minimum} greater than maxReplicas {maximum}",
            f"{path}.minReplicas",
        )
    yield from _group_resource_failures(group, name, path)
    yield from _group_label_failures(group, name, path)
    yield from _idle_timeout_failures(cluster, group, name, path)
    yield from _priority_failures(cluster, group, name, path)


def _idle_timeout_failures(
    cluster: KubeObject, group: dict[str, Any], name: str, path: str
) -> Iterator[Failure]:
    idle_timeout = group.get("idleTimeoutSeconds")
    if idle_timeout is None:
        return
    field = f"{path}.idleTimeoutSeconds"
    if idle_timeout < 0:
        yield f"worker group {name}: idleTimeoutSeconds must be non-negative, got {idle_timeout}", field
    if not rc.autoscaler_v2_enabled(cluster):
        yield (
            f"worker group {name}: idleTimeoutSeconds is set, but autoscaler v2 is not enabled. Please set "
            ".spec.autoscalerOptions.version to 'v2' (or set RAY_enable_autoscaler_v2 environment variable "
            "to 'true' in the head pod if using KubeRay < 1.4.0)",
            field,
        )


def _priority_failures(cluster: KubeObject, group: dict[str, Any], name: str, path: str) -> Iterator[Failure]:
    priority = group.get("priority")
    if not priority:
        return
    field = f"{path}.priority"
    version_failure = _ray_version_failure(
        str(rc.spec(cluster).get("rayVersion") or ""),
        PRIORITY_MIN_VERSION,
        f"worker group {name}: priority is set,",
        field,
    )
    if version_failure:
        yield version_failure
    if not rc.autoscaler_v2_enabled(cluster):
        yield (
            f"worker group {name}: priority is set to {priority}, but autoscaler v2 is not enabled. "
            "Priority is only supported with autoscaler v2 enabled",
            field,
        )


def _gcs_ft_failures(cluster: KubeObject, options: RenderOptions) -> Iterator[Failure]:
    spec = rc.spec(cluster)
    ft_options = spec.get("gcsFaultToleranceOptions")
    head = rc.head_group(cluster)
    head_container = rc.ray_container(head)
    annotations = rc.annotations(cluster)
    if annotations.get("ray.io/ft-enabled") and ft_options is not None:
        yield (
            "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set. "
            "Please use only GcsFaultToleranceOptions to configure GCS fault tolerance",
            "spec.gcsFaultToleranceOptions",
        )
    head_env_field = "spec.headGroupSpec.template.spec.containers[0].env"
    if not rc.is_gcs_ft_enabled(cluster) and rc.has_env(head_container, "RAY_REDIS_ADDRESS"):
        yield (
            "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but "
            "GcsFaultToleranceOptions is not set. Please set GcsFaultToleranceOptions to enable GCS fault "
            "tolerance",
            head_env_field,
        )
    if ft_options is None:
        return
    instead = "when GcsFaultToleranceOptions is enabled - use GcsFaultToleranceOptions"
    if (head.get("rayStartParams") or {}).get("redis-password"):
        yield (
            f"cannot set `redis-password` in rayStartParams {instead}.RedisPassword instead",
            "spec.headGroupSpec.rayStartParams[redis-password]",
        )
    for env_name, go_field in (("REDIS_PASSWORD", "RedisPassword"), ("RAY_REDIS_ADDRESS", "RedisAddress")):
        if rc.has_env(head_container, env_name):
            yield f"cannot set `{env_name}` env var in head Pod {instead}.{go_field} instead", head_env_field
    if annotations.get("ray.io/external-storage-namespace"):
        yield (
            f"cannot set `ray.io/external-storage-namespace` annotation {instead}.ExternalStorageNamespace "
            "instead",
            "metadata.annotations[ray.io/external-storage-namespace]",
        )
    if rc.gcs_ft_backend(cluster) == "rocksdb":
        yield from _rocksdb_failures(ft_options, head, options)
    elif ft_options.get("storage") is not None:
        yield (
            "cannot set GcsFaultToleranceOptions.Storage when backend is 'redis' - it only applies to the "
            "'rocksdb' backend",
            "spec.gcsFaultToleranceOptions.storage",
        )


def _rocksdb_failures(
    ft_options: dict[str, Any], head: dict[str, Any], options: RenderOptions
) -> Iterator[Failure]:
    path = "spec.gcsFaultToleranceOptions"
    if not options.feature_gates.gcs_fault_tolerance_embedded_storage:
        yield (
            "the embedded RocksDB GCS fault tolerance backend (GcsFaultToleranceOptions.Backend: 'rocksdb') "
            "requires the GCSFaultToleranceEmbeddedStorage feature gate to be enabled",
            f"{path}.backend",
        )
    for key, go_name in (
        ("redisAddress", "RedisAddress"),
        ("redisUsername", "RedisUsername"),
        ("redisPassword", "RedisPassword"),
        ("externalStorageNamespace", "ExternalStorageNamespace"),
    ):
        if ft_options.get(key):
            yield f"cannot set GcsFaultToleranceOptions.{go_name} when backend is 'rocksdb'", f"{path}.{key}"
    storage = ft_options.get("storage") or {}
    if storage.get("claimName") and any(storage.get(k) for k in ("size", "storageClassName", "accessModes")):
        yield (
            "GcsFaultToleranceOptions.Storage.ClaimName is mutually exclusive with size, storageClassName, "
            "and accessModes",
            f"{path}.storage.claimName",
        )
    container = rc.ray_container(head)
    head_path = "spec.headGroupSpec.template.spec"
    if rc.has_env(container, "RAY_gcs_storage") or rc.has_env(container, "RAY_gcs_storage_path"):
        yield (
            "cannot set `RAY_gcs_storage` or `RAY_gcs_storage_path` env var in head Pod when the embedded "
            "GCS FT backend is used - these are managed by KubeRay",
            f"{head_path}.containers[0].env",
        )
    for mount in container.get("volumeMounts") or []:
        if mount.get("name") == GCS_STORAGE_VOLUME or mount.get("mountPath") == GCS_STORAGE_PATH:
            yield (
                f'cannot set a volume mount named "{GCS_STORAGE_VOLUME}" or mounted at {GCS_STORAGE_PATH} in '
                "the head container when the embedded GCS FT backend is used - it is managed by KubeRay",
                f"{head_path}.containers[0].volumeMounts",
            )
    if any(volume.get("name") == GCS_STORAGE_VOLUME for volume in rc.pod_spec(head).get("volumes") or []):
        yield (
            f'cannot set a volume named "{GCS_STORAGE_VOLUME}" in the head Pod when the embedded GCS FT '
            "backend is used - it is managed by KubeRay",
            f"{head_path}.volumes",
        )


def _autoscaler_failures(cluster: KubeObject, options: RenderOptions) -> Iterator[Failure]:
    spec = rc.spec(cluster)
    head_container = rc.ray_container(rc.head_group(cluster))
    groups = rc.worker_groups(cluster)
    if not options.feature_gates.ray_job_deletion_policy:
        for index, group in enumerate(groups):
            if group.get("suspend"):
                yield (
                    f"worker group {group.get('groupName', '')} can be suspended only when the "
                    "RayJobDeletionPolicy feature gate is enabled",
                    f"spec.workerGroupSpecs[{index}].suspend",
                )
    head_env_field = "spec.headGroupSpec.template.spec.containers[0].env"
    v2_env = rc.env_value(head_container, "RAY_enable_autoscaler_v2")
    if not rc.autoscaling_enabled(cluster):
        if v2_env in ("1", "true"):
            yield (
                f"environment variable RAY_enable_autoscaler_v2 cannot be set to '{v2_env}' when "
                "enableInTreeAutoscaling is false. Please set enableInTreeAutoscaling: true to use "
                "autoscaler v2",
                head_env_field,
            )
    else:
        yield from _enabled_autoscaler_failures(cluster, groups, v2_env is not None)
    autoscaler_options = spec.get("autoscalerOptions") or {}
    idle_timeout = autoscaler_options.get("idleTimeoutSeconds")
    if idle_timeout is not None and idle_timeout < 0:
        yield (
            f"autoscalerOptions.idleTimeoutSeconds must be non-negative, got {idle_timeout}",
            "spec.autoscalerOptions.idleTimeoutSeconds",
        )
    autoscaler_env = autoscaler_options.get("env") or []
    if any(entry.get("name") == "KUBERAY_GEN_AUTOSCALER_START_CMD" for entry in autoscaler_env):
        yield (
            "autoscalerOptions.env must not contain KUBERAY_GEN_AUTOSCALER_START_CMD: it is managed by "
            "KubeRay and injected automatically into the autoscaler container",
            "spec.autoscalerOptions.env",
        )


def _restarts_never(group: dict[str, Any]) -> bool:
    """restartPolicy `Never` or unset, as the autoscaler expects."""
    return rc.pod_spec(group).get("restartPolicy") in (None, "", "Never")


def _enabled_autoscaler_failures(
    cluster: KubeObject, groups: list[dict[str, Any]], has_v2_env: bool
) -> Iterator[Failure]:
    for index, group in enumerate(groups):
        if group.get("suspend"):
            yield (
                f"worker group {group.get('groupName', '')} cannot be suspended with Autoscaler enabled",
                f"spec.workerGroupSpecs[{index}].suspend",
            )
    if rc.autoscaler_version(cluster) and has_v2_env:
        yield (
            "both .spec.autoscalerOptions.version and head Pod env var RAY_enable_autoscaler_v2 are set, "
            "please only use the former",
            "spec.autoscalerOptions.version",
        )
    if not rc.autoscaler_v2_enabled(cluster):
        return
    if not _restarts_never(rc.head_group(cluster)):
        yield (
            "restartPolicy for head Pod should be Never or unset when using autoscaler V2",
            "spec.headGroupSpec.template.spec.restartPolicy",
        )
    for index, group in enumerate(groups):
        if not _restarts_never(group):
            yield (
                f"restartPolicy for worker group {group.get('groupName', '')} should be Never or unset when "
                "using autoscaler V2",
                f"spec.workerGroupSpecs[{index}].template.spec.restartPolicy",
            )


def _optional_feature_failures(cluster: KubeObject, options: RenderOptions) -> Iterator[Failure]:
    spec = rc.spec(cluster)
    gates = options.feature_gates
    history = spec.get("historyServerOptions")
    if history is not None:
        if not gates.ray_cluster_history_server:
            yield "RayClusterHistoryServer feature gate is not enabled", "spec.historyServerOptions"
        if history.get("collectorOptions") is None:
            yield "historyServerOptions.collectorOptions must be set", "spec.historyServerOptions"
    yield from _auth_failures(cluster)
    if spec.get("networkPolicy") is not None and not gates.ray_cluster_network_policy:
        yield (
            "spec.networkPolicy requires the RayClusterNetworkPolicy feature gate to be enabled",
            "spec.networkPolicy",
        )
    if spec.get("tlsOptions") is not None and not gates.ray_cluster_mtls:
        yield "spec.tlsOptions requires the RayClusterMTLS feature gate to be enabled", "spec.tlsOptions"


def _auth_failures(cluster: KubeObject) -> Iterator[Failure]:
    spec = rc.spec(cluster)
    auth = spec.get("authOptions") or {}
    k8s_token = bool(auth.get("enableK8sTokenAuth"))
    if auth.get("mode") != "token":
        if k8s_token:
            yield (
                "authOptions.enableK8sTokenAuth is enabled but authOptions.mode not set to 'token'",
                "spec.authOptions.enableK8sTokenAuth",
            )
        return
    ray_version = str(spec.get("rayVersion") or "")
    failure = _ray_version_failure(
        ray_version, TOKEN_AUTH_MIN_VERSION, "authOptions.mode is 'token'", "spec.rayVersion"
    )
    if failure:
        yield failure
        return
    if k8s_token and not version_at_least(parse_generic_version(ray_version), K8S_TOKEN_AUTH_MIN_VERSION):
        yield (
            "authOptions.enableK8sTokenAuth is enabled but minimum Ray version is "
            f"{'.'.join(map(str, K8S_TOKEN_AUTH_MIN_VERSION))}, got {ray_version}",
            "spec.rayVersion",
        )
    if k8s_token and auth.get("secretName"):
        yield (
            "authOptions.enableK8sTokenAuth is enabled and authOptions.secretName is also set",
            "spec.authOptions.secretName",
        )


def _spec_failures(cluster: KubeObject, options: RenderOptions) -> Iterator[Failure]:
    """ValidateRayClusterSpec, its rules in order (docs/kuberay-rendering.md#validation)."""
    head = rc.head_group(cluster)
    if not rc.pod_spec(head).get("containers"):
        yield "headGroupSpec should have at least one container", "spec.headGroupSpec.template.spec"
    yield from _group_resource_failures(head, "Head", "spec.headGroupSpec")
    yield from _group_label_failures(head, "Head", "spec.headGroupSpec")
    for index, group in enumerate(rc.worker_groups(cluster)):
        yield from _worker_group_failures(cluster, index, group)
    yield from _gcs_ft_failures(cluster, options)
    head_params = head.get("rayStartParams") or {}
    if head_params.get("redis-username") or rc.has_env(rc.ray_container(head), "REDIS_USERNAME"):
        yield (
            "cannot set redis username in rayStartParams or environment variables - use "
            "GcsFaultToleranceOptions.RedisUsername instead",
            "spec.headGroupSpec",
        )
    yield from _autoscaler_failures(cluster, options)
    yield from _optional_feature_failures(cluster, options)


def _upgrade_strategy_failures(cluster: KubeObject) -> Iterator[Failure]:
    strategy_type = (rc.spec(cluster).get("upgradeStrategy") or {}).get("type")
    if not strategy_type:
        return
    field = "spec.upgradeStrategy.type"
    if strategy_type not in ("Recreate", "None"):
        yield (
            f"The RayCluster spec is invalid: Spec.UpgradeStrategy.Type value {strategy_type} is invalid, "
            "valid options are Recreate or None",
            field,
        )
    creator = rc.originated_from_crd(cluster)
    if creator in ("RayJob", "RayService"):
        yield f"upgradeStrategy cannot be set when RayCluster is created by {creator}", field


def _status_failures(cluster: KubeObject) -> Iterator[Failure]:
    conditions = (cluster.get("status") or {}).get("conditions") or []
    true_types = {condition.get("type") for condition in conditions if condition.get("status") == "True"}
    if {"RayClusterSuspending", "RayClusterSuspended"} <= true_types:
        yield (
            "invalid RayCluster State: rayv1.RayClusterSuspending and rayv1.RayClusterSuspended conditions "
            "should not be both true",
            "status.conditions",
        )


def _autoscaler_v1_warnings(cluster: KubeObject) -> list[str]:
    """The one non-fatal check: autoscaler v1 with worker restartPolicy other than Never/unset."""
    if not rc.autoscaling_enabled(cluster) or rc.autoscaler_v2_enabled(cluster):
        return []
    offending = [
        str(group.get("groupName") or "") for group in rc.worker_groups(cluster) if not _restarts_never(group)
    ]
    if not offending:
        return []
    return [
        f"restartPolicy for worker groups [{', '.join(offending)}] should be Never or unset when using "
        "autoscaler V1"
    ]


@dataclass(frozen=True)
class _Stage:
    reason: str
    event_prefix: str
    failures: Callable[[KubeObject, RenderOptions], Iterator[Failure]]


_FATAL_STAGES_BEFORE_WARNINGS = (
    _Stage(
        "InvalidRayClusterMetadata", "The RayCluster metadata is invalid", lambda c, o: _metadata_failures(c)
    ),
    _Stage("InvalidRayClusterSpec", "The RayCluster spec is invalid", _spec_failures),
)
_FATAL_STAGES_AFTER_WARNINGS = (
    _Stage(
        "InvalidRayClusterSpec",
        "The RayCluster UpgradeStrategy is invalid",
        lambda c, o: _upgrade_strategy_failures(c),
    ),
    _Stage("InvalidRayClusterStatus", "The RayCluster status is invalid", lambda c, o: _status_failures(c)),
)


def _raise_first_failure(stages: tuple[_Stage, ...], cluster: KubeObject, options: RenderOptions) -> None:
    for stage in stages:
        failure = next(stage.failures(cluster, options), None)
        if failure is not None:
            message, field = failure
            where = f"{rc.namespace(cluster)}/{rc.name(cluster)}"
            raise RejectedRayCluster(message, field, stage.reason, f"{stage.event_prefix} {where}: {message}")


def validate_raycluster(cluster: KubeObject, options: RenderOptions) -> list[str]:
    """Validate a defaulted RayCluster as KubeRay v1.7.0 does; returns the non-fatal warnings.

    Raises ManagedElsewhere when `spec.managedBy` hands the cluster to MultiKueue, and RejectedRayCluster
    (an InvalidRayCluster) with KubeRay's exact message for the first rule that fails.
    """
    check_managed_by(cluster)
    _raise_first_failure(_FATAL_STAGES_BEFORE_WARNINGS, cluster, options)
    warnings = _autoscaler_v1_warnings(cluster)
    _raise_first_failure(_FATAL_STAGES_AFTER_WARNINGS, cluster, options)
    return warnings
