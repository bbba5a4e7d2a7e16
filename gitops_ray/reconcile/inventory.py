"""The inventory of one unit: an ApplySet (KEP-3659) parent ConfigMap listing exactly what gitops-ray applied.

Prune works from this explicit list, not from a label query, so an object whose labels were edited is
still known, and a parent that is widened before apply and shrunk after prune never loses a member
when a cycle is interrupted.

`data.members` holds one member per line, sorted: `<group>/<version>/<Kind>/<namespace>/<name>` with an
empty group for the core API and an empty namespace for cluster-scoped objects
(`/v1/Pod/team-a/ray-head`, `rbac.authorization.k8s.io/v1/ClusterRole//reader`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from gitops_ray.model.errors import GitopsRayError
from gitops_ray.model.objects import KubeObject, annotations_of, labels_of, object_ref
from gitops_ray.model.ownership import (
    APPLYSET_GROUP_KINDS_ANNOTATION,
    APPLYSET_ID_LABEL,
    APPLYSET_NAMESPACES_ANNOTATION,
    APPLYSET_TOOLING_ANNOTATION,
    CLUSTER_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    PARENT_API_VERSION,
    PARENT_KIND,
    SOURCE_ANNOTATION,
    SOURCE_ID_ANNOTATION,
    TOOLING,
    parent_name,
    unit_applyset_id,
)
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import UnitKey

MEMBERS_KEY = "members"
_TOOLING_PREFIX = TOOLING.split("/", 1)[0] + "/"
_PARENT_PREFIX = parent_name("")


class InventoryError(GitopsRayError):
    """A parent object that cannot be read as a gitops-ray inventory; the message names object and field."""


@dataclass(frozen=True)
class Inventory:
    """What gitops-ray has applied for one unit, the file the unit came from, and the identity of the source
    that applied it (`ownership.source_identity`; empty on parents written before sources had one)."""

    key: UnitKey
    source: str
    members: frozenset[MemberRef] = frozenset()
    source_id: str = ""

    @property
    def applyset_id(self) -> str:
        return unit_applyset_id(self.key.name, self.key.namespace)

    @property
    def parent_ref(self) -> MemberRef:
        return MemberRef(PARENT_API_VERSION, PARENT_KIND, self.key.namespace, parent_name(self.key.name))


def widen(inventory: Inventory, refs: Iterable[MemberRef]) -> Inventory:
    """Add members (before applying them, so an interrupted cycle still knows them)."""
    return replace(inventory, members=inventory.members | frozenset(refs))


def shrink(inventory: Inventory, refs: Iterable[MemberRef]) -> Inventory:
    """Drop members (after they were deleted or are no longer ours)."""
    return replace(inventory, members=inventory.members - frozenset(refs))


def inventory_parent(inventory: Inventory) -> KubeObject:
    """The parent ConfigMap to server-side apply; the same inventory always gives the same manifest."""
    members = inventory.members
    annotations = {
        APPLYSET_TOOLING_ANNOTATION: TOOLING,
        APPLYSET_GROUP_KINDS_ANNOTATION: ",".join(sorted({ref.group_kind for ref in members})),
    }
    other_namespaces = sorted({ref.namespace for ref in members} - {"", inventory.key.namespace})
    if other_namespaces:
        annotations[APPLYSET_NAMESPACES_ANNOTATION] = ",".join(other_namespaces)
    annotations[SOURCE_ANNOTATION] = inventory.source
    if inventory.source_id:
        annotations[SOURCE_ID_ANNOTATION] = inventory.source_id
    return {
        "apiVersion": PARENT_API_VERSION,
        "kind": PARENT_KIND,
        "metadata": {
            "name": parent_name(inventory.key.name),
            "namespace": inventory.key.namespace,
            "labels": {
                APPLYSET_ID_LABEL: inventory.applyset_id,
                MANAGED_BY_LABEL: MANAGED_BY_VALUE,
                CLUSTER_LABEL: inventory.key.name,
            },
            "annotations": annotations,
        },
        "data": {MEMBERS_KEY: "".join(ref.line() + "\n" for ref in sorted(members, key=MemberRef.line))},
    }


def parse_inventory(parent: KubeObject) -> Inventory:
    """Read a live parent ConfigMap back. Raises InventoryError naming the field when it is not one of ours
    or was edited into something unreadable: prune must never act on a guess."""
    _, _, namespace, name = object_ref(parent)
    where = f"{parent.get('kind', '?')} {namespace}/{name}"

    def fail(field_path: str, message: str) -> InventoryError:
        return InventoryError(f"{where}: {field_path}: {message}")

    if parent.get("kind") != PARENT_KIND or parent.get("apiVersion") != PARENT_API_VERSION:
        raise fail("kind", f"an inventory parent is a {PARENT_API_VERSION} {PARENT_KIND}")
    if not namespace or not name.startswith(_PARENT_PREFIX) or len(name) == len(_PARENT_PREFIX):
        raise fail("metadata.name", f"an inventory parent is named {_PARENT_PREFIX}<cluster> in a namespace")
    labels = labels_of(parent)
    annotations = annotations_of(parent)
    unit = name[len(_PARENT_PREFIX) :]
    if labels.get(CLUSTER_LABEL, unit) != unit:
        raise fail(f"metadata.labels[{CLUSTER_LABEL}]", f"is {labels[CLUSTER_LABEL]!r}, expected {unit!r}")
    expected_id = unit_applyset_id(unit, namespace)
    if labels.get(APPLYSET_ID_LABEL) != expected_id:
        raise fail(
            f"metadata.labels[{APPLYSET_ID_LABEL}]",
            f"is {labels.get(APPLYSET_ID_LABEL)!r}, expected {expected_id!r}",
        )
    tooling = str(annotations.get(APPLYSET_TOOLING_ANNOTATION) or "")
    if not tooling.startswith(_TOOLING_PREFIX):
        raise fail(
            f"metadata.annotations[{APPLYSET_TOOLING_ANNOTATION}]",
            f"is {tooling!r}: this ApplySet is not managed by gitops-ray",
        )
    source = annotations.get(SOURCE_ANNOTATION)
    if not isinstance(source, str) or not source:
        raise fail(f"metadata.annotations[{SOURCE_ANNOTATION}]", "missing: the source file is unknown")
    source_id = annotations.get(SOURCE_ID_ANNOTATION) or ""
    if not isinstance(source_id, str):
        raise fail(f"metadata.annotations[{SOURCE_ID_ANNOTATION}]", "must be a string")
    text = (parent.get("data") or {}).get(MEMBERS_KEY, "")
    if not isinstance(text, str):
        raise fail(f"data.{MEMBERS_KEY}", "must be a string")
    members = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            members.add(MemberRef.from_line(line.strip()))
        except ValueError as error:
            raise fail(f"data.{MEMBERS_KEY} line {number}", str(error)) from error
    return Inventory(UnitKey(namespace, unit), source, frozenset(members), source_id)
