"""KubeRay's naming helpers (`utils/util.go`), reproduced exactly: names end up in Git diffs."""

from __future__ import annotations

import unicodedata

MAX_POD_NAME_PREFIX = 50


def _is_punct(char: str) -> bool:
    """Go's unicode.IsPunct: Unicode categories P* (`-`, `.`, `_`, ...; not `+` or `$`)."""
    return unicodedata.category(char).startswith("P")


def check_name(name: str) -> str:
    """CheckName: keep the last 50 characters; a leading digit, then a leading punctuation, becomes `r`."""
    if len(name) > 50:
        name = name[len(name) - 50 :]
    if name and name[0].isdigit():
        name = "r" + name[1:]
    if name and _is_punct(name[0]):
        name = "r" + name[1:]
    return name


def check_label(value: str) -> str:
    """CheckLabel: keep the last 63 characters; a leading punctuation becomes `r` (no digit rule)."""
    if len(value) > 63:
        value = value[len(value) - 63 :]
    if value and _is_punct(value[0]):
        value = "r" + value[1:]
    return value


def pod_name(prefix: str, node_type: str, generate: bool) -> str:
    """PodName: first 50 characters of the prefix, `-<node type>`, lower-cased, `-` appended to generate."""
    name = (prefix[:MAX_POD_NAME_PREFIX] + "-" + node_type).lower()
    return name + "-" if generate else name


def head_pod_name(cluster: str) -> str:
    """Deterministic head Pod name (always on in gitops-ray): `<cluster>-head`."""
    return pod_name(cluster, "head", generate=False)


def worker_pod_prefix(cluster: str, group: str) -> str:
    """KubeRay's worker generateName, `<cluster>-<group>-worker-`; gitops-ray appends a stable index."""
    return pod_name(f"{cluster}-{group}", "worker", generate=True)


def head_service_name(cluster_name: str, spec: dict[str, object]) -> str:
    """`headGroupSpec.headService.metadata.name` if set, else `<cluster>-head-svc` (no clipping)."""
    head = spec.get("headGroupSpec")
    if isinstance(head, dict):
        svc = head.get("headService")
        if isinstance(svc, dict):
            meta = svc.get("metadata")
            if isinstance(meta, dict) and meta.get("name"):
                return str(meta["name"])
    return f"{cluster_name}-head-svc"


def fqdn(service_name: str, namespace: str, cluster_domain: str) -> str:
    """Head service FQDN: `<svc>.<namespace>.svc.<cluster domain>`."""
    return f"{service_name}.{namespace}.svc.{cluster_domain}"
