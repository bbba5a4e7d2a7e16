"""Markdown drift reports, `drift/<namespace>/<cluster>.md`: what people read on the Git host.

Deterministic (no timestamps, stable order): committed files change only when the world does. Values are
shortened and escaped for table cells; Secret values and live credentials were redacted before they
became FieldDiffs (`model.redaction.redact_field`).
"""

from __future__ import annotations

import json
from typing import Any

from gitops_ray.model.units import UnitKey
from gitops_ray.observe.drift import ObjectDrift, UnitDrift

_MARKDOWN_VALUE_LIMIT = 80


def drift_markdown(drift: UnitDrift) -> str:
    """`drift/<namespace>/<cluster>.md`: status, the objects not in sync (a row a field), problems. Health is
    left out: Pods becoming ready or not must make no commit (it is in the inventory parent's status)."""
    counts = ", ".join(f"{count} {state}" for state, count in drift.state_counts().items())
    lines = [
        f"# Drift: {drift.key}",
        "",
        f"Source: `{drift.source}`",
        "",
        f"**Status: {drift.status}**" + (f" ({counts})" if counts else ""),
        "",
    ]
    rows = [row for obj in drift.objects if obj.state != "in-sync" for row in _markdown_rows(obj)]
    if rows:
        lines += [
            "| Object | State | Field | Desired | Live |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
        ]
    if drift.problems:
        lines += ["## Problems", "", *(f"- {_escape(str(problem))}" for problem in drift.problems), ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_value(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    if len(text) > _MARKDOWN_VALUE_LIMIT:
        text = text[: _MARKDOWN_VALUE_LIMIT - 1] + "…"
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return _escape(f"{fence}{pad}{text}{pad}{fence}")


def _markdown_rows(obj: ObjectDrift) -> list[str]:
    state = obj.state + (f" ({', '.join(obj.managers)})" if obj.managers else "")
    head = f"| {_escape(str(obj.ref))} | {_escape(state)} "
    if not obj.diffs:
        return [head + f"| {_escape(obj.reason)} | | |"]
    return [
        head + f"| `{_escape(diff.path)}` | {_markdown_value(diff.desired)} | {_markdown_value(diff.live)} |"
        for diff in obj.diffs
    ]


def held_markdown(key: UnitKey, source: str, reason: str, rendered: str) -> str:
    """The drift report of a held unit: why it is held, and where its last rendered content is."""
    reason = reason[0].upper() + reason[1:]
    return "\n".join(
        [
            f"# Drift: {key}",
            "",
            f"Source: `{source or '(unknown)'}`",
            "",
            "**Status: held**",
            "",
            f"{reason}. `{rendered}` keeps its last rendered content.",
            "",
        ]
    )
