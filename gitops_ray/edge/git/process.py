"""Running git child processes: bounded in time, never prompting, never leaking, errors redacted.

Every command is one `git` process that is waited for (gitpython's `Git.execute`); no persistent
`git cat-file` helpers are started, so a long-running controller does not accumulate children.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from gitops_ray.edge.git.credentials import redact
from gitops_ray.edge.git.errors import GitSourceError

# Options for commands that talk to the remote: no credential helper may store (or offer) our secrets.
NETWORK_OPTIONS = ("-c", "credential.helper=", "-c", "core.askPass=")


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

    def __init__(self, env: Mapping[str, str], timeouts: Timeouts, secrets: tuple[str, ...] = ()) -> None:
        self._env = dict(env)
        self._timeouts = timeouts
        self._secrets = secrets

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def try_run(self, cwd: Path, args: Sequence[str], *, network: bool = False) -> GitOutcome:
        """Run `git <args>` in `cwd`; its status and (redacted) output. Never raises for an exit code."""
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
        if status != 0 and "did not complete in" in str(stderr):
            stderr = f"timed out after {timeout:g}s"
        return GitOutcome(int(status or 0), self.redact(str(stdout)), self.redact(str(stderr)))

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
