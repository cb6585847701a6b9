"""What the pages say about refused input: one sentence per field and rule, for people.

The API keeps its own wording (``connectors.parsing``: "Value 'bad key!' does not match the
pattern …"). An error carries where it is (``location``) and which rule refused it (pydantic's
error type, ``rule``) as data; ``sentence`` turns that pair into words for the field's form,
the same in the create form and in the inline editors. A case not listed here keeps the API's
message.

The pages also refuse a little more than the API stores (``page_rule``): documentation,
support and logo URLs must be absolute web addresses with a real host name, and a Git URL
must be HTTPS or SSH. The API keeps accepting what the real Connect API accepts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from ..errors import ConnectError

# Where an error can be (a create body's ``creator.email``, an update action's
# ``creatorEmail``) -> the field it concerns, named as on the draft page.
FIELD_OF: dict[str, str] = {
    "key": "key",
    "name": "name",
    "description": "description",
    "documentationUrl": "documentationUrl",
    "integrationTypes": "integrationTypes",
    "supportedRegions": "supportedRegions",
    "regions": "supportedRegions",
    "privateProjects": "privateProjects",
    "privateProject": "privateProjects",
    "creator.name": "creatorName",
    "creatorName": "creatorName",
    "creator.title": "creatorTitle",
    "creatorTitle": "creatorTitle",
    "creator.email": "creatorEmail",
    "creatorEmail": "creatorEmail",
    "creator.company": "creatorCompany",
    "creatorCompany": "creatorCompany",
    "creator.logoUrl": "creatorLogo",
    "logoUrl": "creatorLogo",
    "creator.noOfContributors": "creatorNoOfContributors",
    "creatorNoOfContributors": "creatorNoOfContributors",
    "creator.supportUrl": "creatorSupportUrl",
    "creatorSupportUrl": "creatorSupportUrl",
    "repository.url": "repositoryUrl",
    "url": "repositoryUrl",
    "repository.tag": "repositoryTag",
    "tag": "repositoryTag",
}

WEB_URL = (
    "Enter a full web address starting with https:// or http://, like https://example.com/docs."
)
GIT_URL = (
    "Enter an HTTPS URL like https://github.com/owner/repository.git or an SSH URL like "
    "git@github.com:owner/repository.git."
)
EMAIL = "Enter an email address like name@example.com."
WHOLE_NUMBER = "Enter a whole number, 1 or more."
KEY = "Use 2 to 256 letters, digits, hyphens or underscores."
NAME = "Enter a name."
TAG = "Enter a Git tag like 1.0.0 (letters, digits, dots, hyphens, underscores, @ or /)."
PROJECT = (
    "Use region:projectKey, like europe-west1.gcp:my-shop (a project key has 2 to 36 letters, "
    "digits, hyphens or underscores)."
)

_STRING = ("missing", "string_type", "string_too_short")
_NUMBER = ("missing", "int_type", "int_parsing", "int_from_float", "greater_than_equal")
_URL = {"string_pattern_mismatch": WEB_URL, "string_type": WEB_URL}

# field -> rule (pydantic's error type, or the error code for domain errors) -> sentence
SENTENCES: dict[str, dict[str, str]] = {
    "key": {
        "string_pattern_mismatch": KEY,
        "string_type": KEY,
        "DuplicateField": "Another connector already uses this key: choose another one.",
    },
    "name": dict.fromkeys(_STRING, NAME),
    "creatorEmail": {**dict.fromkeys(_STRING, EMAIL), "string_pattern_mismatch": EMAIL},
    "creatorNoOfContributors": {
        **dict.fromkeys(_NUMBER, WHOLE_NUMBER),
        "less_than_equal": "Enter a whole number no larger than 2147483647.",
    },
    "creatorName": {"string_too_short": "Enter a name, or leave the field empty."},
    "creatorTitle": {"string_too_short": "Enter a title, or leave the field empty."},
    "creatorCompany": {"string_too_short": "Enter a company, or leave the field empty."},
    "documentationUrl": _URL,
    "creatorSupportUrl": _URL,
    "creatorLogo": _URL,
    "supportedRegions": {
        "too_short": "Choose at least one region.",
        "list_type": "Choose at least one region.",
        "missing": "Choose at least one region.",
        "literal_error": "Choose regions from the list.",
    },
    "integrationTypes": {"literal_error": "Choose integration types from the list."},
    "privateProjects": {"string_pattern_mismatch": PROJECT, "string_too_long": PROJECT},
    "repositoryUrl": {
        **dict.fromkeys(_STRING, "Enter the repository's Git URL."),
        "string_pattern_mismatch": GIT_URL,
        "repository_url_credentials": (
            "Remove the user name or password from the URL. For a private repository use an "
            "SSH URL like git@github.com:owner/repository.git with a deploy key."
        ),
    },
    "repositoryTag": {
        **dict.fromkeys(_STRING, "Enter the tag to read, like 1.0.0."),
        "string_pattern_mismatch": TAG,
        "string_too_long": "Use a tag of 255 characters or fewer.",
    },
}

# Rules that read the same for every field (``{…}``: the rule's limit).
ANY_FIELD: dict[str, str] = {
    "string_too_long": "Use {max_length} characters or fewer.",
    "extra_forbidden": "This value cannot be set here.",
}


def field_of(location: str) -> str:
    """The field a location names (``creator.email`` -> ``creatorEmail``); unknown ones as given."""
    return FIELD_OF.get(location, location)


def sentence(error: ConnectError, location: str, fallback: str) -> str:
    """Words for a person about ``error``, found at ``location`` (a form name or an API
    location with dots); ``fallback`` (the API's message) when no sentence fits."""
    rule = error.rule or error.code
    field = field_of(location)
    text = SENTENCES.get(field, {}).get(rule)
    if text is not None:
        return text
    general = ANY_FIELD.get(rule)
    if general is not None:
        try:
            return general.format(**error.rule_context)
        except (KeyError, IndexError, ValueError):
            return fallback
    return fallback


# --- the pages' own rules --------------------------------------------------------------------

_LABEL = re.compile(r"(?!-)[^\W_]([^\W_]|-){0,62}(?<!-)", re.UNICODE)
_SCP_LIKE = re.compile(r"[\w.-]+@(?P<host>[\w.-]+):(?!//)\S+", re.ASCII)


def _host_ok(host: str | None) -> bool:
    """A host people can reach: a name with a dot (or localhost), or an IP address."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    if host == "localhost":
        return True
    labels = host.rstrip(".").split(".")
    return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels)


def _network_url_ok(url: str, schemes: tuple[str, ...]) -> bool:
    if any(character.isspace() for character in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme in schemes
        and url.lower().startswith(f"{parts.scheme}://")
        and _host_ok(parts.hostname)
    )


def web_url_problem(value: str) -> str | None:
    """Why a documentation, support or logo URL is not a web address (None: it is, or empty)."""
    if value.strip() == "":
        return None
    return None if _network_url_ok(value.strip(), ("http", "https")) else WEB_URL


def git_url_problem(value: str) -> str | None:
    """Why a Git URL is neither HTTPS nor SSH (None: it is, or empty). ``file://`` passes
    where local repositories are allowed."""
    url = value.strip()
    if url == "":
        return None
    if url.startswith("file://") and settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES:
        return None
    if url.startswith(("https://", "ssh://")):
        parts_ok = _network_url_ok(url, ("https", "ssh"))
        return None if parts_ok and len(urlsplit(url).path) > 1 else GIT_URL
    scp_like = _SCP_LIKE.fullmatch(url)
    return None if scp_like and _host_ok(scp_like["host"]) else GIT_URL


PAGE_RULES = {
    "documentationUrl": web_url_problem,
    "creatorSupportUrl": web_url_problem,
    "creatorLogo": web_url_problem,
    "repositoryUrl": git_url_problem,
}


def page_rule(location: str, value: Any) -> str | None:
    """What the pages refuse in a field the API would store (None: nothing)."""
    rule = PAGE_RULES.get(field_of(location))
    return rule(value) if rule is not None and isinstance(value, str) else None


def page_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """``page_rule`` over form values keyed by their form names."""
    problems: dict[str, list[str]] = {}
    for name, value in values.items():
        problem = page_rule(name, value)
        if problem is not None:
            problems[name] = [problem]
    return problems
