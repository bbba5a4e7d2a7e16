"""Collisions: an object two units (or one unit twice) would produce blocks every unit involved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from testkit import raycluster

from gitops_ray.cli import main
from gitops_ray.model.units import Problem, RenderedUnit, UnitKey
from gitops_ray.source.collisions import with_collisions
from gitops_ray.source.config import SourceOptions
from gitops_ray.source.desired import desired_state

CLUSTERS = SourceOptions(path="clusters")
BLOCKED = "an object belongs to one unit, so none of them is applied"


def obj(api_version: str, kind: str, name: str, namespace: str = "ml") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}


def rendered(name: str, *objects: dict[str, Any], preview: tuple[dict[str, Any], ...] = ()) -> RenderedUnit:
    return RenderedUnit(
        key=UnitKey("ml", name), source=f"{name}.yaml", objects=objects, preview=preview, content_key="k"
    )


def write(root: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    for path, documents in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return root


def problems_by_unit(root: Path) -> dict[str, list[Problem]]:
    return {str(unit.key): list(unit.problems) for unit in desired_state(root, CLUSTERS).units}


def test_generated_names_that_meet_across_clusters_block_both_and_name_the_object_and_both_files(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path,
        {
            "clusters/ml/x-y.yaml": [raycluster("x-y", "ml", workers=1, group="z")],
            "clusters/ml/x.yaml": [raycluster("x", "ml", workers=1, group="y-z")],
        },
    )
    assert problems_by_unit(root) == {
        "ml/x": [
            Problem(
                file="clusters/ml/x.yaml",
                object="Pod ml/x-y-z-worker-0",
                message="also produced by clusters/ml/x-y.yaml (ml/x-y); an object belongs to one unit, "
                "so none of them is applied",
            )
        ],
        "ml/x-y": [
            Problem(
                file="clusters/ml/x-y.yaml",
                object="Pod ml/x-y-z-worker-0",
                message="also produced by clusters/ml/x.yaml (ml/x); an object belongs to one unit, "
                "so none of them is applied",
            )
        ],
    }


def test_a_colliding_unit_applies_nothing_and_its_rendered_text_is_not_taken_from_a_cache(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path,
        {
            "clusters/ml/a.yaml": [raycluster("a", "ml")],
            "clusters/ml/b.yaml": [raycluster("b", "ml"), obj("v1", "Service", "a-head-svc")],
        },
    )
    units = desired_state(root, CLUSTERS).units
    assert [(u.ok, u.objects, u.preview, u.content_key) for u in units] == [(False, (), (), "")] * 2


def test_a_hand_written_service_named_like_another_clusters_head_service_blocks_both(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "clusters/ml/a.yaml": [raycluster("a", "ml")],
            "clusters/ml/b.yaml": [raycluster("b", "ml"), obj("v1", "Service", "a-head-svc")],
        },
    )
    assert {key: [p.object for p in found] for key, found in problems_by_unit(root).items()} == {
        "ml/a": ["Service ml/a-head-svc"],
        "ml/b": ["Service ml/a-head-svc"],
    }


def test_a_document_named_like_an_object_its_own_raycluster_generates_is_an_error(tmp_path: Path) -> None:
    root = write(
        tmp_path, {"clusters/ml/a.yaml": [raycluster("a", "ml"), obj("v1", "Service", "a-head-svc")]}
    )
    assert problems_by_unit(root) == {
        "ml/a": [
            Problem(
                file="clusters/ml/a.yaml",
                object="Service ml/a-head-svc",
                message="produced 2 times by this unit (a document named like an object its RayCluster "
                "generates, or the same object written twice)",
            )
        ]
    }


def test_an_object_two_files_declare_blocks_both(tmp_path: Path) -> None:
    shared = obj("v1", "ConfigMap", "shared")
    root = write(
        tmp_path,
        {
            "clusters/ml/a.yaml": [raycluster("a", "ml"), shared],
            "clusters/ml/b.yaml": [raycluster("b", "ml"), shared],
        },
    )
    assert {key: [p.message for p in found] for key, found in problems_by_unit(root).items()} == {
        "ml/a": [f"also produced by clusters/ml/b.yaml (ml/b); {BLOCKED}"],
        "ml/b": [f"also produced by clusters/ml/a.yaml (ml/a); {BLOCKED}"],
    }


def test_validate_reports_collisions_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tmp_path,
        {
            "gitops-ray.yaml": [{"path": "clusters"}],
            "clusters/ml/a.yaml": [raycluster("a", "ml")],
            "clusters/ml/b.yaml": [raycluster("b", "ml"), obj("v1", "Service", "a-head-svc")],
        },
    )
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "0 of 2 units valid, 0 unreadable files\n"
    assert err.splitlines() == [
        "error: clusters/ml/a.yaml (Service ml/a-head-svc): also produced by clusters/ml/b.yaml (ml/b); "
        "an object belongs to one unit, so none of them is applied",
        "error: clusters/ml/b.yaml (Service ml/a-head-svc): also produced by clusters/ml/a.yaml (ml/a); "
        "an object belongs to one unit, so none of them is applied",
    ]


POD = obj("v1", "Pod", "p")


@pytest.mark.parametrize(
    ("units", "blocked"),
    [
        ([rendered("a", POD), rendered("b", obj("v1", "Pod", "q"))], []),
        ([rendered("a", POD), rendered("b", obj("v1", "Pod", "p", namespace="other"))], []),
        ([rendered("a", POD), rendered("b", obj("v1", "Service", "p"))], []),
        ([rendered("a", POD), rendered("b", POD)], ["a", "b"]),
        (
            [
                rendered("a", obj("apps/v1", "Deployment", "d")),
                rendered("b", obj("apps/v1beta1", "Deployment", "d")),
            ],
            ["a", "b"],
        ),
        (
            [rendered("a", obj("ray.io/v1", "RayCluster", "a"), preview=(POD,)), rendered("b", POD)],
            ["a", "b"],
        ),
        ([rendered("a", POD), rendered("b", POD), rendered("c", POD)], ["a", "b", "c"]),
        ([rendered("a", POD, POD), rendered("b")], ["a"]),
    ],
    ids=[
        "different-names",
        "different-namespaces",
        "different-kinds",
        "same-object",
        "same-group-other-version",
        "raycluster-target-preview",
        "three-units",
        "twice-in-one-unit",
    ],
)
def test_which_units_collide(units: list[RenderedUnit], blocked: list[str]) -> None:
    assert [unit.key.name for unit in with_collisions(units) if not unit.ok] == blocked


def test_a_unit_that_collides_with_nothing_is_returned_as_it_was() -> None:
    unit = rendered("a", POD)
    assert with_collisions([unit])[0] is unit
