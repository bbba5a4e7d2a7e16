"""Requests counted by verb at the client's single request path, so tests and the benchmark can assert
"a no-op cycle sends no writes" without trusting the code under test to report it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_verb(method: str, query_params: Any) -> str:
    """`GET`, `PATCH`, ...; a server-side dry-run request is counted as `PATCH (dry-run)` and is no write."""
    params = dict(query_params or {})
    return f"{method} (dry-run)" if params.get("dryRun") else method


class RequestCounter:
    """Thread-safe counts of requests by verb; `writes` counts those that changed (or could change) state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def record(self, verb: str) -> None:
        with self._lock:
            self._counts[verb] = self._counts.get(verb, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    @staticmethod
    def writes_in(counts: Mapping[str, int]) -> int:
        return sum(n for verb, n in counts.items() if verb not in READ_METHODS and "(dry-run)" not in verb)

    @property
    def writes(self) -> int:
        return self.writes_in(self.snapshot())


def since(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Counts sent between two snapshots (verbs with zero left out)."""
    return {verb: n - before.get(verb, 0) for verb, n in after.items() if n - before.get(verb, 0)}


def count_requests(rest_client: Any, counter: RequestCounter) -> None:
    """Wrap `rest_client.request` (every call of the official client goes through it) to count verbs."""
    original = rest_client.request

    def counted(method: str, url: str, query_params: Any = None, *args: Any, **kwargs: Any) -> Any:
        counter.record(request_verb(method.upper(), query_params))
        return original(method, url, query_params, *args, **kwargs)

    rest_client.request = counted
