"""POST /oauth/token and POST /oauth/introspect, compatible with the commercetools auth API."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from django.contrib.auth.hashers import check_password
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.views import TokenView

_token_view = TokenView.as_view()


def _with_error_body(response: HttpResponse) -> HttpResponse:
    """OAuth errors keep RFC 6749's ``error`` and gain the Connect error body around it."""
    if response.status_code < 400:
        return response
    try:
        data = json.loads(response.content or b"{}")
    except ValueError:
        data = {}
    code = data.get("error", "invalid_request")
    message = data.get("error_description") or {
        "invalid_client": (
            "Please provide valid client credentials using HTTP Basic Authentication."
        ),
        "invalid_scope": "The requested scope is not allowed for this client.",
        "unsupported_grant_type": "Only the client_credentials grant is supported.",
        "unauthorized_client": "This client may not use the client_credentials grant.",
    }.get(code, "The token request is not valid.")
    body = {
        "statusCode": response.status_code,
        "message": message,
        "errors": [{"code": code, "message": message}],
        "error": code,
        "error_description": message,
    }
    wrapped = JsonResponse(body, status=response.status_code)
    for header in ("WWW-Authenticate", "Cache-Control", "Pragma"):
        if header in response:
            wrapped[header] = response[header]
    return wrapped


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    return _with_error_body(_token_view(request))


def _client_from_basic(request: HttpRequest) -> Application | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    application = Application.objects.filter(client_id=client_id).first()
    if application is None or not check_password(secret, application.client_secret):
        return None
    return application


@csrf_exempt
@require_POST
def introspect(request: HttpRequest) -> HttpResponse:
    """Token introspection (RFC 7662) for API clients, as the Connect CLI uses it."""
    if _client_from_basic(request) is None:
        return _with_error_body(JsonResponse({"error": "invalid_client"}, status=401))
    raw = request.POST.get("token", "")
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    found = (
        AccessToken.objects.select_related("application").filter(token_checksum=checksum).first()
        if raw
        else None
    )
    if found is None or found.is_expired():
        return JsonResponse({"active": False})
    return JsonResponse(
        {
            "active": True,
            "scope": found.scope,
            "client_id": found.application.client_id,
            "exp": int(found.expires.timestamp()),
        }
    )
