"""`kubectl kustomize` for the subset of kustomize that deploy/ uses, in Python, so the tests render what
`kubectl apply -k deploy/` applies without a kubectl or kustomize binary (scripts/setup installs
neither). Supported: `resources` (files), `namespace`, `images` (`newName`, `newTag`, `digest`) and
`labels` (`pairs`, `includeTemplates`). Anything else is an error: a kustomization that outgrows this
reader fails loudly instead of rendering something else than kubectl would. tests/test_deploy.py compares
the two wherever kubectl is installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gitops_ray.model.objects import KubeObject

FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "labels"}
LABEL_FIELDS = {"pairs", "includeTemplates"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
NAMESPACED = {
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Deployment",
    "PodDisruptionBudget",
    "PodMonitor",
    "PrometheusRule",
}


class UnsupportedKustomization(ValueError):
    """The kustomization uses what this reader does not implement."""


def build(directory: Path) -> list[KubeObject]:
    """The objects `kubectl kustomize DIRECTORY` prints, in the order of `resources`."""
    where = directory / "kustomization.yaml"
    kustomization: dict[str, Any] = yaml.safe_load(where.read_text(encoding="utf-8"))
    _only(where, "", kustomization, FIELDS)
    objects = [
        document
        for resource in kustomization.get("resources", [])
        for document in yaml.safe_load_all((directory / resource).read_text(encoding="utf-8"))
        if document
    ]
    for obj in objects:
        if "namespace" in kustomization:
            _set_namespace(where, obj, kustomization["namespace"])
        for label in kustomization.get("labels", []):
            _only(where, "labels", label, LABEL_FIELDS)
            _add_labels(obj, label["pairs"], label.get("includeTemplates", False))
        for image in kustomization.get("images", []):
            _only(where, "images", image, IMAGE_FIELDS)
            _set_image(obj, image)
    return objects


def _only(where: Path, field: str, mapping: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise UnsupportedKustomization(f"{where}: {field or 'top level'}: unsupported {unknown}")


def _set_namespace(where: Path, obj: KubeObject, namespace: str) -> None:
    """kustomize renames a Namespace object to the namespace and moves every namespaced object into it;
    the subjects of bindings keep theirs (it rewrites only a ServiceAccount named `default`)."""
    kind = obj["kind"]
    if kind == "Namespace":
        obj["metadata"]["name"] = namespace
    elif kind in NAMESPACED:
        obj["metadata"]["namespace"] = namespace
    elif kind not in CLUSTER_SCOPED:
        raise UnsupportedKustomization(
            f"{where}: namespace: kind {kind} is not known to be namespaced or not"
        )


def _add_labels(obj: KubeObject, pairs: dict[str, str], templates: bool) -> None:
    obj["metadata"].setdefault("labels", {}).update(pairs)
    template = obj.get("spec", {}).get("template")
    if templates and template is not None:
        template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _set_image(obj: KubeObject, image: dict[str, str]) -> None:
    """Containers and init containers whose image has `name` (before any tag or digest) get `newName`,
    and `newTag` or `digest` instead of what they had."""
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    for container in [*pod.get("containers", []), *pod.get("initContainers", [])]:
        name, tag = split_image(container["image"])
        if name != image["name"]:
            continue
        if "digest" in image:
            tag = "@" + image["digest"]
        elif "newTag" in image:
            tag = ":" + image["newTag"]
        container["image"] = image.get("newName", name) + tag


def split_image(image: str) -> tuple[str, str]:
    """`registry/name:tag@digest` -> (`registry/name`, `:tag@digest`); a registry's port is not a tag."""
    at = image.find("@")
    name, digest = (image[:at], image[at:]) if at >= 0 else (image, "")
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        return name[:colon], name[colon:] + digest
    return name, digest
