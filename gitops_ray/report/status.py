"""`gitops-ray status`: one row per cluster from the status on its inventory parent (`observe.status`), as a
table like `flux get kustomizations` or `argocd app list`, or as JSON/YAML documents. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gitops_ray.model.objects import KubeObject, annotation, metadata, natural_key
from gitops_ray.model.ownership import APPLYSET_TOOLING_ANNOTATION, TOOLING, parent_name
from gitops_ray.observe.status import read_status

COLUMNS = ("NAMESPACE", "NAME", "TARGET", "REVISION", "SYNC", "HEALTH", "WORKERS", "DRIFT", "MESSAGE")
SHORT_REVISION = 7  # as `git log --oneline`; -o json/yaml give the whole revision
_TOOLING_PREFIX = TOOLING.split("/", 1)[0] + "/"


def status_rows(parents: Iterable[KubeObject]) -> list[dict[str, Any]]:
    """One row per gitops-ray inventory parent, by namespace and cluster name: the cluster, then its status
    document (sync and health `Unknown` while it has none: no cycle has written it yet)."""
    rows = []
    for parent in parents:
        if not str(annotation(parent, APPLYSET_TOOLING_ANNOTATION) or "").startswith(_TOOLING_PREFIX):
            continue
        meta = metadata(parent)
        name = str(meta.get("name") or "").removeprefix(parent_name(""))
        document = read_status(parent) or {"sync": "Unknown", "health": "Unknown"}
        rows.append({"namespace": str(meta.get("namespace") or ""), "name": name, **document})
    return sorted(rows, key=lambda row: (row["namespace"], natural_key(row["name"])))


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    message = row.get("message") or row.get("healthMessage") or ""
    return tuple(
        str(value) if value else "-"
        for value in (
            row["namespace"],
            row["name"],
            row.get("target"),
            str(row.get("revision") or "")[:SHORT_REVISION],
            row.get("sync"),
            row.get("health"),
            row.get("workers"),
            row.get("drift"),
            " ".join(str(message).split()),
        )
    )


def status_table(rows: Iterable[dict[str, Any]]) -> str:
    """Columns padded to their widest cell, three spaces apart, as kubectl prints; `-` for an empty cell.
    MESSAGE is why the cluster is not Synced, else why it is not healthy."""
    lines = [COLUMNS, *map(_cells, rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(COLUMNS))]
    return "".join(
        "   ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )
