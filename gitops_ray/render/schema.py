"""Check raw RayCluster data against the CRD's OpenAPI schema and fill its defaults, as an API server would.

Why: KubeRay only ever sees objects the API server accepted and defaulted, so gitops-ray, which reads YAML
straight from Git, must do the same first. The schema is a pruned copy of KubeRay v1.7.0's CRD
(`raycluster_schema.json`, made by `scripts/gen-raycluster-schema`), so nothing reads the CRD at run time.

Decisions (API-server behaviour, made strict where the API server would merely drop data):
- `null` for a field that is not `nullable` is dropped before defaulting (as the API server prunes it);
- unknown fields are errors (kubectl's strict field validation), except under the `metadata` of embedded
  objects (pod templates, `headService`), whose few listed fields the API server prunes the rest of;
- the first error found (keys in sorted order) is raised; the API server would list them all.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from gitops_ray.render.errors import SchemaError
from gitops_ray.render.quantity import QuantityError, parse_quantity

SCHEMA_FILE = "raycluster_schema.json"
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Schema = dict[str, Any]


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


def child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int in Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def _type_name(value: object) -> str:
    """JSON type names, as API server messages use them."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), type(value).__name__)


def _has_type(value: object, expected: str) -> bool:
    actual = _type_name(value)
    return actual == expected or (expected == "number" and actual == "integer")


def _check_scalar(value: object, schema: Schema, path: str) -> None:
    if schema.get("x-kubernetes-int-or-string"):
        if _type_name(value) not in ("integer", "string"):
            raise SchemaError(f"must be an integer or a string, got {_type_name(value)}", path)
        if schema.get("quantity"):
            try:
                parse_quantity(value)
            except QuantityError:
                raise SchemaError("must be a Kubernetes quantity such as 500m, 2 or 1Gi", path) from None
        return
    expected = schema.get("type")
    if expected and not _has_type(value, expected):
        raise SchemaError(f"must be of type {expected}, got {_type_name(value)}", path)
    if schema.get("format") == "int32" and isinstance(value, int) and not INT32_MIN <= value <= INT32_MAX:
        raise SchemaError(f"must fit in a 32-bit integer ({INT32_MIN}..{INT32_MAX})", path)
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        supported = ", ".join(json.dumps(choice) for choice in enum)
        raise SchemaError(f"Unsupported value: {json.dumps(value)}: supported values: {supported}", path)


def _conform_object(value: dict[Any, Any], schema: Schema, path: str) -> dict[str, Any]:
    for key in value:
        if not isinstance(key, str):
            raise SchemaError(f"field names must be strings, got {_type_name(key)} {key!r}", path)
    properties: dict[str, Schema] = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    if not properties and not isinstance(additional, dict):
        return copy.deepcopy(value)  # free-form: the root `metadata`, checked by defaults.py
    is_embedded_metadata = path.endswith(".metadata")
    out: dict[str, Any] = {}
    for key in sorted(value):
        item = value[key]
        if key in properties:
            field_schema = _resolve(properties[key])
            if item is None and not field_schema.get("nullable"):
                continue
            out[key] = conform(item, field_schema, child_path(path, key))
        elif isinstance(additional, dict):
            out[key] = conform(item, _resolve(additional), f"{path}[{key}]")
        elif not is_embedded_metadata:
            raise SchemaError(f'unknown field "{key}"', child_path(path, key))
    for key in sorted(properties):
        field_schema = _resolve(properties[key])
        if key not in out and "default" in field_schema:
            out[key] = copy.deepcopy(field_schema["default"])
    for key in schema.get("required") or []:
        if key not in out:
            raise SchemaError("Required value", child_path(path, key))
    return out


def conform(value: object, schema: Schema, path: str = "") -> Any:
    """A deep copy of `value` with nulls pruned and defaults filled; raises SchemaError naming the field."""
    schema = _resolve(schema)
    if value is None:
        if schema.get("nullable"):
            return None
        raise SchemaError(f"must be of type {schema.get('type', 'integer or string')}, got null", path)
    if schema.get("type") == "object":
        if not isinstance(value, dict):
            raise SchemaError(f"must be of type object, got {_type_name(value)}", path)
        return _conform_object(value, schema, path)
    if schema.get("type") == "array":
        if not isinstance(value, list):
            raise SchemaError(f"must be of type array, got {_type_name(value)}", path)
        items = _resolve(schema.get("items") or {})
        return [conform(item, items, f"{path}[{index}]") for index, item in enumerate(value)]
    _check_scalar(value, schema, path)
    return value
