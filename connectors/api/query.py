"""Query parameters of the list and search endpoints, with their bounds and errors."""

from __future__ import annotations

from django.http import QueryDict

from ..errors import InvalidQueryParam
from ..selectors import SORTABLE_FIELDS, Page
from ..values import INTEGRATION_TYPES

MAX_LIMIT = 500
MAX_OFFSET = 10_000


def _integer(params: QueryDict, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidQueryParam(
            f"The query parameter '{name}' must be an integer.",
            detailed=f"{name}: '{raw}' is not an integer.",
        ) from None
    if not 0 <= value <= maximum:
        raise InvalidQueryParam(
            f"The query parameter '{name}' must be between 0 and {maximum}.",
            detailed=f"{name}: {value} is out of range 0..{maximum}.",
        )
    return value


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
    values = [v for item in params.getlist("integrationTypes") for v in item.split(",") if v]
    unknown = [v for v in values if v not in INTEGRATION_TYPES]
    if unknown:
        raise InvalidQueryParam(
            f"Unknown integration type '{unknown[0]}'.",
            detailed=(
                f"integrationTypes: '{unknown[0]}' is not one of {', '.join(INTEGRATION_TYPES)}."
            ),
        )
    return values


def sort(params: QueryDict) -> list[tuple[str, bool]]:
    result = []
    for raw in params.getlist("sort"):
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
