"""Rendered units by content: a unit whose inputs did not change is not rendered (or serialized) again.

The key is a digest of everything a `RenderedUnit` depends on: the unit as grouped (its RayCluster and the
other documents of its file, its key, file, target and problems), the render options and the gitops-ray
version. A key declared twice is found while grouping, before the key is taken, so it is part of it; an
object two units produce is found after rendering, outside the cache (`source.collisions`). A unit whose
documents cannot be written as JSON (a YAML `!!binary`) has no key and is always rendered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from typing import Protocol

from gitops_ray import __version__
from gitops_ray.model.units import RenderedUnit, Unit
from gitops_ray.render.options import RenderOptions


class RenderCache(Protocol):
    """Where rendered units (and their `rendered/` file text) are kept between runs."""

    def unit(self, key: str) -> RenderedUnit | None: ...

    def store_unit(self, key: str, unit: RenderedUnit) -> None: ...

    def text(self, key: str) -> str | None: ...

    def store_text(self, key: str, text: str) -> None: ...


def unit_cache_key(unit: Unit, options: RenderOptions) -> str:
    """The content key of `unit` rendered with `options`, or "" when it has none."""
    inputs = {
        "version": __version__,
        "options": dataclasses.asdict(options),
        "key": [unit.key.namespace, unit.key.name],
        "source": unit.source,
        "target": unit.target,
        "document": unit.document,
        "raycluster": unit.raycluster,
        "extras": list(unit.extras),
        "problems": [problem.as_dict() for problem in unit.problems],
        "warnings": [problem.as_dict() for problem in unit.warnings],
    }
    try:
        text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return ""
    return hashlib.sha256(text.encode()).hexdigest()


class MemoryRenderCache:
    """A cache in memory for a long-running controller: entries not used since the last `cycle()` are
    dropped at the next (unless nothing was used: a skipped poll renders nothing), so it holds about one
    repository's worth."""

    def __init__(self) -> None:
        self._units: dict[str, RenderedUnit] = {}
        self._texts: dict[str, bytes] = {}  # compressed: rendered/ of a thousand clusters is >100 MB
        self._used: set[str] = set()

    def cycle(self) -> None:
        """Start a new cycle: forget what the previous one did not use."""
        if not self._used:
            return
        self._units = {key: unit for key, unit in self._units.items() if key in self._used}
        self._texts = {key: text for key, text in self._texts.items() if key in self._used}
        self._used = set()

    def unit(self, key: str) -> RenderedUnit | None:
        found = self._units.get(key)
        if found is not None:
            self._used.add(key)
        return found

    def store_unit(self, key: str, unit: RenderedUnit) -> None:
        self._units[key] = unit
        self._used.add(key)

    def text(self, key: str) -> str | None:
        found = self._texts.get(key)
        if found is None:
            return None
        self._used.add(key)
        return zlib.decompress(found).decode()

    def store_text(self, key: str, text: str) -> None:
        self._texts[key] = zlib.compress(text.encode(), 1)
        self._used.add(key)
