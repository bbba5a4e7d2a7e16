"""`gitops-ray render` and `gitops-ray validate`: no cluster needed, so they run in any CI job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops_ray.cli.caching import add_cache_flag, render_cache
from gitops_ray.model.units import DesiredState
from gitops_ray.report.files import RENDERED_HEADER, rendered_files, unit_stream
from gitops_ray.source.inputs import inputs_state, read_inputs
from gitops_ray.source.render_cache import RenderCache

PATHS_HELP = (
    "repository roots (each reads its gitops-ray.yaml), YAML files (with the settings of the repository "
    "they sit in, else the defaults) or - for standard input"
)


def register(subparsers: Any) -> None:
    render = subparsers.add_parser(
        "render",
        help="render every RayCluster under PATH as KubeRay v1.7.0 would (no cluster needed)",
        description="Print every rendered object as one YAML stream (by namespace, cluster, kind order, "
        "name), or write DIR/<namespace>/<cluster>.yaml with --out. Exit 1 if any input is invalid; "
        "the valid clusters are still rendered.",
    )
    render.add_argument("paths", nargs="+", metavar="PATH", help=PATHS_HELP)
    render.add_argument("--out", type=Path, metavar="DIR", help="write one file per cluster under DIR")
    render.add_argument(
        "--check",
        action="store_true",
        help="with --out: write nothing, list the files of DIR that are stale, missing or would be removed, "
        "and exit 1 if there are any",
    )
    add_cache_flag(render)
    render.set_defaults(handler=run_render)
    validate = subparsers.add_parser(
        "validate",
        help="check every RayCluster under PATH without printing objects",
        description="Exit 0 if every file loads and every RayCluster passes KubeRay's validation, else 1.",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help=PATHS_HELP)
    add_cache_flag(validate)
    validate.set_defaults(handler=run_validate)


def read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _load(paths: Sequence[str], cache: RenderCache | None) -> tuple[DesiredState | None, int]:
    """The state of every path that could be read (`source.inputs`; None when none could), and 1 if any
    could not (after printing why)."""
    inputs = read_inputs(paths, read_stdin)
    for error in inputs.errors:
        print(f"error: {error}", file=sys.stderr)
    state = inputs_state(inputs, cache) if inputs.sources else None
    return state, 1 if inputs.errors else 0


def _report_problems(state: DesiredState) -> int:
    """Print each problem on stderr; the exit status: 1 if there were any."""
    for problem in state.problems:
        print(f"error: {problem}", file=sys.stderr)
    for unit in state.units:
        for warning in unit.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 1 if state.problems else 0


def rendered_changes(
    state: DesiredState, out: Path, cache: RenderCache | None = None
) -> tuple[dict[Path, bytes], list[Path]]:
    """What `--out DIR` changes: the files to write (missing or stale) with their content, and the files
    gitops-ray rendered earlier for clusters that are gone, to remove (only files carrying our header:
    nothing else in DIR is touched)."""
    files = {out / relative: content for relative, content in rendered_files(state, ".", cache).items()}
    gone = []
    if out.is_dir():
        for stale in sorted(out.glob("*/*.yaml")):
            if stale not in files and stale.read_bytes().startswith(RENDERED_HEADER.encode()):
                gone.append(stale)
    writes = {
        target: content
        for target, content in files.items()
        if not target.is_file() or target.read_bytes() != content
    }
    return writes, gone


def write_rendered(state: DesiredState, out: Path, cache: RenderCache | None = None) -> None:
    """Write DIR/<namespace>/<cluster>.yaml and remove the files of clusters that are gone."""
    writes, gone = rendered_changes(state, out, cache)
    for stale in gone:
        stale.unlink()
    for target, content in writes.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def run_render(args: argparse.Namespace) -> int:
    if args.check and args.out is None:
        print("error: --check needs --out DIR", file=sys.stderr)
        return 1
    cache = render_cache(args)
    state, status = _load(args.paths, cache)
    if state is None:
        return 1
    if args.check:
        writes, gone = rendered_changes(state, args.out, cache)
        for path in sorted([*writes, *gone]):
            print(path)
        status = max(status, 1 if writes or gone else 0)
    elif args.out is not None:
        write_rendered(state, args.out, cache)
    else:
        for unit in sorted(state.units, key=lambda unit: unit.key):
            sys.stdout.write(unit_stream(unit, cache))
    if cache is not None:
        cache.trim()
    return max(status, _report_problems(state))


def run_validate(args: argparse.Namespace) -> int:
    state, status = _load(args.paths, render_cache(args))
    if state is None:
        return 1
    status = max(status, _report_problems(state))
    valid = sum(1 for unit in state.units if unit.ok)
    print(f"{valid} of {len(state.units)} units valid, {len(state.broken_sources)} unreadable files")
    return status
