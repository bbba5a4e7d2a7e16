"""Report: the files gitops-ray writes for people: `rendered/` (every object, for PR review) and `drift/`.

Pure and deterministic: same input, same bytes, on every machine (sorted keys, no timestamps), so an
unchanged world makes no commit. Secret values never leave this module unredacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_ray.model.objects import KubeObject, sort_key
from gitops_ray.model.units import DesiredState, RenderedUnit, UnitKey
from gitops_ray.observe.drift import UnitDrift, drift_summary
from gitops_ray.report.markdown import drift_markdown, held_markdown
from gitops_ray.report.yamltext import YamlWriter
from gitops_ray.source.render_cache import RenderCache

RENDERED_HEADER = "# Rendered by gitops-ray from "


def yaml_stream(objects: Iterable[KubeObject]) -> str:
    """Objects as one multi-document YAML stream, Secret values redacted."""
    return YamlWriter().stream(objects)


def rendered_file(unit: RenderedUnit) -> str:
    """`rendered/<namespace>/<cluster>.yaml`: a header naming the source, then the objects."""
    lines = [f"{RENDERED_HEADER}{unit.source} (target: {unit.target}). Edit the source, not this file."]
    if not unit.ok:
        lines.append("# NOT RENDERED: the source has problems (see the drift report):")
        lines.extend(f"#   {problem}" for problem in unit.problems)
        return "\n".join(lines) + "\n"
    writer = YamlWriter()
    text = "\n".join(lines) + "\n" + writer.stream(sorted(unit.objects, key=sort_key))
    if unit.preview:
        text += "# Preview: what the KubeRay operator will create from the RayCluster above (not applied).\n"
        text += writer.stream(sorted(unit.preview, key=sort_key))
    return text


def rendered_path(rendered_dir: str, key: UnitKey) -> str:
    return f"{rendered_dir}/{key.namespace}/{key.name}.yaml"


class OutputFiles(Mapping[str, bytes]):
    """Output files by repo-relative path. A rendered file's bytes are made when read (from the cache when
    it holds the unit's text), so a repository's rendered/ is never held whole in memory: at a thousand
    clusters it is over 100 MB. `other` are files given as bytes (drift reports, held files)."""

    def __init__(
        self, rendered: Mapping[str, RenderedUnit], cache: RenderCache | None, other: Mapping[str, bytes]
    ) -> None:
        self._rendered = {path: unit for path, unit in rendered.items() if path not in other}
        self._cache = cache
        self._other = other

    def __getitem__(self, path: str) -> bytes:
        unit = self._rendered.get(path)
        return self._other[path] if unit is None else cached_file(unit, self._cache).encode()

    def __iter__(self) -> Iterator[str]:
        yield from self._rendered
        yield from self._other

    def __len__(self) -> int:
        return len(self._rendered) + len(self._other)


def rendered_files(
    state: DesiredState, rendered_dir: str = "rendered", cache: RenderCache | None = None
) -> Mapping[str, bytes]:
    """Every file under the rendered dir, by repo-relative path; a unit `cache` knows by its content key
    is not serialized again."""
    return OutputFiles(_rendered_units(state, rendered_dir), cache, {})


def _rendered_units(state: DesiredState, rendered_dir: str) -> dict[str, RenderedUnit]:
    return {rendered_path(rendered_dir, unit.key): unit for unit in state.units}


def _cached(cache: RenderCache | None, unit: RenderedUnit, suffix: str, write: Callable[[], str]) -> str:
    """`write()`, or the text `cache` holds for the unit's content key (+ `suffix`), stored when new."""
    if cache is None or not unit.content_key:
        return write()
    key = unit.content_key + suffix
    text = cache.text(key)
    if text is None:
        text = write()
        cache.store_text(key, text)
    return text


def unit_stream(unit: RenderedUnit, cache: RenderCache | None = None) -> str:
    """The unit's objects and preview as one YAML stream, as `render` prints them (from `cache` when it
    holds the text for the unit's content key)."""
    return _cached(
        cache, unit, "-stream", lambda: yaml_stream(sorted([*unit.objects, *unit.preview], key=sort_key))
    )


def cached_file(unit: RenderedUnit, cache: RenderCache | None) -> str:
    """`rendered_file(unit)`, from `cache` when it holds the text for the unit's content key."""
    return _cached(cache, unit, "", lambda: rendered_file(unit))


def json_bytes(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def output_files(
    state: DesiredState,
    drift: Mapping[UnitKey, UnitDrift] | None = None,
    *,
    rendered_dir: str = "rendered",
    drift_dir: str = "drift",
    previous: Mapping[str, bytes] | None = None,
    allow_empty_prune: bool = False,
    cache: RenderCache | None = None,
) -> Mapping[str, bytes]:
    """Every file that should exist under the rendered and drift dirs after a cycle (repo-relative).

    Without `drift` (no cluster was compared, e.g. `--no-apply`), drift reports still list each unit's
    problems, so a broken file always shows up on the Git host. `previous` are the rendered files of the
    last commit: while the source is not whole, clusters that left it are held (not pruned), so their files
    stay, marked HELD (see `held_units`).
    """
    files: dict[str, bytes] = {}
    reports: list[UnitDrift] = []
    for unit in state.units:
        report = (drift or {}).get(unit.key) or UnitDrift(
            key=unit.key, source=unit.source, objects=(), health=None, problems=unit.problems
        )
        reports.append(report)
        files[f"{drift_dir}/{unit.key.namespace}/{unit.key.name}.md"] = drift_markdown(report).encode()
    held = held_units(state, previous or {}, rendered_dir, allow_empty_prune)
    for kept in held:
        path = rendered_path(rendered_dir, kept.key)
        files[path] = f"{HELD_PREFIX}{kept.reason}. Last rendered content below.\n".encode() + kept.content
        files[f"{drift_dir}/{kept.key.namespace}/{kept.key.name}.md"] = held_markdown(
            kept.key, kept.source, kept.reason, path
        ).encode()
    summary = with_held(drift_summary(reports), held)
    summary["compared_with_cluster"] = drift is not None
    summary["broken_sources"] = [problem.as_dict() for problem in state.broken_sources]
    files[f"{drift_dir}/summary.json"] = json_bytes(summary)
    if state.broken_sources:
        lines = ["# Files gitops-ray could not read", "", *(f"- {p}" for p in state.broken_sources), ""]
        files[f"{drift_dir}/broken-sources.md"] = "\n".join(lines).encode()
    other = {
        name: without_addresses(content) if name.startswith(f"{drift_dir}/") else content
        for name, content in files.items()
    }
    return OutputFiles(_rendered_units(state, rendered_dir), cache, other)


# --- stable error texts -------------------------------------------------------------------------------

_ADDRESS = re.compile(rb" at 0x[0-9a-fA-F]+\b")


def without_addresses(content: bytes) -> bytes:
    """`<X object at 0x7f65...>` becomes `<X object>`: a memory address differs on every attempt, and an
    error text that changes without a change in the world would make a commit every cycle."""
    return _ADDRESS.sub(b"", content)


# --- held clusters ------------------------------------------------------------------------------------

HELD_PREFIX = "# HELD: "
_RENDERED_SOURCE = re.compile(re.escape(RENDERED_HEADER) + r"(.+) \(target: [^()]*\)\. .*")


@dataclass(frozen=True)
class HeldUnit:
    """A cluster that left the source while it is not whole: it keeps running (nothing is pruned), so its
    last rendered file stays. `content` is that file without any HELD line; `source` is read from its
    header ("" when the header is missing)."""

    key: UnitKey
    source: str
    reason: str
    content: bytes


def held_units(
    state: DesiredState, previous: Mapping[str, bytes], rendered_dir: str, allow_empty_prune: bool = False
) -> list[HeldUnit]:
    """Units with a previous rendered file but no place in `state`, when prunes are held: while any file
    is broken (unreadable, unparsable or invalid), or when the source yields no cluster at all and empty
    prunes are not allowed. Sorted by key."""
    reason = _hold_reason(state, allow_empty_prune)
    if not reason:
        return []
    current = {unit.key for unit in state.units}
    held = []
    for path, content in previous.items():
        key = _rendered_key(rendered_dir, path)
        if key is None or key in current:
            continue
        body = _without_held_lines(content)
        header = body.split(b"\n", 1)[0].decode("utf-8", "replace")
        found = _RENDERED_SOURCE.fullmatch(header)
        held.append(HeldUnit(key, found.group(1) if found else "", reason, body))
    return sorted(held, key=lambda unit: unit.key)


def _hold_reason(state: DesiredState, allow_empty_prune: bool) -> str:
    broken = sorted(
        {p.file for p in state.broken_sources} | {p.file for u in state.units for p in u.problems}
    )
    if broken:
        count = "1 file is broken" if len(broken) == 1 else f"{len(broken)} files are broken"
        return f"not in the source while {count} ({', '.join(broken)}); the cluster is not pruned"
    if not state.units and not allow_empty_prune:
        return "the source yields no clusters; the cluster is not pruned unless empty prunes are allowed"
    return ""


def _rendered_key(rendered_dir: str, path: str) -> UnitKey | None:
    """`<rendered_dir>/<namespace>/<name>.yaml` names a unit; any other path does not."""
    prefix = rendered_dir.rstrip("/") + "/"
    parts = path.removeprefix(prefix).split("/") if path.startswith(prefix) else []
    if len(parts) != 2 or not parts[0] or not parts[1].endswith(".yaml") or parts[1] == ".yaml":
        return None
    return UnitKey(parts[0], parts[1].removesuffix(".yaml"))


def _without_held_lines(content: bytes) -> bytes:
    """The file as last rendered: a HELD line of an earlier cycle is dropped, so holding is idempotent."""
    while content.startswith(HELD_PREFIX.encode()):
        content = content.split(b"\n", 1)[1] if b"\n" in content else b""
    return content


def with_held(summary: dict[str, Any], held: Iterable[HeldUnit]) -> dict[str, Any]:
    """`summary` (from drift_summary) with held units counted and listed among the others, in key order."""
    entries = [(UnitKey(*str(entry["cluster"]).split("/", 1)), entry) for entry in summary["units"]]
    for unit in held:
        entries.append(
            (
                unit.key,
                {
                    "cluster": str(unit.key),
                    "source": unit.source,
                    "status": "held",
                    "counts": {},
                    "reason": unit.reason,
                },
            )
        )
    held_count = sum(1 for _, entry in entries if entry["status"] == "held")
    return {
        **summary,
        "clusters": len(entries),
        "held": held_count,
        "units": [entry for _, entry in sorted(entries, key=lambda pair: pair[0])],
    }
