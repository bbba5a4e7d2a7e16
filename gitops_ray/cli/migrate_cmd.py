"""`gitops-ray migrate FILE...`: Ray's legacy operator RayClusters (`cluster.ray.io/v1`) as KubeRay
`ray.io/v1` YAML on stdout, to review and commit in place of the old files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gitops_ray.model.units import LoadedFile, Problem
from gitops_ray.report.migration import migrate_files
from gitops_ray.source.load import parse_documents


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser(
        "migrate",
        help="convert Ray's legacy operator RayClusters (cluster.ray.io/v1) to KubeRay ray.io/v1 YAML",
        description="Print every document of FILE... as one YAML stream: legacy RayClusters converted, with "
        "a '# migrate:' comment on each choice and the warnings at the top (also on stderr); other documents "
        "passed through unchanged. Exit 1 if a file or document cannot be read or converted.",
    )
    migrate.add_argument(
        "files", type=Path, nargs="+", metavar="FILE", help="YAML file with legacy RayClusters"
    )
    migrate.set_defaults(handler=run_migrate)


def _read(path: Path) -> LoadedFile:
    try:
        data = path.read_bytes()
    except OSError as error:
        return LoadedFile(
            path=str(path), problems=(Problem(str(path), f"cannot read file: {error.strerror}"),)
        )
    return parse_documents(str(path), data)


def run_migrate(args: argparse.Namespace) -> int:
    output = migrate_files(_read(path) for path in args.files)
    sys.stdout.write(output.text)
    for warning in output.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in output.errors:
        print(f"error: {error}", file=sys.stderr)
    print(
        f"{output.converted} legacy RayClusters converted, {output.passed_through} other documents passed "
        f"through, {len(output.warnings)} warnings, {len(output.errors)} errors",
        file=sys.stderr,
    )
    return 1 if output.errors else 0
