"""Desired state: every unit rendered, labelled as ours, and bad input kept to the unit it belongs to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gitops_ray.model.ownership import membership_labels
from gitops_ray.model.targets import raycluster_for_apply
from gitops_ray.model.units import Problem, Unit, UnitKey
from gitops_ray.render.options import RenderOptions
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.desired import desired_state, render_unit

EXAMPLE_REPO = Path(__file__).resolve().parents[1] / "example-repo"


def cluster(name: str = "demo", **spec: Any) -> dict[str, Any]:
    container = {"name": "ray", "image": "rayproject/ray:2.53.0"}
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {
            "headGroupSpec": {"template": {"spec": {"containers": [container]}}},
            "workerGroupSpecs": [
                {"groupName": "cpu", "replicas": 2, "template": {"spec": {"containers": [container]}}}
            ],
            **spec,
        },
    }


def without_namespace(raycluster: dict[str, Any]) -> dict[str, Any]:
    return {**raycluster, "metadata": {"name": raycluster["metadata"]["name"]}}


def unit(raycluster: dict[str, Any], target: str = "pods") -> Unit:
    return Unit(
        key=UnitKey("ml", raycluster["metadata"]["name"]),
        source="c.yaml",
        raycluster=raycluster,
        target=target,
    )


def test_the_example_repo_renders_every_unit_without_problems() -> None:
    state = desired_state(EXAMPLE_REPO)
    assert state.problems == ()
    assert [str(u.key) for u in state.units] == [
        "autoscaling/raycluster-autoscaler",
        "default/custom-head-svc",
        "default/raycluster-complete",
        "default/raycluster-head-command",
        "default/raycluster-kuberay",
        "default/raycluster-overwrite-cmd",
        "default/raycluster-tpu-v4-multihost",
        "ml-team/gpu-training",
        "redis-ft/raycluster-external-redis",
    ]


def test_a_cluster_file_without_namespaces_is_applied_in_its_folders_namespace(tmp_path: Path) -> None:
    (tmp_path / "clusters" / "ml").mkdir(parents=True)
    (tmp_path / "clusters" / "ml" / "demo.yaml").write_text(
        yaml.safe_dump_all([without_namespace(cluster())])
    )
    state = desired_state(tmp_path, SourceOptions(path="clusters"))
    assert {obj["metadata"]["namespace"] for unit in state.units for obj in unit.objects} == {"ml"}
    assert [(str(u.key), u.warnings) for u in state.units] == [("ml/demo", ())]


def test_every_applied_object_carries_the_units_membership_labels() -> None:
    rendered = render_unit(unit(cluster()), RenderOptions())
    expected = membership_labels("demo", "ml")
    assert [obj["kind"] for obj in rendered.objects] == ["Service", "Pod", "Pod", "Pod"]
    assert all(expected.items() <= obj["metadata"]["labels"].items() for obj in rendered.objects)


def test_objects_are_in_kind_order_then_by_name_with_numbers_by_value() -> None:
    rendered = render_unit(unit(cluster()), RenderOptions())
    assert [obj["metadata"]["name"] for obj in rendered.objects] == [
        "demo-head-svc",
        "demo-cpu-worker-0",
        "demo-cpu-worker-1",
        "demo-head",
    ]


def test_an_invalid_cluster_becomes_a_problem_with_kuberays_message_and_field() -> None:
    bad = cluster(workerGroupSpecs=[{"groupName": "g", "minReplicas": 3, "maxReplicas": 1, "template": {}}])
    bad["spec"]["workerGroupSpecs"][0]["template"] = cluster()["spec"]["headGroupSpec"]["template"]
    rendered = render_unit(unit(bad), RenderOptions())
    assert rendered.objects == ()
    assert [(p.object, p.message) for p in rendered.problems] == [
        ("RayCluster ml/demo", "worker group g has minReplicas 3 greater than maxReplicas 1")
    ]
    assert rendered.problems[0].field.startswith("spec.workerGroupSpecs[0]")


def test_a_broken_file_beside_valid_ones_leaves_the_others_rendered(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ml}\n"
    )
    (tmp_path / "bad.yaml").write_text("kind: [\n")
    state = desired_state(tmp_path, SourceOptions())
    assert [(str(u.key), u.ok) for u in state.units] == [("default/good", True)]
    assert [p.file for p in state.broken_sources] == ["bad.yaml"]


def test_the_raycluster_target_applies_the_raycluster_and_previews_the_pods() -> None:
    rendered = render_unit(unit(cluster(), target="raycluster"), RenderOptions())
    assert [obj["kind"] for obj in rendered.objects] == ["RayCluster"]
    assert [obj["kind"] for obj in rendered.preview] == ["Service", "Pod", "Pod", "Pod"]


def test_with_autoscaling_the_raycluster_target_leaves_worker_replicas_to_the_autoscaler() -> None:
    applied = raycluster_for_apply({**cluster(enableInTreeAutoscaling=True), "status": {"state": "ready"}})
    assert "status" not in applied
    assert "replicas" not in applied["spec"]["workerGroupSpecs"][0]


def test_without_autoscaling_the_raycluster_target_keeps_worker_replicas() -> None:
    assert raycluster_for_apply(cluster())["spec"]["workerGroupSpecs"][0]["replicas"] == 2


def test_a_multikueue_cluster_is_applied_as_a_raycluster_but_never_rendered_as_pods() -> None:
    managed = cluster(managedBy="kueue.x-k8s.io/multikueue")
    as_raycluster = render_unit(unit(managed, target="raycluster"), RenderOptions())
    as_pods = render_unit(unit(managed, target="pods"), RenderOptions())
    assert ([o["kind"] for o in as_raycluster.objects], as_raycluster.preview, as_raycluster.ok) == (
        ["RayCluster"],
        (),
        True,
    )
    assert [p.field for p in as_pods.problems] == ["spec.managedBy"]


def test_problems_found_while_loading_are_carried_and_nothing_is_rendered() -> None:
    problem = Problem(file="c.yaml", message="defined twice")
    loaded = Unit(key=UnitKey("ml", "demo"), source="c.yaml", raycluster=cluster(), problems=(problem,))
    assert render_unit(loaded, RenderOptions()).problems == (problem,)
