"""The `ray start` line of a Ray container: rayStartParams completion and formatting.

KubeRay: `setMissingRayStartParams`, `generateRayStartCommand` and `convertParamMap` in `common/pod.go`.

Reviewers read this line in every diff, so it is reproduced byte for byte: sorted flags, ` --k=v ` with
double spaces between flags and a trailing space, bare `true` switches, single-quoted Go-style JSON for
`--resources`.
Every function returns a new params dict; inputs are never mutated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from gitops_ray.model import quantity

HEAD = "head"
WORKER = "worker"

DEFAULT_METRICS_EXPORT_PORT = "8080"
DEFAULT_DASHBOARD_AGENT_LISTEN_PORT = "52365"
DEFAULT_DASHBOARD_HOST = "0.0.0.0"

# Flags whose `true`/`false` is a value (`--log-color=false`), not an on/off switch.
VALUED_BOOLEAN_FLAGS = frozenset({"log-color", "include-dashboard", "include-log-monitor"})
# Container resource name -> Ray resource name; only one of them is ever added.
CUSTOM_ACCELERATORS: dict[str, str] = {
    "aws.amazon.com/neuroncore": "neuron_cores",
    "google.com/tpu": "TPU",
}
_MIG_GPU = re.compile(r"nvidia\.com/mig-[0-9]+g\.[0-9]+gb$")


def is_gpu_resource_key(key: str) -> bool:
    """GPU-like resource names: ending in `gpu` (`nvidia.com/gpu`, `amd.com/gpu`) or an NVIDIA MIG slice."""
    return key.endswith("gpu") or _MIG_GPU.search(key) is not None


_GO_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json_string(text: str) -> str:
    """Go's encoding/json string: UTF-8 kept, `<`, `>`, `&`, U+2028 and U+2029 escaped."""
    encoded = json.dumps(text, ensure_ascii=False)
    return "".join(_GO_HTML_ESCAPES.get(char, char) for char in encoded)


def go_json_object(numbers: Mapping[str, float]) -> str:
    """Go's json.Marshal of a map[string]float64: keys in byte order, no spaces, `4` not `4.0`."""
    items = (f"{go_json_string(key)}:{quantity.go_json_float(numbers[key])}" for key in sorted(numbers))
    return "{" + ",".join(items) + "}"


def with_group_resources(params: Mapping[str, str], group_resources: Mapping[str, Any]) -> dict[str, str]:
    """updateRayStartParamsResources: group `resources` override params; unparsable quantities are skipped."""
    result = dict(params)
    custom: dict[str, float] = {}
    for name, value in group_resources.items():
        try:
            amount = quantity.parse_quantity(value)
        except quantity.QuantityError:
            continue
        normalized = str(name).lower()
        if normalized == "cpu":
            result["num-cpus"] = str(quantity.ceil_value(amount))
        elif normalized == "memory":
            result["memory"] = str(quantity.ceil_value(amount))
        elif is_gpu_resource_key(normalized):
            result["num-gpus"] = str(quantity.ceil_value(amount))
        else:
            custom[str(name)] = float(amount)
    if custom:
        result["resources"] = f"'{go_json_object(custom)}'"
    return result


def with_group_labels(params: Mapping[str, str], group_labels: Mapping[str, Any]) -> dict[str, str]:
    """updateRayStartParamsLabels: group `labels` become `labels=k1=v1,...` by sorted key; {}: no change."""
    result = dict(params)
    if group_labels:
        result["labels"] = ",".join(f"{key}={group_labels[key]}" for key in sorted(group_labels))
    return result


def with_missing_params(
    params: Mapping[str, str], node_type: str, worker_address: str = ""
) -> dict[str, str]:
    """setMissingRayStartParams: `block` forced, the others only when absent.

    `worker_address` is `<head FQDN>:<head port>`, used for workers only.
    """
    result = dict(params)
    if node_type == WORKER:
        result.setdefault("address", worker_address)
    if node_type == HEAD:
        result.setdefault("dashboard-host", DEFAULT_DASHBOARD_HOST)
    result.setdefault("metrics-export-port", DEFAULT_METRICS_EXPORT_PORT)
    result["block"] = "true"
    result.setdefault("dashboard-agent-listen-port", DEFAULT_DASHBOARD_AGENT_LISTEN_PORT)
    return result


def _limit_or_request(resources: Mapping[str, Any], name: str, use_request: bool) -> int | None:
    """Rounded-up non-zero limit of `name`, else (if `use_request`) the non-zero request, else None."""
    sections = ("limits", "requests") if use_request else ("limits",)
    for section in sections:
        value = (resources.get(section) or {}).get(name)
        if value is not None and not quantity.is_zero(value):
            return quantity.ceil_value(quantity.parse_quantity(value))
    return None


def _parse_resources_param(text: str) -> dict[str, float] | None:
    """The `resources` param as a JSON object of numbers after trimming quotes and spaces; None if invalid."""

    def reject_constant(constant: str) -> float:
        raise ValueError(constant)

    try:
        parsed = json.loads(text.strip("'\"` "), parse_constant=reject_constant)
    except ValueError:
        return None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        return None
    numbers: dict[str, float] = {}
    for key, value in parsed.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        numbers[key] = float(value)
    return numbers


def with_accelerators(params: Mapping[str, str], limits: Mapping[str, Any]) -> dict[str, str]:
    """addWellKnownAcceleratorResources: GPUs and one custom accelerator from the container limits.

    If an existing `resources` param is not a JSON object of numbers, the step is abandoned as KubeRay does.
    """
    result = dict(params)
    if not limits:
        return result
    existing = _parse_resources_param(result["resources"]) if "resources" in result else {}
    if existing is None:
        return result
    accelerator_present = any(name in existing for name in CUSTOM_ACCELERATORS.values())
    for key in sorted(limits):
        value = limits[key]
        nonzero = not quantity.is_zero(value)
        if "num-gpus" not in result and is_gpu_resource_key(key) and nonzero:
            result["num-gpus"] = str(quantity.ceil_value(quantity.parse_quantity(value)))
        ray_name = CUSTOM_ACCELERATORS.get(key)
        if not accelerator_present and ray_name is not None and nonzero:
            existing = {**existing, ray_name: float(quantity.parse_quantity(value))}
            result["resources"] = f"'{go_json_object(existing)}'"
            accelerator_present = True
    return result


def with_derived_resources(params: Mapping[str, str], resources: Mapping[str, Any]) -> dict[str, str]:
    """generateRayStartCommand: `num-cpus` (limit, else request), `memory` (limit only), GPUs/accelerators."""
    result = dict(params)
    if "num-cpus" not in result:
        cpus = _limit_or_request(resources, "cpu", use_request=True)
        if cpus is not None:
            result["num-cpus"] = str(cpus)
    if "memory" not in result:
        memory = _limit_or_request(resources, "memory", use_request=False)
        if memory is not None:
            result["memory"] = str(memory)
    return with_accelerators(result, resources.get("limits") or {})


def format_flags(params: Mapping[str, str]) -> str:
    """convertParamMap: ` --k=v ` per param in key order; `true` -> ` --k `, `false` -> nothing.

    The valued boolean flags (`log-color`, ...) keep `=true`/`=false`.
    """
    flags: list[str] = []
    for key in sorted(params):
        value = params[key]
        if value.lower() in ("true", "false") and key not in VALUED_BOOLEAN_FLAGS:
            if value.lower() == "true":
                flags.append(f" --{key} ")
        else:
            flags.append(f" --{key}={value} ")
    return "".join(flags)


def generate_ray_start_command(
    node_type: str, params: Mapping[str, str], resources: Mapping[str, Any]
) -> str:
    """`ray start [--head] FLAGS` from final params and the Ray container `resources`; "" if unknown type."""
    complete = with_derived_resources(params, resources)
    if node_type == HEAD:
        return "ray start --head " + format_flags(complete)
    if node_type == WORKER:
        return "ray start " + format_flags(complete)
    return ""
