"""Review diffs: what a change does to the rendered objects and to the Ray cluster (which Pods restart),
per cluster, as text or a PR comment."""

from __future__ import annotations

from typing import Any

import pytest
from testkit import IMAGE, raycluster

from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, Unit, UnitKey
from gitops_ray.render.options import RenderOptions
from gitops_ray.report.review import (
    HEAD_RESTART,
    NOT_APPLIED,
    ClusterChange,
    diff_states,
    format_markdown,
    format_text,
)
from gitops_ray.source.desired import render_unit


def pod(name: str, image: str = "ray:2.52.0") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {"image": image},
    }


def state(*units: RenderedUnit) -> DesiredState:
    return DesiredState(units=units)


def unit(name: str, *objects: dict[str, Any], problems: tuple[Problem, ...] = ()) -> RenderedUnit:
    return RenderedUnit(
        key=UnitKey("ml", name), source=f"clusters/ml/{name}.yaml", objects=objects, problems=problems
    )


def test_identical_states_have_no_changes() -> None:
    same = state(unit("a", pod("a-head")))
    assert diff_states(same, same) == []


def test_a_changed_image_is_one_changed_object_with_a_unified_diff() -> None:
    [change] = diff_states(state(unit("a", pod("a-head"))), state(unit("a", pod("a-head", "ray:2.53.0"))))
    assert (change.kind, change.objects_changed, change.objects_added, change.objects_removed) == (
        "changed",
        ("Pod ml/a-head",),
        (),
        (),
    )
    assert change.diff.splitlines()[:2] == ["--- a/rendered/ml/a.yaml", "+++ b/rendered/ml/a.yaml"]
    assert "-  image: ray:2.52.0" in change.diff.splitlines()
    assert "+  image: ray:2.53.0" in change.diff.splitlines()


def test_scaling_up_adds_objects() -> None:
    [change] = diff_states(state(unit("a", pod("a-w-0"))), state(unit("a", pod("a-w-0"), pod("a-w-1"))))
    assert (change.objects_added, change.objects_changed) == (("Pod ml/a-w-1",), ())


def test_new_and_deleted_clusters_diff_against_dev_null() -> None:
    changes = diff_states(state(unit("old", pod("old-head"))), state(unit("new", pod("new-head"))))
    assert [(c.key.name, c.kind) for c in changes] == [("new", "added"), ("old", "removed")]
    assert changes[0].diff.startswith("--- /dev/null\n+++ b/rendered/ml/new.yaml\n")
    assert changes[1].diff.startswith("--- a/rendered/ml/old.yaml\n+++ /dev/null\n")


def test_secret_values_never_appear_in_a_review_diff() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ml"},
        "data": {"k": "c2VjcmV0"},
    }
    changed = {**secret, "data": {"k": "bmV3LXNlY3JldA=="}}
    assert diff_states(state(unit("a", secret)), state(unit("a", changed))) == []


def rendered(cluster: dict[str, Any]) -> RenderedUnit:
    name = cluster["metadata"]["name"]
    return render_unit(
        Unit(key=UnitKey("ml", name), source=f"clusters/ml/{name}.yaml", raycluster=cluster, document=0),
        RenderOptions(),
    )


def review(old: dict[str, Any], new: dict[str, Any]) -> ClusterChange:
    [change] = diff_states(state(rendered(old)), state(rendered(new)))
    return change


def with_head_image(cluster: dict[str, Any], image: str) -> dict[str, Any]:
    head_spec = cluster["spec"]["headGroupSpec"]["template"]["spec"]
    head_spec["containers"] = [{**head_spec["containers"][0], "image": image}]
    return cluster


WORKERS = tuple(f"Pod ml/a-small-worker-{index}" for index in range(2))


def test_a_worker_only_change_recreates_the_workers_and_does_not_restart_the_head() -> None:
    new = with_head_image(raycluster("a", "ml", image="rayproject/ray:2.54.0"), IMAGE)
    change = review(raycluster("a", "ml"), new)
    assert change.named("recreated") == WORKERS
    assert change.named("changed in place") == ("Pod ml/a-head",)
    assert [c.metadata_only for c in change.objects if c.head] == [True]  # KubeRay's recreate-hash
    assert not change.head_recreated
    assert HEAD_RESTART not in format_text([change], compared=1)


def test_a_head_image_change_restarts_the_whole_ray_cluster() -> None:
    change = review(raycluster("a", "ml"), with_head_image(raycluster("a", "ml"), "rayproject/ray:2.54.0"))
    assert change.named("recreated") == ("Pod ml/a-head",)
    assert change.head_recreated
    assert format_text([change], compared=1).endswith(
        "\nml/a (changed):\n"
        f"  {HEAD_RESTART}\n"
        "  recreated (delete + create: a restart of that Ray node): Pod ml/a-head\n"
    )


def test_scaling_a_group_from_2_to_20_workers_adds_18_pods_and_restarts_nothing() -> None:
    change = review(raycluster("a", "ml", workers=2), raycluster("a", "ml", workers=20))
    assert change.objects_added == tuple(f"Pod ml/a-small-worker-{index}" for index in range(2, 20))
    assert change.named("recreated") == change.named("changed in place") == ()


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_no_change_is_one_line_in_both_formats(fmt: str) -> None:
    text = format_text([], compared=3) if fmt == "text" else format_markdown([], state(), compared=3)
    assert text == "no changes (3 clusters compared)\n"


def test_text_format_is_the_concatenated_diffs_then_what_happens_per_cluster() -> None:
    changes = diff_states(state(), state(unit("a", pod("a-head")), unit("b", pod("b-head"))))
    text = format_text(changes, compared=2)
    assert text.count("+++ b/rendered/ml/") == 2
    assert text.endswith("\nml/a (added):\n  added: Pod ml/a-head\n\nml/b (added):\n  added: Pod ml/b-head\n")


def test_markdown_lists_problems_first_then_a_table_and_folded_diffs() -> None:
    problem = Problem(file="clusters/ml/b.yaml", message="invalid YAML at line 1, column 1: x")
    proposed = DesiredState(units=(unit("a", pod("a-head", "ray:2.53.0")),), broken_sources=(problem,))
    markdown = format_markdown(diff_states(state(unit("a", pod("a-head"))), proposed), proposed, compared=1)
    assert markdown.splitlines()[:11] == [
        "## gitops-ray: rendered changes",
        "",
        "**1 problem(s) in this change** (these clusters are not applied):",
        "",
        "- clusters/ml/b.yaml: invalid YAML at line 1, column 1: x",
        "",
        "1 of 1 clusters change.",
        "",
        "| cluster | change | Pods and objects recreated (restarts) | changed in place | added | removed |",
        "|---|---|---|---|---|---|",
        "| `ml/a` | changed | 1 | 0 | 0 | 0 |",
    ]
    assert "<details><summary><code>ml/a</code> (changed)</summary>" in markdown
    assert "```diff\n--- a/Pod ml/a-head\n+++ b/Pod ml/a-head\n" in markdown


def test_a_cluster_whose_proposal_has_problems_is_not_applied_and_lists_no_object() -> None:
    problem = Problem(file="clusters/ml/a.yaml", message="bad")
    [change] = diff_states(state(unit("a", pod("a-head"))), state(unit("a", problems=(problem,))))
    assert change.objects == ()
    assert format_text([change], compared=1).endswith(f"ml/a (changed):\n  {NOT_APPLIED}\n")


def scaled(*names: str) -> list[ClusterChange]:
    return diff_states(
        state(*(rendered(raycluster(name, "ml", workers=2)) for name in names)),
        state(*(rendered(raycluster(name, "ml", workers=20)) for name in names)),
    )


def test_markdown_over_the_limit_shows_alike_pods_once() -> None:
    changes = scaled("a")
    full = format_markdown(changes, state(), compared=1, max_chars=1_000_000)
    limited = format_markdown(changes, state(), compared=1, max_chars=len(full) - 1)
    assert len(limited) < len(full)
    assert "`Pod ml/a-small-worker-2` added" in limited
    assert "_and 17 more Pods like it_" in limited
    assert "`Pod ml/a-small-worker-3` added" not in limited


def test_markdown_still_over_the_limit_cuts_whole_clusters_and_keeps_the_table() -> None:
    changes = scaled("a", "b")
    full = format_markdown(changes[:1], state(), compared=1, max_chars=1_000_000)
    one_cluster = format_markdown(changes[:1], state(), compared=1, max_chars=len(full) - 1)  # alike once
    limited = format_markdown(changes, state(), compared=2, max_chars=len(one_cluster) + 400)
    assert len(limited) <= len(one_cluster) + 400
    assert (
        "| `ml/a` | changed | 0 | 0 | 18 | 0 |" in limited
        and "| `ml/b` | changed | 0 | 0 | 18 | 0 |" in limited
    )
    assert limited.count("<details>") == 1
    assert "cluster(s) cut to stay under" in limited


def test_markdown_is_never_longer_than_the_limit() -> None:
    changes = scaled(*(f"c{index}" for index in range(40)))
    assert len(format_markdown(changes, state(), compared=40, max_chars=1000)) <= 1000


def test_with_the_raycluster_target_the_raycluster_changes_in_place_and_its_pods_are_kuberays_preview() -> (
    None
):
    def unit_for_kuberay(cluster: dict[str, Any]) -> RenderedUnit:
        key = UnitKey("ml", "a")
        return render_unit(
            Unit(key=key, source="clusters/ml/a.yaml", raycluster=cluster, document=0, target="raycluster"),
            RenderOptions(),
        )

    [change] = diff_states(
        state(unit_for_kuberay(raycluster("a", "ml"))),
        state(unit_for_kuberay(raycluster("a", "ml", image="rayproject/ray:2.54.0"))),
    )
    assert change.named("changed in place") == ("RayCluster ml/a",)
    assert change.named("preview") == ("Pod ml/a-head", *WORKERS)
    assert change.named("recreated") == ()
