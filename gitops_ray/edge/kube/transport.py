"""One request through the official client's request path, as raw bytes, always giving the connection back
(or, for a watch, the open response, which its reader closes).

Both the apply engine (`KubeApi`) and the Lease store speak plain JSON over this, instead of the client's
generated model classes (slow to decode at thousands of Pods, and the engine wants plain dicts anyway).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Timeout = tuple[float, float]  # (connect, read) seconds: the client ignores a bare float


def call(
    api_client: Any,
    method: str,
    path: str,
    *,
    timeout: Timeout,
    query: Sequence[tuple[str, str]] = (),
    body: Mapping[str, Any] | None = None,
    content_type: str = "application/json",
) -> bytes:
    """The response body; raises the client's ApiException (an HTTP error status) or urllib3/OS errors."""
    response = api_client.call_api(
        path,
        method,
        query_params=list(query),
        header_params={"Accept": "application/json", "Content-Type": content_type},
        body=dict(body) if body is not None else None,
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _preload_content=False,
        _request_timeout=timeout,
    )
    try:
        data: bytes = response.data
    finally:
        response.release_conn()
    return data


def stream(api_client: Any, path: str, *, timeout: Timeout, query: Sequence[tuple[str, str]] = ()) -> Any:
    """A GET whose body is read as it arrives (a watch): the open urllib3 response, which the caller reads
    and closes; raises as `call`."""
    return api_client.call_api(
        path,
        "GET",
        query_params=list(query),
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _preload_content=False,
        _request_timeout=timeout,
    )
