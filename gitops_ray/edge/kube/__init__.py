"""The Kubernetes edge: the only package that talks to an API server (the pure core never imports it)."""

from gitops_ray.edge.kube.api import KubeApi, gc_paused
from gitops_ray.edge.kube.client import WRITE_THREADS, connect, default_namespace
from gitops_ray.edge.kube.counting import RequestCounter
from gitops_ray.edge.kube.errors import KubeError

__all__ = [
    "WRITE_THREADS",
    "KubeApi",
    "KubeError",
    "RequestCounter",
    "connect",
    "default_namespace",
    "gc_paused",
]
