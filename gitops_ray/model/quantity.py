"""Kubernetes resource quantities (`500m`, `1Gi`, `1e3`) as exact fractions, read as Go reads them."""

from __future__ import annotations

import math
import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<exp>[eE][+-]?[0-9]+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """Parse a quantity given as YAML may deliver it (str, int or float)."""
    if isinstance(value, bool):
        raise QuantityError(f"quantities must match the regular expression, got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"quantities must be finite, got {value!r}")
        return Fraction(str(value))
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise QuantityError(
            "quantities must match the regular expression "
            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', got {text!r}"
        )
    number = Fraction(match["num"])
    if match["sign"] == "-":
        number = -number
    if match["exp"]:
        return number * Fraction(10) ** int(match["exp"][1:])
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    return number * _DECIMAL[suffix]


def ceil_value(quantity: Fraction) -> int:
    """Go's Quantity.Value(): rounded up to an integer (`500m` -> 1, `1500m` -> 2)."""
    return math.ceil(quantity)


def is_zero(value: object) -> bool:
    """True for a quantity equal to zero; unparsable values count as zero (Go's parse-or-zero)."""
    try:
        return parse_quantity(value) == 0
    except QuantityError:
        return True


def go_json_float(number: float) -> str:
    """Format a float as Go's encoding/json does (`4`, `0.5`, `1e+21`)."""
    if number == int(number) and abs(number) < 1e21:
        return str(int(number))
    absolute = abs(number)
    if absolute < 1e-6 or absolute >= 1e21:
        text = repr(number)
        mantissa, _, exponent = text.partition("e")
        sign = "-" if exponent.startswith("-") else "+"
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        return f"{mantissa}e{sign}{digits}"
    return repr(number)
