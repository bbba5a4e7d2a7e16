"""The repository config `gitops-ray.yaml`: defaults, every key, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ray.render.options import FeatureGates, RenderOptions
from gitops_ray.source.config import ConfigError, SourceOptions, parse_repo_config, read_repo_config


def test_no_config_file_means_the_defaults(tmp_path: Path) -> None:
    assert read_repo_config(tmp_path) == SourceOptions()


def test_every_key_is_read() -> None:
    options = parse_repo_config(
        {
            "path": "clusters",
            "renderedDir": "out/rendered",
            "driftDir": "out/drift",
            "target": "raycluster",
            "namespaceFromFolder": False,
            "maxFileBytes": 2048,
            "maxPodsPerCluster": 500,
            "operator": {
                "enableLoginShell": True,
                "clusterDomain": "corp.local",
                "defaultContainerEnvs": [{"name": "A", "value": "1"}],
                "defaultPodLabels": {"team": "ml"},
                "featureGates": {"GCSFaultToleranceEmbeddedStorage": True},
            },
        }
    )
    assert options == SourceOptions(
        path="clusters",
        rendered_dir="out/rendered",
        drift_dir="out/drift",
        default_target="raycluster",
        namespace_from_folder=False,
        max_file_bytes=2048,
        render=RenderOptions(
            enable_login_shell=True,
            cluster_domain="corp.local",
            default_container_envs=(("A", "1"),),
            default_pod_labels=(("team", "ml"),),
            feature_gates=FeatureGates(gcs_fault_tolerance_embedded_storage=True),
            max_pods_per_cluster=500,
        ),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pth": "x"}, "gitops-ray.yaml: pth: unknown setting"),
        ({"path": "../x"}, "gitops-ray.yaml: path: must be a path inside the repository, got '../x'"),
        ({"target": "helm"}, "gitops-ray.yaml: target: must be one of pods, raycluster, got 'helm'"),
        (
            {"operator": {"enableLoginShell": "yes"}},
            "operator.enableLoginShell: must be true or false, got 'yes'",
        ),
        ({"operator": {"clusterDomian": "x"}}, "gitops-ray.yaml: operator.clusterDomian: unknown setting"),
        (
            {"operator": {"featureGates": {"RayClusterMTLS": True}}},
            "operator.featureGates.RayClusterMTLS: unknown",
        ),
        (
            {"namespaceFromFolder": "no"},
            "gitops-ray.yaml: namespaceFromFolder: must be true or false, got 'no'",
        ),
        ({"maxFileBytes": 0}, "gitops-ray.yaml: maxFileBytes: must be a positive integer, got 0"),
        ({"maxPodsPerCluster": "many"}, "maxPodsPerCluster: must be a positive integer, got 'many'"),
    ],
    ids=[
        "unknown-key",
        "path-escape",
        "bad-target",
        "folder-rule-not-bool",
        "not-bool",
        "operator-typo",
        "unsupported-gate",
        "zero-size",
        "bad-pod-limit",
    ],
)
def test_a_bad_setting_names_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_repo_config(data)
    assert message in str(raised.value)


def test_an_unparsable_config_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "gitops-ray.yaml").write_text("path: [\n")
    with pytest.raises(ConfigError, match=r"^gitops-ray.yaml: cannot read"):
        read_repo_config(tmp_path)
