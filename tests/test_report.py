"""Report files for people: `rendered/` and `drift/`, deterministic and with every secret redacted."""

from __future__ import annotations

import json

from gitops_ray.redaction import redact_object as redact
from gitops_ray.report import dump_yaml, output_files, rendered_file, yaml_stream
from gitops_ray.units import DesiredState, Problem, RenderedUnit, UnitKey

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


def test_literal_credentials_in_env_and_ray_start_flags_are_redacted() -> None:
    container = {
        "args": ["ulimit -n 65536; ray start --head  --redis-password=hunter2  --block "],
        "env": [
            {"name": "REDIS_PASSWORD", "value": "hunter2"},
            {"name": "AUTH_TOKEN", "value": "$TOKEN"},
            {"name": "RAY_PORT", "value": "6379"},
        ],
    }
    redacted = redact({"kind": "Pod", "spec": {"containers": [container]}})["spec"]["containers"][0]
    assert redacted == {
        "args": ["ulimit -n 65536; ray start --head  --redis-password=<redacted>  --block "],
        "env": [
            {"name": "REDIS_PASSWORD", "value": "<redacted>"},
            {"name": "AUTH_TOKEN", "value": "$TOKEN"},
            {"name": "RAY_PORT", "value": "6379"},
        ],
    }


def test_a_redis_password_ray_start_param_is_redacted_but_a_variable_reference_is_not() -> None:
    params = {"redis-password": "hunter2", "port": "6379"}
    assert redact({"kind": "RayCluster", "spec": {"p": params}})["spec"]["p"] == {
        "redis-password": "<redacted>",
        "port": "6379",
    }
    assert redact({"kind": "X", "p": {"redis-password": "$REDIS_PASSWORD"}})["p"]["redis-password"] == (
        "$REDIS_PASSWORD"
    )


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
