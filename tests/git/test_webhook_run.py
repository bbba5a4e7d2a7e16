"""The real `gitops-ray run` process with a webhook secret: a signed `POST /hooks/git` makes it poll at once
(long before its 60 s interval), a bad one is refused and changes nothing; its stderr is JSON lines, one per
cycle with the counts and one per object written."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from git_repos import RAYCLUSTER_A, UserClone, git
from testkit import GIT_ENV

from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.git

SECRET = "webhook-s3cret-value"
PUSH = json.dumps({"ref": "refs/heads/main"}).encode()
INTERVAL = 60  # the webhook tests expect their polls well before this


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    stderr: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def lines(self) -> list[dict[str, Any]]:
        """Every stderr line as JSON (an AssertionError names the first line that is not)."""
        parsed = []
        for line in self.stderr.read_text().splitlines():
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                raise AssertionError(f"not a JSON line: {line!r}") from None
        return parsed

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(tmp_path: Path, remote: Path, *flags: str, secret: str | None = SECRET) -> Iterator[Running]:
    """`gitops-ray run` polling `remote` every minute, stderr to a file; killed if a test fails."""
    port = free_port()
    command = [sys.executable, "-m", "gitops_ray", "run", "--repo", str(remote), "--interval", str(INTERVAL)]
    command += ["--cache-dir", str(tmp_path / "cache"), "--metrics-address", f"127.0.0.1:{port}", *flags]
    env = {**os.environ, **GIT_ENV}
    env.pop("GITOPS_RAY_WEBHOOK_SECRET", None)
    if secret is not None:
        env["GITOPS_RAY_WEBHOOK_SECRET"] = secret
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as err:
        process = subprocess.Popen(command, stderr=err, env=env)
    run = Running(process, port, stderr)
    try:
        wait_for(lambda: get(run.url("/readyz")) == 200, "ready")
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> float:
    """Poll until `condition` (bounded); the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def github(body: bytes, secret: str = SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={signature}", "X-GitHub-Event": "push"}


def last_subject(remote: Path) -> str:
    return git(remote, "log", "-1", "--format=%s", "main")


def cycles_done(run: Running) -> int:
    return len(run.events("cycle.done")) + len(run.events("cycle.skipped"))


def test_a_signed_push_hook_polls_at_once_and_bad_ones_change_nothing(
    tmp_path: Path, remote: Path, clusters_repo: UserClone
) -> None:
    with running(tmp_path, remote, "--no-apply") as run:
        wait_for(lambda: last_subject(remote).startswith("gitops-ray: render"), "first render committed")
        clusters_repo.pull()
        clusters_repo.write("clusters/team-a/b.yaml", RAYCLUSTER_A.replace("name: a,", "name: b,"))
        clusters_repo.commit("cluster b")
        clusters_repo.push()
        polls = cycles_done(run)

        refused = [
            post(run.url("/hooks/git"), PUSH, {}),
            post(run.url("/hooks/git"), PUSH, github(PUSH, secret="guessed")),
            post(run.url("/hooks/git"), PUSH, {"X-Gitlab-Token": "guessed"}),
        ]
        time.sleep(3)
        assert refused == [(401, "signature required\n"), (401, "bad signature\n"), (401, "bad signature\n")]
        assert last_subject(remote) == "cluster b"  # not rendered: nothing polled
        assert cycles_done(run) == polls

        assert post(run.url("/hooks/git"), PUSH, github(PUSH)) == (202, "poll requested\n")
        took = wait_for(lambda: last_subject(remote).startswith("gitops-ray: render"), "rendered on the hook")
        assert took < INTERVAL / 4
        assert "rendered/team-a/b.yaml" in git(remote, "show", "--name-only", "--format=", "main")
        run.stop()
    lines = run.lines()  # every line is JSON
    assert [line["reason"] for line in lines if line["event"] == "webhook.refused"] == [
        "no X-Hub-Signature-256 or X-Gitlab-Token",
        "bad signature",
        "bad token",
    ]
    assert SECRET not in run.stderr.read_text()


def test_many_deliveries_at_once_make_far_fewer_polls(
    tmp_path: Path, remote: Path, clusters_repo: UserClone
) -> None:
    """Deliveries during a poll make one more poll after it, however many came (how many polls in all
    depends on how the deliveries and the polls interleave)."""
    with running(tmp_path, remote, "--no-apply") as run:
        wait_for(lambda: cycles_done(run) == 1, "first cycle")
        with ThreadPoolExecutor(max_workers=20) as pool:
            replies = list(pool.map(lambda _: post(run.url("/hooks/git"), PUSH, github(PUSH)), range(20)))
        wait_for(lambda: cycles_done(run) >= 2, "a poll on the hooks")
        time.sleep(3)
        run.stop()
    assert replies == [(202, "poll requested\n")] * 20
    assert 1 <= cycles_done(run) - 1 < 10


def test_without_a_secret_there_is_no_hook(tmp_path: Path, remote: Path) -> None:
    with running(tmp_path, remote, "--no-apply", secret=None) as run:
        assert post(run.url("/hooks/git"), PUSH, github(PUSH)) == (404, "not found\n")
        run.stop()


@pytest.mark.apiserver
def test_a_gitlab_push_hook_applies_the_change_long_before_the_interval_and_logs_each_object(
    tmp_path: Path, remote: Path, user: UserClone, apiserver_kubeconfig: str, namespace: str, kube: KubeApi
) -> None:
    cluster_a = RAYCLUSTER_A.replace("namespace: team-a", f"namespace: {namespace}")
    user.write("clusters/a.yaml", cluster_a)
    user.commit("cluster a")
    user.push()
    with running(tmp_path, remote, "--kubeconfig", apiserver_kubeconfig, "--log-level", "info") as run:
        wait_for(lambda: len(run.events("cycle.done")) == 1, "first cycle")
        user.pull()
        user.write("clusters/b.yaml", cluster_a.replace("name: a,", "name: b,"))
        user.commit("cluster b")
        user.push()

        assert post(run.url("/hooks/git"), PUSH, {"X-Gitlab-Token": SECRET}) == (202, "poll requested\n")
        took = wait_for(lambda: kube.get("v1", "Pod", namespace, "b-head") is not None, "b applied")
        assert took < INTERVAL / 4
        wait_for(lambda: len(run.events("cycle.done")) == 2, "second cycle logged")
        run.stop()

    first, second = run.events("cycle.done")
    assert first["cycle"] != second["cycle"]
    assert second["revision"] == git(user.path, "rev-parse", "HEAD")
    assert isinstance(second["duration_seconds"], float)
    counts = ("created", "updated", "recreated", "pruned", "healed", "failed")
    assert {name: second[name] for name in counts} == {
        "created": 2,  # b's head Service and head Pod
        "updated": 0,
        "recreated": 0,
        "pruned": 0,
        "healed": 0,
        "failed": 0,
    }
    objects = [
        (line["event"], line["object"], line["result"])
        for line in run.lines()
        if line["event"].startswith("object.") and line.get("cycle") == second["cycle"]
    ]
    assert objects == [
        ("object.create", f"Service {namespace}/b-head-svc", "done"),
        ("object.create", f"Pod {namespace}/b-head", "done"),
    ]
