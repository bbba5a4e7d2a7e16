"""The Git edge: fetch the source at a ref, commit rendered/ and drift/ back. Only this package runs git."""

from gitops_ray.edge.git.commitback import CommitBack, Outputs, Publication, Recompute
from gitops_ray.edge.git.credentials import Credentials, credentials_from_env, read_secret_file, redact
from gitops_ray.edge.git.errors import (
    GitConfigError,
    GitSourceError,
    PushRejected,
    RefNotFound,
    RemoteUnavailable,
)
from gitops_ray.edge.git.process import GitRequestObserver, Timeouts, ignore_request
from gitops_ray.edge.git.settings import RepoSettings
from gitops_ray.edge.git.source import Checkout, GitSource

__all__ = [
    "Checkout",
    "CommitBack",
    "Credentials",
    "GitConfigError",
    "GitRequestObserver",
    "GitSource",
    "GitSourceError",
    "Outputs",
    "Publication",
    "PushRejected",
    "Recompute",
    "RefNotFound",
    "RemoteUnavailable",
    "RepoSettings",
    "Timeouts",
    "credentials_from_env",
    "ignore_request",
    "read_secret_file",
    "redact",
]
