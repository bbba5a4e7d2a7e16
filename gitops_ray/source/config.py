"""Repository-level settings, read from `gitops-ray.yaml` at the repository root.

They travel with the YAML they describe (a PR that changes the cluster domain shows its rendered effect),
so they live in the repo, not in the controller's deployment. Every key is optional; the defaults are
KubeRay v1.7.0's operator defaults and the repository layout README.md describes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from gitops_ray.model.errors import GitopsRayError
from gitops_ray.model.targets import PODS, TARGETS
from gitops_ray.render.options import FeatureGates, RenderOptions
from gitops_ray.source.load import DEFAULT_MAX_FILE_BYTES

REPO_CONFIG_FILE = "gitops-ray.yaml"


class ConfigError(GitopsRayError):
    """The repository config is unusable; names the file and the key."""


@dataclass(frozen=True)
class SourceOptions:
    """Where the cluster YAML is, where outputs go, and how to render."""

    path: str = "."  # sub-path holding cluster YAML (the output dirs are always skipped)
    rendered_dir: str = "rendered"
    drift_dir: str = "drift"
    default_target: str = PODS.name
    namespace_from_folder: bool = True  # the first folder below `path` names the namespace (README)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    render: RenderOptions = field(default_factory=RenderOptions)


# YAML key under `operator:` -> RenderOptions field (the README maps them to KubeRay's env vars).
_OPERATOR_KEYS: dict[str, str] = {
    "enableLoginShell": "enable_login_shell",
    "enableInitContainerInjection": "enable_init_container_injection",
    "enableProbesInjection": "enable_probes_injection",
    "enableRayHeadClusterIPService": "enable_head_cluster_ip_service",
    "clusterDomain": "cluster_domain",
    "kuberayVersion": "kuberay_version",
    "defaultContainerEnvs": "default_container_envs",
    "defaultPodAnnotations": "default_pod_annotations",
    "defaultPodLabels": "default_pod_labels",
    "headSidecarContainers": "head_sidecar_containers",
    "workerSidecarContainers": "worker_sidecar_containers",
}
_FEATURE_GATES: dict[str, str] = {
    "RayClusterStatusConditions": "ray_cluster_status_conditions",
    "RayJobDeletionPolicy": "ray_job_deletion_policy",
    "RayMultiHostIndexing": "ray_multi_host_indexing",
    "GCSFaultToleranceEmbeddedStorage": "gcs_fault_tolerance_embedded_storage",
}


def _fail(key: str, message: str) -> ConfigError:
    return ConfigError(f"{REPO_CONFIG_FILE}: {key}: {message}")


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"must be true or false, got {value!r}")
    return value


def _str(key: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(key, f"must be a non-empty string, got {value!r}")
    return value


def _relative_dir(key: str, value: object) -> str:
    text = _str(key, value)
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts:
        raise _fail(key, f"must be a path inside the repository, got {text!r}")
    return path.as_posix()


def _pairs(key: str, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(key, "must be a mapping of strings")
    return tuple(sorted((str(k), v) for k, v in value.items()))


def _env_pairs(key: str, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise _fail(key, "must be a list of {name, value}")
    pairs: list[tuple[str, str]] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _fail(f"{key}[{index}]", "must be a mapping with a string name")
        pairs.append((entry["name"], str(entry.get("value", ""))))
    return tuple(pairs)


def _containers(key: str, value: object) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(isinstance(c, dict) and c.get("name") for c in value):
        raise _fail(key, "must be a list of containers, each with a name")
    return tuple(value)


_CONVERTERS: dict[str, Callable[[str, object], object]] = {
    "enable_login_shell": _bool,
    "enable_init_container_injection": _bool,
    "enable_probes_injection": _bool,
    "enable_head_cluster_ip_service": _bool,
    "cluster_domain": _str,
    "kuberay_version": _str,
    "default_container_envs": _env_pairs,
    "default_pod_annotations": _pairs,
    "default_pod_labels": _pairs,
    "head_sidecar_containers": _containers,
    "worker_sidecar_containers": _containers,
}


def _render_options(operator: object) -> RenderOptions:
    if not isinstance(operator, dict):
        raise _fail("operator", "must be a mapping")
    values: dict[str, Any] = {}
    for key, value in operator.items():
        if key == "featureGates":
            values["feature_gates"] = _feature_gates(value)
            continue
        attribute = _OPERATOR_KEYS.get(key)
        if attribute is None:
            raise _fail(f"operator.{key}", f"unknown setting; known: {', '.join(sorted(_OPERATOR_KEYS))}")
        values[attribute] = _CONVERTERS[attribute](f"operator.{key}", value)
    return RenderOptions(**values)


def _feature_gates(gates: object) -> FeatureGates:
    if not isinstance(gates, dict):
        raise _fail("operator.featureGates", "must be a mapping of gate name to true/false")
    values: dict[str, bool] = {}
    for name, enabled in gates.items():
        attribute = _FEATURE_GATES.get(name)
        if attribute is None:
            known = ", ".join(sorted(_FEATURE_GATES))
            raise _fail(f"operator.featureGates.{name}", f"unknown or unsupported gate; supported: {known}")
        values[attribute] = _bool(f"operator.featureGates.{name}", enabled)
    return FeatureGates(**values)


def parse_repo_config(data: Mapping[str, Any]) -> SourceOptions:
    """SourceOptions from the parsed `gitops-ray.yaml`; unknown keys are errors (typos must not pass)."""
    known = {
        "path",
        "renderedDir",
        "driftDir",
        "target",
        "namespaceFromFolder",
        "maxFileBytes",
        "maxPodsPerCluster",
        "operator",
    }
    for key in data:
        if key not in known:
            raise _fail(str(key), f"unknown setting; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    if "path" in data:
        values["path"] = _relative_dir("path", data["path"])
    if "renderedDir" in data:
        values["rendered_dir"] = _relative_dir("renderedDir", data["renderedDir"])
    if "driftDir" in data:
        values["drift_dir"] = _relative_dir("driftDir", data["driftDir"])
    if "target" in data:
        if data["target"] not in TARGETS:
            raise _fail("target", f"must be one of {', '.join(TARGETS)}, got {data['target']!r}")
        values["default_target"] = data["target"]
    if "namespaceFromFolder" in data:
        values["namespace_from_folder"] = _bool("namespaceFromFolder", data["namespaceFromFolder"])
    if "maxFileBytes" in data:
        size = data["maxFileBytes"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise _fail("maxFileBytes", f"must be a positive integer, got {size!r}")
        values["max_file_bytes"] = size
    render = _render_options(data["operator"]) if "operator" in data else RenderOptions()
    if "maxPodsPerCluster" in data:
        limit = data["maxPodsPerCluster"]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise _fail("maxPodsPerCluster", f"must be a positive integer, got {limit!r}")
        render = replace(render, max_pods_per_cluster=limit)
    if render != RenderOptions():
        values["render"] = render
    return SourceOptions(**values)


def read_repo_config(repo_root: Path) -> SourceOptions:
    """The repo's settings; defaults when there is no `gitops-ray.yaml`."""
    config_file = repo_root / REPO_CONFIG_FILE
    if not config_file.is_file():
        return SourceOptions()
    try:
        data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{REPO_CONFIG_FILE}: cannot read: {error}") from error
    if data is None:
        return SourceOptions()
    if not isinstance(data, dict):
        raise ConfigError(f"{REPO_CONFIG_FILE}: must be a mapping of settings")
    return parse_repo_config(data)
