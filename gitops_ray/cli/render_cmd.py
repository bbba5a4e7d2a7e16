"""`gitops-ray render` and `gitops-ray validate`: no cluster needed, so they run in any CI job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gitops_ray.cli.caching import add_cache_flag, render_cache
from gitops_ray.model.units import DesiredState
from gitops_ray.report.files import RENDERED_HEADER, rendered_files, unit_stream
from gitops_ray.source.config import ConfigError, read_repo_config
from gitops_ray.source.desired import desired_state
from gitops_ray.source.render_cache import RenderCache


def register(subparsers: Any) -> None:
    render = subparsers.add_parser(
        "render",
        help="render every RayCluster under PATH as KubeRay v1.7.0 would (no cluster needed)",
        description="Print every rendered object as one YAML stream (by namespace, cluster, kind order, "
        "name), or write DIR/<namespace>/<cluster>.yaml with --out. Exit 1 if any input is invalid; "
        "the valid clusters are still rendered.",
    )
    render.add_argument(
        "path", type=Path, metavar="PATH", help="repository root (reads PATH/gitops-ray.yaml)"
    )
    render.add_argument("--out", type=Path, metavar="DIR", help="write one file per cluster under DIR")
    add_cache_flag(render)
    render.set_defaults(handler=run_render)
    validate = subparsers.add_parser(
        "validate",
        help="check every RayCluster under PATH without printing objects",
        description="Exit 0 if every file loads and every RayCluster passes KubeRay's validation, else 1.",
    )
    validate.add_argument("path", type=Path, metavar="PATH", help="repository root")
    add_cache_flag(validate)
    validate.set_defaults(handler=run_validate)


def _load(path: Path, cache: RenderCache | None) -> DesiredState | None:
    if not path.is_dir():
        print(f"error: {path}: not a directory", file=sys.stderr)
        return None
    try:
        return desired_state(path, read_repo_config(path), cache=cache)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def _report_problems(state: DesiredState) -> int:
    """Print each problem on stderr; the exit status: 1 if there were any."""
    for problem in state.problems:
        print(f"error: {problem}", file=sys.stderr)
    for unit in state.units:
        for warning in unit.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 1 if state.problems else 0


def write_rendered(state: DesiredState, out: Path, cache: RenderCache | None = None) -> None:
    """Write DIR/<namespace>/<cluster>.yaml and remove files gitops-ray rendered earlier for clusters
    that are gone (only files carrying our header: nothing else in DIR is touched)."""
    files = {out / relative: content for relative, content in rendered_files(state, ".", cache).items()}
    if out.is_dir():
        for stale in sorted(out.glob("*/*.yaml")):
            if stale not in files and stale.read_bytes().startswith(RENDERED_HEADER.encode()):
                stale.unlink()
    for target, content in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != content:
            target.write_bytes(content)


def run_render(args: argparse.Namespace) -> int:
    cache = render_cache(args)
    state = _load(args.path, cache)
    if state is None:
        return 1
    if args.out is not None:
        write_rendered(state, args.out, cache)
    else:
        for unit in sorted(state.units, key=lambda unit: unit.key):
            sys.stdout.write(unit_stream(unit, cache))
    if cache is not None:
        cache.trim()
    return _report_problems(state)


def run_validate(args: argparse.Namespace) -> int:
    state = _load(args.path, render_cache(args))
    if state is None:
        return 1
    status = _report_problems(state)
    valid = sum(1 for unit in state.units if unit.ok)
    print(f"{valid} of {len(state.units)} units valid, {len(state.broken_sources)} unreadable files")
    return status
