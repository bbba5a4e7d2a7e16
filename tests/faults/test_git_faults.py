"""Faults around Git and the API server, seen from a real `gitops-ray run` process (no leader election) that
watches a real bare Git remote on disk (a file path URL) holding one small cluster, against a real API server.

While the remote is gone, resync epochs keep applying the last fetched revision: a deleted Pod is created
again and nothing is committed. While the API server is stopped, the drift report changes once (to
"unreachable", with no address in it), so the outage makes at most one commit, not one per cycle.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from faultkit import (
    bare_remote_with_clone,
    cli_command,
    cli_env,
    commit_and_push,
    free_port,
    git,
    http_get,
    wait_for,
    write_files,
)
from testenv import TestEnv
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi

pytestmark = [pytest.mark.apiserver, pytest.mark.git]

RESYNC = 3.0  # seconds between cluster epochs: how soon drift is healed while Git is quiet (or gone)
CLUSTER = "a"
WORKER = f"{CLUSTER}-small-worker-0"  # raycluster(workers=1): a head Service, a head Pod and this Pod
LAST_SUCCESS = re.compile(r"^gitops_ray_last_success_timestamp_seconds (\S+)$", re.MULTILINE)


def remote_with_cluster(tmp_path: Path, namespace: str) -> Path:
    """A bare remote (branch main) whose one commit holds `<namespace>/a.yaml`."""
    remote, clone = bare_remote_with_clone(tmp_path)
    write_files(clone / namespace, {f"{CLUSTER}.yaml": [raycluster(CLUSTER, namespace, workers=1)]})
    commit_and_push(clone, "one cluster")
    return remote


def commits(remote: Path) -> int:
    return int(git(remote, "rev-list", "--count", "main"))


@dataclass(frozen=True)
class ControllerProcess:
    """A running `gitops-ray run`; stdout and stderr go to `log`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def last_success(self) -> float:
        """When a cycle last finished without error (epoch seconds; 0 before the first)."""
        found = LAST_SUCCESS.search(http_get(f"http://127.0.0.1:{self.port}/metrics"))
        return float(found.group(1)) if found else 0.0


@contextmanager
def controller(tmp_path: Path, remote: Path, kubeconfig: str) -> Iterator[ControllerProcess]:
    """Start `gitops-ray run` on `remote`; on the way out SIGTERM, then kill if it has not exited in 10 s."""
    port = free_port()
    command = cli_command(
        "run", "--repo", str(remote), "--kubeconfig", kubeconfig,
        "--interval", "1", "--resync-interval", str(RESYNC),
        "--cache-dir", str(tmp_path / "cache"), "--metrics-address", f"127.0.0.1:{port}",
    )  # fmt: skip
    log = tmp_path / "controller.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=cli_env())
    try:
        yield ControllerProcess(process, port, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def gone(remote: Path) -> Iterator[Path]:
    """The remote is moved away while inside (yields where it is), and back afterwards."""
    moved = remote.with_name("elsewhere.git")
    remote.rename(moved)
    try:
        yield moved
    finally:
        moved.rename(remote)


def applied_and_pushed(run: ControllerProcess, kube: KubeApi, namespace: str, remote: Path) -> None:
    """Wait until the controller created the Pods and pushed its render commit (after the user's one)."""
    wait_for(lambda: kube.get("v1", "Pod", namespace, WORKER) is not None, 60, f"Pods created\n{run.logs()}")
    wait_for(lambda: commits(remote) >= 2, 30, f"the render commit pushed\n{run.logs()}")


def report(name: str, **figures: object) -> None:
    """Figures of a scenario, printed (shown with -s / -rP)."""
    print(f"{name}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


def test_while_the_remote_is_gone_a_deleted_pod_is_healed_from_the_last_fetched_revision(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    remote = remote_with_cluster(tmp_path, namespace)
    with controller(tmp_path, remote, apiserver_kubeconfig) as run:
        applied_and_pushed(run, kube, namespace, remote)
        head = git(remote, "rev-parse", "main")
        with gone(remote) as moved:
            wait_for(lambda: '"git.unreachable"' in run.logs(), 10, f"git.unreachable logged\n{run.logs()}")
            worker = kube.get("v1", "Pod", namespace, WORKER)
            assert worker is not None
            assert kube.delete(worker)
            deleted = time.monotonic()

            def created_again() -> bool:
                pod = kube.get("v1", "Pod", namespace, WORKER)
                return pod is not None and pod["metadata"]["uid"] != worker["metadata"]["uid"]

            wait_for(created_again, RESYNC + 10, f"{WORKER} created again offline\n{run.logs()}")
            healed_s = time.monotonic() - deleted
            head_while_gone = git(moved, "rev-parse", "main")  # read before it is back: a push may follow
        assert run.process.poll() is None, run.logs()
    assert head_while_gone == head, "the controller pushed while the remote was gone"
    report("remote-gone", healed_s=round(healed_s, 2), commits=commits(remote))


def test_an_api_server_outage_commits_at_most_once(
    start_testenv: Callable[[], TestEnv], tmp_path: Path
) -> None:
    env = start_testenv()  # a private API server: this test stops it
    namespace = "git-faults-outage"
    api_port = (env.rundir / "api-port").read_text().strip()
    remote = remote_with_cluster(tmp_path, namespace)
    try:
        with controller(tmp_path, remote, env.kubeconfig) as run:
            applied_and_pushed(run, env.connect(), namespace, remote)
            time.sleep(1)  # a cycle that was pushing when the render commit landed has ended
            before = git(remote, "rev-parse", "main")
            count_before = commits(remote)
            env.stop()
            stopped = time.time()
            time.sleep(max(0.0, 4 * RESYNC - (time.time() - stopped)))  # about three resync epochs
            during = commits(remote) - count_before  # before the restart: every one made without a server
            outage_head = git(remote, "rev-parse", "main")
            env.start()  # the same address, token and data: the controller reconnects
            restarted = time.time()
            wait_for(
                lambda: run.last_success() > restarted, 30, f"a cycle done after the restart\n{run.logs()}"
            )
            recovered_s = time.time() - restarted
            assert run.process.poll() is None, run.logs()
        assert during <= 1, git(remote, "log", "--format=%h %s", f"{before}..{outage_head}")
        assert during == 1, f"no commit saying the API server is unreachable\n{run.logs()}"
        drift = git(remote, "show", f"{outage_head}:drift/{namespace}/{CLUSTER}.md")
        assert "unreachable" in drift, drift
        assert "0x" not in drift, drift
        assert api_port not in drift, drift
        report(
            "api-outage",
            down_s=round(restarted - stopped, 2),
            commits_during_outage=during,
            recovered_s=round(recovered_s, 2),
            commits_after=commits(remote) - count_before,
            drift_says=drift.splitlines()[-1],
        )
    finally:
        env.stop()
