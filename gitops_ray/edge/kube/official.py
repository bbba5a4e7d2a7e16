"""The parts of the official Kubernetes client gitops-ray uses, loaded without its ~700 generated models.

`import kubernetes` (and any `import kubernetes.<module>`) first runs the package's `__init__`, which
imports every API class and every model class: about 30 MB of memory and 0.2 s of CPU in every process
(kubernetes-client/python#771, open since 2019). gitops-ray reads and writes plain JSON through
`ApiClient.call_api` (`transport.py`) and never decodes into models, so it loads only `client.configuration`,
`client.exceptions`, `client.rest`, `client.api_client` and `config` (kubeconfig, exec plugins, OIDC,
in-cluster), under stand-in parent packages whose `__init__` does not run. `api_client` keeps the name
`kubernetes` only to look model classes up when decoding into them; its stand-in models package imports
the real one on that first look-up.

The stand-ins are removed from `sys.modules` once these modules are loaded: an `import kubernetes`
elsewhere in the same process then loads the whole package as usual, and it reuses these very modules
(same classes).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

STAND_INS = ("kubernetes", "kubernetes.client", "kubernetes.client.models")
CLIENT_NAMES = (
    ("configuration", "Configuration"),
    ("api_client", "ApiClient"),
    ("exceptions", "ApiException"),
)


def _model(name: str) -> Any:
    """A model class, from the real models package (imported whole on the first call)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module("kubernetes.client.models"), name)


def _stand_in(name: str) -> types.ModuleType:
    """An empty module for package `name`: submodules import from its real directory, its `__init__` never
    runs. The models package's stand-in hands out the real classes, on demand."""
    module = types.ModuleType(name)
    if name == "kubernetes.client.models":
        module.__getattr__ = _model  # type: ignore[method-assign]
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"the Kubernetes client is not installed (no package {name})")
    module.__spec__ = spec
    module.__path__ = list(spec.submodule_search_locations)
    return module


def _load() -> tuple[Any, Any]:
    """The modules `kubernetes.client` (its few names used here) and `kubernetes.config`."""
    if "kubernetes" in sys.modules:  # already imported whole (a test, the benchmark): nothing to save
        return importlib.import_module("kubernetes.client"), importlib.import_module("kubernetes.config")
    stand_ins: dict[str, types.ModuleType] = {}
    try:
        for name in STAND_INS:  # one at a time: finding a subpackage imports its parent
            stand_ins[name] = sys.modules[name] = _stand_in(name)
            parent, _, child = name.rpartition(".")
            if parent:  # `import kubernetes.client.models` binds `kubernetes`: its attributes must lead on
                setattr(stand_ins[parent], child, stand_ins[name])
        client = stand_ins["kubernetes.client"]
        for module, name in CLIENT_NAMES:
            setattr(client, name, getattr(importlib.import_module(f"kubernetes.client.{module}"), name))
        config = importlib.import_module("kubernetes.config")  # imports ApiClient, Configuration from client
    finally:
        for name in STAND_INS:
            if name in stand_ins and sys.modules.get(name) is stand_ins[name]:
                del sys.modules[name]
    return client, config


_client, _config = _load()
ApiClient: Any = _client.ApiClient
ApiException: Any = _client.ApiException
Configuration: Any = _client.Configuration
ConfigException: Any = _config.ConfigException
list_kube_config_contexts: Any = _config.list_kube_config_contexts
load_incluster_config: Any = _config.load_incluster_config
load_kube_config: Any = _config.load_kube_config
