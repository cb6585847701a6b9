"""The value rules of the Connect API (reference §3): patterns and enumerations."""

from __future__ import annotations

import re

KEY_PATTERN = r"^[A-Za-z0-9_-]{2,256}$"
PROJECT_KEY_PATTERN = r"^[a-zA-Z0-9_-]{2,36}$"
PROJECT_IDENTIFIER_PATTERN = r"^[a-zA-Z0-9-_.]+:[a-zA-Z0-9-_]{2,36}$"
EMAIL_PATTERN = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"
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

_key_re = re.compile(KEY_PATTERN)


def integration_mask(types: list[str] | tuple[str, ...]) -> int:
    """A bit per integration type, so "any of these types" is one indexable-free AND."""
    mask = 0
    for name in types:
        mask |= 1 << INTEGRATION_TYPES.index(name)
    return mask


def is_valid_key(value: str) -> bool:
    return bool(_key_re.match(value))
