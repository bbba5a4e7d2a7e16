"""KubeRay's naming helpers: utils/util_test.go TestWorkerPodName, TestHeadPodName, TestCheckName and
TestGetContainerCommand."""

from __future__ import annotations

import dataclasses

import pytest

from gitops_ray.render.names import check_label, check_name, head_pod_name, pod_name, worker_pod_prefix
from gitops_ray.render.options import RenderOptions

LONG_CLUSTER = "ray-cluster-0000000000000000000000011111111122222233333333333333"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        pytest.param("ray-cluster-group-name-01", "ray-cluster-group-name-01-worker-", id="short"),
        pytest.param(
            f"{LONG_CLUSTER}-group-name",
            "ray-cluster-00000000000000000000000111111111222222-worker-",
            id="prefix-clipped-to-first-50",
        ),
    ],
)
def test_worker_pod_name_tv_e1(prefix: str, expected: str) -> None:
    assert pod_name(prefix, "worker", generate=True) == expected


@pytest.mark.parametrize(
    ("cluster", "generate", "expected"),
    [
        pytest.param("ray-cluster-01", False, "ray-cluster-01-head", id="deterministic"),
        pytest.param("ray-cluster-01", True, "ray-cluster-01-head-", id="generate"),
        pytest.param(
            LONG_CLUSTER,
            False,
            "ray-cluster-00000000000000000000000111111111222222-head",
            id="long-deterministic",
        ),
        pytest.param(
            LONG_CLUSTER, True, "ray-cluster-00000000000000000000000111111111222222-head-", id="long"
        ),
    ],
)
def test_head_pod_name_tv_e2(cluster: str, generate: bool, expected: str) -> None:
    assert pod_name(cluster, "head", generate) == expected


def test_gitops_ray_head_pod_name_is_the_deterministic_one() -> None:
    assert head_pod_name("ray-cluster-01") == "ray-cluster-01-head"


def test_worker_prefix_is_lower_cased() -> None:
    assert worker_pod_prefix("rc", "GPU-Group") == "rc-gpu-group-worker-"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "72fbcc7e-a661-4b18e-ca41-e903-fc3ae634b18e-lazer090scholar-director-s",
            "rca41-e903-fc3ae634b18e-lazer090scholar-director-s",
            id="last-50-then-digit",
        ),
        pytest.param(
            "--------566666--------444433-----------222222----------4444",
            "r6666--------444433-----------222222----------4444",
            id="last-50-then-punctuation",
        ),
        pytest.param("acceptable-name-head-12345", "acceptable-name-head-12345", id="unchanged"),
    ],
)
def test_check_name_tv_e3(name: str, expected: str) -> None:
    assert check_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("raycluster-sample-head", "raycluster-sample-head", id="unchanged"),
        pytest.param("1-head", "1-head", id="leading-digit-allowed"),
        pytest.param("-head", "rhead", id="leading-punctuation"),
        pytest.param("a" * 70, "a" * 63, id="last-63"),
    ],
)
def test_check_label(value: str, expected: str) -> None:
    assert check_label(value) == expected


@pytest.mark.parametrize(
    ("login_shell", "expected"),
    [
        pytest.param(False, ["/bin/bash", "-c", "--"], id="default"),
        pytest.param(True, ["/bin/bash", "-cl", "--"], id="login-shell"),
    ],
)
def test_generated_shell_command_tv_e9(login_shell: bool, expected: list[str]) -> None:
    options = dataclasses.replace(RenderOptions(), enable_login_shell=login_shell)

    assert options.shell_command == expected
