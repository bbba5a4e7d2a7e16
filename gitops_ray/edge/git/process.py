"""Running git child processes: bounded in time, never prompting, never leaking, errors redacted.

Every command is one `git` process that is waited for (gitpython's `Git.execute`); no persistent
`git cat-file` helpers are started, so a long-running controller does not accumulate children. Each
command that talks to the remote is told, with its result, to the runner's observer (the controller
counts them in `gitops_ray_git_requests_total`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from gitops_ray.edge.git.credentials import redact
from gitops_ray.edge.git.errors import GitSourceError

# Options for commands that talk to the remote: no credential helper may store (or offer) our secrets.
NETWORK_OPTIONS = ("-c", "credential.helper=", "-c", "core.askPass=")

GitRequestObserver = Callable[[str, str], None]
"""Told of every command that talks to the remote: (operation, result), e.g. ("fetch", "ok"); the
operation is git's subcommand (clone, fetch, push), the result `request_result`'s."""


def ignore_request(operation: str, result: str) -> None:
    """The observer of runs that count nothing (`sync --once --repo`)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `network` bounds a whole clone/fetch/push (the process tree is killed after it);
    `low_speed` aborts HTTP transfers slower than 1 KiB/s for that long; `connect` bounds SSH connects."""

    network: float = 300.0
    local: float = 120.0
    low_speed: int = 60
    connect: int = 20

    def __post_init__(self) -> None:
        if min(self.network, self.local, self.low_speed, self.connect) <= 0:
            raise ValueError(f"timeouts must be positive: {self}")


@dataclass(frozen=True)
class GitOutcome:
    status: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 0


def base_environment(timeouts: Timeouts) -> dict[str, str]:
    """What every git child gets: never prompt; abort HTTP transfers that stall."""
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GCM_INTERACTIVE": "never",
        "GIT_HTTP_LOW_SPEED_LIMIT": "1024",
        "GIT_HTTP_LOW_SPEED_TIME": str(timeouts.low_speed),
    }


class GitRunner:
    """Runs git with one environment, a timeout per command, and secrets redacted from every error."""

    def __init__(
        self,
        env: Mapping[str, str],
        timeouts: Timeouts,
        secrets: tuple[str, ...] = (),
        on_request: GitRequestObserver = ignore_request,
    ) -> None:
        self._env = dict(env)
        self._timeouts = timeouts
        self._secrets = secrets
        self._on_request = on_request

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def try_run(self, cwd: Path, args: Sequence[str], *, network: bool = False) -> GitOutcome:
        """Run `git <args>` in `cwd`; its status and (redacted) output. Never raises for an exit code.
        A `network` command's result is told to the observer."""
        command = ["git", *(NETWORK_OPTIONS if network else ()), *args]
        timeout = self._timeouts.network if network else self._timeouts.local
        runner = git.Git(str(cwd))
        try:
            status, stdout, stderr = runner.execute(
                command,
                with_extended_output=True,
                with_exceptions=False,
                kill_after_timeout=timeout,
                env=self._env,
            )
        except git.GitCommandNotFound as error:
            raise GitSourceError(f"git is not installed: {error}") from None
        finally:
            runner.clear_cache()
        timed_out = status != 0 and "did not complete in" in str(stderr)
        if timed_out:
            stderr = f"timed out after {timeout:g}s"
        outcome = GitOutcome(int(status or 0), self.redact(str(stdout)), self.redact(str(stderr)), timed_out)
        if network:
            self._on_request(args[0], request_result(outcome))
        return outcome

    def run(self, cwd: Path, args: Sequence[str], *, network: bool = False, what: str = "") -> str:
        """Run `git <args>` and return its stdout; a failure raises GitSourceError saying `what` failed."""
        outcome = self.try_run(cwd, args, network=network)
        if not outcome.ok:
            raise GitSourceError(f"{what or 'git ' + args[0]} failed: {last_lines(outcome.stderr)}")
        return outcome.stdout


def last_lines(text: str, count: int = 3) -> str:
    """The end of git's stderr, where the reason is; progress noise and blank lines dropped."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no output"


def push_refusal(porcelain: str) -> str:
    """The reason of a refused ref in `git push --porcelain` output (`!<TAB>src:dst<TAB>reason`), or ""."""
    for line in porcelain.splitlines():
        if line.startswith("!"):
            return line.split("\t")[-1].strip()
    return ""


# What git (and curl, ssh) print, lowercased, when the remote refused who we are...
_AUTH_FAILURES = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "permission denied (publickey",
    "host key verification failed",
    "returned error: 401",
    "returned error: 403",
)
# ...and when it could not be reached, or has no such repository (an auth failure over SSH also says
# "could not read from remote repository": `_AUTH_FAILURES` are looked for first).
_UNREACHABLE = (
    "could not read from remote repository",
    "does not appear to be a git repository",
    "not found",
    "unable to access",
    "could not resolve",
    "connection refused",
    "connection timed out",
    "connection reset",
    "couldn't connect",
    "no route to host",
    "network is unreachable",
    "the remote end hung up",
)


def request_result(outcome: GitOutcome) -> str:
    """How a command that talked to the remote ended, for `gitops_ray_git_requests_total`: ok, timeout
    (the transfer stalled; a connection that is never made is unreachable), rejected (the remote refused
    a pushed ref: it moved, a hook declined, the branch is protected), auth (credentials or host key
    refused), unreachable (no connection, no such repository) or error (the remote answered with another
    error, say a commit it will not serve)."""
    if outcome.ok:
        return "ok"
    if outcome.timed_out or "operation too slow" in outcome.stderr.lower():
        return "timeout"  # killed at `network`, or aborted below the low-speed limit (Timeouts)
    if push_refusal(outcome.stdout):
        return "rejected"
    stderr = outcome.stderr.lower()
    if any(failure in stderr for failure in _AUTH_FAILURES):
        return "auth"
    if any(failure in stderr for failure in _UNREACHABLE):
        return "unreachable"
    return "error"
