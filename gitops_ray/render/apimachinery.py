"""Kubernetes' own helpers that KubeRay calls, reproduced for their exact results and messages: name and
label rules (`k8s.io/apimachinery/pkg/util/validation`) and version parsing (`.../pkg/util/version`)."""

from __future__ import annotations

import re

_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character"
)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character"
)
_GO_VERSION = re.compile(r"^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$", re.DOTALL)
_GO_UINT_MAX = 2**64 - 1


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """validation.RegexError, including its odd `', ' or ` separator (two spaces)."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _full_match(fmt: str, value: str) -> bool:
    return re.fullmatch(fmt, value) is not None


def is_dns1035_label(value: str) -> list[str]:
    """validation.IsDNS1035Label: the messages for a bad name, [] for a good one."""
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _full_match(_DNS1035_LABEL_FMT, value):
        errors.append(_regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errors


def _is_dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _full_match(_DNS1123_SUBDOMAIN_FMT, value):
        errors.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def is_qualified_name(value: str) -> list[str]:
    """validation.IsQualifiedName (label keys): `[prefix/]name`."""
    name_error = _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
    parts = value.split("/")
    if len(parts) > 2:
        return [
            f"a qualified name {name_error} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errors = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + message for message in _is_dns1123_subdomain(prefix))
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _full_match(_QUALIFIED_NAME_FMT, name):
        errors.append("name part " + name_error)
    return errors


def is_valid_label_value(value: str) -> list[str]:
    """validation.IsValidLabelValue."""
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _full_match(_LABEL_VALUE_FMT, value):
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def parse_generic_version(text: str) -> tuple[int, ...]:
    """Go's version.ParseGeneric (k8s.io/apimachinery): `2.52.0`, `v2.53`, `2.52.0rc1`; at least two numbers.

    Raises ValueError with Go's message, which KubeRay puts in its own (`could not parse "x" as version`).
    """
    match = _GO_VERSION.match(text)
    if match is None:
        raise ValueError(f'could not parse "{text}" as version')
    components = match.group(1).split(".")
    if len(components) < 2:
        raise ValueError(f'illegal version string "{text}"')
    if components[0].startswith("0") and components[0] != "0":
        raise ValueError(f'illegal zero-prefixed version component "{components[0]}" in "{text}"')
    numbers = tuple(int(component) for component in components)
    for component, number in zip(components, numbers, strict=True):
        if number > _GO_UINT_MAX:
            raise ValueError(
                f'illegal non-numeric version component "{component}" in "{text}": '
                f'strconv.ParseUint: parsing "{component}": value out of range'
            )
    return numbers


def version_at_least(version: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    """Version.AtLeast: missing components count as 0."""
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))
