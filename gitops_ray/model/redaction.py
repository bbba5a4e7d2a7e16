"""What counts as a secret, and its removal from everything people see (files, diffs, reports, logs).

Secret objects' values; literal values of credential-like env vars; `--redis-password=` in a generated
`ray start` line and the `redis-password` rayStartParam (KubeRay copies both into Pods verbatim). A
`$VAR` reference or a `valueFrom` is not a secret and stays visible.
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
_ENV_IN_PATH = re.compile(r"env\[name=([^\]]+)\]\.value$")


def _literal(value: object) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith("$")


def redact_credentials(value: Any) -> Any:
    """`value` with every credential inside it replaced by `<redacted>` (a new structure)."""
    if isinstance(value, str):
        return SECRET_FLAG.sub(rf"\g<1>{REDACTED}", value)
    if isinstance(value, list):
        return [redact_credentials(item) for item in value]
    if not isinstance(value, dict):
        return value
    redacted = {key: redact_credentials(item) for key, item in value.items()}
    name = value.get("name")
    if isinstance(name, str) and SENSITIVE_ENV_NAME.search(name) and _literal(value.get("value")):
        redacted["value"] = REDACTED
    for key in SECRET_PARAMS & value.keys():
        if _literal(value[key]):
            redacted[key] = REDACTED
    return redacted


def redact_object(obj: KubeObject) -> KubeObject:
    """A copy safe to show: Secret values replaced (keys kept, so reviewers see what exists), and
    literal credentials elsewhere redacted too."""
    redacted: KubeObject = redact_credentials(obj)
    if obj.get("kind") == "Secret":
        for field in SECRET_VALUE_FIELDS:
            values = redacted.get(field)
            if isinstance(values, dict):
                redacted[field] = {key: REDACTED for key in values}
    return redacted


def redact_field(path: str, value: Any) -> Any:
    """One field's value as a diff shows it; `path` as `compare.display_path` writes it."""
    match = _ENV_IN_PATH.search(path)
    if match and SENSITIVE_ENV_NAME.search(match.group(1)) and _literal(value):
        return REDACTED
    if path.rsplit(".", 1)[-1].strip("[]") in SECRET_PARAMS and _literal(value):
        return REDACTED
    return redact_credentials(value)
