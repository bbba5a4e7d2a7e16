"""Targets: what gitops-ray applies for a RayCluster, and where its health is read.

`pods` (the default) applies the rendered objects itself, as KubeRay's operator would create them: no
operator needed. `raycluster` applies the RayCluster for a KubeRay operator to run; the rendered objects
are still shown as a preview. Everything that differs between the two lives here, so a new target is
one more `Target` in `TARGETS`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

from gitops_ray.model.objects import KubeObject

TARGET_ANNOTATION = "gitops-ray.io/target"
RAYCLUSTER_TARGET = "raycluster"
AUTOSCALING_FIELD = "spec.enableInTreeAutoscaling"


def raycluster_for_apply(raycluster: KubeObject) -> KubeObject:
    """The RayCluster as the `raycluster` target applies it: no status, and no worker `replicas` when the
    autoscaler owns them (so Git and the autoscaler do not fight over the field)."""
    applied = {key: copy.deepcopy(value) for key, value in raycluster.items() if key != "status"}
    spec = applied.get("spec")
    if isinstance(spec, dict) and spec.get("enableInTreeAutoscaling") is True:
        for group in spec.get("workerGroupSpecs") or []:
            if isinstance(group, dict):
                group.pop("replicas", None)
    return applied


def keeping_autoscaled_replicas(desired: KubeObject, live: KubeObject | None) -> KubeObject:
    """`workerGroupSpecs` is an atomic list in KubeRay's CRD: applying a RayCluster without the `replicas`
    left to the autoscaler would reset each group to the CRD default (0). The live value is carried over,
    per group."""
    if desired.get("kind") != "RayCluster" or live is None:
        return desired
    live_replicas = {
        group.get("groupName"): group.get("replicas")
        for group in (live.get("spec") or {}).get("workerGroupSpecs") or []
        if isinstance(group, dict)
    }
    spec = desired.get("spec") or {}
    groups = [
        {**group, "replicas": live_replicas[group.get("groupName")]}
        if "replicas" not in group and live_replicas.get(group.get("groupName")) is not None
        else group
        for group in spec.get("workerGroupSpecs") or []
    ]
    return {**desired, "spec": {**spec, "workerGroupSpecs": groups}} if groups else desired


@dataclass(frozen=True)
class Target:
    """One way of running a RayCluster. `applies_raycluster`: the RayCluster itself is applied (and its
    health read from its status) instead of the objects rendered from it."""

    name: str
    applies_raycluster: bool

    def split(
        self, raycluster: KubeObject | None, rendered: Sequence[KubeObject], extras: Sequence[KubeObject]
    ) -> tuple[list[KubeObject], tuple[KubeObject, ...]]:
        """(objects to apply, objects only shown as a preview) for a unit's RayCluster and other documents."""
        if not self.applies_raycluster:
            return [*rendered, *extras], ()
        applied = [raycluster_for_apply(raycluster)] if raycluster is not None else []
        return [*applied, *extras], tuple(rendered)

    def for_apply(self, desired: KubeObject, live: KubeObject | None) -> KubeObject:
        """The object to send for `desired`, given its live copy."""
        return keeping_autoscaled_replicas(desired, live) if self.applies_raycluster else desired

    def refusal(self, raycluster: KubeObject) -> tuple[str, str] | None:
        """(field, message) when this target cannot run `raycluster`, else None.

        The Ray autoscaler scales by patching the RayCluster (`replicas`, `scaleStrategy.workersToDelete`)
        and waits for KubeRay's `reconcilePods` to create or delete the Pods; with the Pods applied from
        Git no operator acts on those patches, so the cluster would never scale (and the next sync would
        undo whatever did)."""
        spec = raycluster.get("spec")
        if self.applies_raycluster or not isinstance(spec, dict):
            return None
        if spec.get("enableInTreeAutoscaling") is not True:
            return None
        return (
            AUTOSCALING_FIELD,
            f"the Ray autoscaler needs the KubeRay operator, which target {self.name} does not use: set "
            f"target {RAYCLUSTER_TARGET} (annotation {TARGET_ANNOTATION}: {RAYCLUSTER_TARGET} on the "
            f"RayCluster, or `target: {RAYCLUSTER_TARGET}` in gitops-ray.yaml)",
        )


PODS = Target("pods", applies_raycluster=False)
RAYCLUSTER = Target(RAYCLUSTER_TARGET, applies_raycluster=True)
TARGETS: dict[str, Target] = {target.name: target for target in (PODS, RAYCLUSTER)}
