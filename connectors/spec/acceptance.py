"""The acceptance level: what creating a draft (or changing its repository) requires.

Published connectors carry looser files than the CLI allows (a default on a secured key,
a schedule on a service, MC apps without ``required: true``, ``securedConfiguration: []``,
an empty ``standardConfiguration:``), and the API takes them. So this level only insists
on what the API cannot do without: a YAML file with a ``deployAs`` list whose entries
have a valid name and a known application type. Everything else is read leniently into
the configurations the API shows; the strict level (``strict.py``) judges the rest in the
preview and publish pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.errors import ConnectorSpecificationFileNotValid

from . import rules
from .jsvalues import js_string
from .loader import SpecFileError, load_spec


@dataclass(frozen=True)
class AcceptedSpecification:
    """What the API keeps from connect.yaml, in its own representation."""

    configurations: list[dict[str, Any]]  # ConnectorConfigurationApplication, one per app
    global_configuration: dict[str, Any] | None  # ConnectorGlobalConfiguration
    api_client: dict[str, Any] | None  # ConnectorApiClient
    applications: list[tuple[str, str]]  # (name, applicationType), in file order


def read_specification(data: bytes | str) -> AcceptedSpecification:
    """Read connect.yaml at the acceptance level.

    ``mc-app`` is reported as ``merchant-center-custom-application``: it is the CLI's
    short name for that type, and the API's application type enum only has the long one.
    Raises ConnectorSpecificationFileNotValid saying what is wrong and where.
    """
    try:
        document = load_spec(data)
    except SpecFileError as error:
        raise ConnectorSpecificationFileNotValid(
            f"connect.yaml is not a readable YAML file: {error}"
        ) from None
    if not isinstance(document, dict):
        raise _invalid("", "connect.yaml must be a mapping with a 'deployAs' list")
    deploy_as = document.get("deployAs")
    if not isinstance(deploy_as, list):
        raise _invalid("deployAs", "a list of applications is required")

    applications = [_application(entry, index) for index, entry in enumerate(deploy_as)]
    configurations = [
        {
            "applicationName": name,
            "applicationType": kind,
            "standardConfiguration": _standard_keys(configuration),
            "securedConfiguration": _secured_keys(configuration),
        }
        for name, kind, configuration in applications
    ]
    inherit_as = document.get("inheritAs")
    inherit_as = inherit_as if isinstance(inherit_as, dict) else {}
    return AcceptedSpecification(
        configurations=configurations,
        global_configuration=_global_configuration(inherit_as.get("configuration")),
        api_client=_api_client(inherit_as.get("apiClient")),
        applications=[(name, kind) for name, kind, _ in applications],
    )


def _invalid(path: str, problem: str) -> ConnectorSpecificationFileNotValid:
    where = f"[{path}]: " if path else ""
    return ConnectorSpecificationFileNotValid(f"connect.yaml is not valid: {where}{problem}")


def _application(entry: Any, index: int) -> tuple[str, str, Any]:
    where = f"deployAs.{index}"
    if not isinstance(entry, dict):
        raise _invalid(where, "each application must be a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not rules.APPLICATION_NAME.fullmatch(name):
        raise _invalid(
            f"{where}.name",
            f"{_shown(name)} is not a valid application name "
            "(2 to 256 letters, digits, '_' or '-')",
        )
    kind = entry.get("applicationType")
    if not isinstance(kind, str) or kind not in rules.KNOWN_APPLICATION_TYPES:
        known = ", ".join(rules.KNOWN_APPLICATION_TYPES)
        raise _invalid(
            f"{where}.applicationType",
            f"{_shown(kind)} is not a known application type (one of: {known})",
        )
    configuration = entry.get("configuration") if kind != rules.ASSETS else None
    return name, rules.canonical_application_type(kind), configuration


def _shown(value: Any) -> str:
    if value is None:
        return "a missing value"
    if isinstance(value, dict | list):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(js_string(value))


def _entry_lists(configuration: Any, which: str) -> list[dict[str, Any]]:
    """The entries of one configuration list that have a key; anything else is skipped."""
    if not isinstance(configuration, dict):
        return []
    entries = configuration.get(which)
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict) and _is_scalar(entry.get("key"))]


def _is_scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, dict | list)


def _text(value: Any) -> str:
    return js_string(value) if _is_scalar(value) else ""


def _configuration_key(entry: dict[str, Any], *, secured: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "key": _text(entry["key"]),
        "description": _text(entry.get("description")),
    }
    # A default on a secured key is accepted and dropped: secured keys have no default.
    # A default written as a YAML number or boolean is still the text it shows.
    if not secured and _is_scalar(entry.get("default")):
        fields["default"] = js_string(entry["default"])
    if isinstance(entry.get("required"), bool):
        fields["required"] = entry["required"]
    return fields


def _standard_keys(configuration: Any) -> list[dict[str, Any]]:
    entries = _entry_lists(configuration, "standardConfiguration")
    return [_configuration_key(entry, secured=False) for entry in entries]


def _secured_keys(configuration: Any) -> list[dict[str, Any]]:
    entries = _entry_lists(configuration, "securedConfiguration")
    return [_configuration_key(entry, secured=True) for entry in entries]


def _global_configuration(configuration: Any) -> dict[str, Any] | None:
    if not isinstance(configuration, dict):
        return None
    result: dict[str, Any] = {}
    if isinstance(configuration.get("standardConfiguration"), list):
        result["standardConfiguration"] = _standard_keys(configuration)
    if isinstance(configuration.get("securedConfiguration"), list):
        result["securedConfiguration"] = _secured_keys(configuration)
    return result


def _api_client(api_client: Any) -> dict[str, Any] | None:
    if not isinstance(api_client, dict) or not isinstance(api_client.get("scopes"), list):
        return None
    return {"scopes": [scope for scope in api_client["scopes"] if isinstance(scope, str) and scope]}
