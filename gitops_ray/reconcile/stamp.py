"""Stamps: the annotations that let a later cycle tell "unchanged since our last apply" from the live object
alone (an applied-hash on every object, a spec-hash on Pods), without comparing field by field."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable
from typing import Any

from gitops_ray.model.objects import KubeObject, annotation, metadata
from gitops_ray.model.ownership import SPEC_HASH_ANNOTATION, canonical_json, spec_hash

APPLIED_HASH_ANNOTATION = "gitops-ray.io/applied-hash"
STAMP_ANNOTATIONS = (APPLIED_HASH_ANNOTATION, SPEC_HASH_ANNOTATION)


class SpecHashes:
    """Spec hashes memoized for one planning pass.

    Render gives the Pods of a worker group one shared (read-only) spec object, so hashing each spec
    once instead of once per Pod is what keeps stamping thousands of Pods cheap. Keyed by identity; each
    spec is held, so its id cannot be reused by another object while the memo lives.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Any, str]] = {}

    def of(self, obj: KubeObject) -> str:
        """`ownership.spec_hash(obj)`, computed once per spec object."""
        spec = obj.get("spec")
        known = self._known.get(id(spec))
        if known is None or known[0] is not spec:
            known = (spec, spec_hash(obj))
            self._known[id(spec)] = known
        return known[1]


def applied_hash(obj: KubeObject, hashes: SpecHashes | None = None) -> str:
    """Hash of an object as we apply it, without its own applied-hash annotation: the spec by its spec
    hash, everything else by its canonical JSON."""
    meta = metadata(obj)
    annotations = {
        key: value for key, value in (meta.get("annotations") or {}).items() if key != APPLIED_HASH_ANNOTATION
    }
    rest = {key: value for key, value in obj.items() if key != "spec"}
    rest["metadata"] = {**meta, "annotations": annotations}
    spec_digest = (hashes or SpecHashes()).of(obj)
    return hashlib.sha256(f"{canonical_json(rest)}\n{spec_digest}".encode()).hexdigest()[:16]


def stamp(desired: KubeObject, hashes: SpecHashes | None = None) -> KubeObject:
    """A copy of `desired` carrying the applied-hash annotation (and, for Pods, the spec-hash), so the next
    cycle can tell "unchanged since our last apply" from the live object alone. The input is not changed;
    the copy shares unchanged subtrees with it. Pass one `hashes` memo when stamping many objects."""
    hashes = hashes or SpecHashes()
    meta = metadata(desired)
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(APPLIED_HASH_ANNOTATION, None)
    if desired.get("kind") == "Pod":
        annotations[SPEC_HASH_ANNOTATION] = hashes.of(desired)
    stamped = {**desired, "metadata": {**meta, "annotations": annotations}}
    annotations[APPLIED_HASH_ANNOTATION] = applied_hash(stamped, hashes)
    return stamped


def stamp_all(objects: Iterable[KubeObject]) -> tuple[KubeObject, ...]:
    """`stamp` of each object, with one spec-hash memo for them all (a unit's Pods share specs)."""
    hashes = SpecHashes()
    return tuple(stamp(obj, hashes) for obj in objects)


class StampMemo:
    """Each unit's objects stamped, kept from cycle to cycle while the unit's objects are the very same tuple
    (a controller reuses its desired state while Git and its settings are unchanged: `edge.cycle.StateMemo`),
    so a resync epoch hashes none of tens of thousands of unchanged objects again. An entry holds the tuple
    it was made from, so that tuple's identity cannot be taken by another."""

    def __init__(self) -> None:
        self._units: dict[Hashable, tuple[tuple[KubeObject, ...], tuple[KubeObject, ...]]] = {}

    def stamped(self, key: Hashable, objects: tuple[KubeObject, ...]) -> tuple[KubeObject, ...]:
        known = self._units.get(key)
        if known is None or known[0] is not objects:
            known = (objects, stamp_all(objects))
            self._units[key] = known
        return known[1]

    def keep(self, keys: Iterable[Hashable]) -> None:
        """Forget the units not in `keys` (gone from the source)."""
        wanted = set(keys)
        for key in [key for key in self._units if key not in wanted]:
            del self._units[key]


def same_stamp(stamped: KubeObject, live: KubeObject) -> bool:
    """True if live carries the applied-hash of `stamped`: our last apply was of this very object."""
    return annotation(live, APPLIED_HASH_ANNOTATION) == annotation(stamped, APPLIED_HASH_ANNOTATION)
