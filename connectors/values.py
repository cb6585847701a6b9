"""The value rules of the Connect API (reference §3): patterns and enumerations."""

from __future__ import annotations

import re

KEY_PATTERN = r"^[A-Za-z0-9_-]{2,256}$"
PROJECT_KEY_PATTERN = r"^[a-zA-Z0-9_-]{2,36}$"
PROJECT_IDENTIFIER_PATTERN = r"^[a-zA-Z0-9-_.]+:[a-zA-Z0-9-_]{2,36}$"
# The reference's e-mail rule, with control characters refused too (our choice: \s leaves
# most of them through, and an address is shown on pages and sent to mail tools).
EMAIL_PATTERN = r"^[^\s@\x00-\x1f\x7f]+@[^\s@\x00-\x1f\x7f]+\.[^\s@\x00-\x1f\x7f]+$"
# Documentation, support and logo URLs: http or https only (no javascript:, data:, …),
# no control characters or spaces; empty clears the value.
WEB_URL_PATTERN = r"^(https?://[^\x00-\x20\x7f/?#]+([/?#][^\x00-\x20\x7f]*)?)?$"
REPOSITORY_URL_PATTERN = r"^((https)|(git@[\w.]+))(:(\/\/)?)([\w.@:/\-~]+)(\.git)$"
LOCAL_REPOSITORY_URL_PATTERN = r"^file:///[\w.@:/\-~ ]+$"
REPOSITORY_TAG_PATTERN = r"^(?!.*\.{2,})(?!\*)[^\W_][\w.@/-]{0,254}$"

REGIONS = (
    "europe-west1.gcp",
    "us-central1.gcp",
    "australia-southeast1.gcp",
    "us-east-2.aws",
    "eu-central-1.aws",
)

INTEGRATION_TYPES = (
    "analytics",
    "crm",
    "email",
    "erp",
    "giftcard",
    "marketplace",
    "oms",
    "other",
    "pim",
    "promotion",
    "psp",
    "search",
    "shipping",
    "tax",
)

SCOPE_NAMES = ("manage_project", "manage_connectors", "view_connectors")

# Integers stored in PostgreSQL ``integer`` columns (versions, counts): 32-bit signed.
MAX_INT32 = 2**31 - 1

_ascii_digits = re.compile(r"[0-9]{1,10}", re.ASCII)

# The user part of "scheme:[//]user[:password]@host…", up to the authority's last "@"
# (an scp-like git@host:path has no scheme and is not matched).
URL_USER_PART = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:(//)?)(?P<user>[^/?#]*)@")

_key_re = re.compile(KEY_PATTERN)


def integration_mask(types: list[str] | tuple[str, ...]) -> int:
    """A bit per integration type, so "any of these types" is one indexable-free AND."""
    mask = 0
    for name in types:
        mask |= 1 << INTEGRATION_TYPES.index(name)
    return mask


def is_valid_key(value: str) -> bool:
    return bool(_key_re.match(value))


def has_url_credentials(url: str) -> bool:
    """A user or password in a URL with a scheme: a token (https://ghp_…@github.com/…).

    ``ssh://git@host/…`` names the SSH user, which is no secret.
    """
    match = URL_USER_PART.match(url)
    return match is not None and match["user"] != "git"


def ascii_integer(raw: str | None, *, maximum: int = MAX_INT32) -> int | None:
    """``raw`` as a whole number from 0 to ``maximum``, or None.

    Only ASCII digits count: ``int()`` alone also takes "١٢", " 12", "+1" and "1_000".
    """
    if raw is None or not _ascii_digits.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= maximum else None
