"""Errors outside the API views: JSON for API paths, a plain page elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request as html_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error

from ..errors import ConnectError, InvalidInput, ResourceNotFound
from .errors import json_error_response

API_PREFIXES = ("connectors/", "oauth/")


def is_api(request: HttpRequest) -> bool:
    # "//connectors/drafts" is still an API path: it gets the API's JSON errors.
    path = request.path.lstrip("/")
    return path.startswith(API_PREFIXES) or path == "connectors"


def refusal(request: HttpRequest, error: ConnectError) -> HttpResponse:
    """A refused request: the Connect error body on API paths, a short text elsewhere."""
    if not is_api(request):
        return HttpResponse(
            error.message, status=error.status, content_type="text/plain; charset=utf-8"
        )
    # OAuth clients read RFC 6749's ``error``, as in every other token endpoint error.
    oauth = request.path.lstrip("/").startswith("oauth/")
    return json_error_response(error, oauth_error="invalid_request" if oauth else None)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return json_error_response(InvalidInput("The request is not valid."))
    return html_bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error_response(ResourceNotFound(f"No endpoint at '{request.path}'."))
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_error_response(ConnectError())
    return html_server_error(request)
