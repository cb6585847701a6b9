"""Drafts and Connectors as the API shows them (see ``schemas.ConnectorStaged``).

Plain dict building: the hot path of every read. The tests validate these dicts
against the pydantic response models, so the schema and the output cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .models import Connector, ConnectorFields, ConnectorStaged
from .state import Report


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, like the Connect API: 2023-08-08T12:20:31.143Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _creator(row: ConnectorFields) -> dict[str, Any]:
    creator: dict[str, Any] = {"email": row.creator_email}
    for field, name in (
        ("creator_name", "name"),
        ("creator_title", "title"),
        ("creator_company", "company"),
        ("creator_logo_url", "logoUrl"),
        ("creator_support_url", "supportUrl"),
    ):
        value = getattr(row, field)
        if value:
            creator[name] = value
    if row.creator_no_of_contributors is not None:
        creator["noOfContributors"] = row.creator_no_of_contributors
    return creator


def _shared(row: ConnectorFields) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if row.key is not None:
        data["key"] = row.key
    data["name"] = row.name
    if row.description:
        data["description"] = row.description
    data["integrationTypes"] = list(row.integration_types)
    data["creator"] = _creator(row)
    data["repository"] = {"url": row.repository_url, "tag": row.repository_tag}
    data["configurations"] = list(row.configurations)
    if row.global_configuration is not None:
        data["globalConfiguration"] = row.global_configuration
    if row.api_client is not None:
        data["apiClient"] = row.api_client
    data["private"] = row.private
    return data


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"type": entry["type"], "title": entry["title"]}
    if entry["message"] is not None:
        data["message"] = entry["message"]
    data["createdAt"] = timestamp(entry["created_at"])
    for name in ("application", "file", "line"):
        if entry[name] is not None:
            data[name] = entry[name]
    return data


def draft_representation(draft: ConnectorStaged) -> dict[str, Any]:
    """Expects ``entries`` and ``comments`` attached (``selectors.attach_details``)."""
    data: dict[str, Any] = {"id": str(draft.id), "version": draft.version}
    data.update(_shared(draft))
    data["privateProjects"] = list(draft.private_projects)
    data["supportedRegions"] = list(draft.supported_regions)
    if draft.comments:
        data["certificationInfo"] = {
            "comments": [
                {
                    "userId": c["user_id"],
                    "datetime": timestamp(c["datetime"]),
                    "comment": c["comment"],
                }
                for c in draft.comments
            ]
        }
    data["status"] = draft.status
    publishing = [_entry(e) for e in draft.entries if e["report"] == Report.PUBLISHING]
    preview = [_entry(e) for e in draft.entries if e["report"] == Report.PREVIEW]
    if publishing:
        data["publishingReport"] = {"entries": publishing}
    data["alreadyListed"] = draft.already_listed
    data["hasChanges"] = draft.has_changes
    data["isPreviewable"] = draft.is_previewable
    if preview:
        data["previewableReport"] = {"entries": preview}
    if draft.documentation_url:
        data["documentationUrl"] = draft.documentation_url
    data["createdAt"] = timestamp(draft.created_at)
    data["lastModifiedAt"] = timestamp(draft.last_modified_at)
    return data


def connector_representation(connector: Connector) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(connector.staged_id), "version": connector.version}
    data.update(_shared(connector))
    data["supportedRegions"] = list(connector.supported_regions)
    data["certified"] = connector.certified
    if connector.documentation_url:
        data["documentationUrl"] = connector.documentation_url
    data["createdAt"] = timestamp(connector.created_at)
    data["lastModifiedAt"] = timestamp(connector.last_modified_at)
    return data
