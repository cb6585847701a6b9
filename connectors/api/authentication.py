"""Bearer tokens issued by POST /oauth/token."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from ..errors import InsufficientScope, InvalidToken
from ..oauth import Principal, principal_for_token


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[None, Principal] | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("The Authorization header must be 'Bearer <access token>'.")
        principal = principal_for_token(token.strip())
        if principal is None:
            raise InvalidToken()
        return None, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="connect"'


def require(request: Request, grant: str) -> Principal:
    """The caller, if its token allows ``grant`` ("view" or "manage"); else 401/403."""
    principal = request.auth
    if not isinstance(principal, Principal):
        raise InvalidToken("Missing access token.")
    if not principal.can(grant):
        scopes = "manage_connectors" if grant == "manage" else "view_connectors"
        raise InsufficientScope(
            f"Insufficient scope: this request needs '{scopes}:{principal.project.key}'."
        )
    return principal


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the bearer tokens in the OpenAPI schema (client-credentials flow)."""

    target_class = BearerTokenAuthentication
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {
                        "manage_project:{projectKey}": "everything in the project",
                        "manage_connectors:{projectKey}": "create, update, delete drafts",
                        "view_connectors:{projectKey}": "read drafts and Connectors",
                    },
                }
            },
        }
