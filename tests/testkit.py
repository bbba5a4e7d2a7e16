"""Shared by every test folder (tests/ is on sys.path through its conftest): a small RayCluster and the
environment that gives test Git commands a fixed identity and no system or interactive configuration."""

from __future__ import annotations

from gitops_ray.model.objects import KubeObject

IMAGE = "rayproject/ray:2.53.0"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "A User",
    "GIT_AUTHOR_EMAIL": "user@example.invalid",
    "GIT_COMMITTER_NAME": "A User",
    "GIT_COMMITTER_EMAIL": "user@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


def raycluster(
    name: str,
    namespace: str,
    workers: int = 2,
    start_params: dict[str, str] | None = None,
    group: str = "small",
    image: str = IMAGE,
) -> KubeObject:
    """A small RayCluster: a head and one worker group of `workers` Pods running `image` (`start_params` on
    the workers). It renders to a head Service, a head Pod and `workers` worker Pods."""
    container = {"name": "ray", "image": image, "resources": {"limits": {"cpu": "1"}}}
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "rayVersion": "2.53.0",
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [container]}}},
            "workerGroupSpecs": [
                {
                    "groupName": group,
                    "replicas": workers,
                    "minReplicas": 0,
                    "maxReplicas": 100,
                    "rayStartParams": dict(start_params or {}),
                    "template": {"spec": {"containers": [container]}},
                }
            ],
        },
    }
