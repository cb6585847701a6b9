"""How a YAML scalar becomes a value: the core schema (YAML 1.2) and the YAML 1.1 schema.

The official parser reads connect.yaml with the npm ``yaml`` package, so these tables
follow its schemas rule for rule: the same patterns, in the same order, with the same
conversions (``010`` is ten under 1.2; ``yes`` is a boolean only under a ``%YAML 1.1``
directive). ruamel.yaml only tokenizes; values are decided here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .jsvalues import JsDate

TAG_PREFIX = "tag:yaml.org,2002:"
STR, NULL, BOOL, INT, FLOAT = (
    f"{TAG_PREFIX}{name}" for name in ("str", "null", "bool", "int", "float")
)
MAP, SEQ, TIMESTAMP, MERGE = (
    f"{TAG_PREFIX}{name}" for name in ("map", "seq", "timestamp", "merge")
)
# Tags that make a JavaScript value of another kind: the schema then names its type
# ("Expected string, received object"), as the official parser's does.
OPAQUE_SCALAR_TAGS = {f"{TAG_PREFIX}binary": "object"}  # a Uint8Array
OPAQUE_MAPPING_TAGS = {f"{TAG_PREFIX}set": "set"}
OPAQUE_SEQUENCE_TAGS = {f"{TAG_PREFIX}omap": "map"}
# A list of pairs reads as a list of one-key mappings.
PLAIN_SEQUENCE_TAGS = frozenset({f"{TAG_PREFIX}pairs"})

MERGE_KEY = object()  # the value of a YAML 1.1 "<<" key


class TagResolveError(ValueError):
    """An explicitly tagged scalar whose text does not fit its tag (``!!timestamp soon``)."""


def _js_parse_float(text: str) -> float:
    """parseFloat: the longest numeric prefix, NaN when there is none."""
    match = re.match(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", text)
    return float(match.group(0)) if match else math.nan


def _js_number(text: str) -> int | float:
    """Number(text) for the digit groups of a sexagesimal value."""
    if text == "":
        return 0
    if text.isdigit():
        return int(text)
    try:
        return float(text)
    except ValueError:
        return math.nan


def _signed(text: str, offset: int, radix: int) -> int | float:
    """YAML 1.1 integers: optional sign, a prefix of ``offset`` characters, underscores."""
    sign = text[0]
    if sign in "+-":
        offset += 1
    digits = text[offset:].replace("_", "")
    if not digits:
        return math.nan  # parseInt("") is NaN
    number = int(digits, radix)
    return -number if sign == "-" else number


def _sexagesimal(text: str) -> int | float:
    sign = text[0]
    body = text[1:] if sign in "+-" else text
    total: int | float = 0
    for part in body.replace("_", "").split(":"):
        total = total * 60 + _js_number(part)
    return -total if sign == "-" else total


def _special_float(text: str) -> float:
    if text[-3:].lower() == "nan":
        return math.nan
    return -math.inf if text[0] == "-" else math.inf


_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)"
    r"(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?"
)


def _timestamp(text: str) -> JsDate:
    if not _TIMESTAMP.fullmatch(text):
        raise TagResolveError("!!timestamp expects a date, starting with yyyy-mm-dd")
    return JsDate(text)


@dataclass(frozen=True)
class ScalarRule:
    tag: str
    pattern: re.Pattern[str] | None
    convert: Callable[[str], Any]
    key_only: bool = False  # the merge key "<<" is only special where a key is expected

    def matches(self, text: str) -> bool:
        return self.pattern is not None and self.pattern.fullmatch(text) is not None


def _rule(tag: str, pattern: str | None, convert: Callable[[str], Any], **kw: Any) -> ScalarRule:
    return ScalarRule(tag, re.compile(pattern, re.ASCII) if pattern else None, convert, **kw)


_NULL_RULE = _rule(NULL, r"(?:~|[Nn]ull|NULL)?", lambda _: None)
_SPECIAL_FLOAT = r"(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)"

CORE_RULES: tuple[ScalarRule, ...] = (
    _NULL_RULE,
    _rule(BOOL, r"(?:[Tt]rue|TRUE|[Ff]alse|FALSE)", lambda s: s[0] in "tT"),
    _rule(INT, r"0o[0-7]+", lambda s: int(s[2:], 8)),
    _rule(INT, r"[-+]?[0-9]+", lambda s: int(s, 10)),
    _rule(INT, r"0x[0-9a-fA-F]+", lambda s: int(s[2:], 16)),
    _rule(FLOAT, _SPECIAL_FLOAT, _special_float),
    _rule(FLOAT, r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+", _js_parse_float),
    _rule(FLOAT, r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)", _js_parse_float),
)

YAML11_RULES: tuple[ScalarRule, ...] = (
    _NULL_RULE,
    _rule(BOOL, r"(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)", lambda _: True),
    _rule(BOOL, r"(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)", lambda _: False),
    _rule(INT, r"[-+]?0b[0-1_]+", lambda s: _signed(s, 2, 2)),
    _rule(INT, r"[-+]?0[0-7_]+", lambda s: _signed(s, 1, 8)),
    _rule(INT, r"[-+]?[0-9][0-9_]*", lambda s: _signed(s, 0, 10)),
    _rule(INT, r"[-+]?0x[0-9a-fA-F_]+", lambda s: _signed(s, 2, 16)),
    _rule(FLOAT, _SPECIAL_FLOAT, _special_float),
    _rule(
        FLOAT,
        r"[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+",
        lambda s: _js_parse_float(s.replace("_", "")),
    ),
    _rule(FLOAT, r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*", lambda s: _js_parse_float(s.replace("_", ""))),
    _rule(MERGE, r"<<", lambda _: MERGE_KEY, key_only=True),
    _rule(INT, r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+", _sexagesimal),
    _rule(FLOAT, r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*", _sexagesimal),
    _rule(TIMESTAMP, _TIMESTAMP.pattern, _timestamp),
)


@dataclass(frozen=True)
class Schema:
    name: str
    rules: tuple[ScalarRule, ...]

    def resolve_plain(self, text: str, *, at_key: bool) -> Any:
        """An untagged plain scalar: the first rule whose pattern matches, else a string."""
        for rule in self.rules:
            if rule.key_only and not at_key:
                continue
            if rule.matches(text):
                return rule.convert(text)
        return text

    def resolve_tagged(self, tag: str, text: str) -> Any:
        """An explicitly tagged scalar (``!!int "12"``, ``!foo bar``)."""
        if tag == STR:
            return text
        if tag == TIMESTAMP and self.name == "core":
            # A "known tag" of the core schema: resolved, and an error if it does not fit.
            return _timestamp(text)
        candidates = [rule for rule in self.rules if rule.tag == tag and not rule.key_only]
        for rule in candidates:
            if rule.matches(text):
                return rule.convert(text)
        # An unknown tag, or a text its tag does not accept: the npm package warns and
        # keeps the text as a string.
        return text


CORE_SCHEMA = Schema("core", CORE_RULES)
YAML11_SCHEMA = Schema("yaml-1.1", YAML11_RULES)
