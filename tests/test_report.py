"""Report files for people: `rendered/` and `drift/`, deterministic and with every secret redacted."""

from __future__ import annotations

import json

import urllib3

from gitops_ray.edge.kube.errors import unreachable_error
from gitops_ray.model.redaction import redact_object as redact
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.report.files import output_files, rendered_file, yaml_stream
from gitops_ray.report.yamltext import dump_yaml

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a-head", "namespace": "ml"}}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "redis", "namespace": "ml"},
    "data": {"password": "aHVudGVyMg=="},
    "stringData": {"user": "admin"},
}


def test_yaml_sorts_keys_and_writes_scripts_as_literal_blocks() -> None:
    assert dump_yaml({"b": "line1\nline2\n", "a": 1}) == "a: 1\nb: |\n  line1\n  line2\n"


def test_shared_sub_objects_are_written_in_full_never_as_anchors() -> None:
    spec = {"containers": [{"name": "ray"}]}
    text = yaml_stream([{"kind": "Pod", "spec": spec}, {"kind": "Pod", "spec": spec}])
    assert "&" not in text and "*" not in text
    assert text.count("- name: ray") == 2


def test_secret_values_are_redacted_and_keys_kept() -> None:
    assert redact(SECRET)["data"] == {"password": "<redacted>"}
    assert redact(SECRET)["stringData"] == {"user": "<redacted>"}


def test_rendered_output_shows_everything_but_secret_values_as_it_is_applied() -> None:
    container = {
        "args": ["ulimit -n 65536; ray start --head  --redis-password=hunter2  --block "],
        "env": [
            {"name": "REDIS_PASSWORD", "value": "hunter2"},
            {"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "true"},
        ],
    }
    pod = {"kind": "Pod", "spec": {"containers": [container]}}
    assert redact(pod) == pod
    assert yaml_stream([pod]) == (
        "---\nkind: Pod\nspec:\n  containers:\n"
        "  - args:\n"
        "    - 'ulimit -n 65536; ray start --head  --redis-password=hunter2  --block '\n"
        "    env:\n"
        "    - name: REDIS_PASSWORD\n      value: hunter2\n"
        "    - name: RAY_ENABLE_K8S_TOKEN_AUTH\n      value: 'true'\n"
    )


def test_a_redis_password_ray_start_param_is_rendered_as_written() -> None:
    cluster = {"kind": "RayCluster", "spec": {"p": {"redis-password": "hunter2", "port": "6379"}}}
    assert redact(cluster) == cluster


def test_rendered_file_names_its_source_and_lists_objects() -> None:
    unit = RenderedUnit(key=UnitKey("ml", "a"), source="clusters/ml/a.yaml", objects=(POD,))
    assert rendered_file(unit) == (
        "# Rendered by gitops-ray from clusters/ml/a.yaml (target: pods). Edit the source, not this file.\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a-head\n  namespace: ml\n"
    )


def test_a_unit_with_problems_gets_a_rendered_file_that_says_why() -> None:
    problem = Problem(
        file="clusters/ml/a.yaml", document=0, object="RayCluster ml/a", field="spec", message="bad"
    )
    unit = RenderedUnit(key=UnitKey("ml", "a"), source="clusters/ml/a.yaml", problems=(problem,))
    assert rendered_file(unit).splitlines()[1:] == [
        "# NOT RENDERED: the source has problems (see the drift report):",
        "#   clusters/ml/a.yaml: document 0 (RayCluster ml/a): spec: bad",
    ]


def test_output_files_cover_rendered_drift_and_summary_without_a_cluster() -> None:
    state = DesiredState(
        units=(RenderedUnit(key=UnitKey("ml", "a"), source="clusters/ml/a.yaml", objects=(POD,)),),
        broken_sources=(Problem(file="clusters/ml/b.yaml", message="invalid YAML at line 1, column 1: x"),),
    )
    files = output_files(state, rendered_dir="out/rendered", drift_dir="out/drift")
    assert sorted(files) == [
        "out/drift/broken-sources.md",
        "out/drift/ml/a.md",
        "out/drift/summary.json",
        "out/rendered/ml/a.yaml",
    ]
    summary = json.loads(files["out/drift/summary.json"])
    assert (summary["compared_with_cluster"], summary["unknown"]) == (False, 1)
    assert summary["broken_sources"] == [
        {
            "file": "clusters/ml/b.yaml",
            "document": None,
            "object": "",
            "field": "",
            "message": "invalid YAML at line 1, column 1: x",
        }
    ]


def test_output_files_are_byte_identical_for_the_same_state() -> None:
    state = DesiredState(
        units=(RenderedUnit(key=UnitKey("ml", "a"), source="a.yaml", objects=(POD, SECRET)),)
    )
    assert output_files(state) == output_files(state)
    assert b"aHVudGVyMg" not in output_files(state)["rendered/ml/a.yaml"]


# --- error texts are stable ---------------------------------------------------------------------------


def failed(message: str) -> dict[UnitKey, UnitDrift]:
    """The drift of unit ml/a when the cycle could not reach the cluster (as the sync reports it)."""
    problem = Problem("clusters/ml/a.yaml", message, object="unit ml/a")
    return {UnitKey("ml", "a"): UnitDrift(UnitKey("ml", "a"), "clusters/ml/a.yaml", (), None, (problem,))}


ONE_UNIT = DesiredState(
    units=(RenderedUnit(key=UnitKey("ml", "a"), source="clusters/ml/a.yaml", objects=(POD,)),)
)


def test_drift_files_never_carry_memory_addresses() -> None:
    message = "list Pod: <urllib3.connection.HTTPSConnection object at 0x7f65a1b2c3d0>: Failed to connect"
    files = output_files(ONE_UNIT, failed(message))
    assert files["drift/ml/a.md"].decode().splitlines()[-1] == (
        "- clusters/ml/a.yaml (unit ml/a): list Pod: <urllib3.connection.HTTPSConnection object>: "
        "Failed to connect"
    )
    assert b"0x7f65a1b2c3d0" not in files["drift/summary.json"]


def test_two_failures_of_the_same_cause_give_byte_identical_drift_files() -> None:
    def refused() -> Exception:
        connection = object()  # a new connection object, at a new address, each attempt
        cause = ConnectionRefusedError(111, "Connection refused")
        error = urllib3.exceptions.NewConnectionError(connection, f"{connection}: Failed: {cause}")
        error.__cause__ = cause
        return urllib3.exceptions.MaxRetryError(None, "/api/v1/pods", error)

    first, second = (str(unreachable_error("list Pod", "in namespace ml", refused())) for _ in range(2))
    assert output_files(ONE_UNIT, failed(first)) == output_files(ONE_UNIT, failed(second))


# --- held clusters ------------------------------------------------------------------------------------

RENDERED_B = (
    b"# Rendered by gitops-ray from clusters/ml/b.yaml (target: pods). Edit the source, not this file.\n"
    b"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b-head\n  namespace: ml\n"
)
HELD_B = (
    b"# HELD: not in the source while 1 file is broken (clusters/ml/b.yaml); the cluster is not pruned. "
    b"Last rendered content below.\n" + RENDERED_B
)
B_IS_BROKEN = DesiredState(
    units=ONE_UNIT.units,
    broken_sources=(Problem(file="clusters/ml/b.yaml", message="invalid YAML at line 3, column 1: x"),),
)
PREVIOUS = {
    "rendered/ml/a.yaml": output_files(ONE_UNIT)["rendered/ml/a.yaml"],
    "rendered/ml/b.yaml": RENDERED_B,
}


def test_a_cluster_whose_file_broke_keeps_its_last_rendered_file_marked_held() -> None:
    assert output_files(B_IS_BROKEN, previous=PREVIOUS)["rendered/ml/b.yaml"] == HELD_B


def test_holding_again_gives_the_same_bytes() -> None:
    again = {**PREVIOUS, "rendered/ml/b.yaml": HELD_B}
    assert output_files(B_IS_BROKEN, previous=again)["rendered/ml/b.yaml"] == HELD_B


def test_a_held_cluster_has_a_drift_file_that_says_held_and_why() -> None:
    assert output_files(B_IS_BROKEN, previous=PREVIOUS)["drift/ml/b.md"].decode() == (
        "# Drift: ml/b\n"
        "\n"
        "Source: `clusters/ml/b.yaml`\n"
        "\n"
        "**Status: held**\n"
        "\n"
        "Not in the source while 1 file is broken (clusters/ml/b.yaml); the cluster is not pruned. "
        "`rendered/ml/b.yaml` keeps its last rendered content.\n"
    )


def test_the_summary_counts_and_lists_held_clusters() -> None:
    summary = json.loads(output_files(B_IS_BROKEN, previous=PREVIOUS)["drift/summary.json"])
    assert (summary["clusters"], summary["held"], summary["unknown"]) == (2, 1, 1)
    assert summary["units"][1] == {
        "cluster": "ml/b",
        "source": "clusters/ml/b.yaml",
        "status": "held",
        "counts": {},
        "reason": "not in the source while 1 file is broken (clusters/ml/b.yaml); the cluster is not pruned",
    }


def test_a_unit_with_problems_also_holds_the_clusters_that_left() -> None:
    invalid = Problem("clusters/ml/a.yaml", "bad", document=0, object="RayCluster ml/a", field="spec")
    state = DesiredState(units=(RenderedUnit(UnitKey("ml", "a"), "clusters/ml/a.yaml", problems=(invalid,)),))
    assert output_files(state, previous=PREVIOUS)["rendered/ml/b.yaml"].splitlines()[0] == (
        b"# HELD: not in the source while 1 file is broken (clusters/ml/a.yaml); the cluster is not pruned. "
        b"Last rendered content below."
    )


def test_once_the_source_is_whole_again_the_files_of_clusters_that_left_go() -> None:
    files = output_files(ONE_UNIT, previous={**PREVIOUS, "rendered/ml/b.yaml": HELD_B})
    assert sorted(files) == ["drift/ml/a.md", "drift/summary.json", "rendered/ml/a.yaml"]
    assert json.loads(files["drift/summary.json"])["held"] == 0


def test_a_source_that_yields_no_cluster_holds_them_all_unless_empty_prunes_are_allowed() -> None:
    held = output_files(DesiredState(), previous=PREVIOUS)
    pruned = output_files(DesiredState(), previous=PREVIOUS, allow_empty_prune=True)
    assert [held[name].splitlines()[0] for name in sorted(held) if name.startswith("rendered/")] == [
        b"# HELD: the source yields no clusters; the cluster is not pruned unless empty prunes are allowed. "
        b"Last rendered content below.",
    ] * 2
    assert sorted(pruned) == ["drift/summary.json"]


def test_only_unit_files_of_the_rendered_dir_are_held() -> None:
    previous = {
        "rendered/README.md": b"notes\n",
        "rendered/ml/deep/x.yaml": b"x\n",
        "other/ml/c.yaml": b"c\n",
    }
    assert sorted(output_files(B_IS_BROKEN, previous=previous)) == [
        "drift/broken-sources.md",
        "drift/ml/a.md",
        "drift/summary.json",
        "rendered/ml/a.yaml",
    ]
