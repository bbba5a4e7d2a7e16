"""Fault injection against the real processes: the safety rules of a sync, each shown by running the real
`gitops-ray` CLI (and `gitops-ray run` with a real bare Git remote) against the real API server.

A dry run writes nothing; a broken file prunes nothing; another source prunes nothing of ours and takes
nothing of ours without --adopt; Pods that ended are replaced; Pods stuck terminating do not stall a
cycle; a conflict and a failed inventory write fail the run and are counted honestly.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from faultkit import (
    NEW_IMAGE,
    Run,
    bare_remote_with_clone,
    cli_command,
    cli_env,
    cluster_uids,
    commit_and_push,
    core_api,
    free_port,
    git,
    gitops_ray,
    http_get,
    images,
    line_starting,
    settled_snapshot,
    snapshot,
    source_id,
    uids,
    wait_for,
    without_configmap_writes,
    write_files,
)
from kubernetes.client.exceptions import ApiException
from testenv import identity_kubeconfig
from testkit import IMAGE, raycluster

from gitops_ray.edge.kube import KubeApi
from gitops_ray.model.objects import KubeObject

pytestmark = pytest.mark.apiserver

HOLD_FINALIZER = "test.gitops-ray.io/hold"


def sync_once(source: Path, kubeconfig: str, *flags: str, timeout: float = 120) -> Run:
    """`gitops-ray sync --once SOURCE --kubeconfig KUBECONFIG FLAGS...` as a separate process."""
    return gitops_ray("sync", "--once", str(source), "--kubeconfig", kubeconfig, *flags, timeout=timeout)


def three_clusters(namespace: str) -> dict[str, list[KubeObject]]:
    """Clusters one, two and three (a head Service, a head Pod and one worker Pod each)."""
    return {f"{name}.yaml": [raycluster(name, namespace, workers=1)] for name in ("one", "two", "three")}


def changed_clusters(namespace: str) -> dict[str, list[KubeObject]]:
    """The three clusters after a commit: one's image changed, two's file deleted, four's file added."""
    return {
        "one.yaml": [raycluster("one", namespace, image=NEW_IMAGE, workers=1)],
        "three.yaml": [raycluster("three", namespace, workers=1)],
        "four.yaml": [raycluster("four", namespace, workers=1)],
    }


def synced_then_changed(source: Path, kubeconfig: str, namespace: str) -> None:
    """Sync three clusters from `source/<namespace>/`, then change the files (not synced)."""
    write_files(source / namespace, three_clusters(namespace))
    first = sync_once(source, kubeconfig)
    assert first.status == 0, first
    write_files(source / namespace, changed_clusters(namespace))


# --- 1. dry runs are dry ------------------------------------------------------------------------------


def test_sync_dry_run_changes_nothing_in_the_cluster(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    synced_then_changed(tmp_path, apiserver_kubeconfig, namespace)
    before = settled_snapshot(kube, namespace)

    dry = sync_once(tmp_path, apiserver_kubeconfig, "--dry-run")

    assert snapshot(kube, namespace) == before, dry  # every uid and resourceVersion, nothing added
    assert "recreated 2" in line_starting(dry, f"{namespace}/one:"), dry  # what it would have done
    assert "pruned 3" in line_starting(dry, f"{namespace}/two:"), dry
    assert "created 3" in line_starting(dry, f"{namespace}/four:"), dry


def test_diff_cluster_changes_nothing_in_the_cluster(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    synced_then_changed(tmp_path, apiserver_kubeconfig, namespace)
    before = settled_snapshot(kube, namespace)

    diff = gitops_ray("diff", "--cluster", str(tmp_path), "--kubeconfig", apiserver_kubeconfig)

    assert snapshot(kube, namespace) == before, diff
    assert diff.status == 1, diff
    assert f"  ! recreate Pod {namespace}/one-head (" in diff.out, diff
    assert f"  - prune Pod {namespace}/two-head (" in diff.out, diff
    assert f"  + create Pod {namespace}/four-head (" in diff.out, diff


@pytest.mark.git
def test_run_dry_run_changes_nothing_in_the_cluster(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    remote, clone = bare_remote_with_clone(tmp_path)
    write_files(clone / namespace, three_clusters(namespace))
    commit_and_push(clone, "three clusters")
    first = gitops_ray(
        "sync", "--once", "--repo", str(remote), "--cache-dir", str(tmp_path / "sync-cache"),
        "--kubeconfig", apiserver_kubeconfig,
    )  # fmt: skip
    assert first.status == 0, first
    git(clone, "pull", "--quiet", "--rebase", "origin", "main")  # the cycle committed rendered/ back
    write_files(clone / namespace, changed_clusters(namespace))
    commit_and_push(clone, "one: new image; two: deleted; four: new")
    before = settled_snapshot(kube, namespace)
    port = free_port()
    command = cli_command(
        "run", "--repo", str(remote), "--dry-run", "--interval", "1", "--resync-interval", "60",
        "--cache-dir", str(tmp_path / "run-cache"), "--metrics-address", f"127.0.0.1:{port}",
        "--kubeconfig", apiserver_kubeconfig,
    )  # fmt: skip
    log = tmp_path / "run.log"

    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stderr, stderr=stderr, text=True, env=cli_env())
        try:
            metrics = f"http://127.0.0.1:{port}/metrics"
            wait_for(lambda: "gitops_ray_cycles_total{result=" in http_get(metrics), 60, "a first cycle")
            cycles = [line for line in http_get(metrics).splitlines() if line.startswith("gitops_ray_cycles")]
            process.send_signal(signal.SIGTERM)
            status = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert snapshot(kube, namespace) == before, log.read_text()
    assert 'gitops_ray_cycles_total{result="applied"} 1.0' in cycles, log.read_text()
    # Not vacuous: the cycle planned every change (same repo, same source: no cluster refused).
    assert '"event": "unit.failed"' not in log.read_text(), log.read_text()
    assert status == 0, log.read_text()


# --- 2, 3. a broken file prunes nothing ---------------------------------------------------------------


def test_a_moved_and_broken_file_prunes_nothing(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    files = {
        "team/a.yaml": [raycluster("a", namespace, workers=1)],
        "team/other.yaml": [raycluster("other", namespace, workers=1)],
    }
    write_files(tmp_path, files)  # `other` keeps the source from looking empty
    assert sync_once(tmp_path, apiserver_kubeconfig).status == 0
    before = cluster_uids(kube, namespace, "a")
    moved = tmp_path / "team" / "b.yaml"
    (tmp_path / "team" / "a.yaml").rename(moved)  # git mv a.yaml b.yaml ...
    moved.write_text(moved.read_text() + "extra: [unclosed\n")  # ... and a YAML syntax error in b.yaml

    run = sync_once(tmp_path, apiserver_kubeconfig)

    assert sorted(before) == [
        "ConfigMap gitops-ray-a",
        "Pod a-head",
        "Pod a-small-worker-0",
        "Service a-head-svc",
    ]
    assert cluster_uids(kube, namespace, "a") == before, run
    held = line_starting(run, "prune held: 1 broken file")
    assert "b.yaml" in held and held.endswith(": nothing is pruned this cycle"), run
    assert run.status == 1, run


def test_a_broken_file_anywhere_holds_every_prune_until_it_is_fixed(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    write_files(
        tmp_path / namespace,
        {
            "a.yaml": [raycluster("a", namespace, workers=1)],
            "c.yaml": [raycluster("c", namespace, workers=1)],
        },
    )
    assert sync_once(tmp_path, apiserver_kubeconfig).status == 0
    a_before, c_before = cluster_uids(kube, namespace, "a"), cluster_uids(kube, namespace, "c")
    # One cycle: c.yaml deleted, a scaled up to 2 workers, an unrelated new file z.yaml broken.
    write_files(tmp_path / namespace, {"a.yaml": [raycluster("a", namespace, workers=2)]})
    (tmp_path / namespace / "z.yaml").write_text("kind: [unclosed\n")

    held = sync_once(tmp_path, apiserver_kubeconfig)

    assert cluster_uids(kube, namespace, "c") == c_before, held  # not pruned
    a_after = cluster_uids(kube, namespace, "a")
    assert {name: a_after.get(name) for name in a_before} == a_before, held  # a untouched...
    assert "Pod a-small-worker-1" in a_after, held  # ... and still applied
    assert "created 1" in line_starting(held, f"{namespace}/a:"), held
    assert "z.yaml" in line_starting(held, "prune held: 1 broken file"), held
    assert held.status == 1, held

    (tmp_path / namespace / "z.yaml").unlink()  # fixed
    fixed = sync_once(tmp_path, apiserver_kubeconfig)

    assert cluster_uids(kube, namespace, "c") == {}, fixed  # Pods, Service and inventory parent gone
    assert fixed.status == 0, fixed


# --- 4. sources ---------------------------------------------------------------------------------------


def test_another_source_prunes_nothing_of_ours(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "src1", tmp_path / "src2"
    write_files(first, {f"{namespace}/a.yaml": [raycluster("a", namespace, workers=1)]})
    assert sync_once(first, apiserver_kubeconfig).status == 0
    before = cluster_uids(kube, namespace, "a")
    write_files(
        second, {f"{namespace}/b.yaml": [raycluster("b", namespace, workers=1)]}
    )  # b only, same namespace

    run = sync_once(second, apiserver_kubeconfig)

    assert cluster_uids(kube, namespace, "a") == before, run
    assert sorted(cluster_uids(kube, namespace, "b")) == [
        "ConfigMap gitops-ray-b",
        "Pod b-head",
        "Pod b-small-worker-0",
        "Service b-head-svc",
    ], run
    ids = source_id(kube, namespace, "a"), source_id(kube, namespace, "b")
    assert all(ids) and ids[0] != ids[1], ids
    assert run.status == 0, run


def test_a_cluster_of_another_source_is_reported_and_left_alone(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "src1", tmp_path / "src2"
    write_files(first, {f"{namespace}/a.yaml": [raycluster("a", namespace, workers=1)]})
    assert sync_once(first, apiserver_kubeconfig).status == 0
    before, owner = cluster_uids(kube, namespace, "a"), source_id(kube, namespace, "a")
    write_files(second, {f"{namespace}/a.yaml": [raycluster("a", namespace, image=NEW_IMAGE, workers=1)]})

    run = sync_once(second, apiserver_kubeconfig)

    assert cluster_uids(kube, namespace, "a") == before, run
    assert set(images(kube, namespace).values()) == {IMAGE}, run
    assert source_id(kube, namespace, "a") == owner, run
    assert "another source" in run.out + run.err and "--adopt" in run.out + run.err, run
    assert run.status == 1, run


def test_adopt_takes_over_a_cluster_of_another_source(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "src1", tmp_path / "src2"
    write_files(first, {f"{namespace}/a.yaml": [raycluster("a", namespace, workers=1)]})
    assert sync_once(first, apiserver_kubeconfig).status == 0
    old_owner = source_id(kube, namespace, "a")
    write_files(
        second,
        {
            f"{namespace}/a.yaml": [raycluster("a", namespace, image=NEW_IMAGE, workers=1)],
            f"{namespace}/b.yaml": [
                raycluster("b", namespace, workers=1)
            ],  # shows the second source's identity
        },
    )

    run = sync_once(second, apiserver_kubeconfig, "--adopt")

    assert source_id(kube, namespace, "a") == source_id(kube, namespace, "b") != old_owner, run
    assert images(kube, namespace)["a-head"] == NEW_IMAGE, run
    assert run.status == 0, run


def test_source_name_is_the_identity_and_two_directories_with_it_are_one_source(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "src1", tmp_path / "src2"
    write_files(first, {f"{namespace}/a.yaml": [raycluster("a", namespace, workers=1)]})
    assert sync_once(first, apiserver_kubeconfig, "--source-name", "team-x").status == 0
    assert source_id(kube, namespace, "a") == "team-x"
    write_files(second, {f"{namespace}/b.yaml": [raycluster("b", namespace, workers=1)]})  # a is not declared

    run = sync_once(second, apiserver_kubeconfig, "--source-name", "team-x")

    assert cluster_uids(kube, namespace, "a") == {}, run  # pruned: same source, no longer declared
    assert source_id(kube, namespace, "b") == "team-x", run
    assert run.status == 0, run


# --- 5. Pods that ended -------------------------------------------------------------------------------


def ended_workers(kube: KubeApi, kubeconfig: str, namespace: str, source: Path) -> dict[str, str]:
    """Sync `demo` (a head, two workers); then, as a kubelet would, mark worker 0 Failed and worker 1
    Succeeded through the status subresource. Returns the Pods' uids."""
    write_files(source, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=2)]})
    assert sync_once(source, kubeconfig).status == 0
    core = core_api(kubeconfig)
    for pod, phase in (("demo-small-worker-0", "Failed"), ("demo-small-worker-1", "Succeeded")):
        core.patch_namespaced_pod_status(pod, namespace, {"status": {"phase": phase}})
    return uids(kube, "Pod", namespace)


def test_no_heal_reports_a_failed_pod_as_not_in_sync(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    before = ended_workers(kube, apiserver_kubeconfig, namespace, tmp_path)

    run = sync_once(tmp_path, apiserver_kubeconfig, "--no-heal")

    drift = [line.strip() for line in run.lines() if line.strip().startswith("drift: ")]
    assert any("demo-small-worker-0" in line and "Failed" in line for line in drift), run
    assert any("demo-small-worker-1" in line for line in drift), run
    assert uids(kube, "Pod", namespace) == before, run  # reported, not healed


def test_pods_in_phase_failed_or_succeeded_are_recreated(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    before = ended_workers(kube, apiserver_kubeconfig, namespace, tmp_path)

    run = sync_once(tmp_path, apiserver_kubeconfig)

    after = uids(kube, "Pod", namespace)
    assert sorted(after) == ["demo-head", "demo-small-worker-0", "demo-small-worker-1"], run
    assert after["demo-head"] == before["demo-head"], run
    assert after["demo-small-worker-0"] != before["demo-small-worker-0"], run
    assert after["demo-small-worker-1"] != before["demo-small-worker-1"], run
    assert line_starting(run, f"{namespace}/demo:").startswith(
        f"{namespace}/demo: created 0, updated 0, recreated 2, unchanged 2, pruned 0, failed 0"
    ), run
    assert run.status == 0, run


# --- 6. stuck Pods ------------------------------------------------------------------------------------


def set_finalizers(kubeconfig: str, namespace: str, pods: list[str], finalizers: list[str] | None) -> None:
    core = core_api(kubeconfig)
    for pod in pods:
        try:
            core.patch_namespaced_pod(pod, namespace, {"metadata": {"finalizers": finalizers}})
        except ApiException as error:
            if error.status != 404:
                raise


def test_pods_stuck_terminating_do_not_stall_the_cycle(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    names = [f"c{index:03d}" for index in range(200)]
    files = {
        f"{name}.yaml": [raycluster(name, namespace, workers=1)] for name in names
    }  # a head + 1 worker each
    write_files(tmp_path / namespace, files)
    first = sync_once(tmp_path, apiserver_kubeconfig, timeout=300)
    print(f"first sync of 200 clusters: {first.seconds:.1f} s")
    assert first.status == 0, first
    stuck = ["c001-small-worker-0", "c002-head"]  # two Pods of two clusters that a finalizer holds
    set_finalizers(apiserver_kubeconfig, namespace, stuck, [HOLD_FINALIZER])
    try:
        for name in ("c001", "c002", "c003"):  # the stuck Pods' clusters and a third get a new image
            files[f"{name}.yaml"] = [raycluster(name, namespace, image=NEW_IMAGE, workers=1)]
        write_files(tmp_path / namespace, files)
        core_api(apiserver_kubeconfig).delete_namespaced_pod("c004-small-worker-0", namespace)
        before = uids(kube, "Pod", namespace)
        assert "c004-small-worker-0" not in before

        run = sync_once(tmp_path, apiserver_kubeconfig, "--delete-wait", "5", timeout=120)
        print(f"sync with 2 Pods stuck terminating: {run.seconds:.1f} s")

        assert run.seconds < 60, run  # the safety bound, not a benchmark
        after, now_running = uids(kube, "Pod", namespace), images(kube, namespace)
        for pod in ("c003-head", "c003-small-worker-0"):
            assert after[pod] != before[pod] and now_running[pod] == NEW_IMAGE, run
        assert "c004-small-worker-0" in after, run
        for pod in stuck:
            assert any(pod in line and "still terminating" in line for line in run.lines()), run
        assert run.status == 0, run
    finally:
        set_finalizers(apiserver_kubeconfig, namespace, stuck, None)

    wait_for(lambda: not set(stuck) & set(uids(kube, "Pod", namespace)), 30, "the released Pods to go")
    final = sync_once(tmp_path, apiserver_kubeconfig)

    now_running = images(kube, namespace)
    assert [now_running.get(pod) for pod in stuck] == [NEW_IMAGE, NEW_IMAGE], final
    assert final.status == 0, final


# --- 7, 8. conflicts and failed writes ----------------------------------------------------------------


def test_an_object_someone_else_created_is_left_alone_and_fails_the_run(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    theirs = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": namespace},
    }
    kube.apply({**theirs, "data": {"mode": "theirs"}}, "someone-else")  # no gitops-ray labels
    before = kube.get("v1", "ConfigMap", namespace, "settings")
    assert before is not None
    ours = {**theirs, "data": {"mode": "ours"}}
    write_files(tmp_path, {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1), ours]})

    run = sync_once(tmp_path, apiserver_kubeconfig)

    after = kube.get("v1", "ConfigMap", namespace, "settings")
    assert after is not None
    assert (after["metadata"]["uid"], after["data"]) == (before["metadata"]["uid"], {"mode": "theirs"}), run
    assert run.status == 1, run


def test_a_failed_inventory_write_counts_every_object_as_failed(
    kube: KubeApi, apiserver_kubeconfig: str, namespace: str, tmp_path: Path
) -> None:
    rbac = without_configmap_writes("gitops-ray-no-configmap-writes")
    reduced = identity_kubeconfig(kube, apiserver_kubeconfig, rbac, tmp_path / "kubeconfig")
    write_files(tmp_path / "src", {f"{namespace}/demo.yaml": [raycluster("demo", namespace, workers=1)]})

    run = sync_once(tmp_path / "src", reduced)

    summary = line_starting(run, f"{namespace}/demo:").split(" (")[0]
    assert (
        summary == f"{namespace}/demo: created 0, updated 0, recreated 0, unchanged 0, pruned 0, failed 3"
    ), run
    assert cluster_uids(kube, namespace, "demo") == {}, run  # no Service, no Pod, no inventory parent
    assert run.status == 1, run
