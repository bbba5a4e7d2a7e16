"""`gitops-ray` command line: one module per group of subcommands, each with `register(subparsers)`.

A subcommand module registers its parsers and sets `handler` (a function taking the parsed args and
returning the exit status) with `parser.set_defaults(handler=...)`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gitops_ray import __version__

# Modules that register subcommands; each is optional while the project grows.
SUBCOMMAND_MODULES = (
    "gitops_ray.cli.render_cmd",  # render, validate
    "gitops_ray.cli.sync_cmd",  # sync, diff
    "gitops_ray.cli.run_cmd",  # run (the controller)
    "gitops_ray.cli.migrate_cmd",  # migrate (from Ray's legacy operator)
    "gitops_ray.cli.status_cmd",  # status (each cluster's status on its inventory parent)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops-ray",
        description="RayClusters from Git: render as KubeRay v1.7.0 would, apply, prune, report drift.",
    )
    parser.add_argument("--version", action="version", version=f"gitops-ray {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
