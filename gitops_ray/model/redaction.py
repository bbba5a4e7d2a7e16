"""What counts as a secret, and where it is hidden.

Rendered output (`render`, `rendered/`, the review diff of two trees) shows exactly what is applied: only
Secret `data`/`stringData` values are replaced, since Git never holds anything else we could hide (a
credential written literally into a RayCluster is already in the repository; `source.credentials` warns
about it instead). Values read from the cluster are another matter: every live value people see passes
through `redact_field`, the one gate (`reconcile.compare` builds each FieldDiff with it), which also hides
literal credentials: env values with credential-like names, `--redis-password=` in a `ray start` line and
the `redis-password` rayStartParam (KubeRay copies both into Pods verbatim). A `$VAR` reference or a
`valueFrom` is not a secret and stays visible.
"""

from __future__ import annotations

import re
from typing import Any

from gitops_ray.model.objects import KubeObject

REDACTED = "<redacted>"
SECRET_VALUE_FIELDS = ("data", "stringData")
SENSITIVE_ENV_NAME = re.compile(
    r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|API_?KEY|PRIVATE_?KEY", re.IGNORECASE
)
SECRET_FLAG = re.compile(r"(--redis-password=)(?!\$)[^\s'\"]+")
SECRET_PARAMS = frozenset({"redis-password"})
# Switches, not credentials: `RAY_ENABLE_K8S_TOKEN_AUTH: "true"` names a token but holds none.
_FLAG_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1"})
_ENV_IN_PATH = re.compile(r"env\[name=([^\]]+)\]\.value$")


def literal(value: object) -> bool:
    """A value written out in full: not empty and not a `$VAR` reference."""
    return isinstance(value, str) and bool(value) and not value.startswith("$")


def credential_env(name: object, value: object) -> bool:
    """An env var whose name looks like a credential and whose value is one written out (not a flag)."""
    return (
        isinstance(name, str)
        and bool(SENSITIVE_ENV_NAME.search(name))
        and literal(value)
        and str(value).lower() not in _FLAG_VALUES
    )


def _redact_credentials(value: Any) -> Any:
    """`value` with every literal credential inside it replaced by `<redacted>` (a new structure)."""
    if isinstance(value, str):
        return SECRET_FLAG.sub(rf"\g<1>{REDACTED}", value)
    if isinstance(value, list):
        return [_redact_credentials(item) for item in value]
    if not isinstance(value, dict):
        return value
    redacted = {key: _redact_credentials(item) for key, item in value.items()}
    if credential_env(value.get("name"), value.get("value")):
        redacted["value"] = REDACTED
    for key in SECRET_PARAMS & value.keys():
        if literal(value[key]):
            redacted[key] = REDACTED
    return redacted


def redact_object(obj: KubeObject) -> KubeObject:
    """The object as rendered output shows it: a Secret's values replaced (keys kept, so reviewers see
    what exists); anything else unchanged, as it is applied."""
    if obj.get("kind") != "Secret":
        return obj
    redacted = dict(obj)
    for field in SECRET_VALUE_FIELDS:
        values = redacted.get(field)
        if isinstance(values, dict):
            redacted[field] = dict.fromkeys(values, REDACTED)
    return redacted


def redact_field(path: str, value: Any) -> Any:
    """One field's value as a diff against the cluster shows it; `path` as `compare.display_path` writes
    it. The one gate for values read from the cluster: literal credentials are hidden too."""
    match = _ENV_IN_PATH.search(path)
    if match and credential_env(match.group(1), value):
        return REDACTED
    if path.rsplit(".", 1)[-1].strip("[]") in SECRET_PARAMS and literal(value):
        return REDACTED
    return _redact_credentials(value)
