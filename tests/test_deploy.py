"""deploy/ and the Dockerfile are what operators install: `kubectl apply -k deploy/` must give a restricted,
highly available controller that a real API server accepts, and the image pins every runtime dependency."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import pytest
import yaml
from kustomizekit import build, split_image
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gitops_ray import __version__
from gitops_ray.app.settings import load_settings
from gitops_ray.edge.kube import KubeApi
from gitops_ray.edge.kube.lease import LeaseConfig
from gitops_ray.model.objects import KubeObject

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CONSTRAINTS = ROOT / "constraints.txt"


def installed() -> list[KubeObject]:
    return build(DEPLOY)


def the(kind: str) -> KubeObject:
    (found,) = [obj for obj in installed() if obj["kind"] == kind]
    return found


def identity(obj: KubeObject) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


# --- what `kubectl apply -k deploy/` installs -----------------------------------------------------------


def test_apply_k_installs_the_namespace_rbac_lease_role_controller_and_its_disruption_budget() -> None:
    assert [identity(obj) for obj in installed()] == [
        ("Namespace", "", "gitops-ray"),
        ("ServiceAccount", "gitops-ray", "gitops-ray"),
        ("ClusterRole", "", "gitops-ray"),
        ("ClusterRoleBinding", "", "gitops-ray"),
        ("Role", "gitops-ray", "gitops-ray-leader-election"),
        ("RoleBinding", "gitops-ray", "gitops-ray-leader-election"),
        ("Deployment", "gitops-ray", "gitops-ray"),
        ("PodDisruptionBudget", "gitops-ray", "gitops-ray"),
    ]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (nor needed)")
@pytest.mark.parametrize("directory", ["deploy", "deploy/monitoring"])
def test_the_python_kustomize_reader_renders_what_kubectl_kustomize_renders(directory: str) -> None:
    done = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / directory)], capture_output=True, text=True, check=True
    )
    by_kubectl = [document for document in yaml.safe_load_all(done.stdout) if document]

    assert sorted(build(ROOT / directory), key=identity) == sorted(by_kubectl, key=identity)


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("gitops-ray", ("gitops-ray", "")),
        ("gitops-ray:0.1.0", ("gitops-ray", ":0.1.0")),
        ("registry:5000/team/gitops-ray", ("registry:5000/team/gitops-ray", "")),
        ("registry:5000/gitops-ray:0.1.0@sha256:ab", ("registry:5000/gitops-ray", ":0.1.0@sha256:ab")),
    ],
)
def test_an_image_reference_splits_into_name_and_tag_or_digest(image: str, parts: tuple[str, str]) -> None:
    assert split_image(image) == parts


def test_the_image_is_set_in_one_place_to_the_package_version() -> None:
    (kustomization_image,) = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["images"]
    containers = the("Deployment")["spec"]["template"]["spec"]["containers"]

    assert [container["image"] for container in containers] == [
        "registry.example.com/platform/gitops-ray:0.1.0"
    ]
    assert kustomization_image["newTag"] == __version__


def test_every_service_account_subject_is_in_the_kustomization_namespace() -> None:
    """kustomize's `namespace:` leaves binding subjects alone: moving the controller must move them too."""
    namespace = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["namespace"]
    subjects = [subject for obj in installed() for subject in obj.get("subjects", [])]

    assert {(s["kind"], s["namespace"], s["name"]) for s in subjects} == {
        ("ServiceAccount", namespace, "gitops-ray")
    }


def test_the_controller_may_create_and_patch_events_in_both_event_apis() -> None:
    rules = the("ClusterRole")["rules"]

    assert {
        (group, verb)
        for rule in rules
        if "events" in rule["resources"]
        for group in rule["apiGroups"]
        for verb in rule["verbs"]
    } == {("", "create"), ("", "patch"), ("events.k8s.io", "create"), ("events.k8s.io", "patch")}


# --- availability -----------------------------------------------------------------------------------------


def test_one_of_the_two_replicas_may_be_disrupted_at_a_time() -> None:
    deployment, budget = the("Deployment"), the("PodDisruptionBudget")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]

    assert (deployment["spec"]["replicas"], budget["spec"]["maxUnavailable"]) == (2, 1)
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_the_replicas_prefer_different_nodes() -> None:
    pod = the("Deployment")["spec"]["template"]
    anti_affinity = pod["spec"]["affinity"]["podAntiAffinity"]

    (preferred,) = anti_affinity["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert (
        preferred["podAffinityTerm"]["labelSelector"]["matchLabels"].items()
        <= pod["metadata"]["labels"].items()
    )
    assert (
        "requiredDuringSchedulingIgnoredDuringExecution" not in anti_affinity
    )  # a one-node cluster runs both


def test_the_grace_period_outlasts_the_delete_wait_and_the_lease_release() -> None:
    """On SIGTERM the running cycle stops at its next write: the longest it goes without one is the
    delete-wait budget; then the Lease is released in one request, whose timeout is half the renew
    deadline (app/controller.py)."""
    pod = the("Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    settings = load_settings(None, {e["name"]: e["value"] for e in container["env"] if "value" in e}, {})
    lease = LeaseConfig(
        settings.lease_name, settings.lease_namespace, settings.identity, settings.lease_duration
    )
    stopping = settings.delete_wait + lease.renew_deadline / 2

    assert (settings.delete_wait, settings.lease_duration, stopping) == (20.0, 15.0, 25.0)
    assert pod["terminationGracePeriodSeconds"] == 60


# --- Pod Security: restricted ----------------------------------------------------------------------------

RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """Where a Pod spec breaks the `restricted` Pod Security Standard (kubernetes.io, "Pod Security
    Standards": the baseline controls plus the restricted ones). The test API server (v1.20) predates
    Pod Security Admission, so the standard's rules are checked here."""
    found = [f"spec.{field}" for field in ("hostNetwork", "hostPID", "hostIPC") if pod.get(field)]
    found += [
        f"volume {volume['name']}: type {sorted(set(volume) - {'name'})}"
        for volume in pod.get("volumes", [])
        if not set(volume) - {"name"} <= RESTRICTED_VOLUMES
    ]
    pod_context = pod.get("securityContext", {})
    for container in [*pod.get("containers", []), *pod.get("initContainers", [])]:
        context = {**pod_context, **container.get("securityContext", {})}
        capabilities = context.get("capabilities", {})
        checks = [
            (context.get("privileged") is True, "privileged"),
            (context.get("allowPrivilegeEscalation") is not False, "allowPrivilegeEscalation must be false"),
            (context.get("runAsNonRoot") is not True, "runAsNonRoot must be true"),
            (context.get("runAsUser") == 0, "runAsUser 0"),
            ("ALL" not in capabilities.get("drop", []), "capabilities must drop ALL"),
            (
                bool(set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}),
                f"adds {capabilities.get('add')}",
            ),
            (
                context.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"),
                "seccompProfile must be RuntimeDefault or Localhost",
            ),
            (any(port.get("hostPort") for port in container.get("ports", [])), "hostPort"),
        ]
        found += [f"container {container['name']}: {message}" for broken, message in checks if broken]
    return found


def test_the_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = the("Namespace")["metadata"]["labels"]

    assert {key: value for key, value in labels.items() if key.startswith("pod-security.")} == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def test_the_controller_pod_meets_the_restricted_pod_security_standard() -> None:
    assert restricted_violations(the("Deployment")["spec"]["template"]["spec"]) == []


@pytest.mark.parametrize(
    ("change", "violations"),
    [
        (
            {"allowPrivilegeEscalation": True},
            ["container controller: allowPrivilegeEscalation must be false"],
        ),
        (
            {"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}},
            ["container controller: adds ['SYS_ADMIN']"],
        ),
        (
            {"seccompProfile": {"type": "Unconfined"}},
            ["container controller: seccompProfile must be RuntimeDefault or Localhost"],
        ),
        (
            {"runAsNonRoot": False, "runAsUser": 0},
            [
                "container controller: runAsNonRoot must be true",
                "container controller: runAsUser 0",
            ],
        ),
    ],
)
def test_the_restricted_check_names_what_breaks_the_standard(
    change: dict[str, Any], violations: list[str]
) -> None:
    pod = the("Deployment")["spec"]["template"]["spec"]
    pod["containers"][0]["securityContext"].update(change)

    assert restricted_violations(pod) == violations


# --- the image: Dockerfile and constraints.txt ----------------------------------------------------------


def test_every_stage_starts_from_the_same_python_image_pinned_by_digest() -> None:
    bases = re.findall(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)

    assert len(bases) == 2
    assert len(set(bases)) == 1
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", bases[0])


def runtime_pins() -> dict[str, str]:
    """Every distribution the package needs at run time (pyproject's dependencies and theirs, with the
    extras they ask for; markers evaluated for this interpreter, Python 3.11 on Linux as in the image),
    at its installed version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pending = [Requirement(line) for line in project["dependencies"]]
    pins: dict[str, str] = {}
    extras: dict[str, set[str]] = {}
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        wanted = extras.setdefault(name, set())
        if name in pins and requirement.extras <= wanted:
            continue
        wanted |= requirement.extras
        dist = distribution(name)
        pins[name] = dist.version
        for line in dist.requires or []:
            needed = Requirement(line)
            markers = [{"extra": extra} for extra in ["", *sorted(wanted)]]
            if needed.marker is None or any(needed.marker.evaluate(env) for env in markers):
                pending.append(needed)
    return dict(sorted(pins.items()))


CONSTRAINTS_HEADER = """\
# Every runtime dependency of gitops-ray (pyproject's [project] dependencies and theirs) at the version CI
# tests: the Dockerfile installs the image with it, scripts/setup the development and CI environments.
# Written by scripts/update-constraints, checked by tests/test_deploy.py: never edit it by hand.
"""


def test_constraints_pin_every_runtime_dependency_at_its_installed_version() -> None:
    expected = CONSTRAINTS_HEADER + "".join(
        f"{name}=={version}\n" for name, version in runtime_pins().items()
    )
    if os.environ.get("GITOPS_RAY_UPDATE_CONSTRAINTS"):
        CONSTRAINTS.write_text(expected)

    assert CONSTRAINTS.read_text() == expected


# --- a real API server accepts every object -------------------------------------------------------------

# The test API server is Kubernetes v1.20: policy/v1 (1.21+) is checked as policy/v1beta1, whose
# PodDisruptionBudget has the same fields.
SERVED_AS = {("policy/v1", "PodDisruptionBudget"): "policy/v1beta1"}


def served(obj: KubeObject) -> KubeObject:
    return {**obj, "apiVersion": SERVED_AS.get((obj["apiVersion"], obj["kind"]), obj["apiVersion"])}


def stored_version(kube: KubeApi, obj: KubeObject) -> str | None:
    """The object's resourceVersion in the cluster, None when it does not exist."""
    live = kube.get(
        obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
    )
    return None if live is None else str(live["metadata"]["resourceVersion"])


@pytest.mark.apiserver
def test_every_object_passes_a_server_side_dry_run_and_nothing_is_written(kube: KubeApi) -> None:
    """A dry run cannot create objects in a namespace that does not exist yet: the bare namespace is made
    first, as `kubectl apply -k` makes it before the rest."""
    objects = [served(obj) for obj in installed()]
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gitops-ray"}}, "test-setup")
    before = [stored_version(kube, obj) for obj in objects]

    answers = [kube.with_writes(dry_run=True).apply(obj, "gitops-ray-deploy-test") for obj in objects]

    assert [identity(answer) for answer in answers] == [identity(obj) for obj in objects]
    assert [stored_version(kube, obj) for obj in objects] == before
