"""What the web server checks before it serves anything."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def ensure_safe_to_serve() -> None:
    """Refuse to serve with DEBUG off and the development SECRET_KEY or no ALLOWED_HOSTS.

    Called when the ASGI or WSGI application is built (gunicorn, uvicorn), so a production
    server never starts on defaults meant for a laptop. Management commands (migrate,
    createsuperuser) are not stopped: they neither sign cookies nor answer requests.
    """
    if settings.DEBUG:
        return
    problems = []
    if not settings.SECRET_KEY or settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        problems.append(
            "SECRET_KEY is not set: give it a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )
    if not settings.ALLOWED_HOSTS:
        problems.append(
            "ALLOWED_HOSTS is empty: list the host names the server answers to, "
            "e.g. ALLOWED_HOSTS=workbench.example.com"
        )
    if problems:
        raise ImproperlyConfigured(
            "Connector Workbench will not serve with DEBUG off: " + "; ".join(problems) + "."
        )
