"""Query parameters of the list and search endpoints, with their bounds and errors."""

from __future__ import annotations

from django.http import QueryDict

from ..errors import InvalidQueryParam
from ..selectors import SORTABLE_FIELDS, Page
from ..values import INTEGRATION_TYPES, ascii_integer

MAX_LIMIT = 500
MAX_OFFSET = 10_000
MAX_TEXT = 256
MAX_VALUES = 50


def _integer(params: QueryDict, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = ascii_integer(raw, maximum=maximum)
    if value is None:
        raise InvalidQueryParam(
            f"The query parameter '{name}' must be a whole number from 0 to {maximum}.",
            detailed=f"{name}: '{raw[:40]}' is not a whole number from 0 to {maximum}.",
        )
    return value


def text(params: QueryDict, name: str) -> str | None:
    """A free-text parameter (search words, a company), at most MAX_TEXT characters."""
    raw = params.get(name) or None
    if raw is not None and len(raw) > MAX_TEXT:
        raise InvalidQueryParam(
            f"The query parameter '{name}' may have at most {MAX_TEXT} characters.",
            detailed=f"{name}: {len(raw)} characters, more than {MAX_TEXT}.",
        )
    return raw


def values(params: QueryDict, name: str) -> list[str]:
    """A repeated parameter (``id=a&id=b``), at most MAX_VALUES of them."""
    found = params.getlist(name)
    if len(found) > MAX_VALUES:
        raise InvalidQueryParam(
            f"The query parameter '{name}' may be given at most {MAX_VALUES} times.",
            detailed=f"{name}: given {len(found)} times, more than {MAX_VALUES}.",
        )
    return found


def boolean(params: QueryDict, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise InvalidQueryParam(
        f"The query parameter '{name}' must be true or false.",
        detailed=f"{name}: '{raw}' is not a boolean.",
    )


def integration_types(params: QueryDict) -> list[str]:
    given = [v for item in values(params, "integrationTypes") for v in item.split(",") if v]
    unknown = [v for v in given if v not in INTEGRATION_TYPES]
    if unknown:
        raise InvalidQueryParam(
            f"Unknown integration type '{unknown[0]}'.",
            detailed=(
                f"integrationTypes: '{unknown[0]}' is not one of {', '.join(INTEGRATION_TYPES)}."
            ),
        )
    return given


def sort(params: QueryDict) -> list[tuple[str, bool]]:
    result = []
    for raw in values(params, "sort"):
        parts = raw.split()
        field = parts[0] if parts else ""
        direction = parts[1].lower() if len(parts) > 1 else "asc"
        if field not in SORTABLE_FIELDS or direction not in ("asc", "desc") or len(parts) > 2:
            raise InvalidQueryParam(
                f"Invalid sort expression '{raw}'.",
                detailed=(
                    f"sort: '{raw}' must be '<field> asc|desc' with field one of "
                    f"{', '.join(SORTABLE_FIELDS)}."
                ),
            )
        result.append((field, direction == "desc"))
    return result


def page(params: QueryDict) -> Page:
    return Page(
        limit=_integer(params, "limit", 20, MAX_LIMIT),
        offset=_integer(params, "offset", 0, MAX_OFFSET),
        sort=sort(params),
    )
