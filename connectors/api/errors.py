"""Turns every exception raised under the API into the Connect error body.

``{"statusCode": N, "message": "...", "errors": [{"code": ..., "message": ..., ...}]}``.
An unexpected exception is logged and answered as a 500 ``General``, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from ..errors import ConnectError, ConnectErrors, InvalidJsonInput, InvalidToken, ResourceNotFound

logger = logging.getLogger(__name__)


def error_body(error: ConnectError) -> dict[str, Any]:
    errors = error.as_errors() if isinstance(error, ConnectErrors) else [error.as_error()]
    body: dict[str, Any] = {"statusCode": error.status, "message": error.message, "errors": errors}
    if error.status == 401 or error.code == "insufficient_scope":
        # OAuth clients read the top-level ``error`` of RFC 6750.
        body["error"] = error.code
        body["error_description"] = error.message
    return body


def _as_connect_error(exc: Exception) -> ConnectError:
    if isinstance(exc, ConnectError):
        return exc
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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    error = _as_connect_error(exc)
    response = Response(error_body(error), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="connect", error="invalid_token"'
    return response


def json_error_response(error: ConnectError) -> JsonResponse:
    """The same body outside DRF (URL resolver 404s, server errors)."""
    return JsonResponse(error_body(error), status=error.status)
