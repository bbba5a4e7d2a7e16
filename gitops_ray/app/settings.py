"""Controller settings: defaults < YAML file < `GITOPS_RAY_*` environment < command-line flags.

One table (`SETTINGS`) names every option once; the file key, the environment variable, the flag and
the README's documentation all derive from it, so the layers cannot drift apart. Secrets are not
settings: Git credentials come from files or `GITOPS_RAY_GIT_*` (see `gitops_ray.edge.git.credentials`),
the webhook secret from the file `webhook_secret_file` names or `GITOPS_RAY_WEBHOOK_SECRET`
(`gitops_ray.app.webhook`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from gitops_ray.model.errors import GitopsRayError

ENV_PREFIX = "GITOPS_RAY_"
LOG_LEVELS = ("debug", "info", "warning", "error")


class SettingsError(GitopsRayError):
    """A setting is unusable; names where it came from (file key, variable or flag)."""


def _default_cache_dir(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "gitops-ray" / "repos")


@dataclass(frozen=True)
class ControllerSettings:
    """Everything `gitops-ray run` (and `sync --once --repo`) needs, with documented defaults."""

    repo: str = ""  # Git URL to watch (required)
    ref: str = "main"  # branch, tag or commit to track
    path: str | None = None  # cluster-file sub-path (default: the repo's gitops-ray.yaml)
    push_branch: str | None = None  # commit rendered/ and drift/ here (default: the tracked branch)
    author_name: str = "gitops-ray"
    author_email: str = "gitops-ray@users.noreply.invalid"
    message_template: str = "gitops-ray: render {short_revision}\n\nRendered from {revision}.\n"
    cache_dir: str = ""  # where clones live (default: $XDG_CACHE_HOME/gitops-ray/repos)
    interval: float = 60.0  # seconds between polls of the repository
    resync_interval: float = 300.0  # seconds after which the cluster is re-checked even if Git is quiet
    apply: bool = True  # false: render and commit back only (no cluster)
    dry_run: bool = False  # server-side dry-run: compute everything, write nothing to the cluster
    heal: bool = True  # false: report drift without correcting it
    allow_empty_prune: bool = False  # a source with zero clusters may prune everything
    create_namespaces: bool = True
    source_name: str = ""  # this source's identity on inventories (default: <repo URL>#<path>)
    adopt: bool = False  # take over clusters that another source applied
    delete_wait: float = 20.0  # seconds a cycle waits, in all, for deleted Pods to go before recreating
    kubeconfig: str | None = None  # default: in-cluster ServiceAccount, else ~/.kube/config
    context: str | None = None
    metrics_address: str = "0.0.0.0:8080"  # /metrics, /healthz, /readyz, POST /hooks/git
    leader_election: bool = False  # stand-by replicas behind a coordination.k8s.io Lease
    lease_name: str = "gitops-ray"
    lease_namespace: str = ""  # default: $POD_NAMESPACE, else default
    lease_duration: float = 15.0  # seconds a leader may go silent before another takes over
    identity: str = ""  # this replica's name in the Lease (default: $HOSTNAME)
    log_format: str = "json"  # json or console
    log_level: str = "info"  # debug, info, warning or error
    webhook_secret_file: str = ""  # file holding the POST /hooks/git secret (or $GITOPS_RAY_WEBHOOK_SECRET)

    def resolved(self, environ: Mapping[str, str]) -> ControllerSettings:
        """Defaults that depend on the environment filled in, and every value checked."""
        settings = replace(
            self,
            cache_dir=self.cache_dir or _default_cache_dir(environ),
            lease_namespace=self.lease_namespace or environ.get("POD_NAMESPACE") or "default",
            identity=self.identity or environ.get("HOSTNAME") or "gitops-ray",
        )
        if not settings.repo:
            raise SettingsError("repo: a repository URL is required (--repo, GITOPS_RAY_REPO or `repo:`)")
        for name in ("interval", "resync_interval", "lease_duration"):
            if getattr(settings, name) <= 0:
                raise SettingsError(f"{name}: must be a positive number of seconds")
        if settings.delete_wait < 0:
            raise SettingsError("delete_wait: must not be negative")
        if settings.resync_interval < settings.interval:
            raise SettingsError("resync_interval: must not be shorter than interval")
        if settings.log_format not in ("json", "console"):
            raise SettingsError(f"log_format: must be json or console, got {settings.log_format!r}")
        if settings.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"log_level: must be one of {', '.join(LOG_LEVELS)}, got {settings.log_level!r}"
            )
        host, _, port = settings.metrics_address.rpartition(":")
        if not host or not port.isdigit():
            raise SettingsError(f"metrics_address: must be HOST:PORT, got {settings.metrics_address!r}")
        return settings


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _to_bool(where: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    raise SettingsError(f"{where}: must be true or false, got {value!r}")


def _to_float(where: str, value: object) -> float:
    if isinstance(value, bool):
        raise SettingsError(f"{where}: must be a number, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(f"{where}: must be a number, got {value!r}") from None


def _to_str(where: str, value: object) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise SettingsError(f"{where}: must be a string, got {value!r}")
    return str(value)


def _converter(annotation: str) -> Callable[[str, object], Any]:
    if annotation == "bool":
        return _to_bool
    if annotation == "float":
        return _to_float
    return _to_str


SETTINGS: dict[str, Callable[[str, object], Any]] = {
    field.name: _converter(str(field.type)) for field in fields(ControllerSettings)
}
"""Setting name -> converter; file key `camelCase(name)`, variable `GITOPS_RAY_<NAME>`, flag `--<name>`."""


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def file_key(name: str) -> str:
    return _camel(name)


def from_file(path: Path) -> dict[str, Any]:
    """Settings from a YAML file (camelCase keys); unknown keys are errors."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SettingsError(f"{path}: cannot read settings: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: settings must be a mapping")
    by_key = {file_key(name): name for name in SETTINGS}
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = by_key.get(str(key))
        if name is None:
            raise SettingsError(f"{path}: {key}: unknown setting; known: {', '.join(sorted(by_key))}")
        if value is not None:
            values[name] = SETTINGS[name](f"{path}: {key}", value)
    return values


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings from `GITOPS_RAY_<NAME>` variables (empty ones ignored)."""
    return {
        name: SETTINGS[name](env_name(name), environ[env_name(name)])
        for name in SETTINGS
        if environ.get(env_name(name))
    }


def load_settings(
    config_file: Path | None, environ: Mapping[str, str], flags: Mapping[str, Any]
) -> ControllerSettings:
    """Layer defaults, the file, the environment and the flags (None flags are "not given")."""
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(from_file(config_file))
    values.update(from_env(environ))
    values.update({name: value for name, value in flags.items() if value is not None and name in SETTINGS})
    return ControllerSettings(**values).resolved(environ)
