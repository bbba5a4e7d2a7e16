"""`--no-cache` for the commands that render: by default they keep rendered units in the user's cache
directory (`edge.render_store`), so a run after a small change renders only what changed."""

from __future__ import annotations

import argparse

from gitops_ray.edge.render_store import DiskRenderCache, default_render_cache_dir


def add_cache_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render every cluster anew, without the render cache ($XDG_CACHE_HOME/gitops-ray/render)",
    )


def render_cache(args: argparse.Namespace) -> DiskRenderCache | None:
    """The on-disk render cache, or None with `--no-cache`."""
    return None if getattr(args, "no_cache", False) else DiskRenderCache(default_render_cache_dir())
