"""Settings of one watched repository: where it is, what to track, how to write back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from gitops_ray.edge.git.credentials import Credentials, redact, split_userinfo
from gitops_ray.edge.git.errors import GitConfigError
from gitops_ray.edge.git.process import Timeouts

DEFAULT_MESSAGE_TEMPLATE = "gitops-ray: render {short_revision}\n\nRendered from {revision}.\n"
MESSAGE_FIELDS = {"revision": "0" * 40, "short_revision": "0" * 12, "branch": "main"}


@dataclass(frozen=True)
class RepoSettings:
    """One repository: `url` at `ref` (a branch, a tag, or a commit sha).

    `path` overrides the cluster-file sub-path of the repo's own `gitops-ray.yaml` (None: keep it).
    Credentials in an HTTPS URL's userinfo are moved into `credentials`, so the URL that git stores and
    that errors show is clean. Commit-back pushes to `push_branch` (None: the tracked branch), retrying a
    rejected push up to `push_attempts` times with exponential backoff from `push_backoff` seconds, capped
    at `push_backoff_max`. `message_template` may use `{revision}`, `{short_revision}` and `{branch}`.
    """

    url: str
    ref: str = "main"
    path: str | None = None
    cache_dir: Path = Path(".gitops-ray-cache")
    credentials: Credentials = field(default_factory=Credentials)
    author_name: str = "gitops-ray"
    author_email: str = "gitops-ray@users.noreply.invalid"
    message_template: str = DEFAULT_MESSAGE_TEMPLATE
    push_branch: str | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)
    push_attempts: int = 6
    push_backoff: float = 0.25
    push_backoff_max: float = 8.0

    def __post_init__(self) -> None:
        if not self.url:
            raise GitConfigError("repository url is empty")
        clean_url, username, password = split_userinfo(self.url)
        if clean_url != self.url:
            if self.credentials.has_http_auth:
                raise GitConfigError(f"{redact(self.url)}: credentials given both in the URL and separately")
            object.__setattr__(self, "url", clean_url)
            object.__setattr__(
                self, "credentials", replace(self.credentials, username=username, password=password)
            )
        if not self.ref or self.ref.startswith("-") or any(c.isspace() for c in self.ref):
            raise GitConfigError(f"{self.url}: invalid ref {self.ref!r}")
        if self.ref == "HEAD":
            raise GitConfigError(
                f"{self.url}: ref 'HEAD' is ambiguous: name the branch, tag or commit to track"
            )
        if self.push_branch is not None and (not self.push_branch or self.push_branch.startswith("-")):
            raise GitConfigError(f"{self.url}: invalid push branch {self.push_branch!r}")
        if self.path is not None:
            object.__setattr__(self, "path", _relative_dir(self.url, self.path))
        if self.push_attempts < 1 or self.push_backoff < 0 or self.push_backoff_max < self.push_backoff:
            raise GitConfigError(
                f"{self.url}: push_attempts must be >= 1 and 0 <= push_backoff <= push_backoff_max"
            )
        try:
            self.message_template.format(**MESSAGE_FIELDS)
        except (KeyError, IndexError, ValueError) as error:
            raise GitConfigError(
                f"{self.url}: message template {self.message_template!r} is invalid ({error!r}); "
                f"it may use {', '.join('{' + name + '}' for name in MESSAGE_FIELDS)}"
            ) from None


def _relative_dir(url: str, value: str) -> str:
    """A normalized repo-relative POSIX directory ('.' for the root); absolute paths and '..' are refused."""
    path = PurePosixPath(value.strip() or ".")
    if path.is_absolute() or ".." in path.parts:
        raise GitConfigError(f"{url}: path {value!r} must be a relative path inside the repository")
    return str(path)
