"""How gitops-ray marks what it owns: ApplySet (KEP-3659) parent and member labels, prune opt-out, spec hash.

Pure and shared by render (labels in rendered/ match what is applied) and by the apply engine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import PurePosixPath
from typing import Any

from gitops_ray.model.objects import KubeObject, annotation, label

FIELD_MANAGER = "gitops-ray"
TOOLING = "gitops-ray/v1"

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "gitops-ray"
CLUSTER_LABEL = "gitops-ray.io/cluster"  # the unit's name, for label selectors
PART_OF_LABEL = "applyset.kubernetes.io/part-of"

APPLYSET_ID_LABEL = "applyset.kubernetes.io/id"
APPLYSET_TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling"
APPLYSET_GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds"
APPLYSET_NAMESPACES_ANNOTATION = "applyset.kubernetes.io/additional-namespaces"

PRUNE_ANNOTATION = "gitops-ray.io/prune"
PRUNE_DISABLED = "disabled"
SPEC_HASH_ANNOTATION = "gitops-ray.io/spec-hash"
SOURCE_ANNOTATION = "gitops-ray.io/source"  # repo-relative file a unit came from (on the parent)
SOURCE_ID_ANNOTATION = "gitops-ray.io/source-id"  # which source (repository + path) applied the unit
# On a Secret rendered without data: the apply step creates it once with a random value under this key.
GENERATED_SECRET_ANNOTATION = "gitops-ray.io/generated-secret"

PARENT_KIND = "ConfigMap"
PARENT_API_VERSION = "v1"


_URL_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)


def source_identity(url: str, path: str) -> str:
    """The identity of a source: `<repository URL>#<cluster path>`, e.g. `https://git.example/org/ray#clusters`.

    Recorded on every inventory parent, so a sync retires only the clusters of its own source (as a Flux
    Kustomization or an Argo CD Application prunes only its own objects). Credentials, a trailing `/` and
    `.git` are dropped from the URL, so every spelling of one repository is one source; the path is the
    repository-relative directory of the cluster files (`.` for the whole repository)."""
    clean = _URL_USERINFO.sub(r"\1", url.strip()).rstrip("/").removesuffix(".git").rstrip("/")
    where = PurePosixPath(path.strip() or ".").as_posix().strip("/") or "."
    return f"{clean}#{where}"


def parent_name(unit_name: str) -> str:
    """Name of the unit's ApplySet parent ConfigMap, in the unit's namespace."""
    return f"gitops-ray-{unit_name}"


def applyset_id(name: str, namespace: str, kind: str = PARENT_KIND, group: str = "") -> str:
    """KEP-3659 ApplySet ID: `applyset-<base64url(sha256(name.namespace.kind.group)), no padding>-v1`."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"


def unit_applyset_id(unit_name: str, namespace: str) -> str:
    return applyset_id(parent_name(unit_name), namespace)


def membership_labels(unit_name: str, namespace: str) -> dict[str, str]:
    """Labels every object of a unit carries, so prune and `kubectl` can tell what is ours."""
    return {
        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
        CLUSTER_LABEL: unit_name,
        PART_OF_LABEL: unit_applyset_id(unit_name, namespace),
    }


def is_ours(obj: KubeObject, applyset: str) -> bool:
    """True if a live object still carries our labels for this ApplySet (the precondition for pruning it)."""
    return label(obj, MANAGED_BY_LABEL) == MANAGED_BY_VALUE and label(obj, PART_OF_LABEL) == applyset


def is_generated_secret(obj: KubeObject) -> bool:
    """A Secret whose value gitops-ray generates once (Git never holds it): created, never updated."""
    return obj.get("kind") == "Secret" and annotation(obj, GENERATED_SECRET_ANNOTATION) is not None


def prune_disabled(obj: KubeObject) -> bool:
    return str(annotation(obj, PRUNE_ANNOTATION) or "").lower() == PRUNE_DISABLED


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(pod: KubeObject) -> str:
    """Hash of a Pod's spec: a different hash means the Pod must be recreated (Pod specs are immutable)."""
    return hashlib.sha256(canonical_json(pod.get("spec") or {}).encode()).hexdigest()[:16]
