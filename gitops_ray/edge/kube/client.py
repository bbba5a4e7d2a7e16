"""Connecting: a kubeconfig (file and context) or, inside a Pod, the ServiceAccount the controller runs as."""

from __future__ import annotations

import os
from typing import Any

from gitops_ray.edge.kube.api import KubeApi
from gitops_ray.edge.kube.counting import RequestCounter, count_requests
from gitops_ray.edge.kube.errors import KubeError
from gitops_ray.edge.kube.official import (
    ApiClient,
    ConfigException,
    Configuration,
    list_kube_config_contexts,
    load_incluster_config,
    load_kube_config,
)

WRITE_THREADS = 4  # the benchmark's sweet spot; the connection pool holds a few more
SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def _in_cluster(kubeconfig: str | None, context: str | None) -> bool:
    return kubeconfig is None and context is None and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def default_namespace(kubeconfig: str | None, context: str | None) -> str:
    """The namespace kubectl would use: the context's, the Pod's own in a cluster, else `default`."""
    try:
        if _in_cluster(kubeconfig, context):
            with open(SERVICE_ACCOUNT_NAMESPACE, encoding="utf-8") as file:
                return file.read().strip() or "default"
        contexts, current = list_kube_config_contexts(config_file=kubeconfig)
    except (ConfigException, OSError) as error:
        raise KubeError(
            f"cannot read the current namespace from the Kubernetes configuration: {error}"
        ) from None
    chosen = next((item for item in contexts if item.get("name") == context), None) if context else current
    return str(((chosen or {}).get("context") or {}).get("namespace") or "default")


def load_configuration(kubeconfig: str | None, context: str | None) -> Any:
    """In-cluster config when neither file nor context is given and we run in a Pod; else the kubeconfig."""
    configuration = Configuration()
    try:
        if _in_cluster(kubeconfig, context):
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


def official_api_client(
    kubeconfig: str | None,
    context: str | None,
    *,
    user_agent: str | None = None,
    resend: bool = True,
) -> Any:
    """The official client's `ApiClient`, with its own connection pool.

    `user_agent` names this client in the API server's audit log. `resend=False` turns off urllib3's
    automatic retries: a fenced client checks a write once, before sending it, so a retry after a
    connect timeout could deliver it seconds later, past the check's deadline (the next cycle retries)."""
    configuration = load_configuration(kubeconfig, context)
    if not resend:
        configuration.retries = False
    api_client = ApiClient(configuration)
    if user_agent:
        api_client.user_agent = user_agent
    return api_client


def connect(
    kubeconfig: str | None,
    context: str | None,
    *,
    user_agent: str | None = None,
    resend: bool = True,
) -> KubeApi:
    """A `KubeApi` whose every request is counted by verb (`official_api_client` says what the options
    do)."""
    api_client = official_api_client(kubeconfig, context, user_agent=user_agent, resend=resend)
    counter = RequestCounter()
    count_requests(api_client.rest_client, counter)
    return KubeApi(api_client, counter)
