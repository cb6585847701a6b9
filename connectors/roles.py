"""Who a signed-in person is to the dashboard: creator, certifier, support."""

from __future__ import annotations

from typing import Any

CERTIFIERS_GROUP = "certifiers"


def is_certifier(user: Any) -> bool:
    """Certifiers are the members of the ``certifiers`` group (remembered per request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_is_certifier", None)
    if cached is None:
        cached = user.groups.filter(name=CERTIFIERS_GROUP).exists()
        user._is_certifier = cached
    return cached


def is_creator(user: Any) -> bool:
    """Creators are members of at least one project."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.connector_projects.exists()
