"""Ray's legacy operator format (cluster.ray.io/v1) to KubeRay ray.io/v1: each field's mapping, the choices
noted and the warnings, as tables of cases on a small legacy cluster."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ray.model.objects import KubeObject
from gitops_ray.source.legacy import LegacyFormatError, Note, is_legacy_raycluster, migrate

IMAGE = "rayproject/ray:2.9.0-py310"
KEEP_ALIVE = {"command": ["/bin/bash", "-c", "--"], "args": ["trap : TERM INT; sleep infinity & wait;"]}
HEAD_SERVICE_WARNING = Note(
    ("metadata", "name"),
    "the head Service is now c-head-svc (KubeRay's name), not c-ray-head: update its clients",
)


def pod_config(**container: Any) -> dict[str, Any]:
    """The legacy examples' podConfig: generateName, one `ray-node` container kept alive by `sleep`."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "c-ray-"},
        "spec": {"containers": [{"name": "ray-node", "image": IMAGE, **KEEP_ALIVE, **container}]},
    }


def legacy(
    spec: dict[str, Any] | None = None,
    head: dict[str, Any] | None = None,
    worker: dict[str, Any] | None = None,
) -> KubeObject:
    """Legacy cluster `c`: head Pod type `head` and worker Pod type `w` (maxWorkers 2), each overridable."""
    return {
        "apiVersion": "cluster.ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "c"},
        "spec": {
            "headPodType": "head",
            "podTypes": [
                {"name": "head", "podConfig": pod_config(), **(head or {})},
                {"name": "w", "maxWorkers": 2, "podConfig": pod_config(), **(worker or {})},
            ],
            **(spec or {}),
        },
    }


def worker_group(document: KubeObject) -> dict[str, Any]:
    group: dict[str, Any] = migrate(document).document["spec"]["workerGroupSpecs"][0]
    return group


def warnings_of(document: KubeObject) -> list[Note]:
    return [note for note in migrate(document).warnings if note != HEAD_SERVICE_WARNING]


def choices_at(document: KubeObject, *path: str | int) -> list[str]:
    return [note.message for note in migrate(document).choices if note.path == path]


@pytest.mark.parametrize(
    ("document", "legacy_format"),
    [
        ({"apiVersion": "cluster.ray.io/v1", "kind": "RayCluster"}, True),
        ({"apiVersion": "cluster.ray.io/v1alpha1", "kind": "RayCluster"}, True),
        ({"apiVersion": "ray.io/v1", "kind": "RayCluster"}, False),
        ({"apiVersion": "cluster.ray.io/v1", "kind": "ConfigMap"}, False),
        ({"kind": "RayCluster"}, False),
    ],
)
def test_is_legacy_raycluster_by_api_group_and_kind(document: KubeObject, legacy_format: bool) -> None:
    assert is_legacy_raycluster(document) is legacy_format


def test_a_small_legacy_cluster_becomes_this_kuberay_raycluster() -> None:
    migration = migrate(legacy())
    assert migration.document == {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "c", "annotations": {"gitops-ray.io/target": "raycluster"}},
        "spec": {
            "headGroupSpec": {
                "rayStartParams": {},
                "template": {"spec": {"containers": [{"name": "ray-head", "image": IMAGE}]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "w",
                    "replicas": 0,
                    "minReplicas": 0,
                    "maxReplicas": 2,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [{"name": "ray-worker", "image": IMAGE}]}},
                }
            ],
            "enableInTreeAutoscaling": True,
            "autoscalerOptions": {"idleTimeoutSeconds": 300, "upscalingMode": "Conservative"},
            "rayVersion": "2.9.0",
        },
    }
    assert migration.warnings == (HEAD_SERVICE_WARNING,)


def test_every_choice_is_noted_at_the_field_it_made() -> None:
    assert [(note.field, note.message) for note in migrate(legacy()).choices] == [
        (
            "spec.headGroupSpec.template",
            "podTypes[0].podConfig without apiVersion, kind, metadata.generateName, "
            "the keep-alive command/args",
        ),
        (
            "spec.headGroupSpec.template.spec.containers[0].name",
            "ray-node renamed as in KubeRay's samples; the Ray container is the first, as KubeRay expects",
        ),
        ("spec.workerGroupSpecs[0]", "from spec.podTypes[1] (w)"),
        ("spec.workerGroupSpecs[0].replicas", "starts at minWorkers, as the legacy autoscaler did"),
        (
            "spec.workerGroupSpecs[0].template",
            "podTypes[1].podConfig without apiVersion, kind, metadata.generateName, "
            "the keep-alive command/args",
        ),
        (
            "spec.workerGroupSpecs[0].template.spec.containers[0].name",
            "ray-node renamed as in KubeRay's samples; the Ray container is the first, as KubeRay expects",
        ),
        (
            "spec.enableInTreeAutoscaling",
            "the legacy operator always ran the Ray autoscaler for its clusters",
        ),
        (
            "spec.autoscalerOptions.idleTimeoutSeconds",
            "300: the legacy default of 5 minutes (KubeRay's is 60 s)",
        ),
        (
            "spec.autoscalerOptions.upscalingMode",
            "Conservative from the legacy default upscalingSpeed 1: Ray's autoscaler runs Conservative at "
            "speed 1 and Default/Aggressive at 1000 (no limit); the nearer on a log scale",
        ),
        ("spec.rayVersion", f"from the head image {IMAGE}"),
        ("apiVersion", "was cluster.ray.io/v1, Ray's legacy operator format"),
        (
            "metadata.annotations.gitops-ray.io/target",
            "raycluster: the Ray autoscaler needs KubeRay, so gitops-ray applies the RayCluster and KubeRay "
            "runs its Pods",
        ),
    ]


@pytest.mark.parametrize(
    ("worker", "cluster_max", "expected"),
    [
        ({"minWorkers": 1, "maxWorkers": 3}, None, {"replicas": 1, "minReplicas": 1, "maxReplicas": 3}),
        ({"minWorkers": 2}, 10, {"replicas": 2, "minReplicas": 2, "maxReplicas": 10}),
        ({"minWorkers": 4, "maxWorkers": 3}, None, {"replicas": 3, "minReplicas": 3, "maxReplicas": 3}),
        ({"maxWorkers": 5}, None, {"replicas": 0, "minReplicas": 0, "maxReplicas": 5}),
    ],
)
def test_worker_counts_come_from_min_workers_and_max_workers(
    worker: dict[str, Any], cluster_max: int | None, expected: dict[str, int]
) -> None:
    spec = {} if cluster_max is None else {"maxWorkers": cluster_max}
    document = legacy(spec=spec)
    document["spec"]["podTypes"][1] = {"name": "w", "podConfig": pod_config(), **worker}
    group = worker_group(document)
    assert {key: group.get(key) for key in expected} == expected


def test_a_pod_type_without_max_workers_falls_back_to_the_cluster_wide_one_and_says_so() -> None:
    document = legacy(spec={"maxWorkers": 10})
    del document["spec"]["podTypes"][1]["maxWorkers"]
    assert choices_at(document, "spec", "workerGroupSpecs", 0, "maxReplicas") == [
        "the cluster-wide spec.maxWorkers (the Pod type sets none)"
    ]


def test_no_max_workers_anywhere_leaves_kuberays_default_with_a_warning() -> None:
    document = legacy()
    del document["spec"]["podTypes"][1]["maxWorkers"]
    assert "maxReplicas" not in worker_group(document)
    assert warnings_of(document) == [
        Note(
            ("spec", "podTypes", 1, "maxWorkers"),
            "no maxWorkers here or cluster-wide: KubeRay's default applies",
        )
    ]


def test_groups_that_may_outgrow_the_cluster_wide_max_workers_are_warned_about() -> None:
    assert warnings_of(legacy(spec={"maxWorkers": 1})) == [
        Note(
            ("spec", "maxWorkers"),
            "KubeRay has no cluster-wide worker limit: the groups may grow to 2 workers in all, not 1; "
            "lower their maxReplicas",
        )
    ]


@pytest.mark.parametrize(
    ("ray_resources", "params"),
    [
        ({"CPU": 4}, {"num-cpus": "4"}),
        ({"GPU": 1, "memory": 1073741824}, {"num-gpus": "1", "memory": "1073741824"}),
        ({"object_store_memory": 500000000}, {"object-store-memory": "500000000"}),
        ({"Custom1": 1, "is_spot": 0.5}, {"resources": """'{"Custom1":1,"is_spot":0.5}'"""}),
        ({"CPU": 2.0, "TPU": 4}, {"num-cpus": "2", "resources": """'{"TPU":4}'"""}),
    ],
)
def test_ray_resources_become_ray_start_params(ray_resources: dict[str, Any], params: dict[str, str]) -> None:
    assert worker_group(legacy(worker={"rayResources": ray_resources}))["rayStartParams"] == params


@pytest.mark.parametrize(
    ("commands", "params"),
    [
        (["ray stop", "ulimit -n 65536; ray start --address=$RAY_HEAD_IP:6379"], {}),
        (
            ["ray start --address=$RAY_HEAD_IP:6379 --block --object-store-memory 1000"],
            {"object-store-memory": "1000"},
        ),
        (["ray start --address=$RAY_HEAD_IP:6379 &> /tmp/raylogs --num-cpus=2"], {"num-cpus": "2"}),
        (
            ["ray start --address=x --include-dashboard false --disable-usage-stats"],
            {
                "include-dashboard": "false",
                "disable-usage-stats": "true",
            },
        ),
        (["ray start --address=x --resources='{\"a\": 2}'"], {"resources": """'{"a":2}'"""}),
        (["ray start --address=x --temp-dir '/tmp/my ray'"], {"temp-dir": "'/tmp/my ray'"}),
    ],
)
def test_worker_start_command_flags_become_ray_start_params(
    commands: list[str], params: dict[str, str]
) -> None:
    assert worker_group(legacy(spec={"workerStartRayCommands": commands}))["rayStartParams"] == params


def test_head_start_command_flags_become_ray_start_params_without_those_kuberay_sets() -> None:
    commands = [
        "ray stop",
        "ulimit -n 65536; ray start --head --no-monitor --port=6380 --dashboard-host 0.0.0.0",
    ]
    document = legacy(spec={"headStartRayCommands": commands})
    head = migrate(document).document["spec"]["headGroupSpec"]
    assert head["rayStartParams"] == {"port": "6380", "dashboard-host": "0.0.0.0"}
    assert choices_at(document, "spec", "headGroupSpec", "rayStartParams") == [
        "from spec.headStartRayCommands; dropped ray stop (KubeRay starts each Pod afresh); "
        "ulimit -n 65536 (KubeRay runs ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}); "
        "--head (KubeRay starts the head with --head); "
        "--no-monitor (KubeRay sets it while its autoscaler runs)"
    ]


def test_per_pod_type_ray_resources_win_over_start_command_flags_with_a_warning() -> None:
    document = legacy(
        spec={"workerStartRayCommands": ["ray start --num-cpus=8"]}, worker={"rayResources": {"CPU": 4}}
    )
    assert worker_group(document)["rayStartParams"] == {"num-cpus": "4"}
    assert warnings_of(document) == [
        Note(
            ("spec", "podTypes", 1, "rayResources"),
            "CPU: 4 replaces --num-cpus=8 of spec.workerStartRayCommands",
        )
    ]


@pytest.mark.parametrize(
    ("command", "warning"),
    [
        ("pip install torch", "not mapped: pip install torch"),
        (
            "ray start --num-cpus=$RAY_HEAD_IP",
            "--num-cpus: KubeRay sets no RAY_HEAD_IP (its Pods have RAY_IP and FQ_RAY_IP)",
        ),
        ("ray start --resources=abc", "--resources 'abc' is not a JSON object of numbers; not mapped"),
        ("ray start -v", "ray start argument '-v' not mapped"),
        ("ray start 'unclosed", "not mapped: cannot read it as a shell command (No closing quotation)"),
    ],
)
def test_what_a_start_command_does_beyond_ray_start_is_a_warning(command: str, warning: str) -> None:
    document = legacy(spec={"workerStartRayCommands": [command]})
    assert warnings_of(document) == [Note(("spec", "workerStartRayCommands", 0), warning)]


@pytest.mark.parametrize(
    ("speed", "mode", "warning"),
    [
        (None, "Conservative", None),
        (1, "Conservative", None),
        (0.5, "Conservative", "KubeRay offers speeds 1 and 1000 only: 0.5 becomes 1 (Conservative)"),
        (10, "Conservative", "KubeRay offers speeds 1 and 1000 only: 10 becomes 1 (Conservative)"),
        (100, "Default", "KubeRay offers speeds 1 and 1000 only: 100 becomes 1000 (Default)"),
        (1000, "Default", None),
    ],
)
def test_upscaling_speed_becomes_the_nearer_upscaling_mode(
    speed: float | None, mode: str, warning: str | None
) -> None:
    document = legacy(spec={} if speed is None else {"upscalingSpeed": speed})
    assert migrate(document).document["spec"]["autoscalerOptions"]["upscalingMode"] == mode
    expected = [] if warning is None else [Note(("spec", "upscalingSpeed"), warning)]
    assert warnings_of(document) == expected


@pytest.mark.parametrize(("minutes", "seconds"), [(None, 300), (1, 60), (0.5, 30), (0, 0)])
def test_idle_timeout_minutes_become_idle_timeout_seconds(minutes: float | None, seconds: int) -> None:
    document = legacy(spec={} if minutes is None else {"idleTimeoutMinutes": minutes})
    assert migrate(document).document["spec"]["autoscalerOptions"]["idleTimeoutSeconds"] == seconds


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("rayproject/ray:2.9.0-py310", "2.9.0"),
        ("rayproject/ray:2.9.0", "2.9.0"),
        ("rayproject/ray-ml:2.3.1-gpu", "2.3.1"),
        ("registry.local:5000/mirror/ray:1.13.0", "1.13.0"),
        ("rayproject/ray:latest", None),
        ("rayproject/ray:nightly", None),
        ("rayproject/ray", None),
        ("mycompany/trainer:2.9.0", None),
    ],
)
def test_ray_version_comes_from_the_head_image_when_it_is_a_ray_release(
    image: str, version: str | None
) -> None:
    document = legacy(
        head={"podConfig": pod_config(image=image)}, worker={"podConfig": pod_config(image=image)}
    )
    migration = migrate(document)
    assert migration.document["spec"].get("rayVersion") == version
    expected = (
        []
        if version
        else [
            Note(
                ("spec", "podTypes", 0, "podConfig", "spec", "containers", 0, "image"),
                f"{image!r} names no Ray release: set spec.rayVersion to the Ray it runs",
            )
        ]
    )
    assert warnings_of(document) == expected


def test_a_worker_image_of_another_ray_release_is_warned_about() -> None:
    document = legacy(worker={"podConfig": pod_config(image="rayproject/ray:2.8.0")})
    assert warnings_of(document) == [
        Note(
            ("spec", "podTypes", 1, "podConfig", "spec", "containers", 0, "image"),
            "'rayproject/ray:2.8.0' is not Ray 2.9.0, the head's release",
        )
    ]


def test_pod_config_becomes_the_template_with_labels_and_annotations_but_no_generate_name() -> None:
    config = pod_config()
    config["metadata"] = {"generateName": "c-w-", "labels": {"team": "ml"}, "annotations": {"a": "b"}}
    config["spec"]["nodeSelector"] = {"pool": "cpu"}
    config["spec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    assert worker_group(legacy(worker={"podConfig": config}))["template"] == {
        "metadata": {"labels": {"team": "ml"}, "annotations": {"a": "b"}},
        "spec": {
            "nodeSelector": {"pool": "cpu"},
            "containers": [{"name": "ray-worker", "image": IMAGE}, {"name": "sidecar", "image": "busybox"}],
        },
    }


def test_a_container_command_that_is_not_the_keep_alive_is_kept_with_a_warning() -> None:
    config = pod_config(name="ray", command=["/bin/sh", "-c"], args=["echo hello"])
    template = worker_group(legacy(worker={"podConfig": config}))["template"]
    assert template["spec"]["containers"] == [
        {"name": "ray", "image": IMAGE, "command": ["/bin/sh", "-c"], "args": ["echo hello"]}
    ]
    assert warnings_of(legacy(worker={"podConfig": config})) == [
        Note(
            ("spec", "podTypes", 1, "podConfig", "spec", "containers", 0),
            "command/args kept: KubeRay runs them before `ray start`, or instead of it if they contain "
            "`ray start` (docs/kuberay-rendering.md)",
        )
    ]


@pytest.mark.parametrize(
    ("container_ports", "service_ports", "expected"),
    [
        (None, None, None),
        (
            [{"containerPort": 6379}, {"containerPort": 10001}, {"containerPort": 8265}],
            None,
            [
                {"containerPort": 6379, "name": "gcs-server"},
                {"containerPort": 10001, "name": "client"},
                {"containerPort": 8265, "name": "dashboard"},
                {"containerPort": 8000, "name": "serve"},
            ],
        ),
        (
            [{"containerPort": 6379, "name": "redis"}],
            [{"name": "metrics-extra", "port": 9090, "targetPort": 9090}],
            [
                {"containerPort": 6379, "name": "redis"},
                {"containerPort": 10001, "name": "client"},
                {"containerPort": 8265, "name": "dashboard"},
                {"containerPort": 9090, "name": "metrics-extra"},
                {"containerPort": 8000, "name": "serve"},
            ],
        ),
        (
            None,
            [{"name": "client", "port": 10002, "targetPort": 10001}],
            [
                {"containerPort": 6379, "name": "gcs-server"},
                {"containerPort": 8000, "name": "serve"},
                {"containerPort": 8080, "name": "metrics"},
                {"containerPort": 8265, "name": "dashboard"},
                {"containerPort": 10001, "name": "client"},
            ],
        ),
    ],
)
def test_the_head_container_lists_every_port_of_the_legacy_head_service(
    container_ports: list[dict[str, Any]] | None,
    service_ports: list[dict[str, Any]] | None,
    expected: list[dict[str, Any]] | None,
) -> None:
    config = pod_config() if container_ports is None else pod_config(ports=container_ports)
    spec = {} if service_ports is None else {"headServicePorts": service_ports}
    head = migrate(legacy(spec=spec, head={"podConfig": config})).document["spec"]["headGroupSpec"]
    assert head["template"]["spec"]["containers"][0].get("ports") == expected


def test_a_head_service_port_on_another_number_than_its_target_is_warned_about() -> None:
    document = legacy(spec={"headServicePorts": [{"name": "client", "port": 10002, "targetPort": 10001}]})
    assert warnings_of(document) == [
        Note(
            ("spec", "headServicePorts"),
            "client: KubeRay's head Service serves container port 10001 as 10001, not as 10002",
        )
    ]


@pytest.mark.parametrize(
    ("spec", "head", "warning"),
    [
        ({"headSetupCommands": ["pip install x"]}, {}, ("spec", "headSetupCommands")),
        ({"setupCommands": ["pip install x"]}, {}, ("spec", "setupCommands")),
        ({}, {"workerSetupCommands": ["pip install x"]}, ("spec", "podTypes", 0, "workerSetupCommands")),
    ],
)
def test_setup_commands_are_not_mapped_and_say_where_they_could_go(
    spec: dict[str, Any], head: dict[str, Any], warning: tuple[str | int, ...]
) -> None:
    assert warnings_of(legacy(spec=spec, head=head)) == [
        Note(
            warning,
            "not mapped: KubeRay runs no setup commands; bake them into the image, or put them in the Ray "
            "container's args, which KubeRay runs before `ray start` (docs/kuberay-rendering.md)",
        )
    ]


def test_unknown_fields_are_warnings_and_server_set_metadata_is_dropped() -> None:
    document = legacy(spec={"autoscalingMode": "fast"}, worker={"priority": 1})
    document["metadata"].update({"namespace": "ml", "uid": "1234", "resourceVersion": "7"})
    document["status"] = {"phase": "Running"}
    migration = migrate(document)
    assert migration.document["metadata"] == {
        "name": "c",
        "namespace": "ml",
        "annotations": {"gitops-ray.io/target": "raycluster"},
    }
    assert choices_at(document, "metadata") == ["dropped resourceVersion, uid (set by the API server)"]
    assert choices_at(document) == ["dropped status (the legacy operator's)"]
    assert warnings_of(document) == [
        Note(("spec", "autoscalingMode"), "not a field of the legacy operator's RayCluster; not mapped"),
        Note(("spec", "podTypes", 1, "priority"), "not a field of a legacy Pod type; not mapped"),
    ]


def test_the_head_pod_types_own_workers_are_warned_about() -> None:
    assert warnings_of(legacy(head={"minWorkers": 1})) == [
        Note(
            ("spec", "podTypes", 0, "minWorkers"),
            "workers of the head's Pod type are not mapped: add a group",
        )
    ]


def _without(document: KubeObject, *path: str | int) -> KubeObject:
    parent: Any = document
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return document


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (_without(legacy(), "metadata", "name"), "metadata.name", "is required"),
        (_without(legacy(), "spec"), "spec", "must be a mapping"),
        (legacy(spec={"podTypes": {}}), "spec.podTypes", "must be a non-empty list"),
        (
            legacy(spec={"headPodType": "nope"}),
            "spec.headPodType",
            "must name one of spec.podTypes: ['head', 'w']",
        ),
        (legacy(worker={"name": "head"}), "spec.podTypes[1].name", "head is the name of another Pod type"),
        (legacy(worker={"podConfig": None}), "spec.podTypes[1].podConfig", "must be a mapping"),
        (
            legacy(worker={"podConfig": {"spec": {"containers": []}}}),
            "spec.podTypes[1].podConfig.spec.containers",
            "must be a non-empty list",
        ),
        (
            legacy(worker={"minWorkers": -1}),
            "spec.podTypes[1].minWorkers",
            "must be a non-negative integer, got -1",
        ),
        (
            legacy(worker={"rayResources": {"CPU": "4"}}),
            "spec.podTypes[1].rayResources.CPU",
            "must be a non-negative number, got '4'",
        ),
        (
            legacy(spec={"workerStartRayCommands": "ray start"}),
            "spec.workerStartRayCommands",
            "must be a list of strings",
        ),
        (
            legacy(spec={"headServicePorts": [{"name": "client"}]}),
            "spec.headServicePorts[0].port",
            "must be an integer",
        ),
    ],
)
def test_what_cannot_be_converted_is_an_error_naming_the_field(
    document: KubeObject, field: str, message: str
) -> None:
    with pytest.raises(LegacyFormatError) as raised:
        migrate(document)
    assert (raised.value.field, raised.value.message) == (field, message)
