"""Head and worker Pods: the cases of KubeRay's common/pod_test.go (plus some of utils/util_test.go and
raycluster_controller_unit_test.go) and gitops-ray's stable names.

See docs/kuberay-rendering.md#pods-buildpod.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from typing import Any

import pytest

from gitops_ray.model.objects import KubeObject
from gitops_ray.render.cluster import is_gcs_ft_enabled
from gitops_ray.render.errors import RenderError
from gitops_ray.render.options import FeatureGates, RenderOptions
from gitops_ray.render.pod import (
    WAIT_GCS_READY_ARGS_TEMPLATE,
    external_storage_namespace,
    gcs_storage_claim_name,
    head_service_account_name,
    multi_host_replica_name,
    recreate_hash,
    render_head_pod,
    render_pods,
    render_worker_pods,
)

OPTIONS = RenderOptions()
FQDN = "raycluster-sample-head-svc.default.svc.cluster.local"
ULIMIT = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; "
HEAD_START = (
    "ray start --head  --block  --dashboard-agent-listen-port=52365  --dashboard-host=0.0.0.0  "
    "--memory=1073741824  --metrics-export-port=8080  --num-cpus=1 "
)
WORKER_START = (
    f"ray start  --address={FQDN}:6379  --block  --dashboard-agent-listen-port=52365  --memory=1073741824  "
    "--metrics-export-port=8080  --num-cpus=1  --num-gpus=3  --port=6379 "
)
RAYLET_CHECK = "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success"
GCS_CHECK = "wget --tries 1 -T 10 -q -O- http://localhost:8265/api/gcs_healthz | grep success"
SERVE_CHECK = "wget --tries 1 -T 10 -q -O- http://localhost:8000/-/healthz | grep success"


def instance() -> KubeObject:
    """The `instance` fixture of common/pod_test.go, with the CRD defaults applied by hand."""
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "raycluster-sample", "namespace": "default"},
        "spec": {
            "headGroupSpec": {
                "rayStartParams": {},
                "template": {
                    "metadata": {"namespace": "default"},
                    "spec": {
                        "containers": [
                            {
                                "name": "ray-head",
                                "image": "repo/image:custom",
                                "env": [{"name": "TEST_ENV_NAME", "value": "TEST_ENV_VALUE"}],
                                "resources": {
                                    "requests": {"cpu": "1", "memory": "1Gi"},
                                    "limits": {"cpu": "1", "memory": "1Gi"},
                                },
                            }
                        ]
                    },
                },
            },
            "workerGroupSpecs": [
                {
                    "groupName": "small-group",
                    "replicas": 3,
                    "minReplicas": 0,
                    "maxReplicas": 10000,
                    "numOfHosts": 1,
                    "rayStartParams": {"port": "6379"},
                    "template": {
                        "metadata": {"namespace": "default"},
                        "spec": {
                            "containers": [
                                {
                                    "name": "ray-worker",
                                    "image": "repo/image:custom",
                                    "resources": {
                                        "limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "3"}
                                    },
                                    "env": [{"name": "TEST_ENV_NAME", "value": "TEST_ENV_VALUE"}],
                                }
                            ]
                        },
                    },
                }
            ],
        },
    }


def head_group(cluster: KubeObject) -> dict[str, Any]:
    group: dict[str, Any] = cluster["spec"]["headGroupSpec"]
    return group


def worker_group(cluster: KubeObject) -> dict[str, Any]:
    group: dict[str, Any] = cluster["spec"]["workerGroupSpecs"][0]
    return group


def ray_of(group: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = group["template"]["spec"]["containers"][0]
    return container


def first_worker(cluster: KubeObject, options: RenderOptions = OPTIONS) -> KubeObject:
    return render_worker_pods(cluster, 0, options)[0]


def ray_container(pod: KubeObject) -> dict[str, Any]:
    container: dict[str, Any] = pod["spec"]["containers"][0]
    return container


def env_names(container: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in container.get("env") or []]


def env_value(container: dict[str, Any], name: str) -> str | None:
    for entry in container.get("env") or []:
        if entry["name"] == name:
            return str(entry.get("value", ""))
    return None


def field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


FIELD_ENVS = [
    field_env("RAY_CLUSTER_NAME", "metadata.labels['ray.io/cluster']"),
    field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
    field_env("RAY_CLOUD_INSTANCE_ID", "metadata.name"),
    field_env("RAY_NODE_TYPE_NAME", "metadata.labels['ray.io/group']"),
]
WITH_DEFAULT_ENV = dataclasses.replace(
    OPTIONS, default_container_envs=(("TEST_DEFAULT_ENV_NAME", "TEST_ENV_VALUE"),)
)


def with_autoscaling(cluster: KubeObject, version: str | None = None) -> KubeObject:
    cluster["spec"]["enableInTreeAutoscaling"] = True
    if version is not None:
        cluster["spec"]["autoscalerOptions"] = {"version": version}
    return cluster


# ---------------------------------------------------------------------------------------------------------
# TestBuildPod: the complete head and worker Ray containers of the fixture; then
# TestBuildPod_WithUlimitOverride, TestBuildPod_WithNoCPULimits, TestBuildPod_WithOverwriteCommand.


def test_head_env_is_the_complete_ordered_list_tv_b1() -> None:
    pod = render_head_pod(instance(), WITH_DEFAULT_ENV)

    assert ray_container(pod)["env"] == [
        {"name": "TEST_ENV_NAME", "value": "TEST_ENV_VALUE"},
        {"name": "TEST_DEFAULT_ENV_NAME", "value": "TEST_ENV_VALUE"},
        *FIELD_ENVS,
        {"name": "KUBERAY_GEN_RAY_START_CMD", "value": HEAD_START},
        {"name": "RAY_PORT", "value": "6379"},
        {"name": "RAY_ADDRESS", "value": "127.0.0.1:6379"},
        {"name": "RAY_USAGE_STATS_KUBERAY_IN_USE", "value": "1"},
        {"name": "RAY_USAGE_STATS_EXTRA_TAGS", "value": "kuberay_version=v1.7.0;kuberay_crd=RayCluster"},
        {"name": "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "value": "1"},
    ]


def test_head_command_args_volumes_and_mounts_tv_b1() -> None:
    pod = render_head_pod(instance(), OPTIONS)
    ray = ray_container(pod)

    assert ray["command"] == ["/bin/bash", "-c", "--"]
    assert ray["args"] == [ULIMIT + HEAD_START]
    assert pod["spec"]["volumes"] == [
        {"name": "shared-mem", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}
    ]
    assert ray["volumeMounts"] == [{"name": "shared-mem", "mountPath": "/dev/shm"}]


def test_head_metadata_tv_b1() -> None:
    cluster = instance()

    metadata = render_head_pod(cluster, OPTIONS)["metadata"]

    assert metadata == {
        "name": "raycluster-sample-head",
        "namespace": "default",
        "labels": {
            "ray.io/is-ray-node": "yes",
            "ray.io/cluster": "raycluster-sample",
            "ray.io/node-type": "head",
            "ray.io/group": "headgroup",
            "ray.io/identifier": "raycluster-sample-head",
            "app.kubernetes.io/name": "kuberay",
            "app.kubernetes.io/created-by": "kuberay-operator",
        },
        "annotations": {
            "ray.io/ft-enabled": "false",
            "ray.io/upgrade-strategy-recreate-hash": recreate_hash(cluster),
            "ray.io/kuberay-version": "v1.7.0",
        },
    }


def test_worker_env_is_the_complete_ordered_list_tv_b2() -> None:
    pod = first_worker(instance(), WITH_DEFAULT_ENV)

    assert ray_container(pod)["env"] == [
        {"name": "TEST_ENV_NAME", "value": "TEST_ENV_VALUE"},
        {"name": "TEST_DEFAULT_ENV_NAME", "value": "TEST_ENV_VALUE"},
        {"name": "FQ_RAY_IP", "value": FQDN},
        {"name": "RAY_IP", "value": "raycluster-sample-head-svc"},
        *FIELD_ENVS,
        {"name": "KUBERAY_GEN_RAY_START_CMD", "value": WORKER_START},
        {"name": "RAY_PORT", "value": "6379"},
        {"name": "RAY_ADDRESS", "value": f"{FQDN}:6379"},
        {"name": "RAY_USAGE_STATS_KUBERAY_IN_USE", "value": "1"},
        {"name": "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "value": "1"},
    ]


def test_worker_args_and_limits_tv_b2() -> None:
    ray = ray_container(first_worker(instance()))

    assert ray["args"] == [ULIMIT + WORKER_START]
    assert ray["resources"] == {"limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "3"}}


def test_worker_metadata_has_no_annotations_and_a_replica_index() -> None:
    metadata = first_worker(instance())["metadata"]

    assert metadata == {
        "name": "raycluster-sample-small-group-worker-0",
        "namespace": "default",
        "labels": {
            "ray.io/is-ray-node": "yes",
            "ray.io/cluster": "raycluster-sample",
            "ray.io/node-type": "worker",
            "ray.io/group": "small-group",
            "ray.io/identifier": "raycluster-sample-worker",
            "app.kubernetes.io/name": "kuberay",
            "app.kubernetes.io/created-by": "kuberay-operator",
            "ray.io/worker-group-replica-index": "0",
        },
    }


def test_user_ulimit_env_does_not_change_the_literal_ulimit_tv_b3() -> None:
    cluster = instance()
    ray_of(head_group(cluster))["env"] = [{"name": "RAY_START_ULIMIT_OPEN_FILES", "value": "1048576"}]

    ray = ray_container(render_head_pod(cluster, OPTIONS))

    assert ray["env"][0] == {"name": "RAY_START_ULIMIT_OPEN_FILES", "value": "1048576"}
    assert ray["args"] == [ULIMIT + HEAD_START]


def test_cpu_request_is_used_without_cpu_limit_tv_b4() -> None:
    cluster = instance()
    ray_of(head_group(cluster))["resources"] = {
        "requests": {"cpu": "2", "memory": "1Gi"},
        "limits": {"memory": "1Gi"},
    }
    ray_of(worker_group(cluster))["resources"] = {
        "requests": {"cpu": "2"},
        "limits": {"memory": "1Gi", "nvidia.com/gpu": "3"},
    }

    head_args = ray_container(render_head_pod(cluster, OPTIONS))["args"]
    worker_args = ray_container(first_worker(cluster))["args"]

    assert head_args == [ULIMIT + HEAD_START.replace("--num-cpus=1", "--num-cpus=2")]
    assert worker_args == [ULIMIT + WORKER_START.replace("--num-cpus=1", "--num-cpus=2")]


def test_overwrite_annotation_keeps_user_command_and_args_tv_b5() -> None:
    cluster = instance()
    cluster["metadata"]["annotations"] = {"ray.io/overwrite-container-cmd": "true"}
    ray_of(head_group(cluster)).update(command=["I am head"], args=["I am head again"])
    ray_of(worker_group(cluster)).update(command=["I am worker"], args=["I am worker again"])

    head = render_head_pod(cluster, OPTIONS)
    worker = first_worker(cluster)

    assert (ray_container(head)["command"], ray_container(head)["args"]) == (
        ["I am head"],
        ["I am head again"],
    )
    assert (ray_container(worker)["command"], ray_container(worker)["args"]) == (
        ["I am worker"],
        ["I am worker again"],
    )
    assert head["metadata"]["annotations"]["ray.io/overwrite-container-cmd"] == "true"
    assert worker["metadata"]["annotations"] == {"ray.io/overwrite-container-cmd": "true"}
    assert env_value(ray_container(head), "KUBERAY_GEN_RAY_START_CMD") == HEAD_START


@pytest.mark.parametrize(
    ("command", "args", "expected_command", "expected_args"),
    [
        pytest.param(
            ["echo 123"],
            ["456"],
            ["/bin/bash", "-c", "--"],
            [" echo 123  456  && " + ULIMIT + HEAD_START],
            id="user-command-runs-before-ray-start",
        ),
        pytest.param(
            ["/bin/bash", "-c", "--"],
            ["ray start --head --block"],
            ["/bin/bash", "-c", "--"],
            ["ray start --head --block"],
            id="user-ray-start-kept",
        ),
        pytest.param(
            None, ["sleep 1"], ["/bin/bash", "-c", "--"], [" sleep 1  && " + ULIMIT + HEAD_START], id="args"
        ),
    ],
)
def test_ray_container_command(
    command: list[str] | None, args: list[str], expected_command: list[str], expected_args: list[str]
) -> None:
    cluster = instance()
    ray = ray_of(head_group(cluster))
    if command is not None:
        ray["command"] = command
    ray["args"] = args

    rendered = ray_container(render_head_pod(cluster, OPTIONS))

    assert (rendered["command"], rendered["args"]) == (expected_command, expected_args)


def test_null_ray_start_param_is_an_empty_value() -> None:
    cluster = instance()
    head_group(cluster)["rayStartParams"] = {"object-store-memory": None}

    args = ray_container(render_head_pod(cluster, OPTIONS))["args"][0]

    assert " --object-store-memory= " in args


def test_overwrite_annotation_in_the_group_template_also_keeps_the_command() -> None:
    cluster = instance()
    head_group(cluster)["template"]["metadata"]["annotations"] = {"ray.io/overwrite-container-cmd": "TRUE"}
    ray_of(head_group(cluster))["command"] = ["my-entrypoint"]

    ray = ray_container(render_head_pod(cluster, OPTIONS))

    assert (ray["command"], "args" in ray) == (["my-entrypoint"], False)


# ---------------------------------------------------------------------------------------------------------
# Autoscaler: TestBuildPod_WithAutoscalerEnabled, TestBuildPodWithAutoscalerOptions,
# TestBuildAutoscalerContainer, TestHeadPodTemplate_WithAutoscalingEnabled,
# TestDefaultHeadPodTemplate_Autoscaling, TestDefaultWorkerPodTemplate_Autoscaling,
# TestSetAutoscalerV2EnvVars, TestBuildPod_WithLoginBash.

AUTOSCALER_CMD = (
    "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace $(RAY_CLUSTER_NAMESPACE)"
)
AUTOSCALER_ENV = [
    field_env("RAY_CLUSTER_NAME", "metadata.labels['ray.io/cluster']"),
    field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
    field_env("RAY_HEAD_POD_NAME", "metadata.name"),
    {"name": "KUBERAY_CRD_VER", "value": "v1"},
    {"name": "KUBERAY_GEN_AUTOSCALER_START_CMD", "value": AUTOSCALER_CMD},
]


def test_autoscaler_sidecar_volumes_and_mounts_tv_b6() -> None:
    pod = render_head_pod(with_autoscaling(instance()), OPTIONS)
    ray = ray_container(pod)

    assert "--no-monitor" in ray["args"][0]
    assert [c["name"] for c in pod["spec"]["containers"]] == ["ray-head", "autoscaler"]
    assert pod["spec"]["volumes"] == [
        {"name": "shared-mem", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
        {"name": "ray-logs", "emptyDir": {}},
    ]
    assert ray["volumeMounts"] == [
        {"name": "shared-mem", "mountPath": "/dev/shm"},
        {"name": "ray-logs", "mountPath": "/tmp/ray"},
    ]
    assert pod["spec"]["containers"][1] == {
        "name": "autoscaler",
        "image": "repo/image:custom",
        "imagePullPolicy": "IfNotPresent",
        "env": AUTOSCALER_ENV,
        "command": ["/bin/bash", "-c", "--"],
        "args": [AUTOSCALER_CMD],
        "resources": {
            "limits": {"cpu": "500m", "memory": "512Mi"},
            "requests": {"cpu": "500m", "memory": "512Mi"},
        },
        "volumeMounts": [{"name": "ray-logs", "mountPath": "/tmp/ray"}],
    }


def test_autoscaler_options_override_the_sidecar_tv_b7() -> None:
    cluster = with_autoscaling(instance())
    resources = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}
    cluster["spec"]["autoscalerOptions"] = {
        "image": "custom-autoscaler-xxx",
        "imagePullPolicy": "IfNotPresent",
        "resources": resources,
        "env": [{"name": "fooEnv", "value": "fooValue"}],
        "envFrom": [{"prefix": "Pre"}],
        "volumeMounts": [
            {"name": "ca-tls", "mountPath": "/etc/ca/tls", "readOnly": True},
            {"name": "ray-tls", "mountPath": "/etc/ray/tls"},
        ],
        "securityContext": {"runAsNonRoot": True},
    }

    autoscaler = render_head_pod(cluster, OPTIONS)["spec"]["containers"][1]

    assert autoscaler == {
        "name": "autoscaler",
        "image": "custom-autoscaler-xxx",
        "imagePullPolicy": "IfNotPresent",
        "env": [*AUTOSCALER_ENV, {"name": "fooEnv", "value": "fooValue"}],
        "envFrom": [{"prefix": "Pre"}],
        "command": ["/bin/bash", "-c", "--"],
        "args": [AUTOSCALER_CMD],
        "resources": resources,
        "securityContext": {"runAsNonRoot": True},
        "volumeMounts": [
            {"name": "ca-tls", "mountPath": "/etc/ca/tls", "readOnly": True},
            {"name": "ray-tls", "mountPath": "/etc/ray/tls"},
            {"name": "ray-logs", "mountPath": "/tmp/ray"},
        ],
    }


def test_autoscaler_command_and_args_options_replace_only_themselves_tv_b28() -> None:
    cluster = with_autoscaling(instance())
    cluster["spec"]["autoscalerOptions"] = {
        "command": ["/bin/bash", "-lc", "--"],
        "args": ["ulimit -n 65536; $KUBERAY_GEN_AUTOSCALER_START_CMD"],
        "env": [{"name": "AUTOSCALER_UPDATE_INTERVAL_S", "value": "10"}],
    }

    autoscaler = render_head_pod(cluster, OPTIONS)["spec"]["containers"][1]

    assert autoscaler["command"] == ["/bin/bash", "-lc", "--"]
    assert autoscaler["args"] == ["ulimit -n 65536; $KUBERAY_GEN_AUTOSCALER_START_CMD"]
    assert autoscaler["env"] == [*AUTOSCALER_ENV, {"name": "AUTOSCALER_UPDATE_INTERVAL_S", "value": "10"}]


@pytest.mark.parametrize(
    ("cluster_name", "template_account", "autoscaling", "expected"),
    [
        pytest.param("raycluster-sample", None, True, "raycluster-sample", id="cluster-name"),
        pytest.param("a" * 200, None, True, "a" * 50, id="clipped-by-check-name"),
        pytest.param(
            "raycluster-sample", "head-service-account", True, "head-service-account", id="template-sa"
        ),
        pytest.param(
            "raycluster-sample", "head-service-account", False, "head-service-account", id="sa-no-scaling"
        ),
        pytest.param("raycluster-sample", None, False, None, id="none-without-autoscaling"),
    ],
)
def test_head_service_account_name_tv_b10(
    cluster_name: str, template_account: str | None, autoscaling: bool, expected: str | None
) -> None:
    cluster = instance()
    cluster["metadata"]["name"] = cluster_name
    if template_account is not None:
        head_group(cluster)["template"]["spec"]["serviceAccountName"] = template_account
    if autoscaling:
        with_autoscaling(cluster)

    assert render_head_pod(cluster, OPTIONS)["spec"].get("serviceAccountName") == expected


@pytest.mark.parametrize(
    ("autoscaling", "version", "containers", "v2_env", "restart_policy"),
    [
        pytest.param(False, None, 1, None, None, id="off"),
        pytest.param(True, None, 2, None, None, id="on-without-version"),
        pytest.param(True, "v1", 2, "false", None, id="v1"),
        pytest.param(True, "v2", 2, "true", "Never", id="v2"),
    ],
)
def test_head_autoscaler_versions_tv_b11(
    autoscaling: bool, version: str | None, containers: int, v2_env: str | None, restart_policy: str | None
) -> None:
    cluster = with_autoscaling(instance(), version) if autoscaling else instance()

    pod = render_head_pod(cluster, OPTIONS)

    assert len(pod["spec"]["containers"]) == containers
    assert env_value(ray_container(pod), "RAY_enable_autoscaler_v2") == v2_env
    assert pod["spec"].get("restartPolicy") == restart_policy


@pytest.mark.parametrize(
    ("autoscaling", "version", "user_policy", "expected"),
    [
        pytest.param(False, None, None, None, id="off"),
        pytest.param(True, "v1", None, None, id="v1"),
        pytest.param(True, "v1", "Always", "Always", id="v1-user-always-kept"),
        pytest.param(True, "v2", None, "Never", id="v2"),
        pytest.param(True, None, None, None, id="on-without-version"),
    ],
)
def test_worker_restart_policy_tv_b12(
    autoscaling: bool, version: str | None, user_policy: str | None, expected: str | None
) -> None:
    cluster = with_autoscaling(instance(), version) if autoscaling else instance()
    if user_policy is not None:
        worker_group(cluster)["template"]["spec"]["restartPolicy"] = user_policy

    assert first_worker(cluster)["spec"].get("restartPolicy") == expected


def test_autoscaler_v2_env_follows_user_env_tv_b20() -> None:
    cluster = with_autoscaling(instance(), "v2")
    ray_of(head_group(cluster))["env"] = [{"name": "papal", "value": "conclave"}]

    env = ray_container(render_head_pod(cluster, OPTIONS))["env"]

    assert env[:2] == [
        {"name": "papal", "value": "conclave"},
        {"name": "RAY_enable_autoscaler_v2", "value": "true"},
    ]


def test_login_shell_option_applies_to_ray_autoscaler_and_init_containers_tv_b9() -> None:
    cluster = with_autoscaling(instance())
    options = dataclasses.replace(OPTIONS, enable_login_shell=True)

    head = render_head_pod(cluster, options)
    worker = first_worker(cluster, options)

    assert ray_container(head)["command"] == ["/bin/bash", "-cl", "--"]
    assert head["spec"]["containers"][1]["command"] == ["/bin/bash", "-cl", "--"]
    assert worker["spec"]["initContainers"][0]["command"] == ["/bin/bash", "-cl", "--"]


# ---------------------------------------------------------------------------------------------------------
# Labels, ports, init container, shared memory: TestBuildPod_WithCreatedByRayService, TestMergeLabels,
# TestDeafultWorkerPodTemplateWithReplicaGrpAndIndex, TestDefaultHeadPodTemplateWithConfigurablePorts,
# TestDefaultInitContainer, TestBuildPod_WithPlasmaDirectory, TestGetHeadPort.


def test_rayservice_created_cluster_labels_pods_for_serving_tv_b8() -> None:
    cluster = instance()
    cluster["metadata"]["labels"] = {"ray.io/originated-from-crd": "RayService"}

    assert render_head_pod(cluster, OPTIONS)["metadata"]["labels"]["ray.io/serve"] == "false"
    assert first_worker(cluster)["metadata"]["labels"]["ray.io/serve"] == "true"


def test_rayservice_created_cluster_env_and_usage_tag() -> None:
    cluster = instance()
    cluster["metadata"]["labels"] = {"ray.io/originated-from-crd": "RayService"}

    env = ray_container(render_head_pod(cluster, OPTIONS))["env"]

    assert [entry for entry in env if entry["name"].startswith(("RAY_timeout", "RAY_gcs", "RAY_SERVE"))] == [
        {"name": "RAY_timeout_ms_task_wait_for_death_info", "value": "0"},
        {"name": "RAY_gcs_server_request_timeout_seconds", "value": "5"},
        {"name": "RAY_SERVE_KV_TIMEOUT_S", "value": "5"},
    ]
    assert (
        env_value({"env": env}, "RAY_USAGE_STATS_EXTRA_TAGS")
        == "kuberay_version=v1.7.0;kuberay_crd=RayService"
    )


def test_template_and_group_labels_merge_with_group_winning_tv_b21() -> None:
    cluster = instance()
    worker_group(cluster)["template"]["metadata"]["labels"] = {
        "accelerator-type": "GPU",
        "market-type": "spot",
        "ray.io/cluster": "ignored",
        "ray.io/identifier": "custom-id",
    }
    worker_group(cluster)["labels"] = {"accelerator-type": "TPU-V6E", "ray.io/group": "ignored"}

    pod = first_worker(cluster)
    labels = pod["metadata"]["labels"]

    assert (labels["accelerator-type"], labels["market-type"]) == ("TPU-V6E", "spot")
    assert (labels["ray.io/cluster"], labels["ray.io/group"]) == ("raycluster-sample", "small-group")
    assert labels["ray.io/identifier"] == "custom-id"
    assert " --labels=accelerator-type=TPU-V6E,ray.io/group=ignored " in ray_container(pod)["args"][0]


def test_multi_host_group_labels_each_host_tv_b13() -> None:
    cluster = instance()
    worker_group(cluster).update(replicas=1, numOfHosts=4)

    pods = render_worker_pods(cluster, 0, OPTIONS)
    third_host = pods[2]["metadata"]

    assert [pod["metadata"]["name"] for pod in pods] == [
        "raycluster-sample-small-group-worker-0-0",
        "raycluster-sample-small-group-worker-0-1",
        "raycluster-sample-small-group-worker-0-2",
        "raycluster-sample-small-group-worker-0-3",
    ]
    assert {key: third_host["labels"][key] for key in third_host["labels"] if "replica" in key} == {
        "ray.io/worker-group-replica-name": "small-group-vf8p6",
        "ray.io/worker-group-replica-index": "0",
        "ray.io/replica-host-index": "2",
    }


@pytest.mark.parametrize(
    ("user_ports", "expected"),
    [
        pytest.param(None, [{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}], id="added"),
        pytest.param(
            [{"name": "metrics", "containerPort": 8081}],
            [{"name": "metrics", "containerPort": 8081, "protocol": "TCP"}],
            id="user-metrics-kept",
        ),
        pytest.param(
            [{"containerPort": 6379, "protocol": "UDP"}],
            [
                {"containerPort": 6379, "protocol": "UDP"},
                {"name": "metrics", "containerPort": 8080, "protocol": "TCP"},
            ],
            id="appended-after-user-ports",
        ),
    ],
)
def test_metrics_port_tv_b14(user_ports: list[dict[str, Any]] | None, expected: list[dict[str, Any]]) -> None:
    cluster = instance()
    for group in (head_group(cluster), worker_group(cluster)):
        if user_ports is not None:
            ray_of(group)["ports"] = copy.deepcopy(user_ports)

    assert ray_container(render_head_pod(cluster, OPTIONS))["ports"] == expected
    assert ray_container(first_worker(cluster))["ports"] == expected


def test_every_container_port_gets_protocol_tcp() -> None:
    cluster = instance()
    worker_group(cluster)["template"]["spec"]["initContainers"] = [
        {"name": "init", "image": "busybox", "ports": [{"containerPort": 1}]}
    ]

    pod = first_worker(cluster)

    assert pod["spec"]["initContainers"][0]["ports"] == [{"containerPort": 1, "protocol": "TCP"}]


def test_wait_gcs_ready_init_container_is_appended_last_tv_b15() -> None:
    cluster = instance()
    ray = ray_of(worker_group(cluster))
    ray.update(
        imagePullPolicy="Always",
        volumeMounts=[{"name": "data", "mountPath": "/data"}],
        securityContext={"runAsUser": 1000},
    )
    worker_group(cluster)["template"]["spec"]["initContainers"] = [{"name": "user-init", "image": "busybox"}]

    init_containers = first_worker(cluster)["spec"]["initContainers"]
    address = f"{FQDN}:6379"

    assert init_containers[0] == {
        "name": "user-init",
        "image": "busybox",
        "env": [
            {"name": "FQ_RAY_IP", "value": FQDN},
            {"name": "RAY_IP", "value": "raycluster-sample-head-svc"},
        ],
    }
    assert init_containers[1] == {
        "name": "wait-gcs-ready",
        "image": "repo/image:custom",
        "imagePullPolicy": "Always",
        "command": ["/bin/bash", "-c", "--"],
        "args": [WAIT_GCS_READY_ARGS_TEMPLATE % (FQDN, "6379", FQDN, "6379")],
        "securityContext": {"runAsUser": 1000},
        "env": [
            {"name": "TEST_ENV_NAME", "value": "TEST_ENV_VALUE"},
            {"name": "FQ_RAY_IP", "value": FQDN},
            {"name": "RAY_IP", "value": "raycluster-sample-head-svc"},
        ],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        "resources": {
            "limits": {"cpu": "200m", "memory": "256Mi"},
            "requests": {"cpu": "200m", "memory": "256Mi"},
        },
    }
    assert init_containers[1]["args"][0].count(f"ray health-check --address {address}") == 2


@pytest.mark.parametrize("policy", ["Always", "IfNotPresent", "Never"])
def test_wait_gcs_ready_copies_the_image_pull_policy_tv_b15(policy: str) -> None:
    cluster = instance()
    ray_of(worker_group(cluster))["imagePullPolicy"] = policy

    assert first_worker(cluster)["spec"]["initContainers"][0]["imagePullPolicy"] == policy


def test_wait_gcs_ready_script_is_byte_exact_for_the_sample_cluster() -> None:
    """sha256 and length of the script KubeRay v1.7.0 renders for raycluster-kuberay in `default`."""
    cluster = instance()
    cluster["metadata"]["name"] = "raycluster-kuberay"

    script = first_worker(cluster)["spec"]["initContainers"][0]["args"][0]

    assert len(WAIT_GCS_READY_ARGS_TEMPLATE) == 645
    assert len(script) == 751
    assert hashlib.sha256(script.encode()).hexdigest() == (
        "585848ec5dbdffb34387edc8a7a529f8dc85813ffe0261cd74cd4b1ed5b73a38"
    )


def test_init_container_injection_can_be_switched_off() -> None:
    options = dataclasses.replace(OPTIONS, enable_init_container_injection=False)

    assert "initContainers" not in first_worker(instance(), options)["spec"]


@pytest.mark.parametrize(
    ("plasma_directory", "has_shared_memory"),
    [
        pytest.param(None, True, id="no-plasma-directory"),
        pytest.param("/dev/shm", False, id="dev-shm"),
        pytest.param("/dev/shm/", False, id="dev-shm-slash"),
        pytest.param("/tmp/ray/plasma", False, id="elsewhere"),
    ],
)
def test_plasma_directory_skips_shared_memory_tv_b18(
    plasma_directory: str | None, has_shared_memory: bool
) -> None:
    cluster = instance()
    if plasma_directory is not None:
        head_group(cluster)["rayStartParams"]["plasma-directory"] = plasma_directory

    pod = render_head_pod(cluster, OPTIONS)

    assert ("volumes" in pod["spec"]) is has_shared_memory
    assert ("volumeMounts" in ray_container(pod)) is has_shared_memory


@pytest.mark.parametrize(
    ("resources", "expected_volume"),
    [
        pytest.param(
            {"requests": {"memory": "2Gi"}},
            {"name": "shared-mem", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
            id="request-when-no-limit",
        ),
        pytest.param({}, {"name": "shared-mem", "emptyDir": {"medium": "Memory"}}, id="no-size-limit"),
    ],
)
def test_shared_memory_size_limit(resources: dict[str, Any], expected_volume: dict[str, Any]) -> None:
    cluster = instance()
    ray_of(head_group(cluster))["resources"] = resources

    assert render_head_pod(cluster, OPTIONS)["spec"]["volumes"] == [expected_volume]


def test_user_dev_shm_mount_is_kept_and_nothing_added() -> None:
    cluster = instance()
    ray_of(head_group(cluster))["volumeMounts"] = [{"name": "my-shm", "mountPath": "/dev/shm"}]

    pod = render_head_pod(cluster, OPTIONS)

    assert (ray_container(pod)["volumeMounts"], "volumes" in pod["spec"]) == (
        [{"name": "my-shm", "mountPath": "/dev/shm"}],
        False,
    )


def test_head_port_param_is_used_by_head_and_workers_tv_b19() -> None:
    cluster = instance()
    head_group(cluster)["rayStartParams"] = {"port": "9999"}

    head = ray_container(render_head_pod(cluster, OPTIONS))
    worker = ray_container(first_worker(cluster))

    assert (env_value(head, "RAY_PORT"), env_value(head, "RAY_ADDRESS")) == ("9999", "127.0.0.1:9999")
    assert env_value(worker, "RAY_ADDRESS") == f"{FQDN}:9999"
    assert f" --address={FQDN}:9999 " in worker["args"][0]


# ---------------------------------------------------------------------------------------------------------
# Probes: initLivenessAndReadinessProbe (TestInitLivenessAndReadinessProbe).


def exec_probe(command: str, timeout: int, delay: int, failure: int) -> dict[str, Any]:
    return {
        "exec": {"command": ["bash", "-c", command]},
        "initialDelaySeconds": delay,
        "timeoutSeconds": timeout,
        "periodSeconds": 5,
        "successThreshold": 1,
        "failureThreshold": failure,
    }


def http_probe(timeout: int, delay: int, failure: int) -> dict[str, Any]:
    probe = exec_probe("", timeout, delay, failure)
    del probe["exec"]
    return {"httpGet": {"path": "/api/healthz", "port": 52365}, **probe}


def test_default_head_probes_are_exec_wget() -> None:
    ray = ray_container(render_head_pod(instance(), OPTIONS))

    assert ray["livenessProbe"] == exec_probe(f"{RAYLET_CHECK} && {GCS_CHECK}", 5, 30, 120)
    assert ray["readinessProbe"] == exec_probe(f"{RAYLET_CHECK} && {GCS_CHECK}", 5, 10, 10)


def test_default_worker_probes_are_exec_wget() -> None:
    ray = ray_container(first_worker(instance()))

    assert ray["livenessProbe"] == exec_probe(RAYLET_CHECK, 2, 30, 120)
    assert ray["readinessProbe"] == exec_probe(RAYLET_CHECK, 2, 10, 10)


@pytest.mark.parametrize(
    ("ray_version", "http"),
    [
        pytest.param("2.53.0", True, id="2.53.0"),
        pytest.param("v2.53", True, id="v2.53"),
        pytest.param("2.53.0rc1", True, id="suffix-ignored"),
        pytest.param("3.0.0", True, id="3.0.0"),
        pytest.param("2.52.0", False, id="2.52.0"),
        pytest.param("nightly", False, id="nightly"),
        pytest.param("2", False, id="one-component"),
        pytest.param("", False, id="empty"),
    ],
)
def test_probe_handler_follows_ray_version(ray_version: str, http: bool) -> None:
    cluster = instance()
    cluster["spec"]["rayVersion"] = ray_version

    head = ray_container(render_head_pod(cluster, OPTIONS))
    worker = ray_container(first_worker(cluster))

    if http:
        assert (head["livenessProbe"], head["readinessProbe"]) == (
            http_probe(5, 30, 120),
            http_probe(5, 10, 10),
        )
        assert (worker["livenessProbe"], worker["readinessProbe"]) == (
            http_probe(2, 30, 120),
            http_probe(2, 10, 10),
        )
    else:
        assert "exec" in head["livenessProbe"] and "exec" in worker["readinessProbe"]


@pytest.mark.parametrize(
    ("params", "expected_ports"),
    [
        pytest.param(
            {"dashboard-agent-listen-port": "8266", "dashboard-port": "8365"},
            (":8266/", ":8365/"),
            id="custom",
        ),
        pytest.param(
            {"dashboard-agent-listen-port": "invalid-port", "dashboard-port": "not-a-number"},
            (":52365/", ":8265/"),
            id="invalid-fall-back",
        ),
    ],
)
def test_head_probe_ports_come_from_ray_start_params(
    params: dict[str, str], expected_ports: tuple[str, str]
) -> None:
    cluster = instance()
    head_group(cluster)["rayStartParams"] = params

    command = ray_container(render_head_pod(cluster, OPTIONS))["livenessProbe"]["exec"]["command"][2]

    assert all(port in command for port in expected_ports)


def test_worker_probe_uses_the_agent_port() -> None:
    cluster = instance()
    worker_group(cluster)["rayStartParams"]["dashboard-agent-listen-port"] = "9000"

    probe = ray_container(first_worker(cluster))["readinessProbe"]

    assert probe["exec"]["command"][2] == RAYLET_CHECK.replace("52365", "9000")


@pytest.mark.parametrize(
    ("ray_version", "liveness_http"),
    [pytest.param("", False, id="exec-version"), pytest.param("2.53.0", True, id="http-version")],
)
def test_rayservice_worker_readiness_checks_the_serve_proxy(ray_version: str, liveness_http: bool) -> None:
    cluster = instance()
    cluster["metadata"]["labels"] = {"ray.io/originated-from-crd": "RayService"}
    cluster["spec"]["rayVersion"] = ray_version
    worker_group(cluster)["rayStartParams"]["dashboard-agent-listen-port"] = "8500"
    ray_of(worker_group(cluster))["ports"] = [{"name": "serve", "containerPort": 8000}]

    ray = ray_container(first_worker(cluster))
    raylet = RAYLET_CHECK.replace("52365", "8500")

    assert ray["readinessProbe"] == exec_probe(f"{raylet} && {SERVE_CHECK}", 2, 10, 1)
    assert ("httpGet" in ray["livenessProbe"]) is liveness_http


def test_user_probes_are_kept_and_injection_can_be_switched_off() -> None:
    cluster = instance()
    user_probe = {"httpGet": {"path": "/custom", "port": 1234}}
    ray_of(head_group(cluster))["livenessProbe"] = user_probe
    options = dataclasses.replace(OPTIONS, enable_probes_injection=False)

    kept = ray_container(render_head_pod(cluster, OPTIONS))
    switched_off = ray_container(first_worker(cluster, options))

    assert (kept["livenessProbe"], "exec" in kept["readinessProbe"]) == (user_probe, True)
    assert ("livenessProbe" in switched_off, "readinessProbe" in switched_off) == (False, False)


# ---------------------------------------------------------------------------------------------------------
# GCS fault tolerance: configureGCSFaultTolerance (TestConfigureGCSFaultToleranceWithAnnotations,
# TestConfigureGCSFaultToleranceWithGcsFTOptions, TestConfigureGCSFaultToleranceEmbedded,
# TestIsGCSFaultToleranceEnabled, TestGetGCSStoragePVCName).

STABLE_STORAGE_NAMESPACE = "17f3c419-4149-5c43-b732-859a1bbf63dd"


def test_ft_annotation_mode_head_and_worker_tv_b24() -> None:
    cluster = instance()
    cluster["metadata"]["annotations"] = {"ray.io/ft-enabled": "true"}
    ray_of(head_group(cluster))["env"] = [{"name": "RAY_REDIS_ADDRESS", "value": "redis:6379"}]
    head_group(cluster)["rayStartParams"] = {"redis-password": "test-password"}

    head = render_head_pod(cluster, OPTIONS)
    worker = first_worker(cluster)

    assert head["metadata"]["annotations"]["ray.io/ft-enabled"] == "true"
    assert head["metadata"]["annotations"]["ray.io/external-storage-namespace"] == STABLE_STORAGE_NAMESPACE
    assert ray_container(head)["env"][:3] == [
        {"name": "RAY_REDIS_ADDRESS", "value": "redis:6379"},
        {"name": "RAY_external_storage_namespace", "value": STABLE_STORAGE_NAMESPACE},
        {"name": "REDIS_PASSWORD", "value": "test-password"},
    ]
    assert "RAY_gcs_rpc_server_reconnect_timeout_s" not in env_names(ray_container(head))
    assert "annotations" not in worker["metadata"]
    assert ray_container(worker)["env"][1] == {
        "name": "RAY_gcs_rpc_server_reconnect_timeout_s",
        "value": "600",
    }
    assert not {"RAY_external_storage_namespace", "RAY_REDIS_ADDRESS", "REDIS_PASSWORD"} & set(
        env_names(ray_container(worker))
    )


def test_ft_storage_namespace_annotation_and_user_password_env_tv_b24() -> None:
    cluster = instance()
    cluster["metadata"]["annotations"] = {
        "ray.io/ft-enabled": "TRUE",
        "ray.io/external-storage-namespace": "test-ns",
    }
    ray_of(head_group(cluster))["env"] = [{"name": "REDIS_PASSWORD", "value": "test-password"}]
    head_group(cluster)["rayStartParams"] = {"redis-password": "test-password"}

    head = render_head_pod(cluster, OPTIONS)

    assert head["metadata"]["annotations"]["ray.io/external-storage-namespace"] == "test-ns"
    assert ray_container(head)["env"][:2] == [
        {"name": "REDIS_PASSWORD", "value": "test-password"},
        {"name": "RAY_external_storage_namespace", "value": "test-ns"},
    ]


def test_ft_options_head_env_and_params_tv_b25() -> None:
    cluster = instance()
    secret_ref = {"secretKeyRef": {"name": "redis-password-secret", "key": "password"}}
    cluster["spec"]["gcsFaultToleranceOptions"] = {
        "redisAddress": "redis:6379",
        "redisUsername": {"value": "ray"},
        "redisPassword": {"valueFrom": secret_ref},
        "externalStorageNamespace": "test-ns",
    }

    head = render_head_pod(cluster, OPTIONS)
    ray = ray_container(head)

    assert head["metadata"]["annotations"]["ray.io/ft-enabled"] == "true"
    assert head["metadata"]["annotations"]["ray.io/external-storage-namespace"] == "test-ns"
    assert ray["env"][1:5] == [
        {"name": "RAY_external_storage_namespace", "value": "test-ns"},
        {"name": "RAY_REDIS_ADDRESS", "value": "redis:6379"},
        {"name": "REDIS_USERNAME", "value": "ray"},
        {"name": "REDIS_PASSWORD", "valueFrom": secret_ref},
    ]
    assert " --redis-password=$REDIS_PASSWORD  --redis-username=$REDIS_USERNAME " in ray["args"][0]
    assert env_value(ray_container(first_worker(cluster)), "RAY_gcs_rpc_server_reconnect_timeout_s") == "600"


def test_ft_options_without_address_still_set_an_empty_redis_address_env() -> None:
    cluster = instance()
    cluster["spec"]["gcsFaultToleranceOptions"] = {}

    env = ray_container(render_head_pod(cluster, OPTIONS))["env"]

    assert env[1:3] == [
        {"name": "RAY_external_storage_namespace", "value": STABLE_STORAGE_NAMESPACE},
        {"name": "RAY_REDIS_ADDRESS"},
    ]


@pytest.mark.parametrize(
    ("annotations", "ft_options", "expected"),
    [
        pytest.param({"ray.io/ft-enabled": "true"}, None, True, id="annotation-true"),
        pytest.param({"ray.io/ft-enabled": "TRUE"}, None, True, id="annotation-any-case"),
        pytest.param({"ray.io/ft-enabled": "false"}, None, False, id="annotation-false"),
        pytest.param({}, {}, True, id="empty-options"),
        pytest.param({}, None, False, id="nothing"),
    ],
)
def test_gcs_fault_tolerance_enabled_tv_e10(
    annotations: dict[str, str], ft_options: dict[str, Any] | None, expected: bool
) -> None:
    cluster = instance()
    cluster["metadata"]["annotations"] = annotations
    if ft_options is not None:
        cluster["spec"]["gcsFaultToleranceOptions"] = ft_options

    head = render_head_pod(cluster, OPTIONS)
    worker_env = env_names(ray_container(first_worker(cluster)))

    assert is_gcs_ft_enabled(cluster) is expected
    assert head["metadata"]["annotations"]["ray.io/ft-enabled"] == str(expected).lower()
    assert ("ray.io/external-storage-namespace" in head["metadata"]["annotations"]) is expected
    assert ("RAY_gcs_rpc_server_reconnect_timeout_s" in worker_env) is expected


@pytest.mark.parametrize(
    ("storage", "expected_claim", "expected_mount"),
    [
        pytest.param(
            None, "test-cluster-gcs-pvc", {"name": "gcs-storage", "mountPath": "/data/gcs"}, id="default"
        ),
        pytest.param(
            {"claimName": "my-pvc"},
            "my-pvc",
            {"name": "gcs-storage", "mountPath": "/data/gcs"},
            id="own-claim",
        ),
        pytest.param(
            {"subPath": "clusters/foo"},
            "test-cluster-gcs-pvc",
            {"name": "gcs-storage", "mountPath": "/data/gcs", "subPath": "clusters/foo"},
            id="sub-path",
        ),
    ],
)
def test_embedded_rocksdb_ft_tv_b26(
    storage: dict[str, str] | None, expected_claim: str, expected_mount: dict[str, str]
) -> None:
    cluster = instance()
    cluster["metadata"]["name"] = "test-cluster"
    cluster["spec"]["gcsFaultToleranceOptions"] = {"backend": "rocksdb"}
    if storage is not None:
        cluster["spec"]["gcsFaultToleranceOptions"]["storage"] = storage
    options = dataclasses.replace(
        OPTIONS, feature_gates=FeatureGates(gcs_fault_tolerance_embedded_storage=True)
    )

    head = render_head_pod(cluster, options)
    ray = ray_container(head)

    assert ray["env"][1:3] == [
        {"name": "RAY_gcs_storage", "value": "rocksdb"},
        {"name": "RAY_gcs_storage_path", "value": "/data/gcs"},
    ]
    assert not {"RAY_REDIS_ADDRESS", "RAY_external_storage_namespace"} & set(env_names(ray))
    assert "ray.io/external-storage-namespace" not in head["metadata"]["annotations"]
    assert ray["volumeMounts"][0] == expected_mount
    assert head["spec"]["volumes"][0] == {
        "name": "gcs-storage",
        "persistentVolumeClaim": {"claimName": expected_claim},
    }


@pytest.mark.parametrize(
    ("ft_options", "expected"),
    [
        pytest.param(None, "my-cluster-gcs-pvc", id="default"),
        pytest.param({"storage": {"claimName": "byo-pvc"}}, "byo-pvc", id="claim-name"),
    ],
)
def test_gcs_storage_claim_name_tv_e10(ft_options: dict[str, Any] | None, expected: str) -> None:
    cluster: KubeObject = {
        "metadata": {"name": "my-cluster"},
        "spec": {"gcsFaultToleranceOptions": ft_options},
    }

    assert gcs_storage_claim_name(cluster) == expected


@pytest.mark.parametrize(
    ("template_account", "expected"),
    [
        pytest.param("my-service-account", "my-service-account", id="template"),
        pytest.param(None, "rc", id="cluster"),
    ],
)
def test_head_service_account_name_tv_e11(template_account: str | None, expected: str) -> None:
    template_spec = {"serviceAccountName": template_account} if template_account else {}
    cluster: KubeObject = {
        "metadata": {"name": "rc"},
        "spec": {"headGroupSpec": {"template": {"spec": template_spec}}},
    }

    assert head_service_account_name(cluster) == expected


# ---------------------------------------------------------------------------------------------------------
# Token auth: configureTokenAuth, SetContainerTokenAuthEnvVars.


def test_token_auth_env_on_ray_init_and_autoscaler_containers() -> None:
    cluster = with_autoscaling(instance())
    cluster["spec"]["authOptions"] = {"mode": "token"}
    token = {
        "name": "RAY_AUTH_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "raycluster-sample", "key": "auth_token"}},
    }
    auth_env = [{"name": "RAY_AUTH_MODE", "value": "token"}, token]

    head = render_head_pod(cluster, OPTIONS)
    worker = first_worker(cluster)

    assert ray_container(head)["env"][1:3] == auth_env
    assert head["spec"]["containers"][1]["env"][5:] == auth_env
    assert ray_container(worker)["env"][1:3] == auth_env
    assert worker["spec"]["initContainers"][0]["env"][1:3] == auth_env


def test_k8s_token_auth_mounts_a_projected_token() -> None:
    cluster = instance()
    cluster["spec"]["authOptions"] = {"mode": "token", "enableK8sTokenAuth": True}
    mount = {"name": "ray-token", "mountPath": "/var/run/secrets/ray.io/serviceaccount", "readOnly": True}

    worker = first_worker(cluster)

    assert ray_container(worker)["env"][1:3] == [
        {"name": "RAY_AUTH_MODE", "value": "token"},
        {"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "true"},
    ]
    assert ray_container(worker)["volumeMounts"][0] == mount
    assert worker["spec"]["initContainers"][0]["volumeMounts"] == [mount]
    assert worker["spec"]["volumes"][0] == {
        "name": "ray-token",
        "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]},
    }


# ---------------------------------------------------------------------------------------------------------
# Operator settings: default annotations/labels and sidecars (docs/kuberay-rendering.md#operator-settings).


def test_operator_defaults_fill_only_missing_keys_and_sidecars_come_last() -> None:
    cluster = with_autoscaling(instance())
    head_group(cluster)["template"]["metadata"]["labels"] = {"team": "ml"}
    options = dataclasses.replace(
        OPTIONS,
        default_pod_annotations=(("owner", "platform"),),
        default_pod_labels=(("team", "default-team"), ("tier", "batch")),
        head_sidecar_containers=({"name": "log-shipper", "image": "fluent-bit"},),
        worker_sidecar_containers=({"name": "proxy", "image": "envoy"},),
    )

    head = render_head_pod(cluster, options)
    worker = first_worker(cluster, options)

    assert [c["name"] for c in head["spec"]["containers"]] == ["ray-head", "autoscaler", "log-shipper"]
    assert [c["name"] for c in worker["spec"]["containers"]] == ["ray-worker", "proxy"]
    assert (head["metadata"]["labels"]["team"], head["metadata"]["labels"]["tier"]) == ("ml", "batch")
    assert worker["metadata"]["annotations"] == {"owner": "platform"}


# ---------------------------------------------------------------------------------------------------------
# Which pods exist (reconcilePods, GetWorkerGroupDesiredReplicas) and gitops-ray's stable names.


def pod_names(cluster: KubeObject, options: RenderOptions = OPTIONS) -> list[str]:
    return [pod["metadata"]["name"] for pod in render_pods(cluster, options)]


@pytest.mark.parametrize(
    ("replicas", "minimum", "maximum", "hosts", "expected_workers"),
    [
        pytest.param(None, 1, 10000, 1, 1, id="nil-replicas-is-min"),
        pytest.param(0, 1, 10000, 1, 1, id="below-min-is-min"),
        pytest.param(4, 1, 3, 1, 3, id="above-max-is-max"),
        pytest.param(None, 1, 10000, 4, 4, id="nil-replicas-times-hosts"),
        pytest.param(0, 1, 10000, 4, 4, id="below-min-times-hosts"),
        pytest.param(4, 1, 3, 4, 12, id="above-max-times-hosts"),
        pytest.param(1, 0, 10000, 1, 1, id="one-host"),
        pytest.param(1, 0, 10000, 4, 4, id="four-hosts"),
    ],
)
def test_worker_pod_count(
    replicas: int | None, minimum: int, maximum: int, hosts: int, expected_workers: int
) -> None:
    """As TestReconcile_Replicas_Optional, TestReconcile_Multihost_Replicas and TestReconcile_NumOfHosts."""
    cluster = instance()
    group = worker_group(cluster)
    group.update(minReplicas=minimum, maxReplicas=maximum, numOfHosts=hosts)
    group.pop("replicas")
    if replicas is not None:
        group["replicas"] = replicas

    assert len(render_pods(cluster, OPTIONS)) == 1 + expected_workers


def test_pods_are_head_then_groups_in_order_with_stable_indexes() -> None:
    cluster = instance()
    second = copy.deepcopy(worker_group(cluster))
    second.update(groupName="GPU-Group", replicas=2)
    cluster["spec"]["workerGroupSpecs"].append(second)

    assert pod_names(cluster) == [
        "raycluster-sample-head",
        "raycluster-sample-small-group-worker-0",
        "raycluster-sample-small-group-worker-1",
        "raycluster-sample-small-group-worker-2",
        "raycluster-sample-gpu-group-worker-0",
        "raycluster-sample-gpu-group-worker-1",
    ]


def test_scaling_up_keeps_existing_names_and_scaling_down_drops_the_highest() -> None:
    cluster = instance()
    before = pod_names(cluster)
    worker_group(cluster)["replicas"] = 5
    after_up = pod_names(cluster)
    worker_group(cluster)["replicas"] = 1
    after_down = pod_names(cluster)

    assert after_up[: len(before)] == before
    assert after_up[len(before) :] == [
        "raycluster-sample-small-group-worker-3",
        "raycluster-sample-small-group-worker-4",
    ]
    assert after_down == before[:2]


def test_multi_host_replicas_have_stable_distinct_replica_names() -> None:
    cluster = instance()
    worker_group(cluster).update(replicas=2, numOfHosts=2)

    workers = render_worker_pods(cluster, 0, OPTIONS)
    labels = [pod["metadata"]["labels"] for pod in workers]

    assert [pod["metadata"]["name"] for pod in workers] == [
        "raycluster-sample-small-group-worker-0-0",
        "raycluster-sample-small-group-worker-0-1",
        "raycluster-sample-small-group-worker-1-0",
        "raycluster-sample-small-group-worker-1-1",
    ]
    assert [
        (
            label["ray.io/worker-group-replica-index"],
            label["ray.io/worker-group-replica-name"],
            label["ray.io/replica-host-index"],
        )
        for label in labels
    ] == [
        ("0", "small-group-vf8p6", "0"),
        ("0", "small-group-vf8p6", "1"),
        ("1", "small-group-pxzgj", "0"),
        ("1", "small-group-pxzgj", "1"),
    ]


def test_multi_host_without_the_indexing_gate_is_a_flat_list_without_index_labels() -> None:
    cluster = instance()
    worker_group(cluster).update(replicas=1, numOfHosts=2)
    options = dataclasses.replace(OPTIONS, feature_gates=FeatureGates(ray_multi_host_indexing=False))

    workers = render_worker_pods(cluster, 0, options)

    assert [pod["metadata"]["name"] for pod in workers] == [
        "raycluster-sample-small-group-worker-0",
        "raycluster-sample-small-group-worker-1",
    ]
    assert not any("replica" in key for pod in workers for key in pod["metadata"]["labels"])


def test_multi_host_replica_name_is_derived_from_namespace_cluster_group_and_index() -> None:
    cluster: KubeObject = {"metadata": {"name": "raycluster-sample", "namespace": "default"}}
    other_namespace: KubeObject = {"metadata": {"name": "raycluster-sample", "namespace": "team-b"}}

    assert multi_host_replica_name(cluster, "small-group", 0) == "small-group-vf8p6"
    assert multi_host_replica_name(other_namespace, "small-group", 0) != "small-group-vf8p6"


def test_suspended_cluster_has_no_pods() -> None:
    cluster = instance()
    cluster["spec"]["suspend"] = True

    assert render_pods(cluster, OPTIONS) == []


def test_suspended_group_has_no_pods() -> None:
    cluster = instance()
    worker_group(cluster)["suspend"] = True

    assert pod_names(cluster) == ["raycluster-sample-head"]


def test_workers_to_delete_is_ignored() -> None:
    cluster = instance()
    worker_group(cluster)["scaleStrategy"] = {"workersToDelete": ["raycluster-sample-small-group-worker-0"]}

    assert len(pod_names(cluster)) == 4


def test_external_storage_namespace_is_a_stable_uuid_of_namespace_and_name() -> None:
    cluster: KubeObject = {"metadata": {"name": "raycluster-sample", "namespace": "default"}, "spec": {}}
    renamed: KubeObject = {"metadata": {"name": "other", "namespace": "default"}, "spec": {}}

    assert external_storage_namespace(cluster) == STABLE_STORAGE_NAMESPACE
    assert external_storage_namespace(renamed) != STABLE_STORAGE_NAMESPACE


def test_recreate_hash_ignores_scaling_and_scheduling_fields_but_not_the_image() -> None:
    cluster = instance()
    scaled = instance()
    worker_group(scaled).update(
        replicas=7, minReplicas=1, maxReplicas=9, scaleStrategy={"workersToDelete": ["x"]}
    )
    head_group(scaled)["template"]["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
    scaled["spec"]["upgradeStrategy"] = {"type": "Recreate"}
    changed = instance()
    ray_of(head_group(changed))["image"] = "repo/image:new"

    assert recreate_hash(cluster) == recreate_hash(scaled)
    assert recreate_hash(cluster) != recreate_hash(changed)
    assert len(recreate_hash(cluster)) == 32


def test_rendering_does_not_mutate_the_cluster_and_is_deterministic() -> None:
    cluster = with_autoscaling(instance(), "v2")
    cluster["spec"]["gcsFaultToleranceOptions"] = {
        "redisAddress": "redis:6379",
        "redisPassword": {"value": "x"},
    }
    original = copy.deepcopy(cluster)

    first = render_pods(cluster, OPTIONS)
    second = render_pods(cluster, OPTIONS)

    assert cluster == original
    assert first == second


def test_pods_are_plain_v1_pods_without_owner_references() -> None:
    pods = render_pods(instance(), OPTIONS)

    assert {(pod["apiVersion"], pod["kind"]) for pod in pods} == {("v1", "Pod")}
    assert not any("ownerReferences" in pod["metadata"] for pod in pods)


def test_a_cluster_over_the_pod_limit_is_refused_before_anything_is_built() -> None:
    cluster = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "big", "namespace": "ml"},
        "spec": {
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [{"name": "ray"}]}}},
            "workerGroupSpecs": [
                {
                    "groupName": "g",
                    "replicas": 2_000_000_000,
                    "minReplicas": 0,
                    "maxReplicas": 2147483647,
                    "numOfHosts": 1,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [{"name": "ray"}]}},
                }
            ],
        },
    }
    with pytest.raises(RenderError) as raised:
        render_pods(cluster, RenderOptions(max_pods_per_cluster=100))
    assert (raised.value.field, raised.value.message) == (
        "spec.workerGroupSpecs[0].replicas",
        "the cluster would have more than 100 Pods (maxPodsPerCluster in gitops-ray.yaml); "
        "this group alone asks for 2000000000",
    )
