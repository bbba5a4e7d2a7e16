"""Loading: YAML files found and parsed safely, one result per file, every problem located."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ray.model.units import LoadedFile, Problem
from gitops_ray.source import load
from gitops_ray.source.load import MAX_EXPANDED_NODES, load_file, load_tree, parse_documents


def test_documents_of_a_stream_are_returned_in_order_without_empty_ones() -> None:
    data = b"---\napiVersion: v1\nkind: ConfigMap\n---\n---\napiVersion: v1\nkind: Secret\n"
    loaded = parse_documents("a.yaml", data)
    assert loaded == LoadedFile(
        path="a.yaml",
        documents=({"apiVersion": "v1", "kind": "ConfigMap"}, {"apiVersion": "v1", "kind": "Secret"}),
    )


def test_timestamps_stay_strings_as_kubectl_reads_them() -> None:
    loaded = parse_documents("a.yaml", b"metadata:\n  annotations:\n    created: 2024-01-02\n")
    assert loaded.documents[0]["metadata"]["annotations"]["created"] == "2024-01-02"


def test_a_duplicate_key_is_an_error_with_its_line() -> None:
    loaded = parse_documents("a.yaml", b"kind: Pod\nmetadata:\n  name: a\n  name: b\n")
    assert loaded.problems == (
        Problem(
            file="a.yaml",
            document=0,
            message="invalid YAML at line 4, column 3: duplicate key 'name' (while constructing a mapping)",
        ),
    )


def test_a_syntax_error_names_the_line_and_document() -> None:
    loaded = parse_documents("a.yaml", b"kind: Pod\n---\nkind: [unclosed\n")
    assert loaded.documents == ()
    assert loaded.problems[0].document == 1
    assert loaded.problems[0].message.startswith("invalid YAML at line 4")


def test_an_alias_bomb_is_rejected_before_it_expands() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 9):
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [{', '.join(['*' + chr(96 + level)] * 10)}]\n"
    loaded = parse_documents("bomb.yaml", bomb.encode())
    assert loaded.problems == (
        Problem(
            file="bomb.yaml",
            document=0,
            message=f"document expands to more than {MAX_EXPANDED_NODES} nodes through YAML aliases",
        ),
    )


def test_modest_anchors_and_merge_keys_are_allowed() -> None:
    data = b"base: &base {image: ray:2.53.0}\nhead: {<<: *base, name: head}\n"
    assert parse_documents("a.yaml", data).documents == (
        {"base": {"image": "ray:2.53.0"}, "head": {"image": "ray:2.53.0", "name": "head"}},
    )


def test_python_tags_are_refused() -> None:
    loaded = parse_documents("a.yaml", b"x: !!python/object/apply:os.system ['true']\n")
    assert loaded.problems and "could not determine a constructor" in loaded.problems[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"x" * 11, "file is 11 bytes, over the limit of 10", id="too-big"),
        pytest.param(b"a\0b", "binary file (contains NUL bytes)", id="binary"),
        pytest.param(b"\xff\xfe", "not UTF-8 text (byte 0)", id="not-utf8"),
        pytest.param(
            b"- a\n- b\n", "a document must be a mapping (a Kubernetes object), got list", id="not-a-map"
        ),
    ],
)
def test_unusable_files_are_reported_not_parsed(data: bytes, message: str) -> None:
    problems = parse_documents("f.yaml", data, max_bytes=10).problems
    assert [p.message for p in problems] == [message]


def test_tree_walk_finds_yaml_sorted_and_skips_outputs_hidden_and_config(tmp_path: Path) -> None:
    for relative in [
        "clusters/b/x.yml",
        "clusters/a/y.yaml",
        "clusters/a/notes.txt",
        "rendered/a/y.yaml",
        ".github/workflow.yaml",
        "gitops-ray.yaml",
    ]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("kind: ConfigMap\n")
    loaded = load_tree(tmp_path, ".", skip_dirs=("rendered",), skip_files=("gitops-ray.yaml",))
    assert [f.path for f in loaded] == ["clusters/a/y.yaml", "clusters/b/x.yml"]


def test_a_symlink_leaving_the_repository_is_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: Secret\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "leak.yaml").symlink_to(outside)
    (repo / "inside.yaml").write_text("kind: ConfigMap\n")
    (repo / "alias.yaml").symlink_to(repo / "inside.yaml")
    loaded = load_tree(repo)
    assert [(f.path, [p.message for p in f.problems]) for f in loaded] == [
        ("alias.yaml", []),
        ("inside.yaml", []),
        ("leak.yaml", ["symbolic link leads outside the repository; not followed"]),
    ]


def test_a_directory_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.yaml").write_text("kind: ConfigMap\n")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    assert [f.path for f in load_tree(tmp_path)] == ["a/x.yaml"]


def test_a_sub_path_outside_the_repository_is_refused(tmp_path: Path) -> None:
    assert load_tree(tmp_path, "../elsewhere")[0].problems[0].message == "path leaves the repository"


LIBYAML_CASES = [
    "a: 2026-01-01\nb: yes\nc: 0o17\nd: 010\ne: 1e3\nf: .inf\ng: ~\nh: !!str 12\n",
    "x: &a {k: 1}\ny: *a\nz:\n  <<: *a\n  m: 2\n",
    "\ufeffa: 1\n---\nb: [1, {c: d}]\n---\n",
    "a: |\n  literal\n  text\nb: >\n  folded\n  text\n",
    "a: b: c\n",
    "a: 1\na: 2\n",
    "key: 'unterminated\n",
    "- not\n- a mapping\n",
]


@pytest.mark.parametrize("text", LIBYAML_CASES)
def test_libyaml_and_the_pure_python_loader_give_the_same_result(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = parse_documents("a.yaml", text.encode())
    monkeypatch.setattr(load, "_FastLoader", None)
    assert fast == parse_documents("a.yaml", text.encode())


def test_a_file_libyaml_cannot_load_is_reported_in_the_pure_python_loaders_words() -> None:
    assert parse_documents("a.yaml", b"a: b: c\n").problems == (
        Problem(
            file="a.yaml",
            document=0,
            message="invalid YAML at line 1, column 5: mapping values are not allowed here",
        ),
    )


def test_a_file_named_on_its_own_is_parsed_under_the_name_given(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("kind: ConfigMap\n")
    assert load_file("clusters/ml/x.yaml", tmp_path / "x.yaml") == LoadedFile(
        path="clusters/ml/x.yaml", documents=({"kind": "ConfigMap"},)
    )


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("x" * 11)
    assert load_file("x.yaml", tmp_path / "x.yaml", max_bytes=10).problems == (
        Problem(file="x.yaml", message="file is 11 bytes, over the limit of 10"),
    )


def test_a_file_that_cannot_be_read_is_its_problem(tmp_path: Path) -> None:
    assert load_file("x.yaml", tmp_path).problems == (
        Problem(file="x.yaml", message="cannot read file: Is a directory"),
    )
