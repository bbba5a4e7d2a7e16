"""The official Kubernetes client is loaded without its generated models, and stays whole for other code."""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> str:
    """`code` in a fresh interpreter (module imports are per process), its stdout."""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_the_kube_edge_loads_no_generated_model_or_api_module() -> None:
    loaded = run_python(
        "import sys, gitops_ray.edge.kube.client, gitops_ray.edge.kube.lease\n"
        "generated = ('kubernetes.client.models', 'kubernetes.client.api.')\n"
        "print(sorted(m for m in sys.modules if m.startswith(generated)))"
    )

    assert loaded == "[]"


def test_a_later_import_of_the_whole_client_reuses_the_same_classes() -> None:
    same = run_python(
        "from gitops_ray.edge.kube import official\n"
        "from kubernetes.client import ApiClient, CoreV1Api, V1Pod\n"
        "from kubernetes.client.exceptions import ApiException\n"
        "print(official.ApiClient is ApiClient, official.ApiException is ApiException, CoreV1Api.__name__)"
    )

    assert same == "True True CoreV1Api"


def test_decoding_into_a_model_imports_the_models_on_demand() -> None:
    decoded = run_python(
        "import sys\n"
        "from gitops_ray.edge.kube import official\n"
        "before = 'kubernetes.client.models' in sys.modules\n"
        "pod = official.ApiClient()._ApiClient__deserialize({'metadata': {'name': 'p'}}, 'V1Pod')\n"
        "print(before, type(pod).__name__, pod.metadata.name)"
    )

    assert decoded == "False V1Pod p"


def test_the_whole_client_imported_later_decodes_into_models() -> None:
    names = run_python(
        "from gitops_ray.edge.kube import official\n"
        "from kubernetes import client\n"
        "listed = {'items': [{'reason': 'Applied', 'involvedObject': {}, 'metadata': {}}]}\n"
        "events = client.ApiClient()._ApiClient__deserialize(listed, 'CoreV1EventList')\n"
        "print(type(events).__name__, events.items[0].reason)"
    )

    assert names == "CoreV1EventList Applied"


def test_the_whole_client_imported_first_is_used_as_it_is() -> None:
    same = run_python(
        "import kubernetes.client\n"
        "from gitops_ray.edge.kube import official\n"
        "import kubernetes.client as whole\n"
        "print(official.ApiClient is whole.ApiClient, official.Configuration is whole.Configuration)"
    )

    assert same == "True True"
