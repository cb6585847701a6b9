"""Turns every exception raised under the API into the Connect error body.

``{"statusCode": N, "message": "...", "errors": [{"code": ..., "message": ..., ...}]}``.
An unexpected exception is logged and answered as a 500 ``General``, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from ..errors import (
    ConnectError,
    ConnectErrors,
    InvalidInput,
    InvalidJsonInput,
    InvalidToken,
    RequestTooLarge,
    ResourceNotFound,
    TooManyRequests,
)

logger = logging.getLogger(__name__)


def error_body(error: ConnectError, *, oauth_error: str | None = None) -> dict[str, Any]:
    """The Connect error body; ``oauth_error`` adds RFC 6749's ``error`` (token endpoints)."""
    errors = error.as_errors() if isinstance(error, ConnectErrors) else [error.as_error()]
    body: dict[str, Any] = {"statusCode": error.status, "message": error.message, "errors": errors}
    if oauth_error is None and (error.status == 401 or error.code == "insufficient_scope"):
        # OAuth clients read the top-level ``error`` of RFC 6750.
        oauth_error = error.code
    if oauth_error is not None:
        body["error"] = oauth_error
        body["error_description"] = error.message
    return body


def _as_connect_error(exc: Exception) -> ConnectError:
    if isinstance(exc, ConnectError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return too_large()
    if isinstance(exc, SuspiciousOperation):
        # Too many fields or files, a malformed multipart body: the request, not the server.
        return InvalidInput("The request is not valid.", detailed=str(exc))
    if isinstance(exc, drf.Throttled):
        return TooManyRequests(retry_after=int(getattr(exc, "wait", None) or 1))
    if isinstance(exc, drf.ParseError):
        return InvalidJsonInput(
            "Request body does not contain valid JSON.", detailed=str(exc.detail)
        )
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return InvalidToken()
    if isinstance(exc, Http404 | drf.NotFound):
        return ResourceNotFound()
    if isinstance(exc, drf.APIException):
        error = ConnectError(str(exc.detail))
        error.status = exc.status_code
        error.code = {
            405: "MethodNotAllowed",
            406: "NotAcceptable",
            415: "InvalidInput",
            429: "TooManyRequests",
        }.get(exc.status_code, "InvalidInput")
        return error
    logger.exception("Unexpected error while answering an API request")
    return ConnectError()


def too_large() -> RequestTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return RequestTooLarge(f"The request body is larger than the limit of {limit} bytes.")


def _with_headers[R: HttpResponse](response: R, error: ConnectError) -> R:
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="connect", error="invalid_token"'
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    error = _as_connect_error(exc)
    response = _with_headers(Response(error_body(error), status=error.status), error)
    if isinstance(exc, drf.MethodNotAllowed) and context.get("view") is not None:
        response["Allow"] = ", ".join(context["view"].allowed_methods)
    return response


def json_error_response(error: ConnectError, *, oauth_error: str | None = None) -> JsonResponse:
    """The same body outside DRF (URL resolver 404s, server errors, the OAuth views)."""
    body = error_body(error, oauth_error=oauth_error)
    return _with_headers(JsonResponse(body, status=error.status), error)
