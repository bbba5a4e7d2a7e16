"""`MemberRef`: how gitops-ray names one object it applies, lists, records in an inventory or reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import intern
from typing import Any

from gitops_ray.model.objects import KubeObject, api_group, kind_rank, natural_key, object_ref


@dataclass(frozen=True, slots=True)
class MemberRef:
    """Identifies one applied object. Equality ignores the API version (ApplySets track group and kind),
    so an object listed as `apps/v1` is the same member when read back through another version. Slotted: a
    cycle holds a few for each of tens of thousands of objects."""

    api_version: str = field(compare=False)
    kind: str
    namespace: str
    name: str
    group: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "group", api_group(self.api_version))

    @classmethod
    def from_object(cls, obj: KubeObject) -> MemberRef:
        return cls(*object_ref(obj))

    @classmethod
    def from_line(cls, line: str) -> MemberRef:
        """Parse one `data.members` line; ValueError says what is wrong with it."""
        parts = line.split("/")
        if len(parts) != 5:
            raise ValueError(f"expected <group>/<version>/<Kind>/<namespace>/<name>, got {line!r}")
        group, version, kind, namespace, name = parts
        if not version or not kind or not name:
            raise ValueError(f"version, Kind and name must not be empty, got {line!r}")
        api_version = intern(f"{group}/{version}" if group else version)
        return cls(api_version, intern(kind), intern(namespace), name)  # an inventory lists thousands

    @property
    def version(self) -> str:
        return self.api_version.rsplit("/", 1)[-1]

    @property
    def group_kind(self) -> str:
        """kubectl's GroupKind text: `Pod`, `Role.rbac.authorization.k8s.io`."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def line(self) -> str:
        return f"{self.group}/{self.version}/{self.kind}/{self.namespace}/{self.name}"

    def sort_key(self) -> tuple[Any, ...]:
        return (kind_rank(self.kind), self.kind, self.group, self.namespace, natural_key(self.name))

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"
