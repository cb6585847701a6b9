"""Template helpers of the dashboard: roles, badges, the production diff, history details.

Everything here returns plain values; templates escape them (no ``mark_safe`` anywhere,
since names, messages and values come from repositories and users).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from connectors import labels
from connectors.diffs import FIELD_LABELS, NOT_SHOWN, show_value
from connectors.models import SHARED_FIELDS, Connector, ConnectorStaged
from connectors.roles import CERTIFIERS_GROUP, is_certifier, is_creator  # noqa: F401

register = template.Library()

register.filter("is_certifier", is_certifier)
register.filter("is_creator", is_creator)


PREVIEW_TONES = {"none": "neutral", "pending": "busy", "true": "good", "false": "bad"}
PREVIEW_LABELS = {
    "none": "No preview",
    "pending": "Preview running",
    "true": "Preview passed",
    "false": "Preview failed",
}


@register.filter
def draft_status(draft: ConnectorStaged) -> str:
    """The draft's state in words (``labels``): "Waiting for certification", "Changes requested"."""
    return labels.status_label(draft)


@register.filter
def rejection(draft: ConnectorStaged) -> Any:
    """The certifier's rejection behind a ``Failed`` draft (its history event), or None."""
    return labels.last_rejection(draft)


@register.filter
def draft_tone(draft: ConnectorStaged) -> str:
    return labels.status_tone(draft)


@register.filter
def preview_tone(value: str) -> str:
    return PREVIEW_TONES.get(value, "neutral")


@register.filter
def preview_label(value: str) -> str:
    return PREVIEW_LABELS.get(value, value)


# --- the diff against the production Connector ---------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    label: str
    production: str
    draft: str
    structured: bool  # shown as preformatted text


def diff_rows(draft: ConnectorStaged, connector: Connector | None) -> list[DiffRow]:
    """The shared fields whose draft value differs from the production Connector's."""
    if connector is None:
        return []
    rows = []
    for name in SHARED_FIELDS:
        if name in NOT_SHOWN:
            continue
        before, after = getattr(connector, name), getattr(draft, name)
        if before != after:
            structured = isinstance(before, dict | list) or isinstance(after, dict | list)
            structured = structured and name not in ("integration_types", "supported_regions")
            rows.append(
                DiffRow(
                    FIELD_LABELS.get(name, name), show_value(before), show_value(after), structured
                )
            )
    return rows


@register.simple_tag
def draft_diff(draft: ConnectorStaged, connector: Connector | None) -> list[DiffRow]:
    return diff_rows(draft, connector)


# --- history --------------------------------------------------------------------------------


@register.filter
def action_parameters(action: dict[str, Any]) -> list[tuple[str, str]]:
    """An update action's parameters (without its name) as (name, value) pairs."""
    if not isinstance(action, dict):
        return []
    return [(name, show_value(value)) for name, value in action.items() if name != "action"]


@register.filter
def event_actions(details: Any) -> list[dict[str, Any]]:
    if isinstance(details, dict) and isinstance(details.get("actions"), list):
        return [a for a in details["actions"] if isinstance(a, dict)]
    return []
