"""django-oauth-toolkit plumbing: scopes come from the API client's project.

A client of project ``acme`` allowed ``manage_connectors`` may ask for
``manage_connectors:acme`` (and what that implies), nothing else; asking for no scope
gets all it is allowed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from .compiled import CompiledQuery
from .models import ApiClient, Project
from .values import SCOPE_NAMES

# What each scope lets a caller do, including what it implies.
SCOPE_GRANTS: dict[str, frozenset[str]] = {
    "manage_project": frozenset({"view", "manage"}),
    "manage_connectors": frozenset({"view", "manage"}),
    "view_connectors": frozenset({"view"}),
}


def active_api_client(application: Any) -> ApiClient | None:
    """The project API client of an OAuth application, unless it is missing or revoked."""
    if application is None:
        return None
    try:
        api_client = application.api_client
    except ApiClient.DoesNotExist:
        return None
    return None if api_client.revoked_at else api_client


def check_client_secret(secret: str, stored: str | None) -> bool:
    """Whether ``secret`` matches the stored hash; ``stored`` None means no such client.

    Then the same password hash runs on a throwaway, as Django's own sign-in does for an
    unknown user: a wrong client id takes as long as a wrong secret.
    """
    if stored is None:
        make_password(secret)
        return False
    return check_password(secret, stored)


def allowed_scopes(api_client: ApiClient) -> list[str]:
    """The full scopes a client may be granted, with the implied view scope."""
    names = set(api_client.scopes)
    if names & {"manage_connectors", "manage_project"}:
        names.add("view_connectors")
    return [f"{name}:{api_client.project.key}" for name in SCOPE_NAMES if name in names]


class ProjectScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return {name: name.replace("_", " ") for name in SCOPE_NAMES}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        api_client = active_api_client(application)
        return allowed_scopes(api_client) if api_client else []

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        api_client = active_api_client(application)
        return [f"{n}:{api_client.project.key}" for n in api_client.scopes] if api_client else []


class ClientCredentialsValidator(OAuth2Validator):
    """Refuses clients without an active project API client; times unknown ones like known."""

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        # django-oauth-toolkit's order (Basic header, then the body), noting whether either
        # found a client: only then did a secret's hash run.
        authenticated = self._authenticate_basic_auth(request)
        known = request.client is not None
        if not authenticated:
            authenticated = self._authenticate_request_body(request)
            known = known or request.client is not None
        if not authenticated and not known:
            # No such client id: spend the hash a known one costs.
            check_client_secret(getattr(request, "client_secret", None) or "", None)
        return authenticated

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        if active_api_client(client) is None:
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)


@dataclass(frozen=True)
class Principal:
    """Who calls the API: a project, with what the token's scopes allow."""

    project: Project
    grants: frozenset[str]
    client_id: str
    checksum: str  # of the token, the key of its row

    @property
    def label(self) -> str:
        return self.project.key

    def can(self, grant: str) -> bool:
        return grant in self.grants


def _token_rows(checksum: str):
    return AccessToken.objects.filter(token_checksum=checksum).values_list(
        "expires",
        "scope",
        "application__client_id",
        "application__api_client__revoked_at",
        "application__api_client__project_id",
        "application__api_client__project__key",
        "application__api_client__project__region",
    )[:1]


# Runs on every API request: compiled once, bound per request.
_TOKEN_LOOKUP = CompiledQuery(_token_rows, checksum="\u0000example-checksum")


# Recently seen tokens, so that a burst of requests does not look the same token up each
# time: checksum -> (monotonic time until which the answer holds, principal).
_recent: dict[str, tuple[float, Principal]] = {}
_RECENT_MAX = 10_000


def forget_recent_tokens() -> None:
    """Revocation calls this, so this process refuses revoked tokens at once."""
    _recent.clear()


def principal_for_token(raw_token: str) -> Principal | None:
    """The caller behind a bearer token, or None if it is unknown, expired or revoked.

    A valid answer is remembered for ``CONNECTORS_TOKEN_CACHE_SECONDS`` (never past the
    token's expiry); other processes therefore notice a revocation within that time.
    """
    checksum = hashlib.sha256(raw_token.encode("utf-8")).hexdigest()
    remembered = _recent.get(checksum)
    now = time.monotonic()
    if remembered is not None and remembered[0] > now:
        return remembered[1]
    principal, expires = _look_up(checksum)
    if principal is not None and settings.CONNECTORS_TOKEN_CACHE_SECONDS > 0:
        if len(_recent) >= _RECENT_MAX:
            _recent.clear()
        holds_for = min(
            settings.CONNECTORS_TOKEN_CACHE_SECONDS,
            (expires - timezone.now()).total_seconds(),
        )
        _recent[checksum] = (now + holds_for, principal)
    return principal


def _look_up(checksum: str) -> tuple[Principal | None, datetime]:
    """One query, reading only the columns it needs."""
    row = _TOKEN_LOOKUP.first_row(checksum=checksum)
    if row is None:
        return None, timezone.now()
    expires, scope, client_id, revoked_at, project_id, project_key, region = row
    if isinstance(expires, str):  # SQLite hands raw timestamps to a plain cursor
        expires = datetime.fromisoformat(expires)
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if project_id is None or revoked_at is not None or expires <= timezone.now():
        return None, expires
    project = Project(id=project_id, key=project_key, region=region)
    grants: set[str] = set()
    for granted in scope.split():
        name, _, key = granted.partition(":")
        if key == project_key:
            grants |= SCOPE_GRANTS.get(name, frozenset())
    principal = Principal(
        project=project, grants=frozenset(grants), client_id=client_id, checksum=checksum
    )
    return principal, expires
