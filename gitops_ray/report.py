"""Report: the files gitops-ray writes for people: `rendered/` (every object, for PR review) and `drift/`.

Pure and deterministic: same input, same bytes, on every machine (sorted keys, no timestamps), so an
unchanged world makes no commit. Secret values never leave this module unredacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from gitops_ray.drift import UnitDrift, drift_summary
from gitops_ray.objects import KubeObject, sort_key
from gitops_ray.units import DesiredState, RenderedUnit, UnitKey

REDACTED = "<redacted>"
# Env vars whose literal values are credentials; a `$VAR` or valueFrom reference is not a secret.
SENSITIVE_ENV_NAME = re.compile(
    r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|API_?KEY|PRIVATE_?KEY", re.IGNORECASE
)
# `--redis-password=<literal>` in a generated `ray start` line (KubeRay copies rayStartParams verbatim).
SECRET_FLAG = re.compile(r"(--redis-password=)(?!\$)[^\s'\"]+")
SECRET_PARAMS = frozenset({"redis-password"})
RENDERED_HEADER = "# Rendered by gitops-ray from "
SECRET_VALUE_FIELDS = ("data", "stringData")


class _Dumper(yaml.SafeDumper):
    """Block style, sorted keys, multi-line strings as literal blocks (readable in diffs)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # shared sub-objects are written out in full, never as YAML anchors


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(obj: Any) -> str:
    """One YAML document, byte-stable (sorted keys, no line folding, UTF-8 kept as is)."""
    return yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,
        indent=2,
    )


def _redact_value(value: Any) -> Any:
    """Credentials inside any object: literal env values of sensitive names, `--redis-password=` flags,
    `redis-password` rayStartParams (all of which KubeRay would copy into Pods verbatim)."""
    if isinstance(value, str):
        return SECRET_FLAG.sub(rf"\g<1>{REDACTED}", value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    redacted = {key: _redact_value(item) for key, item in value.items()}
    name = value.get("name")
    literal = value.get("value")
    credential = isinstance(name, str) and bool(SENSITIVE_ENV_NAME.search(name))
    if credential and isinstance(literal, str) and literal and not literal.startswith("$"):
        redacted["value"] = REDACTED
    for key in SECRET_PARAMS & value.keys():
        if isinstance(value[key], str) and not value[key].startswith("$"):
            redacted[key] = REDACTED
    return redacted


def redact(obj: KubeObject) -> KubeObject:
    """A copy safe to show people: Secret values replaced by `<redacted>` (keys kept, so reviewers see
    what exists) and literal credentials elsewhere redacted too."""
    redacted: KubeObject = _redact_value(obj)
    if obj.get("kind") == "Secret":
        for field in SECRET_VALUE_FIELDS:
            values = redacted.get(field)
            if isinstance(values, dict):
                redacted[field] = {key: REDACTED for key in values}
    return redacted


def yaml_stream(objects: Iterable[KubeObject]) -> str:
    """Objects as one multi-document YAML stream, Secret values redacted."""
    return "".join("---\n" + dump_yaml(redact(obj)) for obj in objects)


def all_objects(state: DesiredState) -> list[KubeObject]:
    """Every rendered object: by namespace, unit, then kind order and name (what `render` prints)."""
    found: list[KubeObject] = []
    for unit in sorted(state.units, key=lambda u: u.key):
        found.extend(sorted([*unit.objects, *unit.preview], key=sort_key))
    return found


def rendered_file(unit: RenderedUnit) -> str:
    """`rendered/<namespace>/<cluster>.yaml`: a header naming the source, then the objects."""
    lines = [f"{RENDERED_HEADER}{unit.source} (target: {unit.target}). Edit the source, not this file."]
    if not unit.ok:
        lines.append("# NOT RENDERED: the source has problems (see the drift report):")
        lines.extend(f"#   {problem}" for problem in unit.problems)
        return "\n".join(lines) + "\n"
    text = "\n".join(lines) + "\n" + yaml_stream(sorted(unit.objects, key=sort_key))
    if unit.preview:
        text += "# Preview: what the KubeRay operator will create from the RayCluster above (not applied).\n"
        text += yaml_stream(sorted(unit.preview, key=sort_key))
    return text


def rendered_path(rendered_dir: str, key: UnitKey) -> str:
    return f"{rendered_dir}/{key.namespace}/{key.name}.yaml"


def rendered_files(state: DesiredState, rendered_dir: str = "rendered") -> dict[str, bytes]:
    """Every file under the rendered dir, by repo-relative path."""
    return {rendered_path(rendered_dir, unit.key): rendered_file(unit).encode() for unit in state.units}


def json_bytes(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def output_files(
    state: DesiredState,
    drift: Mapping[UnitKey, UnitDrift] | None = None,
    *,
    rendered_dir: str = "rendered",
    drift_dir: str = "drift",
) -> dict[str, bytes]:
    """Every file that should exist under the rendered and drift dirs after a cycle (repo-relative).

    Without `drift` (no cluster was compared, e.g. `--no-apply`), drift reports still list each unit's
    problems, so a broken file always shows up on the Git host.
    """
    files = rendered_files(state, rendered_dir)
    reports: list[UnitDrift] = []
    for unit in state.units:
        report = (drift or {}).get(unit.key) or UnitDrift(
            key=unit.key, source=unit.source, objects=(), health=None, problems=unit.problems
        )
        reports.append(report)
        files[f"{drift_dir}/{unit.key.namespace}/{unit.key.name}.md"] = report.to_markdown().encode()
    summary = drift_summary(reports)
    summary["compared_with_cluster"] = drift is not None
    summary["broken_sources"] = [problem.as_dict() for problem in state.broken_sources]
    files[f"{drift_dir}/summary.json"] = json_bytes(summary)
    if state.broken_sources:
        lines = ["# Files gitops-ray could not read", "", *(f"- {p}" for p in state.broken_sources), ""]
        files[f"{drift_dir}/broken-sources.md"] = "\n".join(lines).encode()
    return files
