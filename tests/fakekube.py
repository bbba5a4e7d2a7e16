"""An in-memory cluster for fast tests of the sync cycle's orchestration (which calls, in which order,
what is counted). It keeps objects as plain dicts and does little of an API server's work (no defaulting,
no validation, no conflicts; what each field manager last applied is merged map by map): cluster
behaviour is tested on the real API server."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable

from gitops_ray.edge.fencing import WriteCheck, unfenced
from gitops_ray.edge.kube.errors import KubeError
from gitops_ray.model.objects import KubeObject, api_group, describe, object_ref
from gitops_ray.model.ownership import APPLYSET_ID_LABEL

Key = tuple[str, str, str, str]  # (group, kind, namespace, name)
Failure = Callable[[str, KubeObject], KubeError | None]  # (verb, object) -> the error to raise, if any


def _same(obj: KubeObject) -> KubeObject:
    return obj


def _merged(base: KubeObject, top: KubeObject) -> KubeObject:
    """`top` over `base`, maps merged key by key: the fields of two field managers side by side."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        merged[key] = _merged(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged


def _key(obj: KubeObject) -> Key:
    api_version, kind, namespace, name = object_ref(obj)
    return (api_group(api_version), kind, namespace, name)


class FakeCluster:
    """Implements `edge.kube.protocol.ClusterApi`. `sent` lists every write as (verb, object text, dry)."""

    def __init__(self, fail: Failure | None = None) -> None:
        self.objects: dict[Key, KubeObject] = {}
        self.applied: dict[Key, dict[str, KubeObject]] = {}  # per object, what each field manager applied
        self.sent: list[tuple[str, str, bool]] = []
        self.fail = fail or (lambda verb, obj: None)
        self._versions = itertools.count(1)
        self.dry_run = False
        self._check: WriteCheck = unfenced

    @property
    def requests(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for verb, _, dry in self.sent:
            name = f"{verb} (dry-run)" if dry else verb
            counts[name] = counts.get(name, 0) + 1
        return counts

    def with_writes(self, *, dry_run: bool | None = None, check: WriteCheck | None = None) -> FakeCluster:
        other = copy.copy(self)  # shares objects and the request log
        other.dry_run = self.dry_run or bool(dry_run)
        other._check = check or self._check
        return other

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        cached: bool = False,
        shrink: Callable[[KubeObject], KubeObject] | None = None,
    ) -> list[KubeObject]:
        group = api_group(api_version)
        return [
            (shrink or _same)(copy.deepcopy(obj))
            for (g, k, ns, _), obj in sorted(self.objects.items())
            if (g, k) == (group, kind)
            and (namespace is None or ns == namespace)
            and (not label_selector or label_selector in ((obj.get("metadata") or {}).get("labels") or {}))
        ]

    def inventory_parents(self) -> list[KubeObject]:
        return self.list_objects("v1", "ConfigMap", None, APPLYSET_ID_LABEL)

    def _write(self, verb: str, obj: KubeObject) -> None:
        self._check()
        self.sent.append((verb, describe(obj), self.dry_run))
        error = self.fail(verb, obj)
        if error is not None:
            raise error

    def _stored(self, obj: KubeObject, manager: str) -> KubeObject:
        previous = self.objects.get(_key(obj))
        applied = self.applied.setdefault(_key(obj), {}) if previous is not None else {}
        if not self.dry_run:
            applied[manager] = copy.deepcopy(obj)
            self.applied[_key(obj)] = applied
        stored: KubeObject = {}
        for manager_object in [*applied.values(), obj]:  # each manager's fields, the newest last
            stored = _merged(stored, copy.deepcopy(manager_object))
        meta = stored.setdefault("metadata", {})
        meta["uid"] = (previous or {}).get("metadata", {}).get("uid") or f"uid-{next(self._versions)}"
        meta["resourceVersion"] = str(next(self._versions))
        meta["managedFields"] = [{"manager": manager, "operation": "Apply", "fieldsV1": {}}]
        if not self.dry_run:
            self.objects[_key(obj)] = stored
        return copy.deepcopy(stored)

    def apply(self, obj: KubeObject, field_manager: str) -> KubeObject:
        self._write("PATCH", obj)
        return self._stored(obj, field_manager)

    def create(self, obj: KubeObject, field_manager: str) -> KubeObject:
        self._write("POST", obj)
        if _key(obj) in self.objects:
            raise KubeError(f"create {describe(obj)}: already exists", 409, "AlreadyExists")
        return self._stored(obj, field_manager)

    def delete(self, obj: KubeObject) -> bool:
        self._write("DELETE", obj)
        if self.dry_run:
            return _key(obj) in self.objects
        self.applied.pop(_key(obj), None)
        return self.objects.pop(_key(obj), None) is not None

    def is_gone(self, obj: KubeObject) -> bool:
        return _key(obj) not in self.objects

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> KubeObject | None:
        found = self.objects.get((api_group(api_version), kind, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def kinds(self) -> list[tuple[str, str]]:
        """(kind, name) of every stored object, sorted."""
        return sorted((kind, name) for _, kind, _, name in self.objects)


def forbid(verb: str, kind: str) -> Failure:
    """A failure for every `verb` request on objects of `kind` (RBAC says no)."""

    def failure(sent: str, obj: KubeObject) -> KubeError | None:
        if sent == verb and obj.get("kind") == kind:
            return KubeError(f"{sent} {describe(obj)}: forbidden", 403, "Forbidden")
        return None

    return failure


__all__ = ["FakeCluster", "forbid"]
