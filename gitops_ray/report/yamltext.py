"""YAML text of objects, byte for byte the same on every machine, at libyaml's speed where it can be.

The canonical bytes are those of PyYAML's pure-Python emitter (block style, sorted keys, multi-line strings
as literal blocks, no anchors, no line folding). libyaml's emitter writes the same bytes for ordinary
text and is several times faster, so it is used whenever every string of a document is ordinary: printable
ASCII, tab, newline and the plain letters of the Basic Multilingual Plane, and no string ends in a blank
line (the two emitters end such documents differently). Anything else, and machines without libyaml, take
the pure-Python emitter.

One `YamlWriter` serves one output (a file, a stream): a sub-structure shared by several objects (the
worker Pods of a group share one `spec`) is checked and serialized once. Only Secret values are redacted
(`model.redaction.redact_object`): everything else is written as it is applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from gitops_ray.model.objects import KubeObject
from gitops_ray.model.redaction import redact_object

_ORDINARY = re.compile(r"[\t\n\x20-\x7e\xa1-\u2027\u202a-\ud7ff]*")
_SPLICED_KEY = "spec"  # sorts after apiVersion, kind and metadata: an object's last key


DumperClass = type[Any]  # yaml.SafeDumper or yaml.CSafeDumper (which share no base class in the stubs)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _dumper(base: DumperClass) -> DumperClass:
    class Dumper(base):  # type: ignore[misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True  # shared sub-objects are written out in full, never as YAML anchors

    Dumper.add_representer(str, _represent_str)
    return Dumper


PYTHON_DUMPER = _dumper(yaml.SafeDumper)
C_DUMPER: DumperClass | None = _dumper(yaml.CSafeDumper) if getattr(yaml, "__with_libyaml__", False) else None


def _dump(data: Any, dumper: DumperClass) -> str:
    return yaml.dump(
        data,
        Dumper=dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,
        indent=2,
    )


def ordinary_text(text: str) -> bool:
    """True if both emitters write `text` the same way."""
    if text.endswith("\n\n") or text == "\n":
        return False
    return (text.isascii() and text.isprintable()) or _ORDINARY.fullmatch(text) is not None


def dump_yaml(data: Any, dumper: DumperClass | None = None) -> str:
    """One YAML document, byte-stable; `dumper` forces an emitter (tests compare the two)."""
    if dumper is not None:
        return _dump(data, dumper)
    return YamlWriter().text(data)


class YamlWriter:
    """Serializes the documents of one output; shared sub-structures are handled once (by identity, while
    this writer holds them, so an id is never reused for another object)."""

    def __init__(self) -> None:
        self._ordinary: dict[int, tuple[Any, bool]] = {}
        self._spliced: dict[int, tuple[Any, str]] = {}

    def stream(self, objects: Iterable[KubeObject]) -> str:
        """Objects as one multi-document stream, Secret values redacted."""
        return "".join("---\n" + self.document(obj) for obj in objects)

    def document(self, obj: KubeObject) -> str:
        """One object (Secret values redacted). Its `spec`, when shared with an object written before, is
        serialized once and indented under the rest, which is what a whole-object dump writes too."""
        shown = redact_object(obj)
        spec = shown.get(_SPLICED_KEY)
        if not isinstance(spec, dict) or not spec or any(key > _SPLICED_KEY for key in shown):
            return self.text(shown)
        rest = {key: value for key, value in shown.items() if key != _SPLICED_KEY}
        return self.text(rest) + f"{_SPLICED_KEY}:\n" + self._indented(spec)

    def text(self, data: Any) -> str:
        """`data` as YAML, with libyaml when every string in it is ordinary."""
        if C_DUMPER is not None and self._is_ordinary(data):
            return _dump(data, C_DUMPER)
        return _dump(data, PYTHON_DUMPER)

    def _indented(self, spec: dict[str, Any]) -> str:
        known = self._spliced.get(id(spec))
        if known is None or known[0] is not spec:
            lines = self.text(spec).splitlines(keepends=True)
            known = (spec, "".join(f"  {line}" if line != "\n" else line for line in lines))
            self._spliced[id(spec)] = known
        return known[1]

    def _is_ordinary(self, data: Any) -> bool:
        if isinstance(data, str):
            return ordinary_text(data)
        if not isinstance(data, dict | list):
            return True
        known = self._ordinary.get(id(data))
        if known is not None and known[0] is data:
            return known[1]
        items = data.items() if isinstance(data, dict) else ((None, value) for value in data)
        result = all(
            (key is None or self._is_ordinary(key)) and self._is_ordinary(value) for key, value in items
        )
        self._ordinary[id(data)] = (data, result)
        return result
