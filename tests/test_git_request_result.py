"""How a git command that talked to the remote ended, as `gitops_ray_git_requests_total` counts it, read
from what git 2.39 really prints (curl's and ssh's messages included)."""

from __future__ import annotations

import pytest

from gitops_ray.edge.git.process import GitOutcome, request_result

REJECTED = "To /srv/remote.git\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone\n"


@pytest.mark.parametrize(
    ("outcome", "result"),
    [
        pytest.param(GitOutcome(0, "", ""), "ok", id="exit 0"),
        pytest.param(GitOutcome(-9, "", "timed out after 20s", timed_out=True), "timeout", id="killed"),
        pytest.param(
            GitOutcome(
                128,
                "",
                "fatal: unable to access 'http://127.0.0.1:8080/r.git/': Operation too slow. Less than 1024 "
                "bytes/sec transferred the last 60 seconds",
            ),
            "timeout",
            id="stalled transfer",
        ),
        pytest.param(
            GitOutcome(128, "", "ssh: connect to host git.example port 22: Connection timed out"),
            "unreachable",
            id="no connection",
        ),
        pytest.param(GitOutcome(1, REJECTED, "error: failed to push some refs"), "rejected", id="moved"),
        pytest.param(
            GitOutcome(1, "!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)", ""),
            "rejected",
            id="hook declined",
        ),
        pytest.param(
            GitOutcome(128, "", "fatal: Authentication failed for 'http://127.0.0.1:8080/r.git/'\n"),
            "auth",
            id="wrong token",
        ),
        pytest.param(
            GitOutcome(128, "", "fatal: could not read Username for 'http://h': terminal prompts disabled"),
            "auth",
            id="no token",
        ),
        pytest.param(
            GitOutcome(
                128,
                "",
                "git@h: Permission denied (publickey).\r\nfatal: Could not read from remote repository.",
            ),
            "auth",
            id="ssh key refused",
        ),
        pytest.param(
            GitOutcome(
                128, "", "Host key verification failed.\nfatal: Could not read from remote repository."
            ),
            "auth",
            id="unknown host key",
        ),
        pytest.param(
            GitOutcome(
                128, "", "fatal: unable to access 'https://h/r/': The requested URL returned error: 403"
            ),
            "auth",
            id="http 403",
        ),
        pytest.param(
            GitOutcome(
                128,
                "",
                "fatal: '/srv/gone.git' does not appear to be a git repository\n"
                "fatal: Could not read from remote repository.",
            ),
            "unreachable",
            id="no repository on disk",
        ),
        pytest.param(
            GitOutcome(128, "", "fatal: repository 'http://127.0.0.1:8080/nope.git/' not found\n"),
            "unreachable",
            id="http 404",
        ),
        pytest.param(
            GitOutcome(
                128,
                "",
                "fatal: unable to access 'http://127.0.0.1:1/x.git/': Failed to connect to 127.0.0.1 port 1 "
                "after 0 ms: Couldn't connect to server",
            ),
            "unreachable",
            id="http connection refused",
        ),
        pytest.param(
            GitOutcome(
                128,
                "",
                "ssh: connect to host 127.0.0.1 port 1: Connection refused\n"
                "fatal: Could not read from remote repository.",
            ),
            "unreachable",
            id="ssh connection refused",
        ),
        pytest.param(
            GitOutcome(128, "", "ssh: Could not resolve hostname git.example: Name or service not known"),
            "unreachable",
            id="unknown host",
        ),
        pytest.param(
            GitOutcome(128, "", "fatal: remote error: upload-pack: not our ref 4b825dc642cb6eb9a060e5"),
            "error",
            id="commit refused",
        ),
    ],
)
def test_a_network_commands_result_is_read_from_its_exit_status_and_output(
    outcome: GitOutcome, result: str
) -> None:
    assert request_result(outcome) == result
