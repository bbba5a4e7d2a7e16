"""`gitops-ray sync --once` and `gitops-ray diff --cluster` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from clusterkit import edit_service_label, names, write_source
from testkit import raycluster

from gitops_ray.cli import main
from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.apiserver


def test_sync_once_prints_one_summary_line_per_cluster_and_exits_0(
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})

    status = main(["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0] == f"{namespace}/demo: created 3, updated 0, recreated 0, unchanged 0, pruned 0, failed 0"
    assert lines[-1].startswith("requests: GET ")


def test_sync_once_exits_1_when_a_cluster_fails(
    apiserver_kubeconfig: str, namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = raycluster("bad", namespace)
    broken["spec"]["workerGroupSpecs"][0].update(minReplicas=5, maxReplicas=2)
    write_source(tmp_path, {f"{namespace}/bad.yaml": [broken]})

    status = main(["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    assert status == 1
    assert "  error: " in capsys.readouterr().out


def test_diff_exits_1_and_lists_the_changes_a_sync_would_make(
    kube: KubeApi,
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})

    status = main(["diff", "--cluster", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    assert status == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{namespace}/demo:",
        f"  + create Service {namespace}/demo-head-svc (absent)",
        f"  + create Pod {namespace}/demo-head (absent)",
        f"  + create Pod {namespace}/demo-small-worker-0 (absent)",
    ]
    assert names(kube, "Pod", namespace) == []


def test_diff_exits_0_when_the_cluster_matches(
    apiserver_kubeconfig: str, namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    main(["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])
    capsys.readouterr()

    status = main(["diff", "--cluster", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    assert (status, capsys.readouterr().out) == (0, "")


def test_diff_exits_2_when_the_cluster_cannot_be_reached(
    namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_source(tmp_path / "src", {f"{namespace}/demo.yaml": [raycluster("demo", namespace)]})
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: gone, user: {token: x}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: gone}}]\n"
    )

    status = main(["diff", "--cluster", str(tmp_path / "src"), "--kubeconfig", str(kubeconfig)])

    assert status == 2
    assert "API server unreachable" in capsys.readouterr().err


def test_sync_no_heal_prints_drift_and_health_and_writes_nothing(
    kube: KubeApi,
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})
    main(["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])
    edit_service_label(kube, namespace, "x")
    capsys.readouterr()

    status = main(["sync", "--once", "--no-heal", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    assert status == 0
    assert capsys.readouterr().out.splitlines()[:-1] == [
        "no heal: drift reported, nothing written",
        f"{namespace}/demo: created 0, updated 1, recreated 0, unchanged 2, pruned 0, failed 0"
        " (drift: drifted)",
        f"  drift: Service {namespace}/demo-head-svc differs (changed by kubectl-edit)",
        "    metadata.labels[\"app.kubernetes.io/name\"]: 'x' -> 'kuberay'",
        "  health: head not ready; workers 0/1 ready; not ready: demo-head, demo-small-worker-0",
    ]


def test_sync_once_exits_1_for_a_file_that_does_not_parse_and_applies_the_rest(
    kube: KubeApi,
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(tmp_path, {f"{namespace}/good.yaml": [raycluster("good", namespace, workers=0)]})
    (tmp_path / namespace / "broken.yaml").write_text("kind: [unclosed\n")

    status = main(["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("error: ")]
    assert status == 1
    assert len(errors) == 1 and errors[0].startswith(f"error: {namespace}/broken.yaml")
    assert names(kube, "Pod", namespace) == ["good-head"]


def test_diff_shows_the_fields_an_update_would_change(
    kube: KubeApi,
    apiserver_kubeconfig: str,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_source(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=0)]})
    main(["sync", "--once", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])
    edit_service_label(kube, namespace, "x")
    capsys.readouterr()

    status = main(["diff", "--cluster", str(tmp_path), "--kubeconfig", apiserver_kubeconfig])

    assert status == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{namespace}/demo:",
        f"  ~ update Service {namespace}/demo-head-svc"
        ' (drift to heal: metadata.labels["app.kubernetes.io/name"])',
        "    metadata.labels[\"app.kubernetes.io/name\"]: 'x' -> 'kuberay'",
    ]
