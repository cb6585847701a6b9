"""The value rules of connect.yaml, shared by the acceptance and the strict level."""

from __future__ import annotations

import re

# Every pattern is applied with fullmatch (JavaScript's ``$`` does not match before a
# trailing newline, Python's does) and ASCII classes (``\d`` is 0-9 only in JavaScript).
APPLICATION_NAME = re.compile(r"[a-zA-Z0-9_-]{2,256}", re.ASCII)
# The official pattern is ^(?!$)([a-zA-Z0-9_\-/]{0,256})+$ : a nested quantifier that
# backtracks exponentially on a long bad value, yet means exactly "one or more of these".
ENDPOINT = re.compile(r"[a-zA-Z0-9_\-/]+", re.ASCII)
CONFIGURATION_KEY = re.compile(r"[a-zA-Z0-9_]{2,256}", re.ASCII)
RESERVED_KEY = re.compile(r"PORT|K_SERVICE|K_REVISION|K_CONFIGURATION", re.ASCII | re.IGNORECASE)
# Not anchored in the official schema: a schedule passes when this appears anywhere in it.
CRON = re.compile(
    r"(@(annually|yearly|monthly|weekly|daily|hourly|reboot))"
    r"|(@every (\d+(ns|us|µs|ms|s|m|h))+)"
    r"|((((\d+,)+\d+|((\d+|\*)(\/|-)\d+)|\d+|\*) ?){5,7})",
    re.ASCII,
)

SERVICE = "service"
EVENT = "event"
JOB = "job"
ASSETS = "assets"
MC_APPLICATION = "merchant-center-custom-application"
MC_APP_ALIAS = "mc-app"
MC_VIEW = "merchant-center-custom-view"
# Listed by the official schema, with an endpoint, but deployable by nobody: the strict
# level accepts it (same verdict as the CLI), the acceptance level does not.
UNKNOWN = "unknown"

KNOWN_APPLICATION_TYPES = (SERVICE, EVENT, JOB, ASSETS, MC_APPLICATION, MC_APP_ALIAS, MC_VIEW)
MC_APPLICATION_TYPES = frozenset({MC_APPLICATION, MC_APP_ALIAS})
MERCHANT_CENTER_TYPES = frozenset({MC_APPLICATION, MC_APP_ALIAS, MC_VIEW})


def canonical_application_type(application_type: str) -> str:
    """``mc-app`` is the CLI's short name; the API's enum only knows the long one."""
    return MC_APPLICATION if application_type == MC_APP_ALIAS else application_type
