"""`gitops-ray status`: each cluster's sync state and health, read from the status on its inventory parent."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import yaml

from gitops_ray.cli.sync_cmd import cluster_arguments
from gitops_ray.model.errors import GitopsRayError
from gitops_ray.model.ownership import APPLYSET_ID_LABEL, PARENT_API_VERSION, PARENT_KIND
from gitops_ray.report.status import status_rows, status_table


def register(subparsers: Any) -> None:
    status = subparsers.add_parser(
        "status",
        help="each cluster's revision, sync state, health, workers and drift, from the cluster",
        description="One row per cluster gitops-ray applied, from the status each sync writes on the "
        "cluster's inventory ConfigMap (gitops-ray-<cluster>): NAMESPACE, NAME, TARGET, REVISION, SYNC, "
        "HEALTH, WORKERS, DRIFT, MESSAGE. Credentials as for `sync`.",
    )
    cluster_arguments(status)
    where = status.add_mutually_exclusive_group()
    where.add_argument(
        "-n", "--namespace", metavar="NAME", help="clusters of this namespace (default: the context's)"
    )
    where.add_argument("-A", "--all-namespaces", action="store_true", help="clusters of every namespace")
    status.add_argument(
        "-o", "--output", choices=("table", "json", "yaml"), default="table", help="output format"
    )
    status.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    from gitops_ray.edge.kube import connect, default_namespace

    try:
        namespace = (
            None
            if args.all_namespaces
            else args.namespace or default_namespace(args.kubeconfig, args.context)
        )
        kube = connect(args.kubeconfig, args.context)
        parents = kube.list_objects(
            PARENT_API_VERSION, PARENT_KIND, namespace, label_selector=APPLYSET_ID_LABEL
        )
    except GitopsRayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    rows = status_rows(parents)
    if args.output == "json":
        sys.stdout.write(json.dumps(rows, indent=2, sort_keys=True) + "\n")
    elif args.output == "yaml":
        sys.stdout.write(yaml.safe_dump(rows, sort_keys=True, default_flow_style=False))
    elif rows:
        sys.stdout.write(status_table(rows))
    else:
        where = "any namespace" if namespace is None else f"namespace {namespace}"
        print(f"No clusters found in {where}.", file=sys.stderr)
    return 0
