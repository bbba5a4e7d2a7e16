"""KubeRay's RayCluster validation, the cases of its utils/validation_test.go: exact messages, first failure
wins. See docs/kuberay-rendering.md#validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitops_ray.render.apimachinery import (
    is_dns1035_label,
    is_qualified_name,
    is_valid_label_value,
    parse_generic_version,
    version_at_least,
)
from gitops_ray.render.defaults import apply_crd_defaults
from gitops_ray.render.errors import InvalidRayCluster, SchemaError
from gitops_ray.render.options import FeatureGates, RenderOptions
from gitops_ray.render.validate import ManagedElsewhere, RejectedRayCluster, validate_raycluster

DEFAULTS = RenderOptions()


def env(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def head(env_vars: list[dict[str, str]] | None = None, **fields: Any) -> dict[str, Any]:
    """A head group whose Ray container has `env_vars`; `fields` are group fields or `restartPolicy`."""
    container: dict[str, Any] = {"name": "ray-head", "image": "rayproject/ray:2.52.0"}
    if env_vars:
        container["env"] = env_vars
    pod_spec: dict[str, Any] = {"containers": [container]}
    if "restartPolicy" in fields:
        pod_spec["restartPolicy"] = fields.pop("restartPolicy")
    if "volumes" in fields:
        pod_spec["volumes"] = fields.pop("volumes")
    if "volumeMounts" in fields:
        container["volumeMounts"] = fields.pop("volumeMounts")
    return {"template": {"spec": pod_spec}, **fields}


def worker(name: str = "worker-group-1", **fields: Any) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.52.0"}]}
    if "restartPolicy" in fields:
        pod_spec["restartPolicy"] = fields.pop("restartPolicy")
    return {"groupName": name, "minReplicas": 0, "maxReplicas": 5, "template": {"spec": pod_spec}, **fields}


def raycluster(
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    name: str = "raycluster-sample",
    **spec: Any,
) -> dict[str, Any]:
    """A RayCluster as written in Git; `spec` fields default to a valid head and one worker group."""
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = annotations
    if labels:
        metadata["labels"] = labels
    spec.setdefault("headGroupSpec", head())
    spec.setdefault("workerGroupSpecs", [worker()])
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": metadata, "spec": spec}


def rejection(cluster: dict[str, Any], options: RenderOptions = DEFAULTS) -> RejectedRayCluster:
    with pytest.raises(RejectedRayCluster) as caught:
        validate_raycluster(apply_crd_defaults(cluster), options)
    return caught.value


GATES_OFF = RenderOptions(feature_gates=FeatureGates(ray_job_deletion_policy=False))
EMBEDDED_STORAGE = RenderOptions(feature_gates=FeatureGates(gcs_fault_tolerance_embedded_storage=True))
REDIS_ADDRESS = env("RAY_REDIS_ADDRESS", "redis:6379")
V2_ENV = env("RAY_enable_autoscaler_v2", "1")
DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
    "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

REJECTED = [
    pytest.param(
        raycluster(annotations={"ray.io/ft-enabled": "false"}, gcsFaultToleranceOptions={}),
        DEFAULTS,
        "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set. Please use only "
        "GcsFaultToleranceOptions to configure GCS fault tolerance",
        "spec.gcsFaultToleranceOptions",
        id="ft annotation false and options",
    ),
    pytest.param(
        raycluster(annotations={"ray.io/ft-enabled": "true"}, gcsFaultToleranceOptions={}),
        DEFAULTS,
        "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set. Please use only "
        "GcsFaultToleranceOptions to configure GCS fault tolerance",
        "spec.gcsFaultToleranceOptions",
        id="ft annotation true and options",
    ),
    pytest.param(
        raycluster(headGroupSpec=head([REDIS_ADDRESS])),
        DEFAULTS,
        "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but "
        "GcsFaultToleranceOptions is not set. Please set GcsFaultToleranceOptions to enable GCS fault "
        "tolerance",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="redis address without ft",
    ),
    pytest.param(
        raycluster(annotations={"ray.io/ft-enabled": "false"}, headGroupSpec=head([REDIS_ADDRESS])),
        DEFAULTS,
        "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but "
        "GcsFaultToleranceOptions is not set. Please set GcsFaultToleranceOptions to enable GCS fault "
        "tolerance",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="redis address with ft annotation false",
    ),
    pytest.param(
        raycluster(headGroupSpec=head([REDIS_ADDRESS]), gcsFaultToleranceOptions={}),
        DEFAULTS,
        "cannot set `RAY_REDIS_ADDRESS` env var in head Pod when GcsFaultToleranceOptions is enabled - use "
        "GcsFaultToleranceOptions.RedisAddress instead",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="redis address env with options",
    ),
    pytest.param(
        raycluster(headGroupSpec=head([env("REDIS_PASSWORD", "x")]), gcsFaultToleranceOptions={}),
        DEFAULTS,
        "cannot set `REDIS_PASSWORD` env var in head Pod when GcsFaultToleranceOptions is enabled - use "
        "GcsFaultToleranceOptions.RedisPassword instead",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="redis password env with options",
    ),
    pytest.param(
        raycluster(headGroupSpec=head(rayStartParams={"redis-password": "x"}), gcsFaultToleranceOptions={}),
        DEFAULTS,
        "cannot set `redis-password` in rayStartParams when GcsFaultToleranceOptions is enabled - use "
        "GcsFaultToleranceOptions.RedisPassword instead",
        "spec.headGroupSpec.rayStartParams[redis-password]",
        id="redis-password param with options",
    ),
    pytest.param(
        raycluster(
            annotations={"ray.io/external-storage-namespace": "myns"},
            gcsFaultToleranceOptions={"redisAddress": "redis:6379"},
        ),
        DEFAULTS,
        "cannot set `ray.io/external-storage-namespace` annotation when GcsFaultToleranceOptions is "
        "enabled - use GcsFaultToleranceOptions.ExternalStorageNamespace instead",
        "metadata.annotations[ray.io/external-storage-namespace]",
        id="storage namespace annotation with options",
    ),
    pytest.param(
        raycluster(gcsFaultToleranceOptions={"backend": "redis", "storage": {"size": "1Gi"}}),
        DEFAULTS,
        "cannot set GcsFaultToleranceOptions.Storage when backend is 'redis' - it only applies to the "
        "'rocksdb' backend",
        "spec.gcsFaultToleranceOptions.storage",
        id="storage with redis backend",
    ),
    pytest.param(
        raycluster(gcsFaultToleranceOptions={"backend": "rocksdb", "redisAddress": "redis:6379"}),
        EMBEDDED_STORAGE,
        "cannot set GcsFaultToleranceOptions.RedisAddress when backend is 'rocksdb'",
        "spec.gcsFaultToleranceOptions.redisAddress",
        id="rocksdb with redis address",
    ),
    pytest.param(
        raycluster(gcsFaultToleranceOptions={"backend": "rocksdb", "redisPassword": {"value": "x"}}),
        EMBEDDED_STORAGE,
        "cannot set GcsFaultToleranceOptions.RedisPassword when backend is 'rocksdb'",
        "spec.gcsFaultToleranceOptions.redisPassword",
        id="rocksdb with redis password",
    ),
    pytest.param(
        raycluster(gcsFaultToleranceOptions={"backend": "rocksdb", "externalStorageNamespace": "ns"}),
        EMBEDDED_STORAGE,
        "cannot set GcsFaultToleranceOptions.ExternalStorageNamespace when backend is 'rocksdb'",
        "spec.gcsFaultToleranceOptions.externalStorageNamespace",
        id="rocksdb with external storage namespace",
    ),
    pytest.param(
        raycluster(
            gcsFaultToleranceOptions={"backend": "rocksdb", "storage": {"claimName": "my-pvc", "size": "1Gi"}}
        ),
        EMBEDDED_STORAGE,
        "GcsFaultToleranceOptions.Storage.ClaimName is mutually exclusive with size, storageClassName, and "
        "accessModes",
        "spec.gcsFaultToleranceOptions.storage.claimName",
        id="rocksdb claim name with size",
    ),
    pytest.param(
        raycluster(
            headGroupSpec=head([env("RAY_gcs_storage", "rocksdb")]),
            gcsFaultToleranceOptions={"backend": "rocksdb"},
        ),
        EMBEDDED_STORAGE,
        "cannot set `RAY_gcs_storage` or `RAY_gcs_storage_path` env var in head Pod when the embedded GCS "
        "FT backend is used - these are managed by KubeRay",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="rocksdb with RAY_gcs_storage env",
    ),
    pytest.param(
        raycluster(
            headGroupSpec=head(volumeMounts=[{"name": "data", "mountPath": "/data/gcs"}]),
            gcsFaultToleranceOptions={"backend": "rocksdb"},
        ),
        EMBEDDED_STORAGE,
        'cannot set a volume mount named "gcs-storage" or mounted at /data/gcs in the head container when '
        "the "
        "embedded GCS FT backend is used - it is managed by KubeRay",
        "spec.headGroupSpec.template.spec.containers[0].volumeMounts",
        id="rocksdb with a mount at /data/gcs",
    ),
    pytest.param(
        raycluster(
            headGroupSpec=head(volumes=[{"name": "gcs-storage", "emptyDir": {}}]),
            gcsFaultToleranceOptions={"backend": "rocksdb"},
        ),
        EMBEDDED_STORAGE,
        'cannot set a volume named "gcs-storage" in the head Pod when the embedded GCS FT backend is used - '
        "it "
        "is managed by KubeRay",
        "spec.headGroupSpec.template.spec.volumes",
        id="rocksdb with a gcs-storage volume",
    ),
    pytest.param(
        raycluster(gcsFaultToleranceOptions={"backend": "rocksdb"}),
        DEFAULTS,
        "the embedded RocksDB GCS fault tolerance backend (GcsFaultToleranceOptions.Backend: 'rocksdb') "
        "requires the GCSFaultToleranceEmbeddedStorage feature gate to be enabled",
        "spec.gcsFaultToleranceOptions.backend",
        id="rocksdb with the gate off",
    ),
    pytest.param(
        raycluster(headGroupSpec=head(rayStartParams={"redis-username": "username"})),
        DEFAULTS,
        "cannot set redis username in rayStartParams or environment variables - use "
        "GcsFaultToleranceOptions.RedisUsername instead",
        "spec.headGroupSpec",
        id="redis-username param",
    ),
    pytest.param(
        raycluster(headGroupSpec=head([env("REDIS_USERNAME", "username")])),
        DEFAULTS,
        "cannot set redis username in rayStartParams or environment variables - use "
        "GcsFaultToleranceOptions.RedisUsername instead",
        "spec.headGroupSpec",
        id="REDIS_USERNAME env",
    ),
    pytest.param(
        raycluster(name="a" * 54),
        DEFAULTS,
        "RayCluster name should be no more than 53 characters",
        "metadata.name",
        id="name of 54 characters",
    ),
    pytest.param(
        raycluster(name="1" * 53),
        DEFAULTS,
        f"RayCluster name should be a valid DNS1035 label: [{DNS1035_MESSAGE}]",
        "metadata.name",
        id="name not a DNS-1035 label",
    ),
    pytest.param(
        raycluster(headGroupSpec={"template": {"spec": {"containers": []}}}),
        DEFAULTS,
        "headGroupSpec should have at least one container",
        "spec.headGroupSpec.template.spec",
        id="head without containers",
    ),
    pytest.param(
        raycluster(
            workerGroupSpecs=[{"groupName": "worker-group-1", "template": {"spec": {"containers": []}}}]
        ),
        DEFAULTS,
        "workerGroupSpec should have at least one container",
        "spec.workerGroupSpecs[0].template.spec.containers",
        id="worker without containers",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker(suspend=True)]),
        GATES_OFF,
        "worker group worker-group-1 can be suspended only when the RayJobDeletionPolicy feature gate is "
        "enabled",
        "spec.workerGroupSpecs[0].suspend",
        id="suspended group with the gate off",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker(suspend=True)], enableInTreeAutoscaling=True),
        DEFAULTS,
        "worker group worker-group-1 cannot be suspended with Autoscaler enabled",
        "spec.workerGroupSpecs[0].suspend",
        id="suspended group with autoscaling",
    ),
    pytest.param(
        raycluster(headGroupSpec=head([V2_ENV])),
        DEFAULTS,
        "environment variable RAY_enable_autoscaler_v2 cannot be set to '1' when enableInTreeAutoscaling "
        "is false. Please set enableInTreeAutoscaling: true to use autoscaler v2",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="v2 env 1 without autoscaling",
    ),
    pytest.param(
        raycluster(headGroupSpec=head([env("RAY_enable_autoscaler_v2", "true")])),
        DEFAULTS,
        "environment variable RAY_enable_autoscaler_v2 cannot be set to 'true' when "
        "enableInTreeAutoscaling is false. Please set enableInTreeAutoscaling: true to use autoscaler v2",
        "spec.headGroupSpec.template.spec.containers[0].env",
        id="v2 env true without autoscaling",
    ),
    pytest.param(
        raycluster(
            headGroupSpec=head([V2_ENV]), enableInTreeAutoscaling=True, autoscalerOptions={"version": "v2"}
        ),
        DEFAULTS,
        "both .spec.autoscalerOptions.version and head Pod env var RAY_enable_autoscaler_v2 are set, "
        "please only use the former",
        "spec.autoscalerOptions.version",
        id="version and env both set",
    ),
    pytest.param(
        raycluster(
            headGroupSpec=head(restartPolicy="Always"),
            enableInTreeAutoscaling=True,
            autoscalerOptions={"version": "v2"},
        ),
        DEFAULTS,
        "restartPolicy for head Pod should be Never or unset when using autoscaler V2",
        "spec.headGroupSpec.template.spec.restartPolicy",
        id="v2 with head restartPolicy Always",
    ),
    pytest.param(
        raycluster(
            workerGroupSpecs=[worker(), worker("worker-group-2", restartPolicy="Always")],
            enableInTreeAutoscaling=True,
            autoscalerOptions={"version": "v2"},
        ),
        DEFAULTS,
        "restartPolicy for worker group worker-group-2 should be Never or unset when using autoscaler V2",
        "spec.workerGroupSpecs[1].template.spec.restartPolicy",
        id="v2 with worker restartPolicy Always",
    ),
    pytest.param(
        raycluster(
            enableInTreeAutoscaling=True,
            autoscalerOptions={"env": [env("KUBERAY_GEN_AUTOSCALER_START_CMD", "x")]},
        ),
        DEFAULTS,
        "autoscalerOptions.env must not contain KUBERAY_GEN_AUTOSCALER_START_CMD: it is managed by KubeRay "
        "and injected automatically into the autoscaler container",
        "spec.autoscalerOptions.env",
        id="autoscaler env with KUBERAY_GEN_AUTOSCALER_START_CMD",
    ),
    pytest.param(
        raycluster(enableInTreeAutoscaling=True, autoscalerOptions={"idleTimeoutSeconds": -1}),
        DEFAULTS,
        "autoscalerOptions.idleTimeoutSeconds must be non-negative, got -1",
        "spec.autoscalerOptions.idleTimeoutSeconds",
        id="negative autoscaler idle timeout",
    ),
    pytest.param(
        raycluster(headGroupSpec=head(rayStartParams={"num-cpus": "1"}, resources={"CPU": "1"})),
        DEFAULTS,
        "resource fields should not be set in both rayStartParams and Resources for Head group; please use "
        "only one",
        "spec.headGroupSpec.resources",
        id="head resources in both places",
    ),
    pytest.param(
        raycluster(
            workerGroupSpecs=[
                worker("worker-group", rayStartParams={"num-gpus": "1"}, resources={"GPU": "1"})
            ]
        ),
        DEFAULTS,
        "resource fields should not be set in both rayStartParams and Resources for worker-group group; "
        "please use only one",
        "spec.workerGroupSpecs[0].resources",
        id="worker resources in both places",
    ),
    pytest.param(
        raycluster(headGroupSpec=head(rayStartParams={"labels": "a=b"})),
        DEFAULTS,
        "rayStartParams['labels'] is not supported for Head group; please use the top-level Labels field "
        "instead",
        "spec.headGroupSpec.rayStartParams[labels]",
        id="labels in head rayStartParams",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker("worker-group", labels={"invalid_key!": "v"})]),
        DEFAULTS,
        f"invalid label key for worker-group group: 'invalid_key!', error: {NAME_PART_MESSAGE}",
        "spec.workerGroupSpecs[0].labels",
        id="invalid worker label key",
    ),
    pytest.param(
        raycluster(headGroupSpec=head(labels={"valid-key": "invalid/value"})),
        DEFAULTS,
        "invalid label value for key 'valid-key' in Head group: 'invalid/value', error: "
        f"{LABEL_VALUE_MESSAGE}",
        "spec.headGroupSpec.labels",
        id="invalid head label value",
    ),
    pytest.param(
        raycluster(headGroupSpec=head(labels={"b!": "ok", "a": "bad/value"})),
        DEFAULTS,
        f"invalid label value for key 'a' in Head group: 'bad/value', error: {LABEL_VALUE_MESSAGE}; invalid "
        f"label key for Head group: 'b!', error: {NAME_PART_MESSAGE}",
        "spec.headGroupSpec.labels",
        id="all label messages joined, keys in sorted order",
    ),
    pytest.param(
        raycluster(rayVersion="2.50.0", authOptions={"mode": "token"}),
        DEFAULTS,
        "authOptions.mode is 'token' but minimum Ray version is 2.52.0, got 2.50.0",
        "spec.rayVersion",
        id="token auth with old Ray",
    ),
    pytest.param(
        raycluster(rayVersion="invalid-version", authOptions={"mode": "token"}),
        DEFAULTS,
        "authOptions.mode is 'token' but RayVersion format is invalid: invalid-version, could not parse "
        '"invalid-version" as version',
        "spec.rayVersion",
        id="token auth with unparsable version",
    ),
    pytest.param(
        raycluster(authOptions={"mode": "token"}),
        DEFAULTS,
        "authOptions.mode is 'token' but RayVersion was not specified. Ray version 2.52.0 or later is "
        "required",
        "spec.rayVersion",
        id="token auth without version",
    ),
    pytest.param(
        raycluster(rayVersion="2.52.0", authOptions={"mode": "token", "enableK8sTokenAuth": True}),
        DEFAULTS,
        "authOptions.enableK8sTokenAuth is enabled but minimum Ray version is 2.55.0, got 2.52.0",
        "spec.rayVersion",
        id="k8s token auth with Ray 2.52.0",
    ),
    pytest.param(
        raycluster(
            rayVersion="2.55.0",
            authOptions={"mode": "token", "enableK8sTokenAuth": True, "secretName": "my-secret"},
        ),
        DEFAULTS,
        "authOptions.enableK8sTokenAuth is enabled and authOptions.secretName is also set",
        "spec.authOptions.secretName",
        id="k8s token auth with secret name",
    ),
    pytest.param(
        raycluster(rayVersion="2.55.0", authOptions={"enableK8sTokenAuth": True}),
        DEFAULTS,
        "authOptions.enableK8sTokenAuth is enabled but authOptions.mode not set to 'token'",
        "spec.authOptions.enableK8sTokenAuth",
        id="k8s token auth without token mode",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker("worker-group-3", minReplicas=5, maxReplicas=3)]),
        DEFAULTS,
        "worker group worker-group-3 has minReplicas 5 greater than maxReplicas 3",
        "spec.workerGroupSpecs[0].minReplicas",
        id="min greater than max",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker("worker-group-3", minReplicas=-1)], enableInTreeAutoscaling=True),
        DEFAULTS,
        "worker group worker-group-3 has negative minReplicas -1",
        "spec.workerGroupSpecs[0].minReplicas",
        id="negative min with autoscaling",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker("worker-group-3", maxReplicas=-1)], enableInTreeAutoscaling=True),
        DEFAULTS,
        "worker group worker-group-3 has negative maxReplicas -1",
        "spec.workerGroupSpecs[0].maxReplicas",
        id="negative max with autoscaling",
    ),
    pytest.param(
        raycluster(
            workerGroupSpecs=[worker(idleTimeoutSeconds=-10)],
            enableInTreeAutoscaling=True,
            autoscalerOptions={"version": "v2"},
        ),
        DEFAULTS,
        "worker group worker-group-1: idleTimeoutSeconds must be non-negative, got -10",
        "spec.workerGroupSpecs[0].idleTimeoutSeconds",
        id="negative idle timeout",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker(idleTimeoutSeconds=60)], enableInTreeAutoscaling=True),
        DEFAULTS,
        "worker group worker-group-1: idleTimeoutSeconds is set, but autoscaler v2 is not enabled. Please "
        "set .spec.autoscalerOptions.version to 'v2' (or set RAY_enable_autoscaler_v2 environment variable "
        "to 'true' in the head pod if using KubeRay < 1.4.0)",
        "spec.workerGroupSpecs[0].idleTimeoutSeconds",
        id="idle timeout without autoscaler v2",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker(priority=1)]),
        DEFAULTS,
        "worker group worker-group-1: priority is set, but RayVersion was not specified. Ray version "
        "2.56.0 or later is required",
        "spec.workerGroupSpecs[0].priority",
        id="priority without Ray version",
    ),
    pytest.param(
        raycluster(rayVersion="nightly", workerGroupSpecs=[worker(priority=1)]),
        DEFAULTS,
        "worker group worker-group-1: priority is set, but RayVersion format is invalid: nightly, could not "
        'parse "nightly" as version',
        "spec.workerGroupSpecs[0].priority",
        id="priority with unparsable Ray version",
    ),
    pytest.param(
        raycluster(rayVersion="2.55.1", workerGroupSpecs=[worker(priority=1)]),
        DEFAULTS,
        "worker group worker-group-1: priority is set, but minimum Ray version is 2.56.0, got 2.55.1",
        "spec.workerGroupSpecs[0].priority",
        id="priority with old Ray",
    ),
    pytest.param(
        raycluster(rayVersion="2.56.0", workerGroupSpecs=[worker(priority=3)]),
        DEFAULTS,
        "worker group worker-group-1: priority is set to 3, but autoscaler v2 is not enabled. Priority is "
        "only supported with autoscaler v2 enabled",
        "spec.workerGroupSpecs[0].priority",
        id="priority without autoscaler v2",
    ),
    pytest.param(
        raycluster(historyServerOptions={"collectorOptions": {"image": "collector"}}),
        DEFAULTS,
        "RayClusterHistoryServer feature gate is not enabled",
        "spec.historyServerOptions",
        id="history server with the gate off",
    ),
    pytest.param(
        raycluster(historyServerOptions={}),
        RenderOptions(feature_gates=FeatureGates(ray_cluster_history_server=True)),
        "historyServerOptions.collectorOptions must be set",
        "spec.historyServerOptions",
        id="history server without collector options",
    ),
    pytest.param(
        raycluster(networkPolicy={}),
        DEFAULTS,
        "spec.networkPolicy requires the RayClusterNetworkPolicy feature gate to be enabled",
        "spec.networkPolicy",
        id="network policy with the gate off",
    ),
    pytest.param(
        raycluster(tlsOptions={"enabled": True}),
        DEFAULTS,
        "spec.tlsOptions requires the RayClusterMTLS feature gate to be enabled",
        "spec.tlsOptions",
        id="tls options with the gate off",
    ),
    pytest.param(
        raycluster(labels={"ray.io/originated-from-crd": "RayJob"}, upgradeStrategy={"type": "Recreate"}),
        DEFAULTS,
        "upgradeStrategy cannot be set when RayCluster is created by RayJob",
        "spec.upgradeStrategy.type",
        id="upgrade strategy on a RayJob cluster",
    ),
    pytest.param(
        raycluster(labels={"ray.io/originated-from-crd": "RayService"}, upgradeStrategy={"type": "None"}),
        DEFAULTS,
        "upgradeStrategy cannot be set when RayCluster is created by RayService",
        "spec.upgradeStrategy.type",
        id="upgrade strategy on a RayService cluster",
    ),
]


@pytest.mark.parametrize(("cluster", "options", "message", "field"), REJECTED)
def test_kuberay_rejects_the_cluster_with_its_exact_message(
    cluster: dict[str, Any], options: RenderOptions, message: str, field: str
) -> None:
    error = rejection(cluster, options)
    assert (error.message, error.field) == (message, field)


ACCEPTED = [
    pytest.param(raycluster(name="a" * 53), DEFAULTS, id="name of 53 characters"),
    pytest.param(
        raycluster(annotations={"ray.io/ft-enabled": "true"}, headGroupSpec=head([REDIS_ADDRESS])),
        DEFAULTS,
        id="redis address with ft annotation true",
    ),
    pytest.param(raycluster(workerGroupSpecs=[worker(suspend=True)]), DEFAULTS, id="suspend with gate on"),
    pytest.param(
        raycluster(rayVersion="2.52.0", authOptions={"mode": "token"}),
        DEFAULTS,
        id="token auth with Ray 2.52.0",
    ),
    pytest.param(
        raycluster(rayVersion="2.55.0", authOptions={"mode": "token", "enableK8sTokenAuth": True}),
        DEFAULTS,
        id="k8s token auth with 2.55.0",
    ),
    pytest.param(
        raycluster(rayVersion="3.0.0", authOptions={"mode": "token", "enableK8sTokenAuth": True}),
        DEFAULTS,
        id="k8s token auth with 3.0.0",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[worker("worker-group-3", replicas=1, minReplicas=2, maxReplicas=5)]),
        DEFAULTS,
        id="replicas below min is clamped, not rejected",
    ),
    pytest.param(
        raycluster(workerGroupSpecs=[{"groupName": "g", "template": worker()["template"]}]),
        DEFAULTS,
        id="missing min and max are filled by the CRD defaults",
    ),
    pytest.param(
        raycluster(
            workerGroupSpecs=[worker(idleTimeoutSeconds=60)],
            enableInTreeAutoscaling=True,
            autoscalerOptions={"version": "v2"},
        ),
        DEFAULTS,
        id="idle timeout with version v2",
    ),
    pytest.param(
        raycluster(
            headGroupSpec=head([V2_ENV]),
            workerGroupSpecs=[worker(idleTimeoutSeconds=60)],
            enableInTreeAutoscaling=True,
        ),
        DEFAULTS,
        id="idle timeout with the v2 env",
    ),
    pytest.param(
        raycluster(
            workerGroupSpecs=[worker(idleTimeoutSeconds=0)],
            enableInTreeAutoscaling=True,
            autoscalerOptions={"version": "v2"},
        ),
        DEFAULTS,
        id="idle timeout 0",
    ),
    pytest.param(raycluster(upgradeStrategy={"type": "Recreate"}), DEFAULTS, id="upgrade strategy Recreate"),
    pytest.param(raycluster(upgradeStrategy={"type": "None"}), DEFAULTS, id="upgrade strategy None"),
    pytest.param(
        raycluster(
            rayVersion="2.56.0",
            workerGroupSpecs=[worker(priority=3)],
            enableInTreeAutoscaling=True,
            autoscalerOptions={"version": "v2"},
        ),
        DEFAULTS,
        id="priority with Ray 2.56.0 and autoscaler v2",
    ),
    pytest.param(
        raycluster(gcsFaultToleranceOptions={"backend": "rocksdb", "storage": {"size": "5Gi"}}),
        EMBEDDED_STORAGE,
        id="rocksdb with the gate on",
    ),
    pytest.param(raycluster(authOptions={"mode": "disabled"}), DEFAULTS, id="auth disabled needs no version"),
]


@pytest.mark.parametrize(("cluster", "options"), ACCEPTED)
def test_kuberay_accepts_the_cluster(cluster: dict[str, Any], options: RenderOptions) -> None:
    assert validate_raycluster(apply_crd_defaults(cluster), options) == []


def test_missing_min_or_max_is_rejected_when_autoscaling_is_off() -> None:
    """The rule exists in ValidateRayClusterSpec although the CRD defaults make it unreachable from YAML."""
    cluster = apply_crd_defaults(raycluster(workerGroupSpecs=[worker("worker-group-3")]))
    del cluster["spec"]["workerGroupSpecs"][0]["minReplicas"]
    with pytest.raises(RejectedRayCluster) as caught:
        validate_raycluster(cluster, DEFAULTS)
    assert caught.value.message == (
        "worker group worker-group-3 must set both minReplicas and maxReplicas when autoscaling is disabled"
    )


def test_missing_min_and_max_are_accepted_with_autoscaling() -> None:
    cluster = apply_crd_defaults(raycluster(workerGroupSpecs=[worker()], enableInTreeAutoscaling=True))
    del cluster["spec"]["workerGroupSpecs"][0]["minReplicas"]
    del cluster["spec"]["workerGroupSpecs"][0]["maxReplicas"]
    assert validate_raycluster(cluster, DEFAULTS) == []


def test_invalid_upgrade_strategy_type_has_kuberays_message() -> None:
    """The CRD enum rejects it first from YAML; the validator still carries KubeRay's rule
    (TestValidateRayClusterUpgradeOptions)."""
    cluster = apply_crd_defaults(raycluster())
    cluster["spec"]["upgradeStrategy"] = {"type": "InvalidStrategy"}
    with pytest.raises(RejectedRayCluster) as caught:
        validate_raycluster(cluster, DEFAULTS)
    assert caught.value.message == (
        "The RayCluster spec is invalid: Spec.UpgradeStrategy.Type value InvalidStrategy is invalid, valid "
        "options are Recreate or None"
    )
    assert caught.value.event_message.startswith(
        "The RayCluster UpgradeStrategy is invalid default/raycluster-sample: "
    )


def condition(kind: str, status: str) -> dict[str, str]:
    return {
        "type": kind,
        "status": status,
        "reason": "r",
        "message": "",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("suspending", "suspended", "rejected"),
    [
        pytest.param("True", "True", True, id="both true"),
        pytest.param("True", "False", False, id="suspending only"),
        pytest.param("False", "True", False, id="suspended only"),
        pytest.param("False", "False", False, id="neither"),
    ],
)
def test_status_with_suspending_and_suspended_both_true_is_invalid(
    suspending: str, suspended: str, rejected: bool
) -> None:
    """TestValidateRayClusterStatus: only Suspending and Suspended both True is invalid."""
    cluster = raycluster()
    cluster["status"] = {
        "conditions": [
            condition("RayClusterSuspending", suspending),
            condition("RayClusterSuspended", suspended),
        ]
    }
    if not rejected:
        assert validate_raycluster(apply_crd_defaults(cluster), DEFAULTS) == []
        return
    error = rejection(cluster)
    assert (error.message, error.reason) == (
        "invalid RayCluster State: rayv1.RayClusterSuspending and rayv1.RayClusterSuspended conditions "
        "should not be both true",
        "InvalidRayClusterStatus",
    )


def test_the_first_failing_rule_wins() -> None:
    """Metadata before spec; within the spec, the head before the workers before GCS FT."""
    cluster = raycluster(
        name="a" * 54,
        headGroupSpec={"template": {"spec": {"containers": []}}},
        workerGroupSpecs=[worker(minReplicas=5, maxReplicas=3)],
    )
    assert rejection(cluster).message == "RayCluster name should be no more than 53 characters"
    cluster["metadata"]["name"] = "ok"
    assert rejection(cluster).message == "headGroupSpec should have at least one container"


@pytest.mark.parametrize(
    ("cluster", "reason", "event_message"),
    [
        pytest.param(
            raycluster(name="a" * 54),
            "InvalidRayClusterMetadata",
            f"The RayCluster metadata is invalid default/{'a' * 54}: RayCluster name should be no more than "
            "53 characters",
            id="metadata",
        ),
        pytest.param(
            raycluster(headGroupSpec={"template": {"spec": {"containers": []}}}),
            "InvalidRayClusterSpec",
            "The RayCluster spec is invalid default/raycluster-sample: headGroupSpec should have at least "
            "one container",
            id="spec",
        ),
        pytest.param(
            raycluster(labels={"ray.io/originated-from-crd": "RayJob"}, upgradeStrategy={"type": "None"}),
            "InvalidRayClusterSpec",
            "The RayCluster UpgradeStrategy is invalid default/raycluster-sample: upgradeStrategy cannot "
            "be set when RayCluster is created by RayJob",
            id="upgrade strategy",
        ),
    ],
)
def test_rejection_carries_kuberays_event_reason_and_message(
    cluster: dict[str, Any], reason: str, event_message: str
) -> None:
    error = rejection(cluster)
    assert (error.reason, error.event_message) == (reason, event_message)


def test_rejection_is_an_invalid_raycluster_whose_str_names_the_field() -> None:
    error = rejection(raycluster(name="a" * 54))
    assert isinstance(error, InvalidRayCluster)
    assert str(error) == "metadata.name: RayCluster name should be no more than 53 characters"


@pytest.mark.parametrize(
    ("version", "groups", "warnings"),
    [
        pytest.param(
            "v1",
            [worker("g1", restartPolicy="Always"), worker("g2"), worker("g3", restartPolicy="OnFailure")],
            ["restartPolicy for worker groups [g1, g3] should be Never or unset when using autoscaler V1"],
            id="v1 with two offending groups",
        ),
        pytest.param(
            "",
            [worker("g1", restartPolicy="Always")],
            ["restartPolicy for worker groups [g1] should be Never or unset when using autoscaler V1"],
            id="version unset means v1",
        ),
        pytest.param("v1", [worker("g1", restartPolicy="Never")], [], id="v1 with Never"),
    ],
)
def test_autoscaler_v1_restart_policy_is_a_warning(
    version: str, groups: list[dict[str, Any]], warnings: list[str]
) -> None:
    options = {"version": version} if version else {}
    cluster = raycluster(workerGroupSpecs=groups, enableInTreeAutoscaling=True, autoscalerOptions=options)
    assert validate_raycluster(apply_crd_defaults(cluster), DEFAULTS) == warnings


def test_multikueue_managed_cluster_is_skipped() -> None:
    cluster = apply_crd_defaults(raycluster(managedBy="kueue.x-k8s.io/multikueue"))
    with pytest.raises(ManagedElsewhere) as caught:
        validate_raycluster(cluster, DEFAULTS)
    assert caught.value.field == "spec.managedBy"
    assert caught.value.message == (
        "spec.managedBy is 'kueue.x-k8s.io/multikueue': the KubeRay operator skips this RayCluster, so "
        "gitops-ray renders nothing for it"
    )


def test_kuberay_managed_cluster_is_validated() -> None:
    cluster = apply_crd_defaults(raycluster(managedBy="ray.io/kuberay-operator"))
    assert validate_raycluster(cluster, DEFAULTS) == []


def test_unknown_manager_is_rejected_like_the_crd_rule() -> None:
    cluster = apply_crd_defaults(raycluster(managedBy="someone-else"))
    with pytest.raises(SchemaError) as caught:
        validate_raycluster(cluster, DEFAULTS)
    assert str(caught.value) == (
        "spec.managedBy: the managedBy field value must be either 'ray.io/kuberay-operator' or "
        "'kueue.x-k8s.io/multikueue'"
    )


def test_validation_does_not_modify_the_cluster() -> None:
    cluster = apply_crd_defaults(raycluster(enableInTreeAutoscaling=True))
    before = copy.deepcopy(cluster)
    validate_raycluster(cluster, DEFAULTS)
    assert cluster == before


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        pytest.param("2.52.0", (2, 52, 0), id="semver"),
        pytest.param("v2.53", (2, 53), id="v prefix, two components"),
        pytest.param(" 2.46.0rc1", (2, 46, 0), id="leading space and trailing text"),
        pytest.param("0.1", (0, 1), id="zero major"),
        pytest.param("2.05.1", (2, 5, 1), id="zero-prefixed minor is allowed"),
    ],
)
def test_parse_generic_version(text: str, parsed: tuple[int, ...]) -> None:
    assert parse_generic_version(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("invalid-version", 'could not parse "invalid-version" as version', id="not a version"),
        pytest.param("nightly", 'could not parse "nightly" as version', id="nightly"),
        pytest.param("", 'could not parse "" as version', id="empty"),
        pytest.param("2", 'illegal version string "2"', id="one component"),
        pytest.param(
            "02.1", 'illegal zero-prefixed version component "02" in "02.1"', id="zero-prefixed major"
        ),
        pytest.param(
            "2.99999999999999999999",
            'illegal non-numeric version component "99999999999999999999" in "2.99999999999999999999": '
            'strconv.ParseUint: parsing "99999999999999999999": value out of range',
            id="out of range",
        ),
    ],
)
def test_parse_generic_version_errors_have_gos_messages(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_generic_version(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        pytest.param((2, 52), (2, 52, 0), True, id="missing component counts as 0"),
        pytest.param((2, 51, 9), (2, 52, 0), False, id="older"),
        pytest.param((3, 0, 0), (2, 55, 0), True, id="newer major"),
    ],
)
def test_version_at_least(version: tuple[int, ...], minimum: tuple[int, ...], expected: bool) -> None:
    assert version_at_least(version, minimum) is expected


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        pytest.param("my-name", [], id="valid"),
        pytest.param("1abc", [DNS1035_MESSAGE], id="leading digit"),
        pytest.param("a" * 64, ["must be no more than 63 characters"], id="too long"),
    ],
)
def test_is_dns1035_label(value: str, errors: list[str]) -> None:
    assert is_dns1035_label(value) == errors


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        pytest.param("example.com/MyName", [], id="prefixed"),
        pytest.param("/name", ["prefix part must be non-empty"], id="empty prefix"),
        pytest.param(
            "Example.com/name",
            [
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                "'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ],
            id="upper-case prefix",
        ),
        pytest.param("a/", ["name part must be non-empty", NAME_PART_MESSAGE], id="empty name"),
        pytest.param("a" * 64, ["name part must be no more than 63 characters"], id="long name"),
        pytest.param(
            "a/b/c",
            [
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
                "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
                "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
                "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ],
            id="two slashes",
        ),
    ],
)
def test_is_qualified_name(key: str, errors: list[str]) -> None:
    assert is_qualified_name(key) == errors


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        pytest.param("", [], id="empty is valid"),
        pytest.param("my_value", [], id="valid"),
        pytest.param("-x", [LABEL_VALUE_MESSAGE], id="leading dash"),
        pytest.param("a" * 64, ["must be no more than 63 characters"], id="too long"),
    ],
)
def test_is_valid_label_value(value: str, errors: list[str]) -> None:
    assert is_valid_label_value(value) == errors
