"""Request-wide middleware: the correlation id, and the limits every request must respect.

Every response carries ``X-Correlation-ID``: the caller's own, or a new one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict

from config import logs

from .api.errors import too_large
from .api.fallbacks import refusal
from .errors import ConnectError, InvalidInput, InvalidPathParam, InvalidQueryParam

_acceptable = re.compile(r"^[A-Za-z0-9/_.:-]{1,128}$")


class CorrelationIdMiddleware:
    header = "X-Correlation-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(self.header, "")
        correlation_id = given if _acceptable.match(given) else f"workbench/{uuid.uuid4()}"
        request.correlation_id = correlation_id  # type: ignore[attr-defined]
        # Every log line of the request, and the tasks it sends, carry the id (config/logs.py).
        with logs.bound(correlation_id=correlation_id):
            response = self.get_response(request)
        response[self.header] = correlation_id
        return response


class RequestLimitsMiddleware:
    """Refuses, before any view runs, what PostgreSQL or a parser would choke on.

    A NUL character anywhere in the path, the query or a form (PostgreSQL cannot store it,
    and psycopg raises instead of sending it), a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413)
    and more than CONNECTORS_MAX_QUERY_PARAMETERS query parameters. API paths get the
    Connect error body; pages a short plain-text 400. JSON bodies are checked where they
    are parsed (``parsing.load_json``), with their location in the message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            problem = _problem(request)
        except RequestDataTooBig:
            problem = too_large()
        except SuspiciousOperation as exc:
            problem = InvalidInput("The request is not valid.", detailed=str(exc))
        if problem is not None:
            return refusal(request, problem)
        return self.get_response(request)


def _problem(request: HttpRequest) -> ConnectError | None:
    if "\x00" in request.path:
        return InvalidPathParam(detailed="The path contains a NUL character.")
    query = request.META.get("QUERY_STRING", "")
    limit = settings.CONNECTORS_MAX_QUERY_PARAMETERS
    if query and query.count("&") >= limit:
        return InvalidQueryParam(
            f"A request may have at most {limit} query parameters.",
            detailed=f"The query has {query.count('&') + 1} parameters; the limit is {limit}.",
        )
    if _has_nul(request.GET):
        return InvalidQueryParam(detailed="A query parameter contains a NUL character.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return InvalidInput(detailed="The Content-Length header is not a number.")
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return too_large()
    if request.method == "POST" and _has_nul(request.POST):  # forms only; JSON stays unread
        return InvalidInput(detailed="A form field contains a NUL character.")
    return None


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())
