"""Report: the files gitops-ray writes for people: `rendered/` (every object, for PR review) and `drift/`.

Pure and deterministic: same input, same bytes, on every machine (sorted keys, no timestamps), so an
unchanged world makes no commit. Secret values never leave this module unredacted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from gitops_ray.drift import UnitDrift, drift_summary
from gitops_ray.objects import KubeObject, sort_key
from gitops_ray.redaction import redact_object
from gitops_ray.units import DesiredState, RenderedUnit, UnitKey

RENDERED_HEADER = "# Rendered by gitops-ray from "


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


def yaml_stream(objects: Iterable[KubeObject]) -> str:
    """Objects as one multi-document YAML stream, Secret values redacted."""
    return "".join("---\n" + dump_yaml(redact_object(obj)) for obj in objects)


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
