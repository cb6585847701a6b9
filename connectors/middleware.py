"""Every response carries ``X-Correlation-ID``: the caller's own, or a new one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_acceptable = re.compile(r"^[A-Za-z0-9/_.:-]{1,128}$")


class CorrelationIdMiddleware:
    header = "X-Correlation-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(self.header, "")
        correlation_id = given if _acceptable.match(given) else f"workbench/{uuid.uuid4()}"
        request.correlation_id = correlation_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[self.header] = correlation_id
        return response
