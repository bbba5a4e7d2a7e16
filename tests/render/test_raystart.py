"""The `ray start` line: setMissingRayStartParams (params completion) and generateRayStartCommand
(derivation, accelerators, formatting). See docs/kuberay-rendering.md#ray-start."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.render.raystart import (
    HEAD,
    WORKER,
    format_flags,
    generate_ray_start_command,
    go_json_object,
    is_gpu_resource_key,
    with_derived_resources,
    with_group_labels,
    with_group_resources,
    with_missing_params,
)

NEURON = "aws.amazon.com/neuroncore"
TPU = "google.com/tpu"
GPU = "nvidia.com/gpu"


def limits(**values: str) -> dict[str, Any]:
    return {"limits": values}


# common/pod_test.go TestGenerateRayStartCommand: the generator alone, without setMissingRayStartParams.
@pytest.mark.parametrize(
    ("node_type", "params", "resources", "expected"),
    [
        pytest.param(WORKER, {}, {"limits": {GPU: "1"}}, "ray start  --num-gpus=1 ", id="gpu"),
        pytest.param(
            WORKER,
            {},
            {"limits": {"nvidia.com/mig-2g.32gb": "1"}},
            "ray start  --num-gpus=1 ",
            id="mig",
        ),
        pytest.param(WORKER, {}, {"limits": {TPU: "4"}}, "ray start  --resources='{\"TPU\":4}' ", id="tpu"),
        pytest.param(
            HEAD,
            {},
            {"limits": {NEURON: "4"}},
            "ray start --head  --resources='{\"neuron_cores\":4}' ",
            id="neuron",
        ),
        pytest.param(
            HEAD,
            {},
            {"limits": {NEURON: "4", GPU: "1"}},
            "ray start --head  --num-gpus=1  --resources='{\"neuron_cores\":4}' ",
            id="neuron-and-gpu",
        ),
        pytest.param(
            HEAD,
            {},
            {"limits": {TPU: "8", NEURON: "4", GPU: "1"}},
            "ray start --head  --num-gpus=1  --resources='{\"neuron_cores\":4}' ",
            id="first-accelerator-in-key-order-only",
        ),
        pytest.param(
            HEAD,
            {"resources": '"{"custom_resource":2}"'},
            {"limits": {NEURON: "4"}},
            'ray start --head  --resources=\'{"custom_resource":2,"neuron_cores":4}\' ',
            id="merged-into-existing-resources",
        ),
        pytest.param(
            HEAD,
            {"resources": '\'{"custom_resource":2,"neuron_cores":3}\''},
            {"limits": {NEURON: "4"}},
            'ray start --head  --resources=\'{"custom_resource":2,"neuron_cores":3}\' ',
            id="existing-neuron-cores-win",
        ),
        pytest.param(
            HEAD,
            {"resources": '\'{"custom_resource":2,"TPU":4}\''},
            {"limits": {TPU: "8"}},
            'ray start --head  --resources=\'{"custom_resource":2,"TPU":4}\' ',
            id="existing-tpu-kept-verbatim",
        ),
        pytest.param(
            HEAD,
            {"resources": "{"},
            {"limits": {NEURON: "4"}},
            "ray start --head  --resources={ ",
            id="unparsable-resources-abandon-step",
        ),
        pytest.param("InvalidType", {}, {}, "", id="unknown-node-type"),
        pytest.param(
            HEAD,
            {"include-log-monitor": "false"},
            {},
            "ray start --head  --include-log-monitor=false ",
            id="valued-boolean-false",
        ),
        pytest.param(
            HEAD,
            {"include-log-monitor": "true"},
            {},
            "ray start --head  --include-log-monitor=true ",
            id="valued-boolean-true",
        ),
    ],
)
def test_generate_ray_start_command_matches_kuberay(
    node_type: str, params: dict[str, str], resources: dict[str, Any], expected: str
) -> None:
    assert generate_ray_start_command(node_type, params, resources) == expected


def test_unparsable_resources_param_also_skips_gpus() -> None:
    result = with_derived_resources({"resources": "not json"}, {"limits": {GPU: "2"}})

    assert result == {"resources": "not json"}


def test_derivation_does_not_mutate_its_input() -> None:
    params = {"block": "true"}

    with_derived_resources(params, {"limits": {"cpu": "2", GPU: "1", TPU: "4"}})

    assert params == {"block": "true"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {"block": "true", "num-cpus": "1", "dashboard-host": "0.0.0.0"},
            " --block  --dashboard-host=0.0.0.0  --num-cpus=1 ",
            id="sorted-double-spaced-trailing-space",
        ),
        pytest.param({"block": "TRUE"}, " --block ", id="true-any-case-is-a-bare-switch"),
        pytest.param({"disable-usage-stats": "False", "port": "1"}, " --port=1 ", id="false-dropped"),
        pytest.param({"log-color": "false"}, " --log-color=false ", id="log-color-keeps-its-value"),
        pytest.param(
            {"include-dashboard": "true"}, " --include-dashboard=true ", id="include-dashboard-valued"
        ),
        pytest.param(
            {"redis-password": "$REDIS_PASSWORD"},
            " --redis-password=$REDIS_PASSWORD ",
            id="values-not-escaped",
        ),
        pytest.param({"B": "1", "a": "2"}, " --B=1  --a=2 ", id="byte-order-uppercase-first"),
        pytest.param({}, "", id="no-params"),
    ],
)
def test_format_flags(params: dict[str, str], expected: str) -> None:
    assert format_flags(params) == expected


# generateRayStartCommand: num-cpus from the limit, else the request, rounded up; memory from the limit only.
@pytest.mark.parametrize(
    ("params", "resources", "expected"),
    [
        pytest.param({}, limits(cpu="500m"), {"num-cpus": "1"}, id="500m-rounds-up-to-1"),
        pytest.param({}, limits(cpu="1500m"), {"num-cpus": "2"}, id="1500m-rounds-up-to-2"),
        pytest.param(
            {},
            {"limits": {"cpu": "1"}, "requests": {"cpu": "4"}},
            {"num-cpus": "1"},
            id="cpu-limit-before-request",
        ),
        pytest.param(
            {},
            {"limits": {"memory": "1Gi"}, "requests": {"cpu": "2"}},
            {"num-cpus": "2", "memory": "1073741824"},
            id="cpu-request-when-no-limit",
        ),
        pytest.param({}, limits(cpu="0"), {}, id="zero-cpu-limit-ignored"),
        pytest.param({}, limits(memory="5Gi"), {"memory": "5368709120"}, id="memory-5Gi"),
        pytest.param({}, limits(memory="40G"), {"memory": "40000000000"}, id="memory-40G"),
        pytest.param({}, {"requests": {"memory": "1Gi"}}, {}, id="memory-request-never-used"),
        pytest.param({"num-cpus": "0"}, limits(cpu="8"), {"num-cpus": "0"}, id="user-num-cpus-kept"),
        pytest.param({"num-gpus": "0"}, limits(**{GPU: "2"}), {"num-gpus": "0"}, id="user-num-gpus-kept"),
        pytest.param({}, limits(**{"amd.com/gpu": "0", GPU: "2"}), {"num-gpus": "2"}, id="zero-gpu-skipped"),
        pytest.param(
            {},
            limits(**{TPU: "0", NEURON: "2"}),
            {"resources": "'{\"neuron_cores\":2}'"},
            id="zero-tpu-skipped",
        ),
    ],
)
def test_with_derived_resources(
    params: dict[str, str], resources: dict[str, Any], expected: dict[str, str]
) -> None:
    assert with_derived_resources(params, resources) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("nvidia.com/gpu", True),
        ("amd.com/gpu", True),
        ("gpu", True),
        ("nvidia.com/mig-2g.32gb", True),
        ("nvidia.com/mig-1g.5gb", True),
        ("nvidia.com/mig-2g", False),
        ("google.com/tpu", False),
        ("nvidia.com/GPU", False),
    ],
)
def test_is_gpu_resource_key(key: str, expected: bool) -> None:
    assert is_gpu_resource_key(key) is expected


# updateRayStartParamsResources (TestUpdateRayStartParamsResources).
@pytest.mark.parametrize(
    ("params", "group_resources", "expected"),
    [
        pytest.param(
            {}, {"cpu": "2", "memory": "4Gi"}, {"num-cpus": "2", "memory": "4294967296"}, id="cpu-memory"
        ),
        pytest.param({}, {"CPU": "2", "GPU": "4"}, {"num-cpus": "2", "num-gpus": "4"}, id="names-any-case"),
        pytest.param(
            {},
            {"nvidia.com/gpu": "1", "TPU": "4"},
            {"num-gpus": "1", "resources": "'{\"TPU\":4}'"},
            id="gpu-and-custom",
        ),
        pytest.param(
            {"num-cpus": "1", "memory": "1000", "resources": "'{\"Custom-Resource\": 10}'"},
            {"cpu": "4", "Custom-Resource": "5"},
            {"num-cpus": "4", "memory": "1000", "resources": "'{\"Custom-Resource\":5}'"},
            id="overrides-existing",
        ),
        pytest.param({}, {"cpu": "500m"}, {"num-cpus": "1"}, id="cpu-rounds-up"),
        pytest.param({}, {"custom": "500m"}, {"resources": "'{\"custom\":0.5}'"}, id="fractional-custom"),
        pytest.param(
            {}, {"cpu": "lots", "custom": "2"}, {"resources": "'{\"custom\":2}'"}, id="unparsable-skipped"
        ),
        pytest.param({"num-cpus": "1"}, {}, {"num-cpus": "1"}, id="empty-group-resources"),
    ],
)
def test_with_group_resources(
    params: dict[str, str], group_resources: dict[str, str], expected: dict[str, str]
) -> None:
    assert with_group_resources(params, group_resources) == expected


# updateRayStartParamsLabels (TestUpdateRayStartParamsLabels).
@pytest.mark.parametrize(
    ("params", "group_labels", "expected"),
    [
        pytest.param(
            {},
            {
                "topology.kubernetes.io/zone": "us-central2",
                "ray.io/node-group": "worker-group-1",
                "cloud.google.com/gke-spot": "true",
            },
            {
                "labels": "cloud.google.com/gke-spot=true,ray.io/node-group=worker-group-1,"
                "topology.kubernetes.io/zone=us-central2"
            },
            id="sorted-by-key",
        ),
        pytest.param(
            {"labels": "old=label,to-be=replaced", "num-cpus": "1"},
            {"new": "label"},
            {"labels": "new=label", "num-cpus": "1"},
            id="replaces-existing-labels",
        ),
        pytest.param({"num-cpus": "1"}, {}, {"num-cpus": "1"}, id="empty-labels-change-nothing"),
    ],
)
def test_with_group_labels(
    params: dict[str, str], group_labels: dict[str, str], expected: dict[str, str]
) -> None:
    assert with_group_labels(params, group_labels) == expected


FQDN_ADDRESS = "raycluster-kuberay-head-svc.default.svc.cluster.local:6379"
HEAD_DEFAULTS = {
    "dashboard-host": "0.0.0.0",
    "metrics-export-port": "8080",
    "block": "true",
    "dashboard-agent-listen-port": "52365",
}
WORKER_DEFAULTS = {
    "address": FQDN_ADDRESS,
    "metrics-export-port": "8080",
    "block": "true",
    "dashboard-agent-listen-port": "52365",
}


# setMissingRayStartParams (TestSetMissingRayStartParams*).
@pytest.mark.parametrize(
    ("node_type", "params", "expected"),
    [
        pytest.param(HEAD, {}, HEAD_DEFAULTS, id="head-defaults-no-address"),
        pytest.param(
            HEAD,
            {"address": "custom-address:1234"},
            {**HEAD_DEFAULTS, "address": "custom-address:1234"},
            id="head-custom-address-kept",
        ),
        pytest.param(WORKER, {}, WORKER_DEFAULTS, id="worker-defaults-with-address"),
        pytest.param(
            WORKER,
            {"address": "custom-address:1234"},
            {**WORKER_DEFAULTS, "address": "custom-address:1234"},
            id="worker-custom-address-kept",
        ),
        pytest.param(
            HEAD,
            {"metrics-export-port": "8081"},
            {**HEAD_DEFAULTS, "metrics-export-port": "8081"},
            id="head-metrics-port-kept",
        ),
        pytest.param(
            WORKER,
            {"metrics-export-port": "8081"},
            {**WORKER_DEFAULTS, "metrics-export-port": "8081"},
            id="worker-metrics-port-kept",
        ),
        pytest.param(HEAD, {"block": "false"}, HEAD_DEFAULTS, id="block-forced-true"),
        pytest.param(
            HEAD,
            {"dashboard-host": "localhost"},
            {**HEAD_DEFAULTS, "dashboard-host": "localhost"},
            id="head-dashboard-host-kept",
        ),
        pytest.param(
            WORKER,
            {"dashboard-host": "localhost"},
            {**WORKER_DEFAULTS, "dashboard-host": "localhost"},
            id="worker-dashboard-host-kept",
        ),
        pytest.param(
            WORKER,
            {"dashboard-agent-listen-port": "9000"},
            {**WORKER_DEFAULTS, "dashboard-agent-listen-port": "9000"},
            id="agent-port-kept",
        ),
    ],
)
def test_with_missing_params(node_type: str, params: dict[str, str], expected: dict[str, str]) -> None:
    assert with_missing_params(params, node_type, FQDN_ADDRESS) == expected


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        pytest.param({"custom_resource": 2.0, "TPU": 4.0}, '{"TPU":4,"custom_resource":2}', id="byte-order"),
        pytest.param({"x": 0.5}, '{"x":0.5}', id="fraction"),
        pytest.param({"a<b": 1.0}, '{"a\\u003cb":1}', id="html-escaped-like-go"),
        pytest.param({}, "{}", id="empty"),
    ],
)
def test_go_json_object(numbers: dict[str, float], expected: str) -> None:
    assert go_json_object(numbers) == expected
