"""What can go wrong with the Git remote, as errors whose messages are safe to log (no credentials)."""

from __future__ import annotations

from gitops_ray.model.errors import GitopsRayError


class GitSourceError(GitopsRayError):
    """A Git operation failed; the message names the repository (redacted) and what failed."""


class GitConfigError(GitSourceError):
    """The settings or credentials are unusable (a bad path, an unreadable credential file)."""


class RemoteUnavailable(GitSourceError):
    """The remote could not be reached, refused us, or did not answer in time. Nothing local was changed."""


class RefNotFound(GitSourceError):
    """The configured ref is neither a branch, a tag nor a commit of the remote."""


class PushRejected(GitSourceError):
    """The remote kept moving (or refused the push) after every retry; the user's commits are untouched."""
