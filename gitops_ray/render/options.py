"""Operator settings that change rendering (env flags, feature gates), with KubeRay v1.7.0's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KUBERAY_VERSION = "v1.7.0"


@dataclass(frozen=True)
class FeatureGates:
    """KubeRay feature gates; gitops-ray renders the default-on ones and rejects what needs the others."""

    ray_cluster_status_conditions: bool = True
    ray_job_deletion_policy: bool = True
    ray_multi_host_indexing: bool = True
    gcs_fault_tolerance_embedded_storage: bool = False
    ray_cluster_mtls: bool = False
    ray_cluster_history_server: bool = False
    ray_cluster_network_policy: bool = False


@dataclass(frozen=True)
class RenderOptions:
    """What the KubeRay operator's environment would decide; a repo sets these in `gitops-ray.yaml`.

    The deterministic head Pod name (`<cluster>-head`) is always on: Git and the cluster must agree on names.
    """

    enable_login_shell: bool = False  # ENABLE_LOGIN_SHELL
    enable_init_container_injection: bool = True  # ENABLE_INIT_CONTAINER_INJECTION
    enable_probes_injection: bool = True  # ENABLE_PROBES_INJECTION
    enable_head_cluster_ip_service: bool = False  # ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE
    cluster_domain: str = "cluster.local"  # CLUSTER_DOMAIN
    kuberay_version: str = KUBERAY_VERSION
    # Operator configuration: DefaultContainerEnvs, DefaultPodAnnotations/Labels, sidecars.
    default_container_envs: tuple[tuple[str, str], ...] = ()
    default_pod_annotations: tuple[tuple[str, str], ...] = ()
    default_pod_labels: tuple[tuple[str, str], ...] = ()
    head_sidecar_containers: tuple[dict[str, Any], ...] = ()
    worker_sidecar_containers: tuple[dict[str, Any], ...] = ()
    feature_gates: FeatureGates = field(default_factory=FeatureGates)
    # gitops-ray's own guard, not KubeRay's: more Pods than this in one cluster is refused as an error.
    max_pods_per_cluster: int = 10_000

    @property
    def shell_command(self) -> list[str]:
        """`/bin/bash -c --` (or `-cl` with the login shell) for generated commands."""
        return ["/bin/bash", "-cl" if self.enable_login_shell else "-c", "--"]
