"""Whole-process benchmark: what users run, timed as `gitops-ray` processes (wall, CPU, peak RSS).

Generates a repository of N RayClusters (1 head + one group of 30 workers each, over a few namespaces) as
`clusters/<namespace>/<name>.yaml`, pushed to a bare Git remote on disk, plus a user clone; then times:

  render, render --out, validate, diff --base main (one cluster changed, uncommitted)   no cluster
  sync --once PATH: first, no-op                                                     API server #1
  sync --once --repo URL: first, no-op, one cluster changed (commit + push)          API server #2
  run (the controller) on the same remote: first cycle, idle polls, resync epochs    API server #2
  run: deleted Pods back (one worker, then one cluster's workers at once)           API server #2
  run: one cluster changed (commit + push; its cycle.done's count of units rendered) API server #2
  kubectl apply --server-side of the rendered objects: first, no-op                  API server #3

Each group gets a fresh test API server (`scripts/k8s-testenv up`, always `down` afterwards), so every
"first" really creates everything and nothing one tool wrote is in another's way. CPU seconds are the
child's user+sys including its own reaped children (git), peak RSS its `ru_maxrss` (the largest of the
process and its children), both from `os.wait4`. The controller's CPU per phase is read from
/proc/<pid>/stat (utime+stime+cutime+cstime) at its JSON log events (`cycle.done`, `cycle.skipped`).
Figures are printed, never asserted. The machine is shared: the load average is printed with them.

Run: .venv/bin/python bench/processes.py [--clusters N] [--json FILE] [--skip-kubectl] [--skip-run] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TESTENV = ROOT / "scripts" / "k8s-testenv"
NAMESPACES = ("team-a", "team-b", "team-c", "team-d")
WORKERS = 30
GIT_ENV = {
    "GIT_AUTHOR_NAME": "A User",
    "GIT_AUTHOR_EMAIL": "user@example.invalid",
    "GIT_COMMITTER_NAME": "A User",
    "GIT_COMMITTER_EMAIL": "user@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")
SUMMARY = re.compile(
    r"^\S+/\S+: created (\d+), updated (\d+), recreated (\d+), unchanged (\d+), pruned (\d+), failed (\d+)"
)
STARTUP = "gitops-ray --version (start-up)"
RENDER = "render REPO > /dev/null"
PATH_FIRST = "sync --once PATH: first"
PATH_NOOP = "sync --once PATH: no-op"
REPO_FIRST = "sync --once --repo: first"
REPO_NOOP = "sync --once --repo: no-op"
REPO_CHANGED = "sync --once --repo: 1 changed"
KUBECTL_FIRST = "kubectl apply --server-side: first"
KUBECTL_NOOP = "kubectl apply --server-side: no-op"
REQUESTS = re.compile(r"^requests: (.*); writes: (\d+)$")


class BenchError(Exception):
    """A step the benchmark needs (not a timed command's own result) failed."""


# ---------------------------------------------------------------------------------------------------------
# figures


@dataclass
class Figure:
    what: str
    wall: float | None
    cpu: float | None = None
    rss_mb: float | None = None
    objects: int | None = None
    writes: int | None = None
    requests: int | None = None
    exit: int | None = None
    load1: float = field(default_factory=lambda: os.getloadavg()[0])
    note: str = ""

    @property
    def rate(self) -> float | None:
        if not self.objects or not self.wall:
            return None
        return self.objects / self.wall


@dataclass
class Bench:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  {row(figure)}", flush=True)
        return figure

    def find(self, what: str) -> Figure | None:
        return next((f for f in self.figures if f.what == what and f.wall is not None), None)


COLUMNS = (
    ("what", 50),
    ("exit", 4),
    ("wall s", 8),
    ("CPU s", 8),
    ("RSS MB", 7),
    ("objects", 7),
    ("obj/s", 7),
    ("writes", 6),
    ("reqs", 6),
    ("load1", 5),
)


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _int(value: int | None) -> str:
    return "-" if value is None else str(value)


def row(f: Figure) -> str:
    cells = (
        f.what,
        _int(f.exit),
        _num(f.wall),
        _num(f.cpu),
        _num(f.rss_mb, 0),
        _int(f.objects),
        _num(f.rate, 0),
        _int(f.writes),
        _int(f.requests),
        _num(f.load1),
    )
    text = " ".join(
        cell.ljust(width) if i == 0 else cell.rjust(width)
        for i, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True))
    )
    return text + (f"  {f.note}" if f.note else "")


def header() -> str:
    return " ".join(
        name.ljust(width) if i == 0 else name.rjust(width) for i, (name, width) in enumerate(COLUMNS)
    )


# ---------------------------------------------------------------------------------------------------------
# processes


@dataclass
class Done:
    exit: int
    wall: float
    cpu: float
    rss_mb: float
    stdout: str
    stderr: str


CACHE_HOME: list[Path] = []  # this run's own XDG_CACHE_HOME (set in main): every first render is cold


def child_env() -> dict[str, str]:
    """The caller's environment without gitops-ray settings or a default kubeconfig (all passed as flags),
    with this run's own cache directory, so a render cache left by an earlier run warms nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITOPS_RAY_") and k != "KUBECONFIG"}
    env["GIT_TERMINAL_PROMPT"] = "0"
    if CACHE_HOME:
        env["XDG_CACHE_HOME"] = str(CACHE_HOME[0])
    return env


def run_timed(
    command: Sequence[str], logs: Path, timeout: float, *, cwd: Path | None = None, discard: bool = False
) -> Done:
    """Run `command` as its own process group; wall time, and CPU and peak RSS from `os.wait4`.

    Killed (the whole group) after `timeout` seconds: then BenchError. stdout goes to a file (or /dev/null
    with `discard`), so a large output never blocks the child and writing it costs the child alone."""
    logs.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(command[:3]).lower()).strip("-")[:40]
    stamp = f"{time.monotonic_ns()}"
    out_path, err_path = logs / f"{slug}-{stamp}.out", logs / f"{slug}-{stamp}.err"
    with open(err_path, "wb") as err, open(os.devnull if discard else out_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), cwd=cwd, stdout=out, stderr=err, env=child_env(), start_new_session=True
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            _killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = "" if discard else out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if timed_out.is_set():
        raise BenchError(f"{' '.join(command)}: killed after {timeout:.0f} s\n{stderr[-2000:]}")
    return Done(
        exit=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        stdout=stdout,
        stderr=stderr,
    )


def _killpg(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def check(command: Sequence[str], *, cwd: Path | None = None, timeout: float = 120) -> str:
    """An untimed helper command (git, kubectl setup); BenchError when it fails."""
    try:
        done = subprocess.run(
            list(command),
            cwd=cwd,
            env={**child_env(), **GIT_ENV},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{' '.join(command)}: timed out after {timeout:.0f} s") from error
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def git(cwd: Path, *args: str) -> str:
    return check(["git", *args], cwd=cwd)


def sync_counts(stdout: str) -> tuple[int | None, int | None, int | None]:
    """(objects, writes, requests) from a sync summary: objects are created+updated+recreated+unchanged+
    failed over every cluster line (the rendered objects; the inventories and namespaces are extra)."""
    objects, writes, requests = 0, None, None
    seen = False
    for line in stdout.splitlines():
        if match := SUMMARY.match(line):
            created, updated, recreated, unchanged, _pruned, failed = map(int, match.groups())
            objects += created + updated + recreated + unchanged + failed
            seen = True
        elif match := REQUESTS.match(line):
            writes = int(match.group(2))
            counts = re.findall(r"\b(\d+)\b", match.group(1))
            requests = sum(map(int, counts)) if counts else 0
    return (objects if seen else None), writes, requests


def tail(text: str, lines: int = 6) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------------------
# the repository


def raycluster(namespace: str, name: str, head_cpus: str = "0") -> dict[str, Any]:
    container = {
        "name": "ray",
        "image": "rayproject/ray:2.53.0",
        "resources": {
            "limits": {"cpu": "500m", "memory": "1Gi"},
            "requests": {"cpu": "100m", "memory": "256Mi"},
        },
    }
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "rayVersion": "2.53.0",
            "headGroupSpec": {
                "rayStartParams": {"num-cpus": head_cpus},
                "template": {"spec": {"containers": [container]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "workers",
                    "replicas": WORKERS,
                    "minReplicas": 0,
                    "maxReplicas": WORKERS,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [container]}},
                }
            ],
        },
    }


def cluster_file(index: int) -> tuple[str, str]:
    """(relative path, namespace) of cluster `index`."""
    namespace = NAMESPACES[index % len(NAMESPACES)]
    return f"clusters/{namespace}/rc-{index:05d}.yaml", namespace


def write_cluster(clone: Path, index: int, head_cpus: str = "0") -> Path:
    relative, namespace = cluster_file(index)
    path = clone / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(raycluster(namespace, f"rc-{index:05d}", head_cpus), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def make_repository(work: Path, clusters: int) -> tuple[Path, str, Path]:
    """A bare remote (`remote.git`) and a user clone holding N clusters, pushed; returns (remote, url,
    clone)."""
    remote = work / "remote.git"
    git(work, "init", "--quiet", "--bare", "--initial-branch=main", remote.name)
    url = remote.as_uri()
    clone = work / "clone"
    git(work, "clone", "--quiet", url, clone.name)
    git(clone, "checkout", "--quiet", "-B", "main")
    (clone / "gitops-ray.yaml").write_text("path: clusters\n", encoding="utf-8")
    for index in range(clusters):
        write_cluster(clone, index)
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "-m", f"{clusters} clusters")
    git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    git(clone, "branch", "--quiet", "--set-upstream-to=origin/main", "main")
    return remote, url, clone


def count_documents(directory: Path) -> int:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    count = 0
    for path in sorted(directory.rglob("*.yaml")):
        with open(path, encoding="utf-8") as stream:
            count += sum(1 for doc in yaml.load_all(stream, Loader=loader) if doc)
    return count


# ---------------------------------------------------------------------------------------------------------
# the API server


@contextmanager
def apiserver(rundir: Path) -> Iterator[str]:
    """A fresh test API server; yields its kubeconfig path; always `down`, whatever happens inside."""
    rundir.mkdir(parents=True)
    try:
        up = subprocess.run(
            [str(TESTENV), "up", str(rundir)], capture_output=True, text=True, timeout=300, check=False
        )
        if up.returncode != 0:
            raise BenchError(f"k8s-testenv up failed: {up.stderr[-3000:]}")
        yield up.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(TESTENV), "down", str(rundir)], capture_output=True, timeout=120, check=False)


# ---------------------------------------------------------------------------------------------------------
# the controller


@dataclass
class Event:
    at: float
    name: str
    ticks: int  # utime+stime+cutime+cstime of the controller, in clock ticks
    rss_kb: int
    hwm_kb: int
    rendered: int | None = None  # cycle.done: units rendered and serialized (not served by the cache)
    revision: str = ""  # cycle.done: the commit it applied


def proc_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(value) for value in fields[11:15])  # utime stime cutime cstime (fields 14-17)


def proc_memory(pid: int) -> tuple[int, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


class ControllerWatch:
    """Reads the controller's stderr and snapshots its CPU and memory at each cycle event: `git.synced` (a
    poll fetched and checked out), then `cycle.skipped` (nothing changed) or `cycle.done` (a full cycle)."""

    MARKS = ("git.synced", "cycle.done", "cycle.skipped")

    def __init__(self, proc: subprocess.Popen[bytes], log: IO[str]) -> None:
        self.proc = proc
        self.log = log
        self.events: list[Event] = []
        self.other: list[str] = []
        self.not_json = 0
        self.missed_ticks = 0
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self.log.write(line)
            try:
                record = json.loads(line)
                name = str(record.get("event", ""))
            except (ValueError, AttributeError):
                self.not_json += 1
                self.missed_ticks += "maximum number of running instances reached" in line
                continue
            if name not in self.MARKS:
                if name != "controller.started":
                    self.other.append(line.strip())
                continue
            try:
                ticks = proc_ticks(self.proc.pid)
                rss, hwm = proc_memory(self.proc.pid)
            except (OSError, ValueError, IndexError):
                continue
            revision = str(record.get("revision", ""))
            event = Event(time.perf_counter(), name, ticks, rss, hwm, record.get("rendered"), revision)
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()

    def ends(self, name: str | None = None) -> list[Event]:
        """Events that end a poll (skipped or done), or only those named `name`."""
        with self.cond:
            return [e for e in self.events if e.name != "git.synced" and name in (None, e.name)]

    def wait_for_done(self, count: int, deadline: float) -> bool:
        return self.wait_for(lambda: sum(e.name == "cycle.done" for e in self.events) >= count, deadline)

    def wait_for_revision(self, revision: str, deadline: float) -> Event | None:
        """The first cycle.done that applied `revision`, once it is logged."""

        def applied() -> list[Event]:
            return [e for e in self.events if e.name == "cycle.done" and e.revision == revision]

        return applied()[0] if self.wait_for(lambda: bool(applied()), deadline) else None

    def wait_for(self, condition: Callable[[], bool], deadline: float) -> bool:
        with self.cond:
            while not condition():
                left = deadline - time.perf_counter()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self.cond.wait(min(left, 1.0))
            return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ControllerPlan:
    interval: float
    resync: float
    resyncs: int
    timeout: float


def bench_controller(
    bench: Bench,
    exe: str,
    url: str,
    kubeconfig: str,
    work: Path,
    objects: int | None,
    plan: ControllerPlan,
    push_change: Callable[[], str],
) -> None:
    """`gitops-ray run` against the remote (already synced by `sync --once --repo`): its first cycle, the
    idle polls after it, `plan.resyncs` resync epochs, Pods deleted under it, one cluster changed and
    pushed (`push_change`, which returns the pushed commit); then SIGTERM.

    It shares `sync --once --repo`'s cache dir, as a restarted controller keeps its cache volume: the first
    cycle fetches, it does not clone. (Before commit 26bcb8d a repo cycle recorded the cache clone's path
    as its source identity, so a controller with a cache dir of its own found every cluster "managed by
    another source" and applied none of them.)"""
    command = [
        exe, "run", "--repo", url, "--cache-dir", str(work / "cache-sync"), "--kubeconfig", kubeconfig,
        "--interval", str(plan.interval), "--resync-interval", str(plan.resync),
        "--metrics-address", f"127.0.0.1:{free_port()}", "--identity", "bench", "--log-format", "json",
    ]  # fmt: skip
    print(f"controller: {' '.join(command)}", flush=True)
    log_path = work / "logs" / "controller.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    usage: Any = None
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=child_env(),
            start_new_session=True,
        )
        watch = ControllerWatch(proc, log)
        try:
            deadline = started + plan.timeout
            if not watch.wait_for_done(1, deadline):
                raise BenchError(f"controller: no first cycle.done; log: {' | '.join(watch.other[-5:])}")
            first = watch.ends("cycle.done")[0]
            bench.add(
                Figure(
                    "run: start -> first cycle.done",
                    first.at - started,
                    first.ticks / CLK_TCK,
                    first.hwm_kb / 1024,
                    objects,
                    note="VmHWM; a full no-op cycle (fetch, render, sync, outputs; nothing to commit)",
                )
            )
            if not watch.wait_for_done(1 + plan.resyncs, deadline):
                bench.notes.append("controller: fewer resync cycles than planned before the timeout")
            _controller_rows(bench, watch, objects, plan)
            _pod_reaction_rows(bench, kubeconfig, proc.pid, plan)
            _changed_cluster_row(bench, watch, push_change, objects, plan, deadline)
            rss, hwm = proc_memory(proc.pid)
            bench.notes.append(
                f"controller memory before SIGTERM: VmRSS {rss / 1024:.0f} MB, VmHWM {hwm / 1024:.0f} MB"
            )
            proc.send_signal(signal.SIGTERM)
            killer = threading.Timer(30, lambda: _killpg(proc.pid, signal.SIGKILL))
            killer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                killer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if proc.returncode is None:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
            _killpg(proc.pid, signal.SIGKILL)  # git children left behind, if any
            watch.thread.join(timeout=10)
    if usage is not None:
        bench.add(
            Figure(
                "run: whole process until SIGTERM",
                time.perf_counter() - started,
                usage.ru_utime + usage.ru_stime,
                usage.ru_maxrss / 1024,
                exit=proc.returncode,
                note="wait4: incl. git children",
            )
        )
    if watch.not_json:
        bench.notes.append(
            f"controller stderr: {watch.not_json} lines were not JSON ({watch.missed_ticks} APScheduler "
            "'skipped: maximum number of running instances reached' warnings: a poll fell due while a "
            "cycle ran)"
        )
    if watch.other:
        bench.notes.append("controller log, other events: " + " | ".join(watch.other[-3:])[:1200])


def _controller_rows(bench: Bench, watch: ControllerWatch, objects: int | None, plan: ControllerPlan) -> None:
    with watch.cond:
        events = list(watch.events)
    ends = [e for e in events if e.name != "git.synced"]
    done_at = [i for i, e in enumerate(ends) if e.name == "cycle.done"]
    # idle polls: consecutive skipped polls between the first two full cycles
    last = done_at[1] if len(done_at) > 1 else len(ends)
    skips = [e for e in ends[done_at[0] + 1 : last] if e.name == "cycle.skipped"]
    if len(skips) >= 2:
        polls = len(skips) - 1
        cpu, wall = (skips[-1].ticks - skips[0].ticks) / CLK_TCK, skips[-1].at - skips[0].at
        bench.add(
            Figure(
                f"run: idle poll (mean of {polls})",
                wall / polls,
                cpu / polls,
                skips[-1].rss_kb / 1024,
                note=f"VmRSS; {100 * cpu / wall:.1f}% of one core while idle (git fetch + fingerprint)",
            )
        )
    else:
        bench.notes.append(
            f"controller: {len(skips)} skipped polls between full cycles: no idle poll to measure "
            f"(resync every {plan.resync:g} s, a cycle takes longer than the gap)"
        )
    resyncs = done_at[1:]
    if not resyncs:
        return
    walls, cpus = [], []
    for index in resyncs:
        done = ends[index]
        synced = [e for e in events if e.name == "git.synced" and e.at <= done.at]
        walls.append(done.at - synced[-1].at if synced else float("nan"))
        cpus.append((done.ticks - ends[index - 1].ticks) / CLK_TCK)
    bench.add(
        Figure(
            f"run: resync cycle (mean of {len(resyncs)})",
            sum(walls) / len(walls),
            sum(cpus) / len(cpus),
            ends[resyncs[-1]].hwm_kb / 1024,
            objects,
            note="wall from git.synced (after the fetch) to cycle.done; CPU from the poll before",
        )
    )
    first, end = ends[done_at[0]], ends[resyncs[-1]]
    wall, cpu = end.at - first.at, (end.ticks - first.ticks) / CLK_TCK
    bench.add(
        Figure(
            f"run: {len(resyncs)} whole resync epoch(s), {plan.resync:g} s",
            wall,
            cpu,
            end.hwm_kb / 1024,
            note=f"steady state: {100 * cpu / wall:.0f}% of one core (interval {plan.interval:g} s)",
        )
    )


def _changed_cluster_row(
    bench: Bench,
    watch: ControllerWatch,
    push_change: Callable[[], str],
    objects: int | None,
    plan: ControllerPlan,
    deadline: float,
) -> None:
    """One cluster's file changed, committed and pushed under the running controller: wall from the push to
    the cycle.done that applied it, the controller's CPU meanwhile, and that cycle's `rendered` count (the
    units rendered and serialized again: the changed one alone)."""
    ticks, started = proc_ticks(watch.proc.pid), time.perf_counter()
    revision = push_change()
    done = watch.wait_for_revision(revision, max(deadline, started + 120))
    if done is None:
        bench.notes.append(f"controller: no cycle.done for the pushed change {revision[:12]}")
        return
    bench.add(
        Figure(
            "run: 1 cluster changed (commit + push)",
            done.at - started,
            (done.ticks - ticks) / CLK_TCK,
            done.hwm_kb / 1024,
            objects,
            note=f"push -> cycle.done (polls every {plan.interval:g} s); cycle.done rendered={done.rendered}",
        )
    )


def _pod_reaction_rows(bench: Bench, kubeconfig: str, pid: int, plan: ControllerPlan) -> None:
    """Pods deleted under the running controller, right after a cycle (the next resync is `plan.resync` s
    away): one worker, then all the workers of one cluster at once (deletecollection). Wall: from the delete
    request to the moment every deleted Pod exists again with a new uid (polled every 20 ms); CPU: the
    controller's meanwhile. The watch's sync of that cluster alone recreates them, between cycles."""
    from kubernetes.client import ApiClient, CoreV1Api  # the measuring client; the controller is a process

    from gitops_ray.edge.kube.client import load_configuration

    core = CoreV1Api(ApiClient(load_configuration(kubeconfig, None)))
    namespace, cluster = NAMESPACES[0], "rc-00000"
    selector = f"ray.io/cluster={cluster},ray.io/node-type=worker"

    def worker_uids() -> dict[str, str]:
        pods = core.list_namespaced_pod(namespace, label_selector=selector).items
        return {pod.metadata.name: pod.metadata.uid for pod in pods}

    def back(delete: Callable[[], object], only: str = "") -> tuple[float, float, int]:
        """(wall, controller CPU, Pods) until every worker `delete` deleted (`only`, else all) is back."""
        before = worker_uids()
        gone = [only] if only else sorted(before)
        ticks, started = proc_ticks(pid), time.perf_counter()
        delete()
        while time.perf_counter() - started < 60:
            now = worker_uids()
            if all(now.get(name) not in (None, before[name]) for name in gone):
                return time.perf_counter() - started, (proc_ticks(pid) - ticks) / CLK_TCK, len(gone)
            time.sleep(0.02)
        raise BenchError(f"controller: deleted Pods of {cluster} not back within 60 s")

    one = f"{cluster}-workers-worker-0"
    wall, cpu, _ = back(lambda: core.delete_namespaced_pod(one, namespace), one)
    note = f"delete -> new Pod created, by a sync of its cluster alone (resync every {plan.resync:g} s)"
    bench.add(Figure("run: deleted Pod back", wall, cpu, objects=1, note=note))
    wall, cpu, pods = back(lambda: core.delete_collection_namespaced_pod(namespace, label_selector=selector))
    note = "deletecollection of one cluster's workers -> all created again"
    bench.add(Figure(f"run: {pods} deleted Pods back (1 cluster)", wall, cpu, objects=pods, note=note))


# ---------------------------------------------------------------------------------------------------------
# the phases


def add_run(
    bench: Bench,
    what: str,
    done: Done,
    *,
    expect: tuple[int, ...] = (0,),
    objects: int | None = None,
    sync: bool = False,
    note: str = "",
) -> Figure:
    writes = requests = None
    if sync:
        parsed, writes, requests = sync_counts(done.stdout)
        objects = parsed if parsed is not None else objects
    if done.exit not in expect:
        note = (note + "; " if note else "") + f"UNEXPECTED EXIT: {tail(done.stderr or done.stdout, 3)}"
        bench.notes.append(f"{what}: exit {done.exit}: {tail(done.stderr or done.stdout, 12)}")
    return bench.add(
        Figure(what, done.wall, done.cpu, done.rss_mb, objects, writes, requests, done.exit, note=note)
    )


def run_benchmark(args: argparse.Namespace, work: Path, bench: Bench) -> None:
    exe = args.gitops_ray
    logs = work / "logs"
    timeout = args.timeout
    print(f"generating {args.clusters} clusters (1 head + {WORKERS} workers) in {work}", flush=True)
    _remote, url, clone = make_repository(work, args.clusters)

    print("\nno cluster:", flush=True)
    add_run(bench, STARTUP, run_timed([exe, "--version"], logs, 60))
    rendered = work / "rendered-out"
    done = run_timed([exe, "render", str(clone), "--out", str(rendered)], logs, timeout)
    objects = count_documents(rendered) if done.exit == 0 else None
    done_stdout = run_timed([exe, "render", str(clone)], logs, timeout, discard=True)
    add_run(bench, RENDER, done_stdout, objects=objects)
    add_run(bench, "render REPO --out DIR", done, objects=objects)
    add_run(bench, "validate REPO", run_timed([exe, "validate", str(clone)], logs, timeout), objects=objects)

    changed_index = args.clusters // 2
    changed_path = clone / cluster_file(changed_index)[0]
    original = changed_path.read_text(encoding="utf-8")
    write_cluster(clone, changed_index, head_cpus="1")
    done = run_timed([exe, "diff", "--base", "main", ".", "--format", "markdown"], logs, timeout, cwd=clone)
    add_run(bench, "diff --base main . --format markdown (1 changed)", done, expect=(1,), objects=objects)
    changed_path.write_text(original, encoding="utf-8")  # back as committed, for the syncs of PATH

    print("\nsync --once PATH (API server #1):", flush=True)
    with apiserver(work / "k8s-1") as kubeconfig:
        sync_path = [exe, "sync", "--once", str(clone), "--kubeconfig", kubeconfig]
        add_run(bench, PATH_FIRST, run_timed(sync_path, logs, timeout), sync=True)
        add_run(bench, PATH_NOOP, run_timed(sync_path, logs, timeout), sync=True)

    print("\nsync --once --repo URL (API server #2):", flush=True)
    with apiserver(work / "k8s-2") as kubeconfig:
        sync_repo = [
            exe, "sync", "--once", "--repo", url, "--kubeconfig", kubeconfig,
            "--cache-dir", str(work / "cache-sync"),
        ]  # fmt: skip
        add_run(bench, REPO_FIRST, run_timed(sync_repo, logs, timeout), sync=True)
        add_run(bench, REPO_NOOP, run_timed(sync_repo, logs, timeout), sync=True)
        git(clone, "pull", "--quiet", "--rebase", "origin", "main")
        write_cluster(clone, changed_index, head_cpus="1")
        git(clone, "commit", "--quiet", "-am", f"rc-{changed_index:05d}: head num-cpus 1")
        git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")
        add_run(
            bench,
            REPO_CHANGED,
            run_timed(sync_repo, logs, timeout),
            sync=True,
            note="head Pod recreated",
        )

        def push_change() -> str:
            """Another cluster's head gets 2 CPUs: a commit pushed to the remote the controller polls."""
            index = (changed_index + 1) % args.clusters
            git(clone, "pull", "--quiet", "--rebase", "origin", "main")  # the controller commits back
            write_cluster(clone, index, head_cpus="2")
            git(clone, "commit", "--quiet", "-am", f"rc-{index:05d}: head num-cpus 2")
            git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")
            return git(clone, "rev-parse", "HEAD").strip()

        if args.skip_run:
            bench.notes.append("gitops-ray run: skipped (--skip-run)")
        else:
            print("\ngitops-ray run (API server #2, same remote):", flush=True)
            plan = controller_plan(args, bench.find(REPO_NOOP))
            try:
                bench_controller(bench, exe, url, kubeconfig, work, objects, plan, push_change)
                bench.notes.append(
                    "controller: --cache-dir shared with `sync --once --repo` (a restart with its cache: "
                    "fetch, no clone); /metrics has no process_cpu_seconds_total (own registry), so CPU is "
                    "read from /proc/<pid>/stat"
                )
            except BenchError as error:
                bench.notes.append(f"controller rows incomplete: {error}")

    kubectl = shutil.which("kubectl")
    if args.skip_kubectl or kubectl is None:
        bench.notes.append(
            "kubectl rows skipped: " + ("--skip-kubectl" if args.skip_kubectl else "no kubectl on PATH")
        )
        return
    print("\nkubectl apply --server-side (API server #3):", flush=True)
    with apiserver(work / "k8s-3") as kubeconfig:
        namespaces = sorted(p.name for p in rendered.iterdir() if p.is_dir())
        for namespace in namespaces:  # kubectl needs them; gitops-ray creates them itself
            check([kubectl, "--kubeconfig", kubeconfig, "create", "namespace", namespace])
        apply = [
            kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager=bench",
            "--recursive", "-f", str(rendered),
        ]  # fmt: skip
        for what in (KUBECTL_FIRST, KUBECTL_NOOP):
            done = run_timed(apply, logs, timeout)
            applied = sum(1 for line in done.stdout.splitlines() if "serverside-applied" in line)
            add_run(bench, what, done, objects=applied or objects, note="namespaces created before")
        version = check([kubectl, "version", "--client"]).splitlines()
        bench.notes.append(f"kubectl: {version[0] if version else '?'}; one request per object, serially")


def code_revision() -> str:
    """HEAD of the checkout being measured, and whether the package has uncommitted changes (other
    people may commit while this runs: the figures are for the code each command started with)."""
    try:
        head = check(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT).strip()
        dirty = check(["git", "status", "--porcelain", "--", "gitops_ray"], cwd=ROOT).strip()
    except BenchError:
        return "unknown (not a Git checkout)"
    return head + (" + uncommitted changes in gitops_ray/" if dirty else "")


def controller_plan(args: argparse.Namespace, repo_noop: Figure | None) -> ControllerPlan:
    """Poll every 2 s; resync, unless given, late enough after a full cycle (as long as `sync --once
    --repo`'s no-op) for 3 idle polls to be seen between full cycles."""
    interval = 2.0
    cycle = repo_noop.wall if repo_noop is not None and repo_noop.wall else 10.0
    resync = args.resync_interval or float(max(10, math.ceil(cycle + 5 * interval)))
    resyncs = args.resyncs or (2 if cycle < 10 else 1)
    timeout = 120 + 3 * cycle + (resyncs + 1) * (resync + 2 * cycle)
    return ControllerPlan(interval, resync, resyncs, timeout)


def ratio(bench: Bench, label: str, a: str, b: str, attr: str = "wall") -> str | None:
    fa, fb = bench.find(a), bench.find(b)
    if fa is None or fb is None:
        return None
    va, vb = getattr(fa, attr), getattr(fb, attr)
    if not va or not vb:
        return None
    return f"{label}: {va / vb:.2f}x ({attr} {va:.2f} / {vb:.2f})"


def ratios(bench: Bench) -> list[str]:
    pairs = (
        (PATH_NOOP, KUBECTL_NOOP),
        (PATH_FIRST, KUBECTL_FIRST),
        (REPO_NOOP, PATH_NOOP),
        (REPO_FIRST, PATH_FIRST),
        (REPO_CHANGED, REPO_NOOP),
        (PATH_NOOP, RENDER),
        (RENDER, STARTUP),
    )
    found = []
    for a, b in pairs:
        for attr in ("wall", "cpu"):
            text = ratio(bench, f"{a} / {b}", a, b, attr)
            if text:
                found.append(text)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="\n".join(__doc__.splitlines()[2:]) if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clusters", type=int, default=200, help="RayClusters (31 Pods each); default 200")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--skip-kubectl", action="store_true", help="no kubectl reference rows")
    parser.add_argument("--skip-run", action="store_true", help="no controller (`gitops-ray run`) rows")
    parser.add_argument(
        "--resync-interval",
        type=float,
        metavar="S",
        help="the controller's --resync-interval (default: the repo no-op cycle's wall time + 10 s, >= 10)",
    )
    parser.add_argument(
        "--resyncs", type=int, metavar="N", help="resync epochs to watch (default 2, or 1 if slow)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--gitops-ray", default=str(ROOT / ".venv" / "bin" / "gitops-ray"), help="the executable"
    )
    parser.add_argument("--timeout", type=float, help="seconds per command (default 300 + 2 s per cluster)")
    args = parser.parse_args()
    if args.timeout is None:
        args.timeout = 300.0 + 2.0 * args.clusters
    if not Path(args.gitops_ray).exists():
        found = shutil.which("gitops-ray")
        if found is None:
            raise SystemExit(f"no gitops-ray executable at {args.gitops_ray} or on PATH")
        args.gitops_ray = found

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(f"stopped by signal {signum}")  # unwinds: the API servers go down, temp dir too

    signal.signal(signal.SIGTERM, terminate)
    load_start = os.getloadavg()
    started = time.perf_counter()
    print(
        f"machine: {os.cpu_count()} cores, shared with other jobs; load average at start "
        f"{load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}",
        flush=True,
    )
    revision = code_revision()
    print(f"code: {revision} (every command runs the working tree's package)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="gitops-ray-processes-"))
    CACHE_HOME.append(work / "xdg-cache")
    bench = Bench()
    failure = ""
    try:
        run_benchmark(args, work, bench)
    except BenchError as error:
        failure = str(error)
        bench.notes.append(f"BENCHMARK STOPPED: {error}")
    finally:
        if args.keep:
            print(f"kept {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    load_end = os.getloadavg()
    elapsed = time.perf_counter() - started
    print(f"\n== gitops-ray processes, {args.clusters} clusters x (1 head + {WORKERS} workers) ==")
    print(header())
    for figure in bench.figures:
        print(row(figure))
    print("\nratios:")
    computed = ratios(bench)
    for line in computed:
        print(f"  {line}")
    print("\nnotes:")
    for note in bench.notes:
        print(f"  {note}")
    print(
        "  CPU s: user+sys of the process and its reaped children (git); RSS MB: peak (ru_maxrss) unless "
        "noted; obj/s: objects / wall s; load1: 1-minute load average when the row was recorded (its end)"
    )
    print(
        f"  machine: {os.cpu_count()} cores, SHARED (other jobs may run): load average start "
        f"{load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, end "
        f"{load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; benchmark took {elapsed:.0f} s"
    )
    print(f"  code: {revision}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "clusters": args.clusters,
                    "workers_per_cluster": WORKERS,
                    "cores": os.cpu_count(),
                    "code": revision,
                    "shared_machine": True,
                    "load_average_start": load_start,
                    "load_average_end": load_end,
                    "seconds": elapsed,
                    "figures": [{**asdict(f), "objects_per_s": f.rate} for f in bench.figures],
                    "ratios": computed,
                    "notes": bench.notes,
                    "failure": failure or None,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
