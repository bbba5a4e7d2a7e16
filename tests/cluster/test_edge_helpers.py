"""The Kubernetes edge's small pure helpers (no API server needed)."""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from typing import Any

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from gitops_ray.edge.kube.counting import RequestCounter, request_verb, since
from gitops_ray.edge.kube.errors import unreachable_cause, unreachable_error
from gitops_ray.edge.kube.resources import BUILTIN_RESOURCES, Resource, resources_from_discovery


@pytest.mark.parametrize(
    ("method", "query", "verb"),
    [
        ("GET", [("labelSelector", "a=b")], "GET"),
        ("PATCH", [("fieldManager", "gitops-ray"), ("force", "true")], "PATCH"),
        ("PATCH", [("fieldManager", "gitops-ray"), ("dryRun", "All")], "PATCH (dry-run)"),
        ("DELETE", None, "DELETE"),
    ],
    ids=["list", "apply", "dry-run apply", "delete"],
)
def test_request_verb(method: str, query: Any, verb: str) -> None:
    assert request_verb(method, query) == verb


def test_writes_leave_out_reads_and_dry_runs() -> None:
    assert RequestCounter.writes_in({"GET": 4, "PATCH": 3, "PATCH (dry-run)": 9, "DELETE": 1}) == 4


def test_since_counts_only_what_was_sent_in_between() -> None:
    assert since({"GET": 4, "PATCH": 1}, {"GET": 8, "PATCH": 1, "DELETE": 2}) == {"GET": 4, "DELETE": 2}


@pytest.mark.parametrize(
    ("resource", "namespace", "path"),
    [
        (BUILTIN_RESOURCES[("v1", "Pod")], "team-a", "/api/v1/namespaces/team-a/pods"),
        (BUILTIN_RESOURCES[("v1", "Pod")], None, "/api/v1/pods"),
        (BUILTIN_RESOURCES[("v1", "Namespace")], "ignored", "/api/v1/namespaces"),
        (
            BUILTIN_RESOURCES[("networking.k8s.io/v1", "Ingress")],
            "a",
            "/apis/networking.k8s.io/v1/namespaces/a/ingresses",
        ),
    ],
    ids=["namespaced", "all namespaces", "cluster-scoped", "named group"],
)
def test_collection_path(resource: Resource, namespace: str | None, path: str) -> None:
    assert resource.collection_path(namespace) == path


def test_a_403_names_the_permission_as_rbac_spells_it() -> None:
    assert BUILTIN_RESOURCES[("apps/v1", "Deployment")].permission("delete", "ml") == (
        'delete deployments (apiGroup "apps") in namespace ml'
    )


def test_discovery_maps_kinds_to_resources_and_skips_subresources() -> None:
    resource_list = {
        "resources": [
            {"name": "rayclusters", "kind": "RayCluster", "namespaced": True},
            {"name": "rayclusters/status", "kind": "RayCluster", "namespaced": True},
        ]
    }

    assert resources_from_discovery("ray.io/v1", resource_list) == {
        "RayCluster": Resource("ray.io/v1", "RayCluster", "rayclusters", True)
    }


# --- unreachable API server ---------------------------------------------------------------------------


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request_error(port: int) -> Exception:
    """What the client library raises for an HTTPS request to 127.0.0.1:`port`."""
    try:
        urllib3.PoolManager().request("GET", f"https://127.0.0.1:{port}/api", retries=0, timeout=5)
    except urllib3.exceptions.HTTPError as error:
        return error
    raise AssertionError("the request unexpectedly succeeded")


def test_an_unreachable_api_server_is_named_with_its_cause_and_nothing_that_changes_per_attempt() -> None:
    first, second = _request_error(_closed_port()), _request_error(_closed_port())
    assert "object at 0x" in str(first)  # what the library says: an address and a port, per attempt
    assert str(unreachable_error("list Pod", "in namespace ml", first)) == (
        "list Pod in namespace ml: API server unreachable (connection refused)"
    )
    assert str(unreachable_error("list Pod", "in namespace ml", second)) == str(
        unreachable_error("list Pod", "in namespace ml", first)
    )


def _wrapped(inner: Exception) -> Exception:
    """`inner` as urllib3 wraps a connect failure: NewConnectionError from it, inside MaxRetryError."""
    try:
        raise urllib3.exceptions.NewConnectionError(
            None, f"Failed to establish a new connection: {inner}"
        ) from inner
    except urllib3.exceptions.NewConnectionError as connect_error:
        return urllib3.exceptions.MaxRetryError(None, "/api", connect_error)


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (_wrapped(ConnectionRefusedError(111, "Connection refused")), "connection refused"),
        (
            urllib3.exceptions.MaxRetryError(
                None,
                "/api",
                urllib3.exceptions.NameResolutionError(
                    "api.example.invalid",
                    None,
                    socket.gaierror(-2, "Name or service not known"),
                ),
            ),
            "name resolution failed",
        ),
        (urllib3.exceptions.ConnectTimeoutError(None, "timed out"), "timed out"),
        (urllib3.exceptions.ReadTimeoutError(None, "/api", "Read timed out. (read timeout=30)"), "timed out"),
        (TimeoutError("timed out"), "timed out"),
        (
            urllib3.exceptions.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed")),
            "TLS error",
        ),
        (
            ApiException(status=0, reason="SSLError\n[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            "TLS error",
        ),
        (
            urllib3.exceptions.ProtocolError(
                "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
            ),
            "connection reset",
        ),
        (
            urllib3.exceptions.ProtocolError(
                "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection")
            ),
            "connection closed by the server",
        ),
        (_wrapped(OSError(errno.ENETUNREACH, "Network is unreachable")), "network is unreachable"),
        (urllib3.exceptions.ProtocolError("Response ended prematurely"), "ProtocolError"),
    ],
    ids=[
        "refused",
        "name resolution",
        "connect timeout",
        "read timeout",
        "socket timeout",
        "certificate",
        "not TLS (client library)",
        "reset",
        "closed by the server",
        "other errno",
        "unknown: type name",
    ],
)
def test_unreachable_causes_in_plain_words(error: Exception, cause: str) -> None:
    assert unreachable_cause(error) == cause
