"""`ClusterApi`: the calls one sync cycle makes, as a protocol, so the cycle's orchestration can also be
driven by an in-memory cluster in fast tests (the real API server stays the test of cluster behaviour)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from gitops_ray.edge.fencing import WriteCheck
from gitops_ray.model.objects import KubeObject


class ClusterApi(Protocol):
    """What `edge.apply.sync_state` needs from a cluster; `KubeApi` is the real one."""

    @property
    def dry_run(self) -> bool: ...

    @property
    def requests(self) -> dict[str, int]: ...

    def with_writes(self, *, dry_run: bool | None = None, check: WriteCheck | None = None) -> ClusterApi: ...

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        cached: bool = False,
        shrink: Callable[[KubeObject], KubeObject] | None = None,
    ) -> list[KubeObject]: ...

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> KubeObject | None: ...

    def inventory_parents(self) -> list[KubeObject]: ...

    def apply(self, obj: KubeObject, field_manager: str) -> KubeObject: ...

    def create(self, obj: KubeObject, field_manager: str) -> KubeObject: ...

    def delete(self, obj: KubeObject) -> bool: ...

    def is_gone(self, obj: KubeObject) -> bool: ...
