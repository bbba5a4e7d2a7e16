"""`gitops-ray run`: the controller. Every setting is a flag, a `GITOPS_RAY_*` variable and a file key."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from gitops_ray.app.settings import ControllerSettings, env_name, file_key, load_settings
from gitops_ray.model.errors import GitopsRayError


def add_setting_flags(parser: argparse.ArgumentParser, names: list[str] | None = None) -> None:
    """One flag per setting (`--resync-interval`, `--heal/--no-heal`, ...); unset flags stay None."""
    for setting in fields(ControllerSettings):
        if names is not None and setting.name not in names:
            continue
        flag = "--" + setting.name.replace("_", "-")
        where = f"(env {env_name(setting.name)}, file key {file_key(setting.name)})"
        default = setting.default if setting.default not in ("", None) else "see README"
        help_text = f"default {default!r} {where}".replace("%", "%%")
        if str(setting.type) == "bool":
            parser.add_argument(
                flag, dest=setting.name, action=argparse.BooleanOptionalAction, help=help_text
            )
        elif str(setting.type) == "float":
            parser.add_argument(flag, dest=setting.name, type=float, metavar="SECONDS", help=help_text)
        else:
            parser.add_argument(flag, dest=setting.name, metavar=setting.name.upper(), help=help_text)


def settings_from_args(args: argparse.Namespace) -> ControllerSettings:
    config = Path(args.config) if getattr(args, "config", None) else None
    return load_settings(config, os.environ, vars(args))


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the controller: poll the repo, apply, prune, report drift, commit back",
        description="Settings come from --config FILE, then GITOPS_RAY_* variables, then flags (highest). "
        "Git credentials are not settings: GITOPS_RAY_GIT_TOKEN, _USERNAME or _PASSWORD (each also as "
        "<NAME>_FILE, for a mounted Secret), GITOPS_RAY_GIT_SSH_KEY_FILE, _KNOWN_HOSTS_FILE and "
        "_SSH_STRICT_HOST_KEY_CHECKING (yes by default). Nor is the webhook secret (POST /hooks/git): "
        "GITOPS_RAY_WEBHOOK_SECRET, or the file --webhook-secret-file names.",
    )
    run.add_argument("--config", metavar="FILE", help="YAML settings file (camelCase keys)")
    add_setting_flags(run)
    run.set_defaults(handler=run_run)


def run_run(args: argparse.Namespace) -> int:
    from gitops_ray.app.controller import run_controller

    try:
        return run_controller(settings_from_args(args), dict(os.environ))
    except GitopsRayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
