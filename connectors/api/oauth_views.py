"""POST /oauth/token and POST /oauth/introspect, compatible with the commercetools auth API.

Both check a client secret (a slow password hash): failures are counted per client id and
per address (``throttling``), and an unknown client id costs the same hash as a known one,
so the answer's timing does not tell whether a client id exists.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.views import TokenView

from ..errors import ConnectError, InvalidInput, MethodNotAllowed
from ..models import ApiClient
from ..oauth import active_api_client, check_client_secret, principal_for_token
from .errors import json_error_response
from .throttling import ensure_not_throttled, record_failure

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


def _oauth_error(error: ConnectError) -> HttpResponse:
    code = {405: "invalid_request", 429: "slow_down"}.get(error.status, "invalid_request")
    response = json_error_response(error, oauth_error=code)
    if isinstance(error, MethodNotAllowed):
        response["Allow"] = "POST"
    return response


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(client id, secret) of an HTTP Basic header, decoded as django-oauth-toolkit does.

    None without a usable header; raises InvalidInput for a NUL character (PostgreSQL
    cannot compare it, and it is never part of a client id).
    """
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Basic":
        return None
    try:
        decoded = base64.b64decode(encoded).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    client_id, secret = (unquote_plus(part) for part in decoded.split(":", 1))
    if "\x00" in client_id or "\x00" in secret:
        raise InvalidInput(detailed="The client credentials contain a NUL character.")
    return client_id, secret


def _claimed_client_id(request: HttpRequest) -> str | None:
    """The client id the caller claims (Basic header, else the form's ``client_id``)."""
    credentials = _basic_credentials(request)
    return credentials[0] if credentials else request.POST.get("client_id")


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _oauth_error(MethodNotAllowed("Use POST to request a token."))
    try:
        client_id = _claimed_client_id(request)
        ensure_not_throttled(request, client_id)
    except ConnectError as error:
        return _oauth_error(error)
    response = _with_error_body(_token_view(request))
    if response.status_code == 401:
        record_failure(request, client_id)
    return response


def _caller(credentials: tuple[str, str] | None) -> ApiClient | None:
    """The active API client behind Basic credentials, or None; always one hash's work."""
    client_id, secret = credentials or ("", "")
    application = Application.objects.filter(client_id=client_id).first() if client_id else None
    if not check_client_secret(secret, application.client_secret if application else None):
        return None
    return active_api_client(application)


@csrf_exempt
def introspect(request: HttpRequest) -> HttpResponse:
    """Token introspection (RFC 7662) for API clients, as the Connect CLI uses it.

    A client learns about its own project's tokens only: any other token is inactive.
    """
    if request.method != "POST":
        return _oauth_error(MethodNotAllowed("Use POST to introspect a token."))
    try:
        credentials = _basic_credentials(request)
        client_id = credentials[0] if credentials else None
        ensure_not_throttled(request, client_id)
    except ConnectError as error:
        return _oauth_error(error)
    caller = _caller(credentials)
    if caller is None:
        record_failure(request, client_id)
        return _with_error_body(JsonResponse({"error": "invalid_client"}, status=401))
    raw = request.POST.get("token", "")
    principal = principal_for_token(raw) if raw else None
    if principal is None or principal.project.id != caller.project_id:
        return JsonResponse({"active": False})
    found = AccessToken.objects.filter(token_checksum=principal.checksum).first()
    if found is None or found.is_expired():
        return JsonResponse({"active": False})
    return JsonResponse(
        {
            "active": True,
            "scope": found.scope,
            "client_id": principal.client_id,
            "exp": int(found.expires.timestamp()),
        }
    )
