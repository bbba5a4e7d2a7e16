"""Check raw RayCluster data against the CRD's OpenAPI schema and fill its defaults, as an API server would.

Why: KubeRay only ever sees objects the API server accepted and defaulted, so gitops-ray, which reads YAML
straight from Git, must do the same first. The schema is a pruned copy of KubeRay v1.7.0's CRD
(`raycluster_schema.json`, made by `scripts/gen-raycluster-schema`), so nothing reads the CRD at run time.

Decisions (API-server behaviour, made strict where the API server would merely drop data):
- `null` for a field that is not `nullable` is dropped before defaulting (as the API server prunes it);
- unknown fields are errors (kubectl's strict field validation), except under the `metadata` of embedded
  objects (pod templates, `headService`), whose few listed fields the API server prunes the rest of;
- the first error found (keys in sorted order) is raised; the API server would list them all.

Speed matters (every render starts here): the schema is compiled once into `_Node`s, and an error's field path
is assembled only when an error travels up, never on the happy path.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from gitops_ray.model.quantity import QuantityError, parse_quantity
from gitops_ray.render.errors import SchemaError

SCHEMA_FILE = "raycluster_schema.json"
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Schema = dict[str, Any]

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int in Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


@cache
def _schema_document() -> dict[str, Any]:
    text = resources.files("gitops_ray.render").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _resolve(schema: Schema) -> Schema:
    """Follow a `{"$ref": id}` of the generated file to the shared sub-schema."""
    if "$ref" in schema:
        resolved: Schema = _schema_document()["defs"][schema["$ref"]]
        return resolved
    return schema


def raycluster_schema() -> Schema:
    """The root schema of a `ray.io/v1` RayCluster."""
    return _resolve(_schema_document()["root"])


@dataclass(eq=False)
class _Node:
    """One compiled (sub-)schema: what `conform` asks of it, looked up once."""

    type: str = ""
    nullable: bool = False
    int_or_string: bool = False
    quantity: bool = False
    int32: bool = False
    enum: tuple[Any, ...] | None = None
    properties: dict[str, _Node] = field(default_factory=dict)
    additional: _Node | None = None
    items: _Node | None = None
    defaults: tuple[tuple[str, Any], ...] = ()
    required: tuple[str, ...] = ()


_COMPILED: dict[int, _Node] = {}


def _compile(schema: Schema) -> _Node:
    schema = _resolve(schema)
    known = _COMPILED.get(id(schema))
    if known is not None:
        return known
    node = _Node(
        type=str(schema.get("type") or ""),
        nullable=bool(schema.get("nullable")),
        int_or_string=bool(schema.get("x-kubernetes-int-or-string")),
        quantity=bool(schema.get("quantity")),
        int32=schema.get("format") == "int32",
        enum=tuple(schema["enum"]) if "enum" in schema else None,
        required=tuple(schema.get("required") or ()),
    )
    _COMPILED[id(schema)] = node
    properties = {key: _resolve(child) for key, child in (schema.get("properties") or {}).items()}
    node.properties = {key: _compile(child) for key, child in properties.items()}
    node.defaults = tuple(
        (key, child["default"]) for key, child in sorted(properties.items()) if "default" in child
    )
    if isinstance(schema.get("additionalProperties"), dict):
        node.additional = _compile(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        node.items = _compile(schema["items"])
    return node


def _within(error: SchemaError, segment: str) -> SchemaError:
    """The same error seen from one level up: `segment` (`name`, `[0]`, `[key]`) joins the field path."""
    rest = error.field
    joined = segment + rest if not rest or rest.startswith("[") else f"{segment}.{rest}"
    return SchemaError(error.message, joined)


def _type_name(value: object) -> str:
    """JSON type names, as API server messages use them."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), type(value).__name__)


@cache
def _is_quantity(value: int | str) -> bool:
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


def _check_scalar(value: object, node: _Node) -> None:
    if node.int_or_string:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SchemaError(f"must be an integer or a string, got {_type_name(value)}")
        if node.quantity and not _is_quantity(value):
            raise SchemaError("must be a Kubernetes quantity such as 500m, 2 or 1Gi")
        return
    actual = _type_name(value)
    if node.type and actual != node.type and not (node.type == "number" and actual == "integer"):
        raise SchemaError(f"must be of type {node.type}, got {actual}")
    if node.int32 and isinstance(value, int) and not INT32_MIN <= value <= INT32_MAX:
        raise SchemaError(f"must fit in a 32-bit integer ({INT32_MIN}..{INT32_MAX})")
    if node.enum is not None and value not in node.enum:
        supported = ", ".join(json.dumps(choice) for choice in node.enum)
        raise SchemaError(f"Unsupported value: {json.dumps(value)}: supported values: {supported}")


def _conform_object(value: dict[Any, Any], node: _Node, prune_unknown: bool) -> dict[str, Any]:
    for key in value:
        if not isinstance(key, str):
            raise SchemaError(f"field names must be strings, got {_type_name(key)} {key!r}")
    properties = node.properties
    additional = node.additional
    if not properties and additional is None:
        return copy.deepcopy(value)  # free-form: the root `metadata`, checked by defaults.py
    out: dict[str, Any] = {}
    for key in sorted(value):
        item = value[key]
        child = properties.get(key)
        try:
            if child is not None:
                if item is None and not child.nullable:
                    continue
                out[key] = _conform(item, child, key == "metadata")
            elif additional is not None:
                out[key] = _conform(item, additional, False)
            elif not prune_unknown:
                raise SchemaError(f'unknown field "{key}"')
        except SchemaError as error:
            raise _within(error, key if child is not None or additional is None else f"[{key}]") from None
    for key, default in node.defaults:
        if key not in out:
            out[key] = copy.deepcopy(default)
    for key in node.required:
        if key not in out:
            raise SchemaError("Required value", key)
    return out


def _conform(value: object, node: _Node, prune_unknown: bool) -> Any:
    if value is None:
        if node.nullable:
            return None
        raise SchemaError(f"must be of type {node.type or 'integer or string'}, got null")
    if node.type == "object":
        if not isinstance(value, dict):
            raise SchemaError(f"must be of type object, got {_type_name(value)}")
        return _conform_object(value, node, prune_unknown)
    if node.type == "array":
        if not isinstance(value, list):
            raise SchemaError(f"must be of type array, got {_type_name(value)}")
        items = node.items or _Node()
        out = []
        for index, item in enumerate(value):
            try:
                out.append(_conform(item, items, False))
            except SchemaError as error:
                raise _within(error, f"[{index}]") from None
        return out
    _check_scalar(value, node)
    return value


def conform(value: object, schema: Schema) -> Any:
    """A deep copy of `value` with nulls pruned and defaults filled; raises SchemaError naming the field.

    Unknown fields under an embedded object's `metadata` are pruned (as the API server does), elsewhere they
    are errors.
    """
    return _conform(value, _compile(schema), False)
