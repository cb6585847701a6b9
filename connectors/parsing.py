"""Parsing request bodies into the schema models, with Connect-style errors.

One invalid field gives one ``InvalidJsonInput`` entry; several give several.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import ConnectErrors, InvalidJsonInput
from .schemas import ConnectorStagedDraft, ConnectorStagedUpdate

GENERIC_MESSAGE = "Request body does not contain valid JSON."


def _location(loc: tuple[Any, ...], data: Any) -> list[str]:
    """``["actions", "0", "name"]`` without pydantic's union tags in the path."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(node, dict) and item not in node and node.get("action") == item:
            # A discriminated-union tag (the action name): not a real key of the body.
            continue
        parts.append(str(item))
        node = (
            node.get(item)
            if isinstance(node, dict)
            else (
                node[item]
                if isinstance(node, list) and isinstance(item, int) and item < len(node)
                else None
            )
        )
    return parts


def _describe(error: Mapping[str, Any], data: Any) -> InvalidJsonInput:
    where = _location(error["loc"], data)
    kind = error["type"]
    given = error.get("input")
    message = GENERIC_MESSAGE
    if kind == "missing":
        problem = "Missing required value."
    elif kind == "extra_forbidden":
        problem = "Unknown field."
    elif kind == "union_tag_invalid":
        action = given.get("action") if isinstance(given, dict) else given
        problem = message = f"Unknown update action '{action}'."
    elif kind == "union_tag_not_found":
        problem = "An update action needs an 'action' field."
    elif kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        problem = f"Value '{given}' does not match the pattern {pattern}."
    elif kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        problem = f"Value '{given}' is not one of {expected}."
    else:
        problem = f"{error['msg']}."
    limits = {
        name: value
        for name, value in (error.get("ctx") or {}).items()
        if isinstance(value, str | int | float)
    }
    return InvalidJsonInput(message, at=where, problem=problem, rule=kind, rule_context=limits)


# No request shape nests deeper than a few levels; anything past this is an attack.
MAX_JSON_DEPTH = 32


def load_json(body: bytes) -> Any:
    """The parsed body. Raises InvalidJsonInput for malformed JSON, nesting deeper than
    MAX_JSON_DEPTH and a NUL character in any key or string (PostgreSQL cannot store it)."""
    if not body:
        raise InvalidJsonInput(GENERIC_MESSAGE, detailed="The request body is empty.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJsonInput(GENERIC_MESSAGE, detailed=f"Malformed JSON: {exc}.") from exc
    except RecursionError:
        raise InvalidJsonInput(
            GENERIC_MESSAGE, detailed=f"JSON nests deeper than {MAX_JSON_DEPTH} levels."
        ) from None
    _check_values(data)
    return data


def _check_values(data: Any) -> None:
    """Walk the parsed body without recursion: depth and NUL characters."""
    pending: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while pending:
        node, path = pending.pop()
        if len(path) > MAX_JSON_DEPTH:
            raise InvalidJsonInput(
                GENERIC_MESSAGE, detailed=f"JSON nests deeper than {MAX_JSON_DEPTH} levels."
            )
        if isinstance(node, str):
            if "\x00" in node:
                raise InvalidJsonInput(
                    GENERIC_MESSAGE, at=path, problem="NUL characters are not allowed."
                )
        elif isinstance(node, dict):
            for key, value in node.items():
                if "\x00" in key:
                    raise InvalidJsonInput(
                        GENERIC_MESSAGE, at=path, problem="NUL characters are not allowed in keys."
                    )
                pending.append((value, (*path, key)))
        elif isinstance(node, list):
            pending.extend((value, (*path, str(index))) for index, value in enumerate(node))


def parse[Model: BaseModel](model: type[Model], data: Any) -> Model:
    """Validate ``data`` against ``model``; every problem becomes one error entry."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConnectErrors([_describe(e, data) for e in exc.errors()[:50]]) from None


def parse_draft(data: Any) -> ConnectorStagedDraft:
    return parse(ConnectorStagedDraft, data)


def parse_update(data: Any) -> ConnectorStagedUpdate:
    return parse(ConnectorStagedUpdate, data)
