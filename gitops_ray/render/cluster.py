"""Read-only questions about a (defaulted) RayCluster that several render steps ask.

Every function takes the RayCluster as plain data after `defaults.apply_crd_defaults`.
"""

from typing import Any

from gitops_ray.model.objects import KubeObject
from gitops_ray.render import names
from gitops_ray.render.options import RenderOptions

MAX_INT32 = 2147483647
DEFAULT_HEAD_PORT = "6379"
# getDefaultPorts: ports exposed when the head Ray container declares none.
DEFAULT_SERVICE_PORTS: dict[str, int] = {
    "client": 10001,
    "gcs-server": 6379,
    "dashboard": 8265,
    "metrics": 8080,
    "serve": 8000,
}
METRICS_PORT_NAME = "metrics"
DEFAULT_METRICS_PORT = 8080


def meta(cluster: KubeObject) -> dict[str, Any]:
    return dict(cluster.get("metadata") or {})


def name(cluster: KubeObject) -> str:
    return str(meta(cluster).get("name") or "")


def namespace(cluster: KubeObject) -> str:
    return str(meta(cluster).get("namespace") or "default")


def annotations(cluster: KubeObject) -> dict[str, str]:
    return {str(k): str(v) for k, v in (meta(cluster).get("annotations") or {}).items()}


def labels(cluster: KubeObject) -> dict[str, str]:
    return {str(k): str(v) for k, v in (meta(cluster).get("labels") or {}).items()}


def spec(cluster: KubeObject) -> dict[str, Any]:
    return dict(cluster.get("spec") or {})


def head_group(cluster: KubeObject) -> dict[str, Any]:
    return dict(spec(cluster).get("headGroupSpec") or {})


def worker_groups(cluster: KubeObject) -> list[dict[str, Any]]:
    return [dict(g) for g in (spec(cluster).get("workerGroupSpecs") or [])]


def pod_spec(group: dict[str, Any]) -> dict[str, Any]:
    return dict((group.get("template") or {}).get("spec") or {})


def ray_container(group: dict[str, Any]) -> dict[str, Any]:
    """Container index 0 of a group's template (KubeRay never looks it up by name); {} if none."""
    containers = pod_spec(group).get("containers") or []
    return dict(containers[0]) if containers else {}


def env_value(container: dict[str, Any], env_name: str) -> str | None:
    """Plain `value` of the first env entry named `env_name` ("" for valueFrom), None if absent."""
    for entry in container.get("env") or []:
        if entry.get("name") == env_name:
            return str(entry.get("value") or "")
    return None


def has_env(container: dict[str, Any], env_name: str) -> bool:
    return any(entry.get("name") == env_name for entry in container.get("env") or [])


def head_port(cluster: KubeObject) -> str:
    """Head `rayStartParams["port"]` if present, else `6379`; used by head and workers."""
    params = head_group(cluster).get("rayStartParams") or {}
    return str(params["port"]) if "port" in params else DEFAULT_HEAD_PORT


def head_service_name(cluster: KubeObject) -> str:
    return names.head_service_name(name(cluster), spec(cluster))


def head_fqdn(cluster: KubeObject, options: RenderOptions) -> str:
    return names.fqdn(head_service_name(cluster), namespace(cluster), options.cluster_domain)


def is_gcs_ft_enabled(cluster: KubeObject) -> bool:
    """IsGCSFaultToleranceEnabled: annotation `ray.io/ft-enabled` true (any case) or options set."""
    if annotations(cluster).get("ray.io/ft-enabled", "").lower() == "true":
        return True
    return spec(cluster).get("gcsFaultToleranceOptions") is not None


def gcs_ft_backend(cluster: KubeObject) -> str:
    options = spec(cluster).get("gcsFaultToleranceOptions") or {}
    return str(options.get("backend") or "redis")


def autoscaling_enabled(cluster: KubeObject) -> bool:
    return bool(spec(cluster).get("enableInTreeAutoscaling"))


def autoscaler_version(cluster: KubeObject) -> str:
    """`autoscalerOptions.version` (`v1`, `v2`) or ``."""
    return str((spec(cluster).get("autoscalerOptions") or {}).get("version") or "")


def autoscaler_v2_enabled(cluster: KubeObject) -> bool:
    """Version v2, or head Ray container env `RAY_enable_autoscaler_v2` of `1`/`true` (older clusters)."""
    if autoscaler_version(cluster) == "v2":
        return True
    return env_value(ray_container(head_group(cluster)), "RAY_enable_autoscaler_v2") in ("1", "true")


def originated_from_crd(cluster: KubeObject) -> str:
    """`RayCluster`, `RayJob` or `RayService` (label `ray.io/originated-from-crd`)."""
    return labels(cluster).get("ray.io/originated-from-crd") or "RayCluster"


def service_port_map(cluster: KubeObject) -> dict[str, int]:
    """getServicePorts: head Ray container ports by name (unnamed: `<port>-port`), else defaults; +metrics."""
    ports: dict[str, int] = {}
    for port in ray_container(head_group(cluster)).get("ports") or []:
        number = int(port.get("containerPort") or 0)
        ports[str(port.get("name") or f"{number}-port")] = number
    if not ports:
        ports = dict(DEFAULT_SERVICE_PORTS)
    ports.setdefault(METRICS_PORT_NAME, DEFAULT_METRICS_PORT)
    return ports


def desired_replicas(group: dict[str, Any]) -> int:
    """GetWorkerGroupDesiredReplicas: replicas clamped to [min, max] (nil: min); 0 if suspended. Per host."""
    if group.get("suspend"):
        return 0
    minimum = int(group.get("minReplicas") or 0)
    maximum = group.get("maxReplicas")
    maximum = MAX_INT32 if maximum is None else int(maximum)
    replicas = group.get("replicas")
    if replicas is None or int(replicas) < minimum:
        return minimum
    if int(replicas) > maximum:
        return maximum
    return int(replicas)


def num_of_hosts(group: dict[str, Any]) -> int:
    return int(group.get("numOfHosts") or 1)
