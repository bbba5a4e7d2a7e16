"""Ray's legacy operator format to KubeRay: a `cluster.ray.io/v1` RayCluster (the operator Ray shipped in
`python/ray/ray_operator` before KubeRay; its CRD is `cluster_crd.yaml`) becomes a `ray.io/v1` RayCluster.

Pure: one document in; the KubeRay document, the choices made (located in the new document, where
`gitops-ray migrate` writes a `# migrate:` comment) and the warnings (what could not be mapped, located in the
legacy document) out. Field meanings follow the legacy operator's `operator_utils.cr_to_config`, which handed
`podTypes`, `headStartRayCommands`, ... to the Ray autoscaler; README "Migrating from the legacy Ray operator"
lists the mapping.
"""

from __future__ import annotations

import copy
import json
import math
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gitops_ray.model.errors import GitopsRayError
from gitops_ray.model.objects import KubeObject, api_group
from gitops_ray.model.targets import RAYCLUSTER, TARGET_ANNOTATION
from gitops_ray.model.units import RAYCLUSTER_API_VERSION
from gitops_ray.render.raystart import go_json_object

LEGACY_API_GROUP = "cluster.ray.io"

FieldPath = tuple[str | int, ...]

# The legacy head Service's ports (the operator's defaults, updated by name from `headServicePorts`).
LEGACY_HEAD_SERVICE_PORTS: Mapping[str, int] = {"client": 10001, "dashboard": 8265, "ray-serve": 8000}
# Names KubeRay gives these container ports; its head Service, probes and Ingress look ports up by name.
KUBERAY_PORT_NAMES: Mapping[int, str] = {
    6379: "gcs-server",
    8000: "serve",
    8080: "metrics",
    8265: "dashboard",
    10001: "client",
}
# `rayResources` keys Ray reserves for `ray start` flags; every other key is a custom resource.
RESOURCE_FLAGS: Mapping[str, str] = {
    "CPU": "num-cpus",
    "GPU": "num-gpus",
    "memory": "memory",
    "object_store_memory": "object-store-memory",
}
# Ray autoscaler's speed for each KubeRay `upscalingMode` (Ray's kuberay `autoscaling_config.py`):
# Conservative 1, Default and Aggressive 1000 (no rate limit). A legacy speed takes the nearer of the two
# on a log scale, so the boundary is sqrt(1000) ~ 31.6.
CONSERVATIVE_SPEED = 1.0
UNLIMITED_SPEED = 1000.0
LEGACY_DEFAULT_SPEED = 1.0  # Ray autoscaler's `upscaling_speed` default
LEGACY_DEFAULT_IDLE_MINUTES = 5  # Ray autoscaler's `idle_timeout_minutes` default
# Images whose tag is a Ray release; other images may version themselves.
_RAY_IMAGE = re.compile(r"(^|/)ray(-ml|-llm)?$")
_RELEASE_TAG = re.compile(r"^([0-9]+\.[0-9]+\.[0-9]+)(-.*)?$")
_SHELL_SEPARATORS = frozenset({";", "&&", "||", "|", "&"})
_SETUP_COMMAND_KEYS = ("headSetupCommands", "workerSetupCommands", "setupCommands", "SetupCommands")
_KNOWN_SPEC_KEYS = frozenset(
    {
        "maxWorkers",
        "upscalingSpeed",
        "idleTimeoutMinutes",
        "headPodType",
        "podTypes",
        "headStartRayCommands",
        "workerStartRayCommands",
        "headServicePorts",
        *_SETUP_COMMAND_KEYS,
    }
)
_KNOWN_POD_TYPE_KEYS = frozenset(
    {"name", "minWorkers", "maxWorkers", "rayResources", "podConfig", "setupCommands", "workerSetupCommands"}
)
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")
_HEAD = "head"
_WORKER = "worker"
_SETUP_COMMANDS_NOT_MAPPED = (
    "not mapped: KubeRay runs no setup commands; bake them into the image, or put them in the Ray "
    "container's args, which KubeRay runs before `ray start` (docs/kuberay-rendering.md)"
)


class LegacyFormatError(GitopsRayError):
    """A legacy document that cannot be converted: `field` is its dotted path in that document."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def field_path(path: FieldPath) -> str:
    """`("spec", "podTypes", 1, "name")` -> `spec.podTypes[1].name`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Note:
    """A choice made or a warning, at `path`: in the new document for a choice, in the legacy one for a
    warning."""

    path: FieldPath
    message: str

    @property
    def field(self) -> str:
        return field_path(self.path)


class Migration(NamedTuple):
    """A converted document: the KubeRay RayCluster, the choices made in it, what could not be mapped."""

    document: KubeObject
    choices: tuple[Note, ...]
    warnings: tuple[Note, ...]


@dataclass
class _Notes:
    choices: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)

    def choice(self, path: FieldPath, message: str) -> None:
        self.choices.append(Note(path, message))

    def warn(self, path: FieldPath, message: str) -> None:
        self.warnings.append(Note(path, message))


def is_legacy_raycluster(document: KubeObject) -> bool:
    """A RayCluster of Ray's legacy operator (`cluster.ray.io`), which KubeRay does not read."""
    api_version = document.get("apiVersion")
    return (
        isinstance(api_version, str)
        and api_group(api_version) == LEGACY_API_GROUP
        and document.get("kind") == "RayCluster"
    )


def migrate(document: KubeObject) -> Migration:
    """The KubeRay RayCluster for a legacy one; raises `LegacyFormatError` when it cannot be converted."""
    notes = _Notes()
    name = _name(document)
    spec = _mapping(document.get("spec"), ("spec",), required=True)
    pod_types = _pod_types(spec)
    head_name = spec.get("headPodType")
    if not isinstance(head_name, str) or head_name not in pod_types:
        raise LegacyFormatError("spec.headPodType", f"must name one of spec.podTypes: {sorted(pod_types)}")
    _unmapped(document, spec, pod_types, notes)
    head_index, head_type = pod_types[head_name]
    new_spec: dict[str, Any] = {"headGroupSpec": _head_group(spec, head_type, head_index, notes)}
    notes.warn(
        ("metadata", "name"),
        f"the head Service is now {name}-head-svc (KubeRay's name), not {name}-ray-head: update its clients",
    )
    workers = [(index, pod_type) for other, (index, pod_type) in pod_types.items() if other != head_name]
    if workers:
        start = _start_params(spec, "workerStartRayCommands", _WORKER, ("spec", "workerGroupSpecs"), notes)
        groups = [
            _worker_group(spec, start, pod_type, index, position, notes)
            for position, (index, pod_type) in enumerate(workers)
        ]
        new_spec["workerGroupSpecs"] = groups
        _check_cluster_max(spec, groups, notes)
    _autoscaling(spec, new_spec, notes)
    _ray_version(new_spec, [head_index, *(index for index, _ in workers)], notes)
    notes.choice(("apiVersion",), f"was {document.get('apiVersion')}, Ray's legacy operator format")
    new_document = {
        "apiVersion": RAYCLUSTER_API_VERSION,
        "kind": "RayCluster",
        "metadata": _with_raycluster_target(_metadata(document, notes), notes),
        "spec": new_spec,
    }
    return Migration(new_document, tuple(notes.choices), tuple(notes.warnings))


def _unmapped(
    document: KubeObject,
    spec: Mapping[str, Any],
    pod_types: Mapping[str, tuple[int, Mapping[str, Any]]],
    notes: _Notes,
) -> None:
    """Warnings for what KubeRay has no place for: setup commands, fields the legacy CRD does not have."""
    if document.get("apiVersion") != f"{LEGACY_API_GROUP}/v1":
        notes.warn(("apiVersion",), f"{document.get('apiVersion')} is not {LEGACY_API_GROUP}/v1; read as v1")
    if "status" in document:
        notes.choice((), "dropped status (the legacy operator's)")
    for key in sorted(set(document) - {"apiVersion", "kind", "metadata", "spec", "status"}, key=str):
        notes.warn((key,), "not mapped")
    for key in sorted(set(spec) - _KNOWN_SPEC_KEYS, key=str):
        notes.warn(("spec", key), "not a field of the legacy operator's RayCluster; not mapped")
    for key in _SETUP_COMMAND_KEYS:
        if spec.get(key):
            notes.warn(("spec", key), _SETUP_COMMANDS_NOT_MAPPED)
    for index, pod_type in pod_types.values():
        for key in sorted(set(pod_type) - _KNOWN_POD_TYPE_KEYS, key=str):
            notes.warn(("spec", "podTypes", index, key), "not a field of a legacy Pod type; not mapped")
        for key in ("setupCommands", "workerSetupCommands"):
            if pod_type.get(key):
                notes.warn(("spec", "podTypes", index, key), _SETUP_COMMANDS_NOT_MAPPED)


def _head_group(
    spec: Mapping[str, Any], head_type: Mapping[str, Any], index: int, notes: _Notes
) -> dict[str, Any]:
    path: FieldPath = ("spec", "headGroupSpec")
    start = _start_params(spec, "headStartRayCommands", _HEAD, (*path, "rayStartParams"), notes)
    template = _template(head_type, index, _HEAD, (*path, "template"), notes)
    _head_ports(template, spec.get("headServicePorts"), index, notes)
    for key in ("minWorkers", "maxWorkers"):
        if head_type.get(key):
            notes.warn(
                ("spec", "podTypes", index, key), "workers of the head's Pod type are not mapped: add a group"
            )
    return {
        "rayStartParams": _group_params(start, head_type, index, (*path, "rayStartParams"), notes),
        "template": template,
    }


def _name(document: KubeObject) -> str:
    metadata = _mapping(document.get("metadata"), ("metadata",), required=True)
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise LegacyFormatError("metadata.name", "is required")
    return name


def _metadata(document: KubeObject, notes: _Notes) -> dict[str, Any]:
    """Name, namespace, labels and annotations; what the API server set (uid, resourceVersion, ...) goes."""
    metadata = _mapping(document.get("metadata"), ("metadata",), required=True)
    dropped = sorted(key for key in metadata if key not in _KEPT_METADATA)
    if dropped:
        notes.choice(("metadata",), f"dropped {', '.join(dropped)} (set by the API server)")
    return {key: copy.deepcopy(metadata[key]) for key in _KEPT_METADATA if key in metadata}


def _with_raycluster_target(metadata: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    """Target `raycluster`: the converted cluster autoscales, and only KubeRay can run its autoscaler."""
    annotations = _mapping(metadata.get("annotations"), ("metadata", "annotations"))
    notes.choice(
        ("metadata", "annotations", TARGET_ANNOTATION),
        f"{RAYCLUSTER.name}: the Ray autoscaler needs KubeRay, so gitops-ray applies the RayCluster and "
        "KubeRay runs its Pods",
    )
    return {**metadata, "annotations": {**annotations, TARGET_ANNOTATION: RAYCLUSTER.name}}


def _mapping(value: Any, path: FieldPath, required: bool = False) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise LegacyFormatError(field_path(path), "must be a mapping")
    return value


def _count(value: Any, path: FieldPath) -> int | None:
    """A non-negative integer field, None when absent."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise LegacyFormatError(field_path(path), f"must be a non-negative integer, got {value!r}")


def _number(value: Any, path: FieldPath) -> float | int:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return value
    raise LegacyFormatError(field_path(path), f"must be a non-negative number, got {value!r}")


def _pod_types(spec: Mapping[str, Any]) -> dict[str, tuple[int, dict[str, Any]]]:
    """`spec.podTypes` by name, with their index."""
    pod_types = spec.get("podTypes")
    if not isinstance(pod_types, list) or not pod_types:
        raise LegacyFormatError("spec.podTypes", "must be a non-empty list")
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, pod_type in enumerate(pod_types):
        path: FieldPath = ("spec", "podTypes", index)
        pod_type = _mapping(pod_type, path, required=True)
        name = pod_type.get("name")
        if not isinstance(name, str) or not name:
            raise LegacyFormatError(field_path((*path, "name")), "is required")
        if name in found:
            raise LegacyFormatError(field_path((*path, "name")), f"{name} is the name of another Pod type")
        found[name] = (index, pod_type)
    return found


def _worker_group(
    spec: Mapping[str, Any],
    start: _StartParams,
    pod_type: dict[str, Any],
    index: int,
    position: int,
    notes: _Notes,
) -> dict[str, Any]:
    legacy: FieldPath = ("spec", "podTypes", index)
    path: FieldPath = ("spec", "workerGroupSpecs", position)
    minimum = _count(pod_type.get("minWorkers"), (*legacy, "minWorkers")) or 0
    maximum = _count(pod_type.get("maxWorkers"), (*legacy, "maxWorkers"))
    group: dict[str, Any] = {"groupName": pod_type["name"]}
    notes.choice(path, f"from spec.podTypes[{index}] ({pod_type['name']})")
    if maximum is None:
        maximum = _count(spec.get("maxWorkers"), ("spec", "maxWorkers"))
        if maximum is not None:
            notes.choice((*path, "maxReplicas"), "the cluster-wide spec.maxWorkers (the Pod type sets none)")
        else:
            notes.warn(
                (*legacy, "maxWorkers"), "no maxWorkers here or cluster-wide: KubeRay's default applies"
            )
    if maximum is not None and minimum > maximum:
        notes.choice(
            (*path, "minReplicas"), f"minWorkers {minimum} lowered to maxWorkers, which takes precedence"
        )
        minimum = maximum
    group["replicas"] = minimum
    group["minReplicas"] = minimum
    notes.choice((*path, "replicas"), "starts at minWorkers, as the legacy autoscaler did")
    if maximum is not None:
        group["maxReplicas"] = maximum
    group["rayStartParams"] = _group_params(start, pod_type, index, (*path, "rayStartParams"), notes)
    group["template"] = _template(pod_type, index, _WORKER, (*path, "template"), notes)
    return group


def _check_cluster_max(spec: Mapping[str, Any], groups: Sequence[Mapping[str, Any]], notes: _Notes) -> None:
    cluster_max = _count(spec.get("maxWorkers"), ("spec", "maxWorkers"))
    if cluster_max is None:
        return
    total = sum(group["maxReplicas"] for group in groups)
    if total > cluster_max:
        notes.warn(
            ("spec", "maxWorkers"),
            f"KubeRay has no cluster-wide worker limit: the groups may grow to {total} workers in all, not "
            f"{cluster_max}; lower their maxReplicas",
        )


def _autoscaling(spec: Mapping[str, Any], new_spec: dict[str, Any], notes: _Notes) -> None:
    """The legacy operator always ran the Ray autoscaler; KubeRay runs it with `enableInTreeAutoscaling`."""
    new_spec["enableInTreeAutoscaling"] = True
    notes.choice(
        ("spec", "enableInTreeAutoscaling"),
        "the legacy operator always ran the Ray autoscaler for its clusters",
    )
    minutes = spec.get("idleTimeoutMinutes")
    if minutes is None:
        seconds = LEGACY_DEFAULT_IDLE_MINUTES * 60
        idle = f"{seconds}: the legacy default of {LEGACY_DEFAULT_IDLE_MINUTES} minutes (KubeRay's is 60 s)"
    else:
        seconds = round(_number(minutes, ("spec", "idleTimeoutMinutes")) * 60)
        idle = f"{seconds}: idleTimeoutMinutes {minutes} x 60"
    speed = spec.get("upscalingSpeed")
    if speed is None:
        speed_value: float = LEGACY_DEFAULT_SPEED
        origin = f"the legacy default upscalingSpeed {LEGACY_DEFAULT_SPEED:g}"
    else:
        speed_value = _number(speed, ("spec", "upscalingSpeed"))
        origin = f"upscalingSpeed {speed}"
    if speed_value < math.sqrt(CONSERVATIVE_SPEED * UNLIMITED_SPEED):
        mode, kuberay_speed = "Conservative", CONSERVATIVE_SPEED
    else:
        mode, kuberay_speed = "Default", UNLIMITED_SPEED
    new_spec["autoscalerOptions"] = {"idleTimeoutSeconds": seconds, "upscalingMode": mode}
    notes.choice(("spec", "autoscalerOptions", "idleTimeoutSeconds"), idle)
    notes.choice(
        ("spec", "autoscalerOptions", "upscalingMode"),
        f"{mode} from {origin}: Ray's autoscaler runs Conservative at speed 1 and Default/Aggressive at "
        "1000 (no limit); the nearer on a log scale",
    )
    if speed_value != kuberay_speed:
        notes.warn(
            ("spec", "upscalingSpeed"),
            f"KubeRay offers speeds 1 and 1000 only: {speed_value:g} becomes {kuberay_speed:g} ({mode})",
        )


def _ray_version(new_spec: dict[str, Any], pod_type_indexes: Sequence[int], notes: _Notes) -> None:
    """`rayVersion` from the head's Ray image tag, when the image is a Ray release (KubeRay reads it to pick
    its probes); `pod_type_indexes` are the legacy Pod types of the head and of each worker group."""
    groups = [new_spec["headGroupSpec"], *new_spec.get("workerGroupSpecs", [])]
    images = [group["template"]["spec"]["containers"][0].get("image") for group in groups]
    paths: list[FieldPath] = [
        ("spec", "podTypes", index, "podConfig", "spec", "containers", 0, "image")
        for index in pod_type_indexes
    ]
    version = _release_of(images[0])
    if version is None:
        notes.warn(paths[0], f"{images[0]!r} names no Ray release: set spec.rayVersion to the Ray it runs")
        return
    new_spec["rayVersion"] = version
    notes.choice(("spec", "rayVersion"), f"from the head image {images[0]}")
    for image, path in zip(images[1:], paths[1:], strict=True):
        if _release_of(image) != version:
            notes.warn(path, f"{image!r} is not Ray {version}, the head's release")


def _release_of(image: Any) -> str | None:
    if not isinstance(image, str):
        return None
    name, _, tag = image.partition("@")[0].rpartition(":")
    if not name or "/" in tag:
        name, tag = image.partition("@")[0], "latest"
    match = _RELEASE_TAG.match(tag)
    if _RAY_IMAGE.search(name) is None or match is None:
        return None
    return match.group(1)


# --- Pod templates ---------------------------------------------------------------------------------------


def _template(
    pod_type: Mapping[str, Any], index: int, role: str, path: FieldPath, notes: _Notes
) -> dict[str, Any]:
    """`podConfig` without what made sense only to the legacy operator: `generateName` (KubeRay names the
    Pods) and the keep-alive command (the legacy autoscaler ran `ray start` through `kubectl exec`; KubeRay
    makes `ray start` the container's command)."""
    legacy: FieldPath = ("spec", "podTypes", index, "podConfig")
    pod_config = _mapping(pod_type.get("podConfig"), legacy, required=True)
    pod_spec = _mapping(pod_config.get("spec"), (*legacy, "spec"), required=True)
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers or not all(isinstance(c, dict) for c in containers):
        raise LegacyFormatError(field_path((*legacy, "spec", "containers")), "must be a non-empty list")
    dropped = [key for key in ("apiVersion", "kind") if key in pod_config]
    if (pod_config.get("apiVersion"), pod_config.get("kind")) not in ((None, None), ("v1", "Pod")):
        notes.warn(legacy, "apiVersion and kind should be v1 Pod; read as a Pod")
    for key in sorted(set(pod_config) - {"apiVersion", "kind", "metadata", "spec"}, key=str):
        notes.warn((*legacy, key), "not mapped")
    template: dict[str, Any] = {}
    metadata = _mapping(pod_config.get("metadata"), (*legacy, "metadata"))
    kept = {key: copy.deepcopy(metadata[key]) for key in ("labels", "annotations") if key in metadata}
    dropped.extend(f"metadata.{key}" for key in sorted(metadata) if key not in kept)
    if kept:
        template["metadata"] = kept
    template["spec"] = new_spec = copy.deepcopy(pod_spec)
    ray = new_spec["containers"][0]
    if _keeps_alive(ray):
        dropped.append("the keep-alive command/args")
        ray.pop("command", None)
        ray.pop("args", None)
    elif "command" in ray or "args" in ray:
        notes.warn(
            (*legacy, "spec", "containers", 0),
            "command/args kept: KubeRay runs them before `ray start`, or instead of it if they contain "
            "`ray start` (docs/kuberay-rendering.md)",
        )
    notes.choice(
        path,
        f"podTypes[{index}].podConfig" + (f" without {', '.join(dropped)}" if dropped else ""),
    )
    if ray.get("name") == "ray-node":
        ray["name"] = f"ray-{role}"
        notes.choice(
            (*path, "spec", "containers", 0, "name"),
            "ray-node renamed as in KubeRay's samples; the Ray container is the first, as KubeRay expects",
        )
    return template


def _keeps_alive(container: Mapping[str, Any]) -> bool:
    """The legacy examples' `["/bin/bash", "-c", "--"]`, `["trap : TERM INT; ... sleep infinity & wait;"]`."""
    words = [*(container.get("command") or []), *(container.get("args") or [])]
    text = " ".join(str(word) for word in words)
    return "sleep infinity" in text and "ray start" not in text


def _head_ports(template: dict[str, Any], service_ports: Any, head_index: int, notes: _Notes) -> None:
    """Keep the legacy head Service's ports: KubeRay's head Service exposes the head container's ports, by
    name, and its own defaults only while the container lists none (docs/kuberay-rendering.md)."""
    container = template["spec"]["containers"][0]
    ports = container.get("ports")
    if not ports and not service_ports:
        return  # KubeRay's defaults cover the legacy client, dashboard and ray-serve ports
    path: FieldPath = ("spec", "headGroupSpec", "template", "spec", "containers", 0, "ports")
    legacy_ports: FieldPath = ("spec", "podTypes", head_index, "podConfig", "spec", "containers", 0, "ports")
    if ports and (not isinstance(ports, list) or not all(isinstance(port, dict) for port in ports)):
        raise LegacyFormatError(
            field_path(legacy_ports), "the head container's ports must be a list of mappings"
        )
    wanted = _legacy_service_ports(service_ports)
    new_ports: list[dict[str, Any]] = copy.deepcopy(ports) or []
    if not new_ports:
        new_ports = [
            {"containerPort": port, "name": name} for port, name in sorted(KUBERAY_PORT_NAMES.items())
        ]
        notes.choice(path, "KubeRay's default ports, which it exposes only while the container lists none")
    used = {port.get("name") for port in new_ports}
    named = []
    for port in new_ports:
        number = port.get("containerPort")
        name = KUBERAY_PORT_NAMES.get(number) if isinstance(number, int) else None
        if "name" not in port and name is not None and name not in used:
            port["name"] = name
            used.add(name)
            named.append(f"{name} {number}")
    if named:
        notes.choice(
            path, f"named {', '.join(named)} as KubeRay does (its Service, probes and Ingress use names)"
        )
    added = []
    for name, (service_port, target) in sorted(wanted.items()):
        where: FieldPath = ("spec", "headServicePorts")
        if isinstance(target, bool) or not isinstance(target, int):
            notes.warn(where, f"{name}: targetPort {target!r} is not a number; not mapped")
            continue
        if service_port != target:
            notes.warn(
                where,
                f"{name}: KubeRay's head Service serves container port {target} as {target}, "
                f"not as {service_port}",
            )
        if any(existing.get("containerPort") == target for existing in new_ports):
            continue
        new_name = "serve" if name == "ray-serve" else name
        if new_name in used:
            notes.warn(where, f"{name}: the head container has another port named {new_name}; not mapped")
            continue
        new_ports.append({"containerPort": target, "name": new_name})
        used.add(new_name)
        added.append(f"{new_name} {target}")
    if added:
        notes.choice(
            path,
            f"added {', '.join(added)} of the legacy head Service: KubeRay's head Service exposes only the "
            "container's ports",
        )
    container["ports"] = new_ports


def _legacy_service_ports(service_ports: Any) -> dict[str, tuple[int, Any]]:
    """The legacy head Service's ports by name, (port, targetPort): the operator's defaults updated by name
    from `headServicePorts` (as `operator_utils.get_head_service` did)."""
    wanted: dict[str, tuple[int, Any]] = {
        name: (port, port) for name, port in LEGACY_HEAD_SERVICE_PORTS.items()
    }
    if service_ports is None:
        return wanted
    if not isinstance(service_ports, list):
        raise LegacyFormatError("spec.headServicePorts", "must be a list")
    for index, entry in enumerate(service_ports):
        legacy: FieldPath = ("spec", "headServicePorts", index)
        entry = _mapping(entry, legacy, required=True)
        name, port = entry.get("name"), entry.get("port")
        if not isinstance(name, str) or not name:
            raise LegacyFormatError(field_path((*legacy, "name")), "is required")
        if isinstance(port, bool) or not isinstance(port, int):
            raise LegacyFormatError(field_path((*legacy, "port")), "must be an integer")
        wanted[name] = (port, entry.get("targetPort", port))
    return wanted


# --- ray start parameters -------------------------------------------------------------------------------

# Flags KubeRay sets itself (docs/kuberay-rendering.md, rayStartParams completion): dropped, with the reason.
_MANAGED_FLAGS: Mapping[str, Mapping[str, str]] = {
    _HEAD: {
        "head": "KubeRay starts the head with --head",
        "block": "KubeRay always passes --block",
        "no-monitor": "KubeRay sets it while its autoscaler runs",
        "address": "a head starts its own GCS under KubeRay",
    },
    _WORKER: {
        "address": "KubeRay points workers at the head Service",
        "block": "KubeRay always passes --block",
        "port": "workers take the head's port from KubeRay's --address",
        "head": "not a worker flag",
    },
}


def _group_params(
    start: _StartParams, pod_type: Mapping[str, Any], index: int, path: FieldPath, notes: _Notes
) -> dict[str, str]:
    """`rayStartParams`: the flags of `ray start` in the start commands, then the Pod type's `rayResources`
    (which Ray's autoscaler passed to `ray start` too, and which win: they are per Pod type)."""
    params, custom = dict(start.params), dict(start.custom)
    resources_path: FieldPath = ("spec", "podTypes", index, "rayResources")
    resources = _mapping(pod_type.get("rayResources"), resources_path)
    mapped = []
    for name in sorted(resources, key=str):
        value = _number(resources[name], (*resources_path, str(name)))
        flag = RESOURCE_FLAGS.get(name)
        if flag is None:
            custom[name] = value
            continue
        text = _number_text(value)
        if params.get(flag, text) != text:
            notes.warn(resources_path, f"{name}: {text} replaces --{flag}={params[flag]} of {start.source}")
        params[flag] = text
        mapped.append(f"{name} -> {flag}")
    if custom:
        params["resources"] = f"'{go_json_object(custom)}'"
        mapped.append("custom resources -> resources (JSON)")
    if mapped:
        notes.choice(path, f"from podTypes[{index}].rayResources: {', '.join(mapped)}")
    return params


def _number_text(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


class _StartParams(NamedTuple):
    source: str  # the legacy field
    params: dict[str, str]
    custom: dict[str, float | int]  # from `--resources`


def _start_params(
    spec: Mapping[str, Any], key: str, role: str, path: FieldPath, notes: _Notes
) -> _StartParams:
    """The flags of the `ray start` in the start commands (shell lines), and the custom resources of its
    `--resources`; `ray stop`, `ulimit -n` and output redirections are KubeRay's business."""
    start = _StartParams(f"spec.{key}", {}, {})
    commands = spec.get(key)
    if commands is None:
        return start
    legacy: FieldPath = ("spec", key)
    if not isinstance(commands, list) or not all(isinstance(command, str) for command in commands):
        raise LegacyFormatError(start.source, "must be a list of strings")
    handled: list[str] = []
    for number, command in enumerate(commands):
        try:
            segments = _shell_segments(command)
        except ValueError as error:
            notes.warn((*legacy, number), f"not mapped: cannot read it as a shell command ({error})")
            continue
        for words, redirected in segments:
            if redirected:
                handled.append("an output redirection (KubeRay's ray start logs to the container)")
            if words[:2] == ["ray", "start"]:
                _flags(words[2:], (*legacy, number), role, start, handled, notes)
            elif words[:2] == ["ray", "stop"]:
                handled.append("ray stop (KubeRay starts each Pod afresh)")
            elif words[:2] == ["ulimit", "-n"]:
                handled.append(
                    f"{' '.join(words)} (KubeRay runs ulimit -n ${{RAY_START_ULIMIT_OPEN_FILES:-65536}})"
                )
            elif words:
                notes.warn((*legacy, number), f"not mapped: {' '.join(words)}")
    if handled:
        notes.choice(path, f"from {start.source}; dropped {'; '.join(dict.fromkeys(handled))}")
    return start


def _shell_segments(command: str) -> list[tuple[list[str], bool]]:
    """The simple commands of a shell line, each with whether it had a redirection (dropped)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    segments: list[tuple[list[str], bool]] = [([], False)]
    tokens = list(lexer)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token in _SHELL_SEPARATORS:
            segments.append(([], False))
        elif token and set(token) <= set("<>&|();") and ("<" in token or ">" in token):
            words, _ = segments[-1]
            segments[-1] = (words, True)
            position += 1  # the redirection's target
        elif token.isdigit() and position + 1 < len(tokens) and tokens[position + 1].startswith((">", "<")):
            pass  # a file descriptor number before a redirection
        else:
            segments[-1][0].append(token)
        position += 1
    return [segment for segment in segments if segment[0] or segment[1]]


def _flags(
    words: Sequence[str], legacy: FieldPath, role: str, start: _StartParams, handled: list[str], notes: _Notes
) -> None:
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if not word.startswith("--"):
            notes.warn(legacy, f"ray start argument {word!r} not mapped")
            continue
        key, equals, value = word[2:].partition("=")
        if not equals:
            if position < len(words) and not words[position].startswith("-"):
                value = words[position]
                position += 1
            else:
                value = "true"
        reason = _MANAGED_FLAGS[role].get(key)
        if reason is not None:
            handled.append(f"--{key} ({reason})")
        elif key == "resources":
            _custom_resources(value, legacy, start.custom, notes)
        else:
            if "$RAY_HEAD_IP" in value or "${RAY_HEAD_IP}" in value:
                notes.warn(
                    legacy, f"--{key}: KubeRay sets no RAY_HEAD_IP (its Pods have RAY_IP and FQ_RAY_IP)"
                )
            quoted = value == shlex.quote(value) or value.startswith("$")
            start.params[key] = value if quoted else shlex.quote(value)


def _custom_resources(value: str, legacy: FieldPath, custom: dict[str, float | int], notes: _Notes) -> None:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(
        not isinstance(number, bool) and isinstance(number, int | float) and math.isfinite(number)
        for number in parsed.values()
    ):
        notes.warn(legacy, f"--resources {value!r} is not a JSON object of numbers; not mapped")
        return
    custom.update(parsed)
