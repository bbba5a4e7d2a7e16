"""The controller's poll loop on real repositories: skip when nothing changed, re-check the cluster every
resync interval, recover from a dead remote, stand by without the Lease, count Git requests by result and
time each cluster; and the real `gitops-ray run` process serving /metrics, /healthz and /readyz until
SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fakekube import FakeCluster
from git_repos import RAYCLUSTER_A, UserClone, git

from gitops_ray.app.controller import Controller
from gitops_ray.app.http import serve_http
from gitops_ray.app.metrics import Metrics
from gitops_ray.app.settings import ControllerSettings
from gitops_ray.edge.git import RepoSettings
from gitops_ray.edge.kube import KubeApi

pytestmark = pytest.mark.git


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clusters_repo(user: UserClone) -> UserClone:
    user.remove("clusters/team-a/a.yaml")
    user.write("clusters/team-a/a.yaml", RAYCLUSTER_A)
    user.commit("a real cluster")
    user.push()
    return user


def controller(settings: RepoSettings, clock: FakeClock, **overrides: object) -> Controller:
    controller_settings = ControllerSettings(repo=settings.url, apply=False, interval=60, resync_interval=300)
    return Controller(settings, controller_settings, None, Metrics(), clock=clock, **overrides)  # type: ignore[arg-type]


def cycles(metrics: Metrics, result: str) -> float:
    value = metrics.registry.get_sample_value("gitops_ray_cycles_total", {"result": result})
    return value or 0.0


def test_the_first_tick_renders_and_commits_back(settings: RepoSettings, clusters_repo: UserClone) -> None:
    result = controller(settings, FakeClock()).tick()
    assert result is not None and not result.skipped and result.committed
    clusters_repo.pull()
    assert (clusters_repo.path / "rendered" / "team-a" / "a.yaml").is_file()


def test_a_tick_with_nothing_changed_is_skipped(settings: RepoSettings, clusters_repo: UserClone) -> None:
    loop = controller(settings, FakeClock())
    loop.tick()
    second = loop.tick()
    assert second is not None and second.skipped
    assert (cycles(loop.metrics, "applied"), cycles(loop.metrics, "skipped")) == (1, 1)


def test_after_the_resync_interval_the_cluster_is_checked_again(
    settings: RepoSettings, clusters_repo: UserClone
) -> None:
    clock = FakeClock()
    loop = controller(settings, clock)
    loop.tick()
    clock.now += 299
    assert loop.tick().skipped  # type: ignore[union-attr]
    clock.now += 1
    again = loop.tick()
    assert again is not None and not again.skipped and again.committed is None  # same outputs: no commit


def test_a_new_user_commit_is_rendered_on_the_next_tick(
    settings: RepoSettings, clusters_repo: UserClone
) -> None:
    loop = controller(settings, FakeClock())
    loop.tick()
    clusters_repo.pull()
    clusters_repo.write("clusters/team-a/b.yaml", RAYCLUSTER_A.replace("name: a,", "name: b,"))
    clusters_repo.commit("cluster b")
    clusters_repo.push()
    result = loop.tick()
    assert result is not None and not result.skipped and result.committed
    clusters_repo.pull()
    assert (clusters_repo.path / "rendered" / "team-a" / "b.yaml").is_file()


def test_a_dead_remote_fails_the_tick_and_the_next_one_recovers(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    loop = controller(settings, FakeClock())
    moved = remote.with_name("gone.git")
    remote.rename(moved)
    assert loop.tick() is None
    assert cycles(loop.metrics, "failed") == 1
    moved.rename(remote)
    result = loop.tick()
    assert result is not None and result.committed


def test_a_standby_replica_does_nothing(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    head = git(remote, "rev-parse", "main")
    loop = controller(settings, FakeClock(), is_leader=lambda: False)
    assert loop.tick() is None
    assert git(remote, "rev-parse", "main") == head
    assert cycles(loop.metrics, "applied") == cycles(loop.metrics, "failed") == 0


@contextmanager
def serving(metrics: Metrics) -> Iterator[str]:
    """The controller's /metrics endpoint for `metrics` on 127.0.0.1: its URL."""
    server = serve_http("127.0.0.1:0", metrics.registry, lambda: True, threading.Event())
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()


def test_metrics_count_git_requests_by_result_and_time_each_cluster(
    settings: RepoSettings, clusters_repo: UserClone, remote: Path
) -> None:
    cluster = FakeCluster()
    controller_settings = ControllerSettings(repo=settings.url, interval=60, resync_interval=300)
    loop = Controller(settings, controller_settings, lambda: cluster, Metrics(), clock=FakeClock())  # type: ignore[arg-type,return-value]
    with serving(loop.metrics) as url:
        loop.tick()  # clone, fetch; apply; fetch, push
        remote.rename(remote.with_name("gone.git"))
        loop.tick()  # the fetch fails; the last fetched revision is already applied: skipped
        scraped = http_get(url)[1].splitlines()
    assert [line for line in scraped if line.startswith("gitops_ray_git_requests_total")] == [
        'gitops_ray_git_requests_total{operation="clone",result="ok"} 1.0',
        'gitops_ray_git_requests_total{operation="fetch",result="ok"} 2.0',
        'gitops_ray_git_requests_total{operation="push",result="ok"} 1.0',
        'gitops_ray_git_requests_total{operation="fetch",result="unreachable"} 1.0',
    ]
    assert 'gitops_ray_cluster_reconcile_seconds_count{name="a",namespace="team-a"} 1.0' in scraped


def test_a_tick_running_far_too_long_makes_healthz_fail(settings: RepoSettings) -> None:
    loop = controller(settings, FakeClock())
    assert loop.healthy(now=1000.0)
    loop.tick_started = 1000.0
    assert loop.healthy(now=1000.0 + 599)
    assert not loop.healthy(now=1000.0 + 600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(condition: object, seconds: float = 60.0) -> None:
    """Poll a real process's observable state (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@contextmanager
def running_controller(
    tmp_path: Path, remote: Path, port: int, *flags: str
) -> Iterator[subprocess.Popen[str]]:
    """The real `gitops-ray run` process polling `remote` every second; killed if a test fails."""
    command = [sys.executable, "-m", "gitops_ray", "run", "--repo", str(remote), "--interval", "1"]
    command += ["--resync-interval", "60", "--cache-dir", str(tmp_path / "cache")]
    command += ["--metrics-address", f"127.0.0.1:{port}", *flags]
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_gitops_ray_run_polls_serves_metrics_and_stops_on_sigterm(
    tmp_path: Path, remote: Path, clusters_repo: UserClone
) -> None:
    port = free_port()
    with running_controller(tmp_path, remote, port, "--no-apply", "--log-format", "json") as process:
        wait_for(lambda: _ready(port))
        assert http_get(f"http://127.0.0.1:{port}/healthz") == (200, "ok\n")
        wait_for(
            lambda: (
                'gitops_ray_cycles_total{result="skipped"}' in http_get(f"http://127.0.0.1:{port}/metrics")[1]
            )
        )
        clusters_repo.pull()
        assert (clusters_repo.path / "rendered" / "team-a" / "a.yaml").is_file()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    logs = process.stderr.read() if process.stderr else ""
    assert '"event": "controller.started"' in logs and '"event": "controller.stopping"' in logs


def test_gitops_ray_run_counts_its_fetches_and_those_of_a_remote_gone_away(
    tmp_path: Path, remote: Path, clusters_repo: UserClone
) -> None:
    port = free_port()
    metrics = f"http://127.0.0.1:{port}/metrics"
    with running_controller(tmp_path, remote, port, "--no-apply") as process:
        wait_for(lambda: _ready(port))
        wait_for(
            lambda: 'gitops_ray_git_requests_total{operation="fetch",result="ok"}' in http_get(metrics)[1]
        )
        remote.rename(remote.with_name("gone.git"))
        wait_for(
            lambda: (
                'gitops_ray_git_requests_total{operation="fetch",result="unreachable"}'
                in http_get(metrics)[1]
            )
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def _ready(port: int) -> bool:
    try:
        return http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    except OSError:
        return False


@pytest.mark.apiserver
def test_gitops_ray_run_applies_the_repo_leads_by_lease_and_commits_a_compared_drift_report(
    tmp_path: Path, remote: Path, user: UserClone, apiserver_kubeconfig: str, namespace: str, kube: KubeApi
) -> None:
    user.write("clusters/a.yaml", RAYCLUSTER_A.replace("namespace: team-a", f"namespace: {namespace}"))
    user.commit("cluster in the test namespace")
    user.push()
    port = free_port()
    lease_flags = ("--leader-election", "--lease-namespace", namespace, "--identity", "replica-1")
    with running_controller(
        tmp_path, remote, port, "--kubeconfig", apiserver_kubeconfig, *lease_flags
    ) as process:
        wait_for(lambda: kube.get("v1", "Pod", namespace, "a-head") is not None)
        wait_for(lambda: "gitops_ray_leader 1.0" in http_get(f"http://127.0.0.1:{port}/metrics")[1])
        wait_for(lambda: git(remote, "log", "-1", "--format=%s", "main").startswith("gitops-ray: render"))
        summary = git(remote, "show", "main:drift/summary.json")
        assert '"compared_with_cluster": true' in summary
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    lease = kube.get("coordination.k8s.io/v1", "Lease", namespace, "gitops-ray")
    assert lease is not None and not lease["spec"].get("holderIdentity")  # released on shutdown


@pytest.mark.apiserver
def test_gitops_ray_run_serves_the_reconcile_time_of_each_cluster_it_applies(
    tmp_path: Path, remote: Path, user: UserClone, apiserver_kubeconfig: str, namespace: str
) -> None:
    user.write("clusters/a.yaml", RAYCLUSTER_A.replace("namespace: team-a", f"namespace: {namespace}"))
    user.commit("cluster in the test namespace")
    user.push()
    port = free_port()
    metrics = f"http://127.0.0.1:{port}/metrics"
    timed = f'gitops_ray_cluster_reconcile_seconds_count{{name="a",namespace="{namespace}"}} '
    with running_controller(tmp_path, remote, port, "--kubeconfig", apiserver_kubeconfig) as process:
        wait_for(lambda: _ready(port))
        wait_for(lambda: timed in http_get(metrics)[1])
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
