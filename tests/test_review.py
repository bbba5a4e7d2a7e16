"""Review diffs: what a change does to the rendered objects, per cluster, as text or a PR comment."""

from __future__ import annotations

from typing import Any

from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.report.review import diff_states, format_markdown, format_text


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


def test_text_format_is_the_concatenated_diffs() -> None:
    changes = diff_states(state(), state(unit("a", pod("a-head")), unit("b", pod("b-head"))))
    text = format_text(changes)
    assert text.count("+++ b/rendered/ml/") == 2 and text.endswith("\n")


def test_markdown_lists_problems_first_then_a_table_and_folded_diffs() -> None:
    problem = Problem(file="clusters/ml/b.yaml", message="invalid YAML at line 1, column 1: x")
    proposed = DesiredState(units=(unit("a", pod("a-head", "ray:2.53.0")),), broken_sources=(problem,))
    markdown = format_markdown(diff_states(state(unit("a", pod("a-head"))), proposed), proposed)
    assert markdown.splitlines()[:9] == [
        "## gitops-ray: rendered changes",
        "",
        "**1 problem(s) in this change** (these clusters are not applied):",
        "",
        "- clusters/ml/b.yaml: invalid YAML at line 1, column 1: x",
        "",
        "| cluster | change | objects |",
        "|---|---|---|",
        "| `ml/a` | changed | 1 changed |",
    ]
    assert "<details><summary><code>ml/a</code> (changed)</summary>" in markdown
    assert "```diff\n--- a/rendered/ml/a.yaml" in markdown


def test_markdown_without_changes_says_so() -> None:
    assert format_markdown([], state()).endswith("No rendered object changes.\n")
