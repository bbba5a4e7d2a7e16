"""The real `gitops-ray run` with a resync every 300 s reacts to Pods within seconds: a deleted worker Pod and
a Pod in phase Failed are created again (new uid) within 5 s, by a sync of their cluster alone between
cycles; with its connection to the API server cut and restored, the watch resumes and still reacts. The
times are printed (pytest -s)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faultkit import (
    bare_remote_with_clone,
    cli_command,
    cli_env,
    commit_and_push,
    core_api,
    free_port,
    wait_for,
    write_files,
)
from tcp_proxy import TcpProxy
from testenv import TestEnv
from testkit import raycluster

from gitops_ray.edge.kube import KubeApi

pytestmark = [pytest.mark.apiserver, pytest.mark.git]

REACTION_BOUND = 5.0  # seconds from a Pod's delete (or failure) to its replacement's creation
WORKER = "demo-small-worker-1"


@dataclass
class Controller:
    """A running `gitops-ray run`; its JSON log lines in a file."""

    process: subprocess.Popen[str]
    log: Path

    def events(self, name: str) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [event for event in map(json.loads, lines) if event.get("event") == name]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0, self.log.read_text()


@contextmanager
def controller(tmp_path: Path, namespace: str, kubeconfig: str) -> Iterator[Controller]:
    """`gitops-ray run --resync-interval 300` on a remote holding cluster demo (a head and two workers),
    once its first cycle created the Pods."""
    remote, clone = bare_remote_with_clone(tmp_path)
    write_files(clone / namespace, {"demo.yaml": [raycluster("demo", namespace, workers=2)]})
    commit_and_push(clone, "demo")
    command = cli_command(
        "run", "--repo", str(remote), "--kubeconfig", kubeconfig, "--interval", "2",
        "--resync-interval", "300", "--cache-dir", str(tmp_path / "cache"),
        "--metrics-address", f"127.0.0.1:{free_port()}",
    )  # fmt: skip
    log = tmp_path / "run.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stderr, stderr=stderr, text=True, env=cli_env())
    running = Controller(process, log)
    try:
        wait_for(lambda: bool(running.events("cycle.done")), 60, "the first cycle")
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def pod_uid(kube: KubeApi, namespace: str, name: str) -> str:
    pod = kube.get("v1", "Pod", namespace, name)
    return str(pod["metadata"]["uid"]) if pod else ""


def replaced_after(kube: KubeApi, namespace: str, uid: str, since: float) -> float:
    """Seconds from `since` until WORKER exists with another uid than `uid` (bounded at 30 s)."""
    wait_for(lambda: pod_uid(kube, namespace, WORKER) not in ("", uid), 30, f"{WORKER} created again")
    return time.monotonic() - since


def assert_synced_between_cycles(running: Controller) -> None:
    """The Pod came back from a sync of its cluster, not from a cycle (there was one, the first)."""
    assert len(running.events("cycle.done")) == 1, running.log.read_text()
    synced = running.events("units.synced")
    assert synced and all(event["units"] for event in synced), running.log.read_text()


def test_a_deleted_worker_pod_is_back_within_5_seconds_with_a_resync_every_300(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    with controller(tmp_path, namespace, apiserver_kubeconfig) as running:
        uid = pod_uid(kube, namespace, WORKER)
        deleted = time.monotonic()
        core_api(apiserver_kubeconfig).delete_namespaced_pod(WORKER, namespace)
        seconds = replaced_after(kube, namespace, uid, deleted)
        running.stop()
    print(f"deleted Pod back after {seconds:.2f} s")
    assert seconds < REACTION_BOUND
    assert_synced_between_cycles(running)


def test_a_failed_pod_is_replaced_within_5_seconds_with_a_resync_every_300(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    with controller(tmp_path, namespace, apiserver_kubeconfig) as running:
        uid = pod_uid(kube, namespace, WORKER)
        failed = time.monotonic()
        core_api(apiserver_kubeconfig).patch_namespaced_pod_status(
            WORKER, namespace, {"status": {"phase": "Failed"}}
        )
        seconds = replaced_after(kube, namespace, uid, failed)
        running.stop()
    print(f"Failed Pod replaced after {seconds:.2f} s")
    assert seconds < REACTION_BOUND
    assert_synced_between_cycles(running)


def test_after_its_connection_was_cut_the_watch_resumes_and_still_reacts(
    kube: KubeApi, apiserver: TestEnv, namespace: str, tmp_path: Path
) -> None:
    api_port = int((apiserver.rundir / "api-port").read_text())
    with TcpProxy(api_port) as proxy:
        proxied = tmp_path / "kubeconfig-via-proxy"
        proxied.write_text(
            Path(apiserver.kubeconfig).read_text().replace(f"127.0.0.1:{api_port}", f"127.0.0.1:{proxy.port}")
        )
        with controller(tmp_path, namespace, str(proxied)) as running:
            proxy.cut()
            wait_for(lambda: bool(running.events("watch.failed")), 10, "the watch notices the cut")
            proxy.restore()
            wait_for(lambda: bool(running.events("watch.resumed")), 30, "the watch resumes")
            uid = pod_uid(kube, namespace, WORKER)
            deleted = time.monotonic()
            core_api(apiserver.kubeconfig).delete_namespaced_pod(WORKER, namespace)
            seconds = replaced_after(kube, namespace, uid, deleted)
            running.stop()
    resumed = running.events("watch.resumed")[0]
    print(f"after a cut: watch resumed after {resumed['failures']} failures, Pod back after {seconds:.2f} s")
    assert seconds < REACTION_BOUND
    assert len(running.events("watch.listed")) == 1  # resumed from its last version: no second list
