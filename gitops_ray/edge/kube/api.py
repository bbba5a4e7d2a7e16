"""`KubeApi`: the few calls the apply engine makes, as plain dicts over the official client's request path.

Responses are decoded with `json.loads` (garbage collector paused) instead of the client's model classes:
a LIST of thousands of Pods decodes several times faster, and the engine wants plain dicts anyway.
"""

from __future__ import annotations

import copy
import gc
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, overload

import urllib3

from gitops_ray.edge.fencing import WriteCheck, unfenced
from gitops_ray.edge.kube.counting import READ_METHODS, RequestCounter
from gitops_ray.edge.kube.errors import KubeError, NotFound, request_error, unreachable_error
from gitops_ray.edge.kube.official import ApiException
from gitops_ray.edge.kube.resources import (
    BUILTIN_RESOURCES,
    Resource,
    discovery_path,
    resources_from_discovery,
)
from gitops_ray.edge.kube.transport import call, stream
from gitops_ray.model.objects import KubeObject, annotation, describe, metadata, object_ref, uid
from gitops_ray.model.ownership import (
    APPLYSET_ID_LABEL,
    APPLYSET_TOOLING_ANNOTATION,
    PARENT_API_VERSION,
    TOOLING,
)

Kept = TypeVar("Kept")  # what a LIST keeps of each object (`list_with_version`'s `shrink`)
APPLY_PATCH = "application/apply-patch+yaml"
TOO_LARGE_RESOURCE_VERSION = "Too large resource version"  # the API server's words, HTTP 504
# Objects per LIST page: a cycle holds little more than what it keeps, plus a decoded page per LIST in flight
# (250 Pods are ~4 MB of Python objects). At 1,000 clusters, 500 -> 250 lowers the controller's peak by 25 MB
# at the same CPU; 100 saves 9 MB more and costs CPU (more requests).
LIST_PAGE = 250
TOOLING_PREFIX = TOOLING.split("/", 1)[0] + "/"  # any gitops-ray version's parents are ours to read
# (connect, read) seconds: fail fast when the API server is gone, allow slow LISTs of big namespaces. The
# short connect bounds how late a fenced write can reach the server after its check (a third of the lease).
REQUEST_TIMEOUT = (2.0, 120.0)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Decoded API objects are millions of small containers that all survive: every cyclic GC pass over
    them is waste (seconds per pass at thousands of Pods). Nested use is fine."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decode_json(data: bytes) -> Any:
    with gc_paused():
        return json.loads(data) if data else None


class KubeApi:
    """List, apply, create and delete objects and read inventory parents; every request is counted by verb.

    Two rules hold for every mutating request, in `_request` alone: the write check runs first (a fenced
    replica sends nothing), and a dry-run client sends `dryRun=All` in the query *and*, for DELETE, in the
    `DeleteOptions` body (the API server reads a DELETE's options from its body when there is one)."""

    def __init__(
        self, api_client: Any, counter: RequestCounter, *, dry_run: bool = False, check: WriteCheck = unfenced
    ) -> None:
        self._client = api_client
        self.counter = counter
        self.dry_run = dry_run
        self._check = check
        self._discovered: dict[str, dict[str, Resource]] = {}
        self._seen_versions: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()  # writes run in a thread pool
        # LISTs run in parallel (their pages arrive while others decode), but only one page is decoded and
        # shrunk at a time: a page of Pods whole is tens of MB, and decoding holds the GIL anyway.
        self._decoding = threading.Lock()

    def with_writes(self, *, dry_run: bool | None = None, check: WriteCheck | None = None) -> KubeApi:
        """The same connection (caches and counters shared) with writes made dry and/or fenced; a dry-run
        client never becomes a writing one this way."""
        other = copy.copy(self)
        other.dry_run = self.dry_run or bool(dry_run)
        other._check = check or self._check
        return other

    @property
    def requests(self) -> dict[str, int]:
        return self.counter.snapshot()

    # -- resources -------------------------------------------------------------------------------

    def resource(self, api_version: str, kind: str) -> Resource:
        """Where `kind` lives; other kinds are looked up through discovery, once per group version while
        found (a kind not served yet is asked for again: its CRD may be installed by the next cycle)."""
        known = BUILTIN_RESOURCES.get((api_version, kind)) or self._discovered.get(api_version, {}).get(kind)
        if known is not None:
            return known
        body = self._request(
            "GET", discovery_path(api_version), action="discover", target=kind, absent_ok=True
        )
        self._discovered[api_version] = resources_from_discovery(api_version, body or {})
        found = self._discovered[api_version].get(kind)
        if found is None:
            raise NotFound(
                f"the API server does not serve {api_version} {kind} (is its CRD installed?)",
                404,
                "NotFound",
            )
        return found

    # -- reads -----------------------------------------------------------------------------------

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        cached: bool = False,
        shrink: Callable[[KubeObject], KubeObject] | None = None,
    ) -> list[KubeObject]:
        """All objects of a kind in a namespace (all namespaces for None), with apiVersion/kind filled in.

        Read in pages of `LIST_PAGE` objects; `shrink` is applied to each object as its page arrives, so a
        caller that keeps less than whole objects never holds more than one page of them whole.
        `cached`: once this client has seen a version of the kind (listed or written), the first page need
        only be at least as fresh as that version (`resourceVersionMatch=NotOlderThan`): the cycle sees
        everything it wrote itself. An expired continue token (HTTP 410) starts the list again."""
        return self._list(api_version, kind, namespace, label_selector, cached, shrink)[0]

    @overload
    def list_with_version(
        self, api_version: str, kind: str, namespace: str | None, label_selector: str = ""
    ) -> tuple[list[KubeObject], str]: ...

    @overload
    def list_with_version(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str,
        shrink: Callable[[KubeObject], Kept],
    ) -> tuple[list[Kept], str]: ...

    def list_with_version(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        shrink: Callable[[KubeObject], Any] | None = None,
    ) -> tuple[list[Any], str]:
        """`list_objects`, read from etcd, with the list's resourceVersion: a watch from that version
        misses no change after the list (`watch`). `shrink` may make anything of each object."""
        return self._list(api_version, kind, namespace, label_selector, shrink=shrink)

    def _list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str = "",
        cached: bool = False,
        shrink: Callable[[KubeObject], Any] | None = None,
    ) -> tuple[list[Any], str]:
        resource = self.resource(api_version, kind)
        query = [("labelSelector", label_selector)] if label_selector else []
        query.append(("limit", str(LIST_PAGE)))
        seen = self._seen_versions.get((api_version, kind)) if cached else None
        first = [("resourceVersion", str(seen)), ("resourceVersionMatch", "NotOlderThan")] if seen else []
        where = f" in namespace {namespace}" if resource.namespaced and namespace else ""
        items: list[Any] = []
        token = ""
        while True:
            try:
                data = self._send(
                    "GET",
                    resource.collection_path(namespace),
                    query=[*query, ("continue", token)] if token else [*query, *first],
                    action="list",
                    target=f"{kind}{where}",
                    permission=resource.permission("list", namespace),
                )
            except KubeError as error:
                if token and error.status == 410:
                    items, token = [], ""  # the snapshot behind the token was compacted away: list again
                    continue
                if not first or TOO_LARGE_RESOURCE_VERSION not in error.message:
                    raise
                # The cluster's versions went backwards (etcd restored or replaced): forget ours, read etcd.
                with self._lock:
                    self._seen_versions.pop((api_version, kind), None)
                return self._list(api_version, kind, namespace, label_selector, shrink=shrink)
            with self._decoding:
                body = decode_json(data or b"")
                del data
                page: list[KubeObject] = list((body or {}).get("items") or [])
                for item in page:
                    item["apiVersion"] = api_version
                    item["kind"] = kind
                self._saw(api_version, kind, page)
                items.extend(map(shrink, page) if shrink else page)
                listed = (body or {}).get("metadata") or {}
                del page, body  # the whole page goes before the next one is decoded
            token = str(listed.get("continue") or "")
            if not token:
                return items, str(listed.get("resourceVersion") or "")

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str,
        resource_version: str,
        seconds: int,
        read_timeout: float,
    ) -> Any:
        """A WATCH of the kind from `resource_version`, with bookmarks, that the API server ends after
        `seconds`: the open urllib3 response, one JSON event per line (`edge.kube.watch` reads it). A read
        waits at most `read_timeout` seconds for the next bytes."""
        resource = self.resource(api_version, kind)
        where = f" in namespace {namespace}" if resource.namespaced and namespace else ""
        target = f"{kind}{where}"
        query = [
            ("watch", "true"),
            ("labelSelector", label_selector),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(seconds)),
        ]
        try:
            return stream(
                self._client,
                resource.collection_path(namespace),
                query=query,
                timeout=(REQUEST_TIMEOUT[0], read_timeout),
            )
        except ApiException as error:
            if not error.status:
                raise unreachable_error("watch", target, error) from None
            reason = str(error.reason)
            permission = resource.permission("watch", namespace)
            raise request_error("watch", target, error.status, error.body, reason, permission) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise unreachable_error("watch", target, error) from None

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> KubeObject | None:
        """One object, or None when it does not exist (used while waiting for a delete to finish)."""
        resource = self.resource(api_version, kind)
        target = describe({"kind": kind, "metadata": {"namespace": namespace, "name": name}})
        found: KubeObject | None = self._request(
            "GET",
            resource.object_path(namespace, name),
            action="get",
            target=target,
            permission=resource.permission("get", namespace),
            absent_ok=True,
        )
        return found

    def inventory_parents(self) -> list[KubeObject]:
        """Every gitops-ray ApplySet parent in the cluster (units whose files are gone are found this way)."""
        parents = self.list_objects(PARENT_API_VERSION, "ConfigMap", None, label_selector=APPLYSET_ID_LABEL)
        return [
            parent
            for parent in parents
            if str(annotation(parent, APPLYSET_TOOLING_ANNOTATION)).startswith(TOOLING_PREFIX)
        ]

    def _saw(self, api_version: str, kind: str, objects: Iterable[KubeObject]) -> None:
        """Remember the newest resourceVersion seen per kind (etcd revisions: integers in practice; a
        server whose versions are not numbers simply always gets reads from etcd)."""
        versions = [metadata(obj).get("resourceVersion") for obj in objects]
        numbers = [int(v) for v in versions if isinstance(v, str) and v.isdigit()]
        if not numbers:
            return
        with self._lock:
            key = (api_version, kind)
            self._seen_versions[key] = max([*numbers, self._seen_versions.get(key, 0)])

    # -- writes ----------------------------------------------------------------------------------

    def apply(self, obj: KubeObject, field_manager: str) -> KubeObject:
        """Server-side apply with forced ownership; returns the object as the API server stored it."""
        return self._write("apply", obj, [("fieldManager", field_manager), ("force", "true")])

    def create(self, obj: KubeObject, field_manager: str) -> KubeObject:
        """POST: fails with a conflict if an object of that name exists (apply would take it over)."""
        return self._write("create", obj, [("fieldManager", field_manager)])

    def _write(self, action: str, obj: KubeObject, query: list[tuple[str, str]]) -> KubeObject:
        api_version, kind, namespace, name = object_ref(obj)
        resource = self.resource(api_version, kind)
        applying = action == "apply"
        body: KubeObject = self._request(
            "PATCH" if applying else "POST",
            resource.object_path(namespace, name) if applying else resource.collection_path(namespace),
            query=query,
            body=obj,
            content_type=APPLY_PATCH if applying else "application/json",
            action=action,
            target=describe(obj),
            permission=resource.permission("patch" if applying else "create", namespace),
        )
        if not self.dry_run:
            self._saw(api_version, kind, [body])
        return body

    def merge_patch(
        self, api_version: str, kind: str, namespace: str, name: str, patch: Mapping[str, Any]
    ) -> KubeObject | None:
        """A JSON merge patch of one object (a repeated Event's count); None when it no longer exists."""
        resource = self.resource(api_version, kind)
        patched: KubeObject | None = self._request(
            "PATCH",
            resource.object_path(namespace, name),
            body=patch,
            content_type="application/merge-patch+json",
            action="patch",
            target=describe({"kind": kind, "metadata": {"namespace": namespace, "name": name}}),
            permission=resource.permission("patch", namespace),
            absent_ok=True,
        )
        return patched

    def delete(self, obj: KubeObject) -> bool:
        """Delete exactly this object (its uid, when known, is a precondition); False if already gone."""
        api_version, kind, namespace, name = object_ref(obj)
        resource = self.resource(api_version, kind)
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        options["propagationPolicy"] = "Background"
        if uid(obj):
            options["preconditions"] = {"uid": uid(obj)}
        answer = self._request(
            "DELETE",
            resource.object_path(namespace, name),
            body=options,
            action="delete",
            target=describe(obj),
            permission=resource.permission("delete", namespace),
            absent_ok=True,
        )
        return answer is not None

    def is_gone(self, obj: KubeObject) -> bool:
        """True once a deleted object (a Pod in graceful termination, or held by a finalizer) no longer
        exists, or its name belongs to a newer object (another uid): its name can be used again."""
        api_version, kind, namespace, name = object_ref(obj)
        live = self.get(api_version, kind, namespace, name)
        return live is None or bool(uid(obj) and uid(live) != uid(obj))

    # -- plumbing --------------------------------------------------------------------------------

    def _writing(
        self, method: str, query: list[tuple[str, str]], body: Mapping[str, Any] | None
    ) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
        """The one gate of every mutating request: fenced replicas stop here; dry runs stay dry."""
        payload = dict(body) if body is not None else None
        if method in READ_METHODS:
            return query, payload
        self._check()
        if self.dry_run:
            query = [*(item for item in query if item[0] != "dryRun"), ("dryRun", "All")]
            if payload is not None and payload.get("kind") == "DeleteOptions":
                payload["dryRun"] = ["All"]
        return query, payload

    def _request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        target: str,
        permission: str = "",
        query: list[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        absent_ok: bool = False,
    ) -> Any:
        """One call through the client's request path; errors name the action, the object and the cause.
        With `absent_ok`, a 404 answers None instead of raising."""
        data = self._send(method, path, action, target, permission, query, body, content_type, absent_ok)
        return None if data is None else decode_json(data)

    def _send(
        self,
        method: str,
        path: str,
        action: str,
        target: str,
        permission: str = "",
        query: list[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        absent_ok: bool = False,
    ) -> bytes | None:
        """`_request`'s response body, undecoded (None for an absent object with `absent_ok`)."""
        query, payload = self._writing(method, query or [], body)
        try:
            data = call(
                self._client,
                method,
                path,
                timeout=REQUEST_TIMEOUT,
                query=query,
                body=payload,
                content_type=content_type,
            )
        except ApiException as error:
            if not error.status:
                raise unreachable_error(action, target, error) from None
            if error.status == 404 and absent_ok:
                return None
            reason = str(error.reason)
            raise request_error(action, target, error.status, error.body, reason, permission) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise unreachable_error(action, target, error) from None
        return data
