"""YAML text: libyaml and the pure-Python emitter write the same bytes, shared specs are written once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_ray.report import yamltext
from gitops_ray.report.files import yaml_stream
from gitops_ray.report.yamltext import C_DUMPER, PYTHON_DUMPER, YamlWriter, dump_yaml, ordinary_text

GOLDEN = Path(__file__).resolve().parent / "render" / "golden"
needs_libyaml = pytest.mark.skipif(C_DUMPER is None, reason="PyYAML was built without libyaml here")

TEXTS = [
    "",
    " leading",
    "trailing ",
    "a\tb",
    "line1\nline2",
    "line1\nline2\n",
    "yes",
    "1.0",
    "- a",
    "a: b",
    "#x",
    "'quoted'",
    "{a}",
    "*alias",
    "ünïcødé 日本",
    "x" * 300,
    "\n\t\t\tSECONDS=0\n\t\t\twhile true; do\n",
    "emoji 😀",
    "line\n\n",
    "\n",
    "carriage\rreturn",
    "next\x85line",
    "sep\u2028line",
    "\ufeffbom",
    "bell\x07",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_text_is_written_as_the_pure_python_emitter_writes_it(text: str) -> None:
    for document in ({"k": text}, [text], {text or "empty": 1}, {"k": {"n": [text, 1]}}):
        assert dump_yaml(document) == dump_yaml(document, PYTHON_DUMPER)


@needs_libyaml
@pytest.mark.parametrize("text", [text for text in TEXTS if ordinary_text(text)])
def test_both_emitters_write_ordinary_text_alike(text: str) -> None:
    for document in ({"k": text}, [text], {text or "empty": 1}, {"k": {"n": [text, 1]}}):
        assert dump_yaml(document, C_DUMPER) == dump_yaml(document, PYTHON_DUMPER)


@pytest.mark.parametrize(
    ("text", "ordinary"),
    [("plain", True), ("two\nlines\n", True), ("日本", True), ("😀", False), ("a\n\n", False), ("\r", False)],
)
def test_ordinary_text(text: str, ordinary: bool) -> None:
    assert ordinary_text(text) is ordinary


@pytest.mark.parametrize("golden", sorted(path.name for path in GOLDEN.glob("*.yaml")))
def test_the_pure_python_emitter_writes_the_golden_files_byte_for_byte(
    golden: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (GOLDEN / golden).read_text()
    monkeypatch.setattr(yamltext, "C_DUMPER", None)
    assert yaml_stream(doc for doc in yaml.safe_load_all(text) if doc) == text


POD_SPEC = {"containers": [{"name": "ray", "args": ["first\n\n  indented\nlast"], "image": "ray:2"}]}


def pod(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": POD_SPEC}


def test_a_shared_spec_is_written_as_a_whole_object_dump_writes_it() -> None:
    writer = YamlWriter()
    first, second = writer.document(pod("w-0")), writer.document(pod("w-1"))
    assert first == dump_yaml(pod("w-0"), PYTHON_DUMPER)
    assert second == dump_yaml(pod("w-1"), PYTHON_DUMPER)


def test_a_shared_spec_is_serialized_once_per_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    dumped: list[object] = []
    real = yamltext._dump

    def counting(data: object, dumper: yamltext.DumperClass) -> str:
        dumped.append(data)
        return real(data, dumper)

    monkeypatch.setattr(yamltext, "_dump", counting)
    YamlWriter().stream(pod(f"w-{index}") for index in range(30))
    assert sum(1 for data in dumped if data == POD_SPEC) == 1
