"""Semantic comparison of desired and live objects: fields that differ, fields removed, who else writes.

Plain equality cannot work: the API server adds defaults, status and bookkeeping, rewrites quantities in
canonical form (`1024Mi` -> `1Gi`) and drops empty values. What matters is (a) a field we set whose live
value now differs ("desired is a subset of live", compared semantically) and (b) a field we applied last
time that desired no longer has, read back from our own `managedFields` entry (a subset check misses it).

Field paths are tuples of `fieldsV1` segments (`f:name`, `k:{json}`, `v:json`, `i:N`), so paths computed
from objects and paths read from managedFields compare directly; `display_path` makes them readable.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_ray.model.objects import KubeObject
from gitops_ray.model.ownership import FIELD_MANAGER, canonical_json
from gitops_ray.model.quantity import QuantityError, parse_quantity
from gitops_ray.model.redaction import REDACTED, redact_field
from gitops_ray.reconcile.owners import fields_of

FieldPath = tuple[str, ...]

# List fields merged by key (Kubernetes' patchMergeKey / listMapKeys); other lists compare by position.
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "imagePullSecrets": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "hostAliases": ("ip",),
    "readinessGates": ("conditionType",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
_CONTAINER_PORT_KEYS = ("containerPort", "protocol")
_SERVICE_PORT_KEYS = ("port", "protocol")
_KEY_DEFAULTS: dict[str, Any] = {"protocol": "TCP"}
_PORT_FIELDS = frozenset({"port", "targetPort", "containerPort", "hostPort", "nodePort", "number"})
_QUANTITY_MAPS = frozenset({"limits", "requests", "overhead", "hard", "capacity", "allocatable"})
_QUANTITY_FIELDS = frozenset({"sizeLimit"})
_SECRET_VALUE_FIELDS = frozenset({"f:data", "f:stringData"})
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_PLAIN_TEXT = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII except `"` and `\`: JSON needs no escapes


class _Absent:
    """Marks a field that is not there at all (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class FieldDiff:
    """One field whose live value is not the desired one. `desired` None: we no longer want the field;
    `live` None: the field is missing from the live object."""

    path: str
    desired: Any
    live: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "desired": self.desired, "live": self.live}


# --- paths --------------------------------------------------------------------------------------------


def display_path(path: FieldPath) -> str:
    """`("f:spec", "k:{\"name\":\"ray-head\"}", "f:image")` -> `spec.containers[name=ray-head].image`."""
    text = ""
    for segment in path:
        prefix, _, body = segment.partition(":")
        if prefix == "f":
            text += (("." if text else "") + body) if _PLAIN_NAME.match(body) else f"[{json.dumps(body)}]"
        elif prefix == "k":
            fields = json.loads(body)
            text += "[" + ",".join(f"{name}={_display_scalar(fields[name])}" for name in sorted(fields)) + "]"
        elif prefix == "v":
            text += f"[={body}]"
        else:
            text += f"[{body}]"
    return text


def _display_scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _normalize_key_value(name: str, value: Any) -> Any:
    if name in _PORT_FIELDS and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _json_value(value: Any) -> str:
    """Compact JSON of one key value; plain ints and printable ASCII strings without a shortcut through
    the encoder (keyed list items are matched by the hundred thousand in a large sync)."""
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and _PLAIN_TEXT.fullmatch(value):
        return f'"{value}"'
    return canonical_json(value)


def _key_segment(fields: Mapping[str, Any]) -> str:
    """`k:` and the key fields as compact JSON with sorted names, normalized (`"6379"` port -> 6379)."""
    pairs = (
        f"{_json_value(name)}:{_json_value(_normalize_key_value(name, fields[name]))}"
        for name in sorted(fields)
    )
    return "k:{" + ",".join(pairs) + "}"


def _item_key(item: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The `k:` segment of a keyed list item, with the API server's defaults filled in (protocol TCP)."""
    return _key_segment({name: item.get(name, _KEY_DEFAULTS.get(name)) for name in keys})


def _canonical_segment(segment: str) -> str:
    """Re-encode a managedFields segment so it equals the one computed from an object."""
    prefix, _, body = segment.partition(":")
    if prefix == "k":
        return _key_segment(json.loads(body))
    if prefix == "v":
        return "v:" + canonical_json(json.loads(body))
    return segment


def _list_keys(field: str, items: list[Any]) -> tuple[str, ...] | None:
    """Merge keys of a list field, or None for lists compared by position (and atomic scalar lists)."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    if field == "ports":
        if all("containerPort" in item for item in items):
            return _CONTAINER_PORT_KEYS
        if all("port" in item for item in items):
            return _SERVICE_PORT_KEYS
        return None
    return _LIST_KEYS.get(field)


def _step(node: Any, segment: str) -> Any:
    """Follow one segment; ABSENT if there is nothing there."""
    prefix, _, body = segment.partition(":")
    if prefix == "f":
        if isinstance(node, dict) and node.get(body) is not None:
            return node[body]
        return ABSENT
    if not isinstance(node, list):
        return ABSENT
    if prefix == "k":
        wanted = json.loads(body)
        keys = tuple(wanted)
        for item in node:
            if isinstance(item, dict) and _item_key(item, keys) == segment:
                return item
        return ABSENT
    if prefix == "v":
        wanted_value = json.loads(body)
        return wanted_value if wanted_value in node else ABSENT
    index = int(body) if body.isdigit() else -1
    return node[index] if 0 <= index < len(node) else ABSENT


def lookup(obj: Any, path: FieldPath) -> Any:
    """The value at `path`, or ABSENT."""
    node = obj
    for segment in path:
        node = _step(node, segment)
        if node is ABSENT:
            return ABSENT
    return node


def _first_missing(obj: Any, path: FieldPath) -> int | None:
    """Length of the shortest prefix of `path` that `obj` lacks; None if `obj` has the path or holds a
    scalar or atomic list on the way (which covers everything beneath it)."""
    node = obj
    for depth, segment in enumerate(path):
        if not isinstance(node, dict | list) or (isinstance(node, list) and segment.startswith("f:")):
            return None
        node = _step(node, segment)
        if node is ABSENT:
            return depth + 1
    return None


def fields_leaves(fields: Mapping[str, Any], prefix: FieldPath = ()) -> Iterator[FieldPath]:
    """Leaf paths of a managedFields `fieldsV1` tree (`.` only marks the parent's own existence)."""
    for segment, sub in fields.items():
        if segment == ".":
            continue
        path = (*prefix, _canonical_segment(segment))
        if isinstance(sub, dict) and any(key != "." for key in sub):
            yield from fields_leaves(sub, path)
        else:
            yield path


def object_leaves(obj: Any, prefix: FieldPath = (), field: str = "") -> Iterator[FieldPath]:
    """Leaf paths of the fields an object sets, keyed lists by their merge keys. Nulls and empty maps and
    lists set nothing (so they claim no fields that others add beneath them)."""
    if isinstance(obj, dict):
        for name, value in obj.items():
            if value is not None and value != {} and value != []:
                yield from object_leaves(value, (*prefix, f"f:{name}"), name)
        return
    if isinstance(obj, list):
        keys = _list_keys(field, obj)
        if keys is None:
            yield prefix
            return
        for item in obj:
            yield from object_leaves(item, (*prefix, _item_key(item, keys)), "")
        return
    yield prefix


# --- values -------------------------------------------------------------------------------------------


def _is_unset(value: Any) -> bool:
    """None, "", {} and [] are dropped by the API server (omitempty) or left for it to default."""
    return value is None or (isinstance(value, str | dict | list) and not value)


def _is_zero(value: Any) -> bool:
    """Values that read back as absent: the unset ones plus 0 and false."""
    return _is_unset(value) or value is False or (type(value) in (int, float) and value == 0)


def _sets_something(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_sets_something(item) for item in value.values())
    if isinstance(value, list):
        return bool(value)
    return not _is_zero(value)


def _scalar_equal(desired: Any, live: Any, field: str, parent: str) -> bool:
    if live is None or live is ABSENT:
        return _is_zero(desired)
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if desired == live:
        return True
    if parent in _QUANTITY_MAPS or field in _QUANTITY_FIELDS:
        try:
            return parse_quantity(desired) == parse_quantity(live)
        except QuantityError:
            return False
    if field in _PORT_FIELDS:
        return isinstance(desired, int | str) and isinstance(live, int | str) and str(desired) == str(live)
    return False


# --- desired is a subset of live ----------------------------------------------------------------------


def _subset(desired: Any, live: Any, path: FieldPath, field: str, parent: str, out: list[FieldPath]) -> None:
    """Append the paths where `live` does not carry `desired`."""
    if _is_unset(desired):
        return
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            if live is not None or _sets_something(desired):
                out.append(path)
            return
        for name, value in desired.items():
            _subset(value, live.get(name), (*path, f"f:{name}"), name, field, out)
        return
    if isinstance(desired, list):
        _subset_list(desired, live, path, field, out)
        return
    if not _scalar_equal(desired, live, field, parent):
        out.append(path)


def _subset_list(desired: list[Any], live: Any, path: FieldPath, field: str, out: list[FieldPath]) -> None:
    live_items = live if isinstance(live, list) else []
    keys = _list_keys(field, desired)
    if keys is not None:
        by_key: dict[str, Any] = {}
        for item in live_items:
            if isinstance(item, dict):
                by_key.setdefault(_item_key(item, keys), item)
        for item in desired:
            segment = _item_key(item, keys)
            _subset(item, by_key.get(segment), (*path, segment), "", field, out)
        return
    if len(live_items) != len(desired):
        out.append(path)
        return
    if all(isinstance(item, dict) for item in desired):
        for index, (want, have) in enumerate(zip(desired, live_items, strict=True)):
            _subset(want, have, (*path, f"i:{index}"), "", field, out)
        return
    if not all(_scalar_equal(want, have, field, "") for want, have in zip(desired, live_items, strict=True)):
        out.append(path)


def _comparable_secret(desired: KubeObject) -> KubeObject:
    """A Secret as the API server stores it: `stringData` folded into `data`, base64 in canonical form."""
    data: dict[str, Any] = {}
    for name, value in (desired.get("data") or {}).items():
        try:
            data[name] = base64.b64encode(base64.b64decode(str(value), validate=True)).decode()
        except (binascii.Error, ValueError):
            data[name] = value
    for name, value in (desired.get("stringData") or {}).items():
        data[name] = base64.b64encode(str(value).encode()).decode()
    comparable = {key: value for key, value in desired.items() if key != "stringData"}
    comparable["data"] = data
    return comparable


def _is_secret_value(obj: KubeObject, path: FieldPath) -> bool:
    return obj.get("kind") == "Secret" and bool(path) and path[0] in _SECRET_VALUE_FIELDS


def _field_diff(kind_source: KubeObject, path: FieldPath, desired: Any, live: Any) -> FieldDiff:
    """A FieldDiff for display; Secret values and literal credentials are `<redacted>`, absence is None."""
    if _is_secret_value(kind_source, path) or (kind_source.get("kind") == "Secret" and not path):
        desired = None if desired is ABSENT or desired is None else REDACTED
        live = None if live is ABSENT or live is None else REDACTED
    shown = display_path(path)
    return FieldDiff(
        shown,
        None if desired is ABSENT else redact_field(shown, desired),
        None if live is ABSENT else redact_field(shown, live),
    )


def comparable_form(desired: KubeObject) -> KubeObject:
    """The desired object minus what the API server owns (status) and with Secrets as stored."""
    comparable = {key: value for key, value in desired.items() if key != "status"}
    return _comparable_secret(comparable) if desired.get("kind") == "Secret" else comparable


def differing_paths(desired: KubeObject, live: KubeObject) -> list[FieldPath]:
    """Paths of fields desired sets whose live value differs (missing counts), in desired's order."""
    out: list[FieldPath] = []
    _subset(comparable_form(desired), live, (), "", "", out)
    return out


def desired_diffs(desired: KubeObject, live: KubeObject) -> list[FieldDiff]:
    """Fields desired sets that live lacks or holds with another value (Secret values redacted)."""
    comparable = comparable_form(desired)
    return [
        _field_diff(desired, path, lookup(comparable, path), lookup(live, path))
        for path in differing_paths(desired, live)
    ]


# --- managedFields ------------------------------------------------------------------------------------


def removed_fields(desired: KubeObject, live: KubeObject) -> list[FieldDiff]:
    """Fields our last apply set (per our managedFields Apply entry) that desired no longer has but live
    still holds: SSA will remove them on the next apply, so until then they are drift. Fields we wrote
    by other means (a create-only POST records an Update) are not an apply's to remove."""
    comparable = comparable_form(desired)
    removed: dict[FieldPath, None] = {}
    for fields in fields_of(live, FIELD_MANAGER, operation="Apply"):
        for leaf in fields_leaves(fields):
            if leaf and leaf[0] == "f:status":
                continue
            depth = _first_missing(comparable, leaf)
            if depth is not None:
                removed.setdefault(leaf[:depth])
    diffs = []
    for path in removed:
        value = lookup(live, path)
        if value is not ABSENT:
            diffs.append(_field_diff(desired, path, ABSENT, value))
    return diffs


def object_diffs(desired: KubeObject, live: KubeObject) -> tuple[FieldDiff, ...]:
    """Everything in which live falls short of desired: differing or missing fields, then removed ones,
    each group sorted by path so reports are deterministic."""
    changed = sorted(desired_diffs(desired, live), key=lambda diff: diff.path)
    removed = sorted(removed_fields(desired, live), key=lambda diff: diff.path)
    return (*changed, *removed)
