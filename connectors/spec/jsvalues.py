"""JavaScript value semantics that the official connect.yaml parser depends on.

The official parser is JavaScript: it reads YAML into plain JS objects and checks them
with a schema library. To give the same verdict and messages we must see the data the
way JavaScript does: object keys are strings in a fixed order, numbers have one type,
``trim`` knows its own set of blanks, and a plain object inherits a few names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# The names every plain JS object inherits. Counting with ``obj[name] = (obj[name] || 0) + 1``
# never reaches 2 for them, so the official duplicate checks cannot see these names.
JS_PROTOTYPE_NAMES = frozenset(
    {
        "__proto__",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toString",
        "valueOf",
    }
)

# String.prototype.trim removes these (ECMAScript WhiteSpace and LineTerminator);
# Python's str.strip differs (it also strips \x1c-\x1f and \x85, but not \ufeff).
_JS_BLANKS = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# An "array index" key, which JS objects list first, in ascending order.
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MAX_ARRAY_INDEX = 2**32 - 2


@dataclass(frozen=True)
class JsDate:
    """A YAML 1.1 timestamp: JavaScript makes a Date of it, which is neither string nor object."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class JsOpaque:
    """A value YAML tags can make that no connect.yaml field accepts (``!!binary`` makes a
    Uint8Array, ``!!set`` a Set, ``!!omap`` a Map): only its type name matters."""

    type_name: str


def js_type(value: Any) -> str:
    """The type name the schema library prints in "Expected X, received Y"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, JsDate):
        return "date"
    if isinstance(value, JsOpaque):
        return value.type_name
    if isinstance(value, dict):
        return "object"
    return "unknown"


def js_is_integer(value: int | float) -> bool:
    """Number.isInteger: 5.0 is an integer, infinities are not."""
    if isinstance(value, int):
        return True
    return math.isfinite(value) and value.is_integer()


def js_trim(text: str) -> str:
    return text.strip(_JS_BLANKS)


def js_number_str(value: int | float) -> str:
    """Number.prototype.toString(): ``1.0`` is "1", ``1e21`` is "1e+21", ``1e-7`` is "1e-7"."""
    if isinstance(value, int):
        if abs(value) < 2**53:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            value = math.inf if value > 0 else -math.inf
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as JavaScript does.
    digits_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()[1:]
    digits = "".join(str(d) for d in digits_tuple)
    k = len(digits)
    n = k + int(exponent)  # value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        power = n - 1
        text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text


def js_string(value: Any) -> str:
    """String(value) for the scalars a YAML file can hold."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number_str(value)
    return str(value)


def js_key_order(keys: Iterable[str]) -> list[str]:
    """The order of ``for (key in obj)``: array-index keys ascending, then insertion order."""
    indices: list[str] = []
    others: list[str] = []
    for key in keys:
        if _ARRAY_INDEX.fullmatch(key) and int(key) <= _MAX_ARRAY_INDEX:
            indices.append(key)
        else:
            others.append(key)
    indices.sort(key=int)
    return indices + others


def js_ordered(mapping: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``mapping`` whose iteration order is the one JavaScript would use."""
    order = js_key_order(mapping)
    if order == list(mapping):
        return mapping
    return {key: mapping[key] for key in order}
