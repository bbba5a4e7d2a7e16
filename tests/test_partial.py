"""Which units a `diff --base` renders and diffs, given the files Git says changed (pure)."""

from __future__ import annotations

import pytest
from testkit import raycluster

from gitops_ray.model.units import LoadedFile, Problem, UnitKey
from gitops_ray.source.grouping import group_units
from gitops_ray.source.partial import base_files, keys_to_diff

CONFIGMAP: dict[str, object] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "shared", "namespace": "ns"},
}
A = LoadedFile("a.yaml", (raycluster("a", "ns"),))
B = LoadedFile("b.yaml", (raycluster("b", "ns"),))
B_BIGGER = LoadedFile("b.yaml", (raycluster("b", "ns", workers=5),))
A_WITH_MAP = LoadedFile("a.yaml", (raycluster("a", "ns"), CONFIGMAP))
B_WITH_MAP = LoadedFile("b.yaml", (raycluster("b", "ns"), CONFIGMAP))
C_NAMED_A = LoadedFile("c.yaml", (raycluster("a", "ns"),))
C_AS_B = LoadedFile("c.yaml", (raycluster("b", "ns"),))
BROKEN_B = LoadedFile("b.yaml", problems=(Problem(file="b.yaml", message="invalid YAML"),))


def key(name: str) -> UnitKey:
    return UnitKey("ns", name)


@pytest.mark.parametrize(
    ("base", "proposed", "changed", "expected"),
    [
        pytest.param([A, B], [A, B], set(), set(), id="nothing-changed"),
        pytest.param([A, B], [A, B_BIGGER], {"b.yaml"}, {"b"}, id="one-file-changed"),
        pytest.param([A], [A, B], {"b.yaml"}, {"b"}, id="file-added"),
        pytest.param([A, B], [A], {"b.yaml"}, {"b"}, id="file-deleted"),
        pytest.param([A, B], [A, C_AS_B], {"b.yaml", "c.yaml"}, {"b"}, id="file-moved"),
        pytest.param([A, B], [A, B, C_NAMED_A], {"c.yaml"}, {"a"}, id="new-file-duplicates-an-unchanged-key"),
        # An object two units declare is found after rendering (`review_states`), not from the units.
        pytest.param([A_WITH_MAP, B], [A_WITH_MAP, B_WITH_MAP], {"b.yaml"}, {"b"}, id="object-clash"),
        pytest.param([A, B], [A, BROKEN_B], {"b.yaml"}, {"b"}, id="file-broken"),
        pytest.param([A, B], [A, B], {"b.yaml"}, {"b"}, id="touched-but-same"),
    ],
)
def test_the_keys_to_diff(
    base: list[LoadedFile], proposed: list[LoadedFile], changed: set[str], expected: set[str]
) -> None:
    base_units, _ = group_units(base)
    proposed_units, _ = group_units(proposed)
    assert keys_to_diff(base_units, proposed_units, changed) == {key(name) for name in expected}


UNREADABLE_A = LoadedFile("a.yaml", problems=(Problem(file="a.yaml", message="cannot read file: denied"),))
UNREADABLE_DIR = LoadedFile("d", problems=(Problem(file="d", message="cannot read directory: denied"),))


@pytest.mark.parametrize(
    ("proposed", "base_changed", "changed", "tracked", "expected"),
    [
        pytest.param([A, B_BIGGER], [B], {"b.yaml"}, {"a.yaml", "b.yaml"}, [A, B], id="changed-file"),
        pytest.param([A, C_AS_B], [B], {"b.yaml", "c.yaml"}, {"a.yaml", "b.yaml"}, [A, B], id="moved"),
        pytest.param([B], [A, B], {"a.yaml", "b.yaml"}, {"a.yaml", "b.yaml"}, [A, B], id="deleted"),
        pytest.param([A, B], [], set(), {"a.yaml", "b.yaml"}, [A, B], id="unchanged"),
        pytest.param([A, B], [], set(), {"a.yaml"}, None, id="a-file-git-did-not-report"),
        pytest.param([UNREADABLE_A], [], set(), {"a.yaml"}, None, id="unreadable-unchanged-file"),
        pytest.param([A, UNREADABLE_DIR], [], set(), {"a.yaml"}, None, id="unreadable-directory"),
        pytest.param([A], [B], set(), {"a.yaml", "b.yaml"}, None, id="an-export-of-an-unchanged-file"),
    ],
)
def test_the_base_files(
    proposed: list[LoadedFile],
    base_changed: list[LoadedFile],
    changed: set[str],
    tracked: set[str],
    expected: list[LoadedFile] | None,
) -> None:
    assert base_files(proposed, base_changed, changed, tracked) == expected
