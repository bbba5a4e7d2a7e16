"""`gitops-ray sync --once` (one cycle against a cluster) and `gitops-ray diff --cluster` (its preview)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from gitops_ray.compare import FieldDiff, object_diffs
from gitops_ray.config import ConfigError
from gitops_ray.desired import desired_state
from gitops_ray.drift import UnitDrift
from gitops_ray.kube import KubeApi, KubeError, connect
from gitops_ray.plan import Action, PlannedAction
from gitops_ray.sync import SyncOptions, SyncResult, UnitResult, sync_state
from gitops_ray.units import DesiredState

DIFF_EXIT_NO_CHANGES, DIFF_EXIT_CHANGES, DIFF_EXIT_ERROR = 0, 1, 2
_SUMMARY_FIELDS = ("created", "updated", "recreated", "unchanged", "pruned", "failed")
_DIFF_MARKS = {Action.CREATE: "+", Action.UPDATE: "~", Action.RECREATE: "!", Action.PRUNE: "-"}


def _cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", type=Path, metavar="SOURCE", help="repository root holding the cluster YAML"
    )
    parser.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="apply SOURCE to the cluster once: apply, prune, report drift",
        description="Render every RayCluster under SOURCE, server-side apply what changed, prune what "
        "gitops-ray created and the source no longer has, and print one summary line per cluster. "
        "Exit 0 when every cluster succeeded, else 1. In-cluster credentials are used when no "
        "--kubeconfig/--context is given inside a Pod.",
    )
    sync.add_argument("--once", action="store_true", required=True, help="run one cycle and exit")
    _cluster_arguments(sync)
    sync.add_argument("--dry-run", action="store_true", help="send every write as a server-side dry run")
    sync.add_argument("--no-heal", action="store_true", help="report drift only; write nothing")
    sync.add_argument(
        "--allow-empty-prune",
        action="store_true",
        help="prune even when SOURCE yields no clusters at all (guards against an emptied checkout)",
    )
    sync.set_defaults(handler=run_sync)

    diff = subparsers.add_parser(
        "diff",
        help="show what `sync` would change in the cluster (server-side dry run)",
        description="Exit 0 when the cluster already matches SOURCE, 1 when a sync would change it, "
        "2 on errors (as `kubectl diff`).",
    )
    diff.add_argument("--cluster", action="store_true", required=True, help="compare with a live cluster")
    _cluster_arguments(diff)
    diff.set_defaults(handler=run_diff)


def _desired_and_cluster(args: argparse.Namespace) -> tuple[DesiredState, KubeApi] | None:
    """Load SOURCE and connect; None (after printing why) if either fails."""
    source: Path = args.source
    if not source.is_dir():
        print(f"error: {source}: not a directory", file=sys.stderr)
        return None
    try:
        state = desired_state(source)
        kube = connect(args.kubeconfig, args.context)
    except (ConfigError, KubeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    return state, kube


def summary_line(unit: UnitResult) -> str:
    """`team-a/training: created 3, updated 0, recreated 0, unchanged 29, pruned 0, failed 0`."""
    counts = unit.counts.as_dict()
    line = f"{unit.key}: " + ", ".join(f"{name} {counts[name]}" for name in _SUMMARY_FIELDS)
    extra = [f"{name} {counts[name]}" for name in ("conflicts", "kept", "skipped") if counts[name]]
    if not unit.drift.in_sync:
        extra.append(f"drift: {unit.drift.status}")
    return line + (f" ({', '.join(extra)})" if extra else "")


def field_line(diff: FieldDiff) -> str:
    """`spec.x: <live> -> <desired>` (None: absent)."""
    return f"{diff.path}: {diff.live!r} -> {diff.desired!r}"


def drift_lines(drift: UnitDrift) -> list[str]:
    """One line per object not in sync, then its differing fields."""
    lines = []
    for obj in drift.objects:
        if obj.state == "in-sync":
            continue
        managers = f" (changed by {', '.join(obj.managers)})" if obj.managers else ""
        lines.append(f"drift: {obj.ref} {obj.state}{managers}" + (f": {obj.reason}" if obj.reason else ""))
        lines += [f"  {field_line(diff)}" for diff in obj.diffs]
    return lines


def print_summary(result: SyncResult, options: SyncOptions, out: TextIO) -> None:
    if options.dry_run:
        print("dry run: every write was sent with dryRun=All; the cluster is unchanged", file=out)
    elif not options.heal:
        print("no heal: drift reported, nothing written", file=out)
    for unit in result.units:
        print(summary_line(unit), file=out)
        for error in unit.errors:
            print(f"  error: {error}", file=out)
        for line in drift_lines(unit.drift):
            print(f"  {line}", file=out)
        if not options.heal:
            health = unit.drift.health
            print(f"  health: {health.text() if health else 'unknown'}", file=out)
    if result.pruned_blocked_reason:
        print(f"prune blocked: {result.pruned_blocked_reason}", file=out)
    requests = ", ".join(f"{verb} {count}" for verb, count in result.requests.items())
    print(f"requests: {requests or 'none'}; writes: {result.writes}", file=out)


def _report_broken_sources(state: DesiredState, out: TextIO) -> bool:
    """Files that yielded no unit at all (their clusters, if any, are left untouched); True if any."""
    for problem in state.broken_sources:
        print(f"error: {problem} (its clusters are neither applied nor pruned)", file=out)
    return bool(state.broken_sources)


def run_sync(args: argparse.Namespace) -> int:
    loaded = _desired_and_cluster(args)
    if loaded is None:
        return 1
    state, kube = loaded
    options = SyncOptions(
        dry_run=args.dry_run, heal=not args.no_heal, allow_empty_prune=args.allow_empty_prune
    )
    result = sync_state(state, kube, options)
    print_summary(result, options, sys.stdout)
    broken = _report_broken_sources(state, sys.stdout)
    return 0 if result.ok and not broken else 1


def change_lines(planned: PlannedAction) -> list[str]:
    """One line per change, then the fields an update changes (Secret values redacted by compare)."""
    lines = [f"{_DIFF_MARKS[planned.action]} {planned.action.value} {planned.ref} ({planned.reason})"]
    if planned.action is Action.UPDATE and planned.desired is not None and planned.live is not None:
        lines += [f"  {field_line(diff)}" for diff in object_diffs(planned.desired, planned.live)]
    return lines


def run_diff(args: argparse.Namespace) -> int:
    loaded = _desired_and_cluster(args)
    if loaded is None:
        return DIFF_EXIT_ERROR
    state, kube = loaded
    result = sync_state(state, kube, SyncOptions(dry_run=True))
    for unit in result.units:
        if unit.changes:
            print(f"{unit.key}:")
            for planned in unit.changes:
                print("\n".join(f"  {line}" for line in change_lines(planned)))
        for error in unit.errors:
            print(f"error: {unit.key}: {error}", file=sys.stderr)
    if result.pruned_blocked_reason:
        print(f"prune blocked: {result.pruned_blocked_reason}", file=sys.stderr)
    if _report_broken_sources(state, sys.stderr) or not result.ok:
        return DIFF_EXIT_ERROR
    return DIFF_EXIT_CHANGES if result.has_changes else DIFF_EXIT_NO_CHANGES
