"""Connecting: a kubeconfig (file and context) or, inside a Pod, the ServiceAccount the controller runs as."""

from __future__ import annotations

import os

from kubernetes.client import ApiClient, Configuration
from kubernetes.config import ConfigException, load_incluster_config, load_kube_config

from gitops_ray.edge.kube.api import KubeApi
from gitops_ray.edge.kube.counting import RequestCounter, count_requests
from gitops_ray.edge.kube.errors import KubeError

WRITE_THREADS = 4  # the benchmark's sweet spot; the connection pool holds a few more


def load_configuration(kubeconfig: str | None, context: str | None) -> Configuration:
    """In-cluster config when neither file nor context is given and we run in a Pod; else the kubeconfig."""
    configuration = Configuration()
    try:
        if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            load_incluster_config(client_configuration=configuration)
        else:
            load_kube_config(
                config_file=kubeconfig,
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
    except (ConfigException, OSError) as error:
        source = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        where = f" (context {context})" if context else ""
        raise KubeError(f"cannot load Kubernetes configuration from {source}{where}: {error}") from None
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, WRITE_THREADS * 2)
    return configuration


def connect(
    kubeconfig: str | None,
    context: str | None,
    *,
    user_agent: str | None = None,
    resend: bool = True,
) -> KubeApi:
    """A `KubeApi` whose every request is counted by verb.

    `user_agent` names this client in the API server's audit log. `resend=False` turns off urllib3's
    automatic retries: a fenced client checks a write once, before sending it, so a retry after a
    connect timeout could deliver it seconds later, past the check's deadline (the next cycle retries)."""
    configuration = load_configuration(kubeconfig, context)
    if not resend:
        configuration.retries = False
    api_client = ApiClient(configuration)
    if user_agent:
        api_client.user_agent = user_agent
    counter = RequestCounter()
    count_requests(api_client.rest_client, counter)
    return KubeApi(api_client, counter)
