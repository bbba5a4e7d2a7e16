"""`gitops-ray sync --once` (one cycle: a directory against a cluster, or a whole repo cycle with
`--repo`) and `gitops-ray diff` (`--cluster`: what a sync would change; else: what a Git change does to
the rendered objects, for pull-request review without a cluster)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitops_ray.app.settings import load_settings
from gitops_ray.cli.caching import add_cache_flag, render_cache
from gitops_ray.cli.render_cmd import read_stdin
from gitops_ray.cli.source_id import local_revision, local_source_id
from gitops_ray.model.errors import GitopsRayError
from gitops_ray.model.units import DesiredState
from gitops_ray.observe.outcome import SyncResult
from gitops_ray.report.review import DEFAULT_MAX_CHARS, diff_states, format_markdown, format_text
from gitops_ray.report.text import change_lines, drift_lines, summary_line
from gitops_ray.source.config import ConfigError, read_repo_config
from gitops_ray.source.desired import desired_state
from gitops_ray.source.inputs import STDIN_PATH, inputs_state, read_review_pair

if TYPE_CHECKING:
    from gitops_ray.edge.apply import SyncOptions
    from gitops_ray.edge.kube import KubeApi

# The Kubernetes client, Git and the controller are imported by the handlers that use them: `diff` of two
# trees (a pull-request job) starts without loading any of them.

DIFF_EXIT_NO_CHANGES, DIFF_EXIT_CHANGES, DIFF_EXIT_ERROR = 0, 1, 2
MIN_MAX_CHARS = 1000  # room for the table's head and the notes of what was cut


def _max_chars(text: str) -> int:
    """`--max-chars`: a whole number, at least MIN_MAX_CHARS."""
    if not text.isdigit() or int(text) < MIN_MAX_CHARS:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least {MIN_MAX_CHARS}")
    return int(text)


def cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")


def _source_name_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source-name",
        metavar="NAME",
        help="this source's identity on inventories (default: <origin URL>#<path> inside a Git work tree, "
        "else file://<absolute path>#<path>); a sync prunes only clusters its own source applied",
    )


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="one cycle: apply SOURCE (or a whole --repo cycle) to the cluster, prune, report drift",
        description="Render every RayCluster under SOURCE, server-side apply what changed, prune what "
        "gitops-ray created and the source no longer has, and print one summary line per cluster. "
        "With --repo URL instead of SOURCE: a full controller cycle (fetch, render, apply unless "
        "--no-apply, commit rendered/ and drift/ back). Exit 0 when every cluster succeeded, else 1. "
        "In-cluster credentials are used when no --kubeconfig/--context is given inside a Pod.",
    )
    sync.add_argument("--once", action="store_true", required=True, help="run one cycle and exit")
    sync.add_argument(
        "source", type=Path, nargs="?", metavar="SOURCE", help="repository root holding the cluster YAML"
    )
    cluster_arguments(sync)
    sync.add_argument("--dry-run", action="store_true", help="send every write as a server-side dry run")
    sync.add_argument("--no-heal", action="store_true", help="report drift only; write nothing")
    sync.add_argument(
        "--allow-empty-prune",
        action="store_true",
        help="prune even when SOURCE yields no clusters at all (guards against an emptied checkout)",
    )
    sync.add_argument(
        "--adopt",
        action="store_true",
        help="take over clusters that another source applied (otherwise they are reported and left alone)",
    )
    sync.add_argument(
        "--delete-wait",
        type=float,
        metavar="SECONDS",
        help="seconds the cycle waits, in all, for deleted Pods to go before creating them again; Pods "
        "still terminating then are created by the next sync (default 20)",
    )
    _source_name_argument(sync)
    add_cache_flag(sync)
    repo = sync.add_argument_group("a repository instead of SOURCE (Git credentials: see `run --help`)")
    repo.add_argument("--repo", metavar="URL", help="clone/fetch this repository and run one full cycle")
    repo.add_argument("--ref", metavar="REF", help="branch, tag or commit (default: main)")
    repo.add_argument(
        "--path", metavar="P", help="cluster-file sub-path (default: the repo's gitops-ray.yaml)"
    )
    repo.add_argument(
        "--push-branch", metavar="BRANCH", help="commit back here (default: the tracked branch)"
    )
    repo.add_argument("--cache-dir", metavar="DIR", help="where the clone lives")
    repo.add_argument("--no-apply", action="store_true", help="render and commit back only (no cluster)")
    sync.set_defaults(handler=run_sync)

    diff = subparsers.add_parser(
        "diff",
        help="what a change does: to the rendered objects (no cluster), or to the cluster (--cluster)",
        description="Without --cluster: compare the rendered objects of OLD and NEW (each a directory, a "
        "YAML file or - for standard input, read as `render` reads them), or of PATH at --base REF and "
        "PATH now, and print unified diffs of rendered files (or a Markdown PR comment). With "
        "--cluster: what `sync` would change in the cluster (server-side dry run). "
        "Exit 0: no changes, 1: changes, 2: errors or invalid input (as `kubectl diff`).",
    )
    diff.add_argument(
        "source",
        type=Path,
        nargs="?",
        metavar="PATH",
        help="repository root (--base: default .), or OLD: a directory, a YAML file or -",
    )
    diff.add_argument(
        "proposed", type=Path, nargs="?", metavar="NEW", help="the proposed directory, YAML file or -"
    )
    diff.add_argument("--base", metavar="REF", help="compare PATH as of this Git ref with PATH now")
    diff.add_argument("--format", choices=("text", "markdown"), default="text", help="output format")
    diff.add_argument(
        "--max-chars",
        type=_max_chars,
        default=DEFAULT_MAX_CHARS,
        metavar="N",
        help="--format markdown stays under N characters (default %(default)s; GitHub's comment limit is "
        "65,536): alike diffs are shown once, then whole clusters' details are cut, with a note",
    )
    diff.add_argument("--cluster", action="store_true", help="compare PATH with a live cluster instead")
    cluster_arguments(diff)
    _source_name_argument(diff)
    add_cache_flag(diff)
    diff.set_defaults(handler=run_diff)


def _desired_and_cluster(args: argparse.Namespace) -> tuple[DesiredState, KubeApi] | None:
    """Load SOURCE and connect; None (after printing why) if either fails."""
    from gitops_ray.edge.kube import connect

    source: Path = args.source
    if not source.is_dir():
        print(f"error: {source}: not a directory", file=sys.stderr)
        return None
    try:
        options = read_repo_config(source)
        source_id = local_source_id(source, options.path)
        state = desired_state(source, options, source_id, render_cache(args))
        kube = connect(args.kubeconfig, args.context)
    except GitopsRayError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    return state, kube


def print_summary(result: SyncResult, options: SyncOptions, out: TextIO) -> None:
    if options.dry_run:
        print("dry run: every write was sent with dryRun=All; the cluster is unchanged", file=out)
    elif not options.heal:
        print("no heal: drift reported, nothing written", file=out)
    for unit in result.units:
        print(summary_line(unit), file=out)
        for error in unit.errors:
            print(f"  error: {error}", file=out)
        for pending in unit.pending:
            print(f"  pending: {pending}", file=out)
        for line in drift_lines(unit.drift):
            print(f"  {line}", file=out)
        if not options.heal:
            health = unit.drift.health
            print(f"  health: {health.text() if health else 'unknown'}", file=out)
    if result.prune_held:
        print(result.prune_held, file=out)
    requests = ", ".join(f"{verb} {count}" for verb, count in result.requests.items())
    print(f"requests: {requests or 'none'}; writes: {result.writes}", file=out)


def _report_broken_sources(state: DesiredState, out: TextIO) -> bool:
    """Files that yielded no unit at all (their clusters, if any, are left untouched); True if any."""
    for problem in state.broken_sources:
        print(f"error: {problem} (its clusters are neither applied nor pruned)", file=out)
    return bool(state.broken_sources)


def run_sync(args: argparse.Namespace) -> int:
    from gitops_ray.edge.apply import sync_state

    if (args.repo is None) == (args.source is None):
        print("error: give either SOURCE or --repo URL", file=sys.stderr)
        return 1
    if args.repo is not None:
        return run_repo_sync(args)
    loaded = _desired_and_cluster(args)
    if loaded is None:
        return 1
    state, kube = loaded
    revision = local_revision(args.source, read_repo_config(args.source))
    options = replace(_sync_options(args), revision=revision)
    result = sync_state(state, kube, options)
    print_summary(result, options, sys.stdout)
    broken = _report_broken_sources(state, sys.stdout)
    return 0 if result.ok and not result.conflicts and not broken else 1


def _sync_options(args: argparse.Namespace) -> SyncOptions:
    from gitops_ray.edge.apply import SyncOptions

    if args.delete_wait is not None and args.delete_wait < 0:
        raise SystemExit("error: --delete-wait must not be negative")
    options = SyncOptions(
        dry_run=args.dry_run,
        heal=not args.no_heal,
        allow_empty_prune=args.allow_empty_prune,
        adopt=args.adopt,
        source_id=args.source_name or "",  # `--source-name` names this source, with SOURCE or --repo
    )
    return options if args.delete_wait is None else replace(options, delete_wait=args.delete_wait)


def run_diff(args: argparse.Namespace) -> int:
    if not args.cluster:
        return run_review_diff(args)
    from gitops_ray.edge.apply import SyncOptions, sync_state

    if args.proposed is not None or args.base is not None:
        print("error: --cluster compares one PATH with the cluster (no NEW, no --base)", file=sys.stderr)
        return DIFF_EXIT_ERROR
    if args.source is None:
        print("error: --cluster needs PATH", file=sys.stderr)
        return DIFF_EXIT_ERROR
    loaded = _desired_and_cluster(args)
    if loaded is None:
        return DIFF_EXIT_ERROR
    state, kube = loaded
    result = sync_state(state, kube, SyncOptions(dry_run=True, source_id=args.source_name or ""))
    for unit in result.units:
        if unit.changes:
            print(f"{unit.key}:")
            for planned in unit.changes:
                print("\n".join(f"  {line}" for line in change_lines(planned)))
        for error in unit.errors:
            print(f"error: {unit.key}: {error}", file=sys.stderr)
    if result.prune_held:
        print(result.prune_held, file=sys.stderr)
    if _report_broken_sources(state, sys.stderr) or not result.ok:
        return DIFF_EXIT_ERROR
    return DIFF_EXIT_CHANGES if result.has_changes else DIFF_EXIT_NO_CHANGES


def run_repo_sync(args: argparse.Namespace) -> int:
    """One full repository cycle, as the controller runs it on every poll."""
    from gitops_ray.app.controller import repo_settings
    from gitops_ray.edge.cycle import run_repo_cycle
    from gitops_ray.edge.kube import connect
    from gitops_ray.edge.kube.events import EventRecorder

    flags = {
        "repo": args.repo,
        "ref": args.ref,
        "path": args.path,
        "push_branch": args.push_branch,
        "cache_dir": args.cache_dir,
        "kubeconfig": args.kubeconfig,
        "context": args.context,
        "source_name": args.source_name,
    }
    options = _sync_options(args)
    try:
        settings = load_settings(None, os.environ, flags)
        kube = None if args.no_apply else connect(settings.kubeconfig, settings.context)
        result = run_repo_cycle(
            repo_settings(settings, dict(os.environ)),
            kube_factory=(lambda: kube) if kube is not None else None,
            sync_options=options if kube is not None else None,
            cache=render_cache(args),
            events=EventRecorder(settings.identity) if kube is not None else None,
        )
    except GitopsRayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"revision {result.revision}")
    if result.sync is not None:
        print_summary(result.sync, options, sys.stdout)
    else:
        for unit in result.units:
            print(f"{unit.key}: rendered {unit.objects} objects" + ("" if unit.ok else " (problems)"))
    for problem in result.problems:
        print(f"error: {problem}", file=sys.stderr)
    if result.offline:
        print(
            f"error: Git unreachable; applied the last fetched revision, committed nothing: {result.offline}"
        )
    else:
        print(f"committed {result.committed}" if result.committed else "nothing to commit")
    synced = result.sync is None or (result.sync.ok and not result.sync.conflicts)
    return 0 if not result.problems and synced and not result.offline else 1


def run_review_diff(args: argparse.Namespace) -> int:
    """Rendered objects of two trees (OLD NEW, or PATH at --base REF and PATH now); no cluster needed."""
    if (args.proposed is None) == (args.base is None):
        print("error: give NEW or --base REF (or --cluster)", file=sys.stderr)
        return DIFF_EXIT_ERROR
    if args.base is None:
        states = _old_and_new(str(args.source), str(args.proposed))
    else:
        states = _at_base_and_now(args.source or Path("."), args.base)
    if states is None:
        return DIFF_EXIT_ERROR
    base, proposed, everything = states
    changes = diff_states(base, proposed)
    compared = len({unit.key for unit in (*base.units, *everything.units)})
    sys.stdout.write(
        format_markdown(changes, everything, compared, args.max_chars)
        if args.format == "markdown"
        else format_text(changes, compared)
    )
    if args.format == "text":
        for problem in everything.problems:
            print(f"error: {problem}", file=sys.stderr)
    if everything.problems:
        return DIFF_EXIT_ERROR
    return DIFF_EXIT_CHANGES if changes else DIFF_EXIT_NO_CHANGES


def _at_base_and_now(source: Path, ref: str) -> tuple[DesiredState, DesiredState, DesiredState] | None:
    """PATH at REF and now: the units to diff in each and the whole proposed state; None (after saying
    why) on an error."""
    from gitops_ray.edge.git.changes import partial_review
    from gitops_ray.edge.git.export import export_tree

    with tempfile.TemporaryDirectory(prefix="gitops-ray-base-") as scratch:
        # only what the change can affect, when Git can say exactly what that is
        partial = partial_review(source, ref, Path(scratch))
        try:
            if partial is not None:
                return partial.base, partial.proposed, partial.proposed_all
            old_root = export_tree(source, ref, Path(scratch))
            for root in (old_root, source):
                if not root.is_dir():
                    raise ConfigError(f"{root}: not a directory")
            proposed = desired_state(source)
            return desired_state(old_root), proposed, proposed
        except GitopsRayError as error:
            print(f"error: {error}", file=sys.stderr)
            return None


def _old_and_new(old: str, new: str) -> tuple[DesiredState, DesiredState, DesiredState] | None:
    """`diff OLD NEW`: the states of the two paths (`source.inputs.read_review_pair`); None (after saying
    why) when either path could not be read."""
    if old == new == STDIN_PATH:
        print("error: OLD and NEW cannot both be - (standard input is read once)", file=sys.stderr)
        return None
    before, after = read_review_pair(old, new, read_stdin)
    for error in (*before.errors, *after.errors):
        print(f"error: {error}", file=sys.stderr)
    if before.errors or after.errors:
        return None
    proposed = inputs_state(after)
    return inputs_state(before), proposed, proposed
