"""Properties of the manifest core on arbitrary RayCluster-shaped input (hypothesis):
it never raises anything but a RenderError, it is deterministic, and it never mutates its input."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_ray.render import render_raycluster
from gitops_ray.render.errors import RenderError
from gitops_ray.report.files import yaml_stream

# Anything YAML can hold, to throw into fields where a specific shape is expected.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
names = st.sampled_from(["ray-head", "ray-worker", "a", "g1", "Group-A", "x" * 60, "1abc", "-x"])
quantities = st.sampled_from(["1", "500m", "1Gi", "2.5", "40G", "0", "abc", 3, 0.5, "-1", "1e3", None, True])
resource_names = st.sampled_from(
    [
        "cpu",
        "memory",
        "nvidia.com/gpu",
        "google.com/tpu",
        "aws.amazon.com/neuroncore",
        "nvidia.com/mig-1g.5gb",
    ]
)
params = st.dictionaries(
    st.sampled_from(["num-cpus", "port", "block", "resources", "dashboard-port", "log-color", "memory", "x"]),
    st.sampled_from(["1", "true", "false", "0", "'{\"TPU\": 4}'", "{", "6380", "", "TRUE"]),
    max_size=4,
)
env = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["RAY_REDIS_ADDRESS", "REDIS_PASSWORD", "A", "RAY_enable_autoscaler_v2"])},
        optional={"value": st.sampled_from(["1", "true", "redis:6379", ""])},
    ),
    max_size=3,
)
container = st.fixed_dictionaries(
    {"name": names, "image": st.just("rayproject/ray:2.53.0")},
    optional={
        "command": st.lists(st.sampled_from(["echo 1", "ray start", "python x.py"]), max_size=2),
        "args": st.lists(st.text(max_size=10), max_size=2),
        "env": env,
        "ports": st.lists(
            st.fixed_dictionaries(
                {"containerPort": st.integers(1, 65535)},
                optional={"name": st.sampled_from(["metrics", "serve", "dashboard", "gcs-server"])},
            ),
            max_size=3,
        ),
        "resources": st.fixed_dictionaries(
            {},
            optional={
                "limits": st.dictionaries(resource_names, quantities, max_size=3),
                "requests": st.dictionaries(resource_names, quantities, max_size=3),
            },
        ),
    },
)
containers = st.lists(container, min_size=1, max_size=2)
templates = st.fixed_dictionaries({"spec": st.fixed_dictionaries({"containers": containers})})
groups = st.fixed_dictionaries(
    {"groupName": names, "template": templates},
    optional={
        "replicas": st.integers(-2, 6),
        "minReplicas": st.integers(-1, 4),
        "maxReplicas": st.integers(-1, 8),
        "numOfHosts": st.integers(1, 3),
        "rayStartParams": params,
        "suspend": st.booleans(),
        "labels": st.dictionaries(
            st.sampled_from(["zone", "bad key!", "a/b"]), st.sampled_from(["x", "bad/v"])
        ),
        "resources": st.dictionaries(
            st.sampled_from(["CPU", "GPU", "memory", "TPU"]), quantities, max_size=2
        ),
    },
)
specs = st.fixed_dictionaries(
    {"headGroupSpec": st.fixed_dictionaries({"template": templates}, optional={"rayStartParams": params})},
    optional={
        "rayVersion": st.sampled_from(["2.52.0", "2.53.0", "nightly", "", "2.56"]),
        "workerGroupSpecs": st.lists(groups, max_size=3),
        "enableInTreeAutoscaling": st.booleans(),
        "autoscalerOptions": st.fixed_dictionaries({}, optional={"version": st.sampled_from(["v1", "v2"])}),
        "gcsFaultToleranceOptions": st.fixed_dictionaries(
            {},
            optional={
                "redisAddress": st.just("redis:6379"),
                "backend": st.sampled_from(["redis", "rocksdb"]),
            },
        ),
        "suspend": st.booleans(),
        "headServiceAnnotations": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    },
)
annotations = st.dictionaries(
    st.sampled_from(
        ["ray.io/ft-enabled", "ray.io/overwrite-container-cmd", "ray.io/enable-serve-service", "other"]
    ),
    st.sampled_from(["true", "false", "TRUE", "x"]),
    max_size=3,
)
rayclusters = st.fixed_dictionaries(
    {
        "apiVersion": st.just("ray.io/v1"),
        "kind": st.just("RayCluster"),
        "metadata": st.fixed_dictionaries(
            {"name": st.sampled_from(["raycluster-a", "b", "ok-cluster", "c" * 53])},
            optional={"namespace": st.sampled_from(["default", "ml"]), "annotations": annotations},
        ),
        "spec": specs,
    }
)


def with_junk(raycluster: dict[str, Any], path: list[str], junk: Any) -> dict[str, Any]:
    """The cluster with `junk` put at `path` (creating maps on the way)."""
    changed = copy.deepcopy(raycluster)
    node = changed
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = junk
    return changed


junk_paths = st.sampled_from(
    [
        ["metadata", "name"],
        ["metadata", "annotations"],
        ["spec"],
        ["spec", "headGroupSpec"],
        ["spec", "headGroupSpec", "template"],
        ["spec", "headGroupSpec", "template", "spec", "containers"],
        ["spec", "headGroupSpec", "rayStartParams"],
        ["spec", "headGroupSpec", "rayStartParams", "num-cpus"],
        ["spec", "workerGroupSpecs"],
        ["spec", "headGroupSpec", "headService"],
        ["spec", "autoscalerOptions"],
        ["spec", "gcsFaultToleranceOptions"],
        ["spec", "rayVersion"],
        ["spec", "enableInTreeAutoscaling"],
    ]
)
odd_names = st.sampled_from(["", "x" * 54, "1bad", "Upper", "-x", "a.b"])
malformed_rayclusters = st.tuples(rayclusters, junk_paths, json_values).map(
    lambda t: with_junk(*t)
) | st.tuples(rayclusters, odd_names).map(lambda t: with_junk(t[0], ["metadata", "name"], t[1]))

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(rayclusters | malformed_rayclusters)
def test_rendering_raises_only_render_errors_and_never_mutates_its_input(raycluster: dict[str, Any]) -> None:
    before = copy.deepcopy(raycluster)
    with contextlib.suppress(RenderError):
        render_raycluster(raycluster)
    assert raycluster == before


@PROPERTY_SETTINGS
@given(rayclusters)
def test_rendering_is_deterministic_byte_for_byte(raycluster: dict[str, Any]) -> None:
    try:
        first = yaml_stream(render_raycluster(raycluster).objects)
    except RenderError as error:
        with pytest.raises(RenderError) as again:
            render_raycluster(copy.deepcopy(raycluster))
        assert (again.value.message, again.value.field) == (error.message, error.field)
        return
    assert yaml_stream(render_raycluster(copy.deepcopy(raycluster)).objects) == first
