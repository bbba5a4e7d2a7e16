"""deploy/monitoring/ watches the controller: its PodMonitor scrapes the metrics port, and every metric (and
label) its alert rules and dashboard query is one the controller's /metrics really serves."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from kustomizekit import build
from livekit import KEY, SOURCE
from prometheus_client.parser import text_string_to_metric_families

from gitops_ray.app.http import serve_http
from gitops_ray.app.metrics import Metrics
from gitops_ray.edge.cycle import CycleResult, UnitSummary
from gitops_ray.model.refs import MemberRef
from gitops_ray.observe.drift import UnitDrift
from gitops_ray.observe.health import ClusterHealth
from gitops_ray.observe.outcome import SyncResult, UnitResult
from gitops_ray.observe.status import Observed
from gitops_ray.reconcile.plan import Action, Counts, PlannedAction

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "deploy" / "monitoring"
# Labels Prometheus adds to every series of a PodMonitor target.
TARGET_LABELS = {"job", "namespace", "pod", "container", "instance", "endpoint"}


def rules() -> dict[str, str]:
    """Alert name -> PromQL expression."""
    (rule_set,) = [obj for obj in build(MONITORING) if obj["kind"] == "PrometheusRule"]
    return {rule["alert"]: rule["expr"] for group in rule_set["spec"]["groups"] for rule in group["rules"]}


def dashboard_queries() -> dict[str, str]:
    """`panel title / refId` -> PromQL expression."""
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    return {
        f"{panel['title']} / {target['refId']}": target["expr"]
        for panel in dashboard["panels"]
        for target in panel["targets"]
    }


# --- reading PromQL -------------------------------------------------------------------------------------

GROUPING = r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
KEYWORDS = {"and", "or", "unless", "bool", "offset"}


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """Every metric an expression selects, with the label names it matches on, in order."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals hold no names
    expr = re.sub(GROUPING, " ", expr)  # nor do label lists of by/on/...
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # nor range durations
    found = []
    for name, matchers in re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*+)(?!\s*\()(?:\s*\{([^}]*)\})?", expr):
        if name not in KEYWORDS:
            found.append((name, set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*[=!]", matchers))))
    return found


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("absent(up)", [("up", set())]),
        ('rate(a_total{job="x", verb!~"get|list"}[5m])', [("a_total", {"job", "verb"})]),
        ("sum by (le, pod) (rate(h_bucket[$__rate_interval]))", [("h_bucket", set())]),
        ("time() - (g and on(namespace, pod) leader == 1) > 1800", [("g", set()), ("leader", set())]),
        ('histogram_quantile(0.95, x{le="+Inf"})', [("x", {"le"})]),
    ],
)
def test_selectors_are_read_from_promql(expr: str, expected: list[tuple[str, set[str]]]) -> None:
    assert selectors(expr) == expected


# --- what the controller serves -------------------------------------------------------------------------


def a_cycle() -> CycleResult:
    """One applied cycle that pruned a Pod of a cluster in the source, so every labelled metric has a
    series."""
    change = PlannedAction(
        Action.PRUNE, MemberRef("v1", "Pod", "team-a", "demo-head"), "no longer in the source"
    )
    status = Observed("pods", "0" * 40, "Synced", ClusterHealth("Failed", "CrashLoopBackOff"))
    unit = UnitResult(
        KEY, Counts(), (), UnitDrift(KEY, SOURCE, (), None), (change,), duration=0.5, status=status
    )
    return CycleResult(
        "0" * 40,
        None,
        skipped=False,
        sync=SyncResult((unit,), requests={"list": 1}),
        units=(UnitSummary(KEY, SOURCE, "pods", 2, ()),),
    )


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, set[str]]]:
    """Metric name -> label names, as a scrape of the controller's /metrics endpoint finds them."""
    metrics = Metrics()
    metrics.record(a_cycle(), 0.5)
    metrics.git_request("fetch", "ok")
    server = serve_http("127.0.0.1:0", metrics.registry, lambda: True, threading.Event())
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    yield names


def test_the_controller_serves_process_and_platform_metrics(served: dict[str, set[str]]) -> None:
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= set(served)


def test_the_rules_alert_on_failures_broken_and_failed_clusters_held_prunes_no_leader_and_no_scrape() -> None:
    assert list(rules()) == [
        "GitopsRayCyclesFailing",
        "GitopsRayGitFailing",
        "GitopsRayNoCleanCycle",
        "GitopsRayClusterBroken",
        "GitopsRayClusterUnhealthy",
        "GitopsRayPruneHeld",
        "GitopsRayNoLeader",
        "GitopsRayMetricsAbsent",
    ]


@pytest.mark.parametrize("alert", list(rules()))
def test_every_metric_an_alert_rule_selects_is_served(alert: str, served: dict[str, set[str]]) -> None:
    for name, labels in selectors(rules()[alert]):
        assert name in served, f"{alert}: {name} is not a metric of the controller"
        assert labels <= served[name] | TARGET_LABELS, (
            f"{alert}: {name} has no label {labels - served[name] - TARGET_LABELS}"
        )


@pytest.mark.parametrize("panel", list(dashboard_queries()))
def test_every_metric_a_dashboard_panel_selects_is_served(panel: str, served: dict[str, set[str]]) -> None:
    for name, labels in selectors(dashboard_queries()[panel]):
        assert name in served, f"{panel}: {name} is not a metric of the controller"
        assert labels <= served[name] | TARGET_LABELS, (
            f"{panel}: {name} has no label {labels - served[name] - TARGET_LABELS}"
        )


# --- the scrape -----------------------------------------------------------------------------------------


def test_the_pod_monitor_scrapes_the_controllers_metrics_port_with_job_gitops_ray() -> None:
    (monitor,) = [obj for obj in build(MONITORING) if obj["kind"] == "PodMonitor"]
    (deployment,) = [obj for obj in build(ROOT / "deploy") if obj["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]
    ports = {port["name"]: port["containerPort"] for port in pod["spec"]["containers"][0]["ports"]}
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]

    assert monitor["metadata"]["namespace"] == deployment["metadata"]["namespace"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert (endpoint["port"], ports[endpoint["port"]], endpoint["path"]) == ("metrics", 8080, "/metrics")
    assert pod["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "gitops-ray"


def test_the_pod_monitor_keeps_the_namespace_label_of_per_cluster_series() -> None:
    """Without honorLabels, Prometheus would rename a series' own `namespace` (the RayCluster's) to
    `exported_namespace` and put the controller's namespace in its place."""
    (monitor,) = [obj for obj in build(MONITORING) if obj["kind"] == "PodMonitor"]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["honorLabels"] is True


def test_the_dashboard_is_one_json_document_with_a_data_source_variable() -> None:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())

    assert (dashboard["uid"], dashboard["title"]) == ("gitops-ray", "gitops-ray")
    assert [variable["name"] for variable in dashboard["templating"]["list"]] == ["datasource"]
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"${datasource}"}
