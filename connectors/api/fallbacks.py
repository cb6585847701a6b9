"""404 and 500 outside the API views: JSON for API paths, a plain page elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error

from ..errors import ConnectError, ResourceNotFound
from .errors import json_error_response

API_PREFIXES = ("/connectors/", "/oauth/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or request.path == "/connectors"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(ResourceNotFound(f"No endpoint at '{request.path}'."))
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_error_response(ConnectError())
    return html_server_error(request)
