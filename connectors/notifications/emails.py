"""Who gets an email about a draft event, and what it says.

Creators (the members of the draft's project) hear about finished runs, certification
decisions and comments by others; certifiers (the ``certifiers`` group) about drafts
submitted for certification and about a creator's comment on a draft in certification
(only its certifier's, once one has claimed it). Nobody is told about their own action,
nobody without an email address, and nobody whose preferences turn that topic off.
Emails are plain text with a link to the draft's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from connectors.models import CertificationComment, ConnectorStaged, DraftEvent
from connectors.roles import CERTIFIERS_GROUP
from connectors.state import IN_CERTIFICATION_QUEUE

from .catalog import COMMENT, RUN_ENDS, Described
from .models import NotificationPreference

# The subject's start per event (creators'), and what the email's first line says.
HEADLINES: dict[str, tuple[str, str]] = {
    "preview_succeeded": ("Preview succeeded", "The preview of {name} succeeded."),
    "preview_failed": ("Preview failed", "The preview of {name} failed: see its report."),
    "publish_succeeded": ("Published", "{name} was published."),
    "publish_failed": ("Publishing failed", "Publishing {name} failed: see its report."),
    "submitted_for_certification": (
        "Submitted for certification",
        "{name} passed its checks and waits for a certifier.",
    ),
    "certification_approved": (
        "Certification approved",
        "A certifier approved {name}: it is published and certified.",
    ),
    "certification_rejected": (
        "Changes requested",
        "A certifier asks for changes to {name} before it can be certified.",
    ),
    "comment": ("New comment", "{actor} commented on {name}."),
    "submission": (
        "New submission for certification",
        "{name} of project {project} waits for a certifier.",
    ),
}


@dataclass(frozen=True)
class Note:
    """One email to send: to whom, on which topic, in which words."""

    user: Any
    topic: str  # a NotificationPreference topic
    headline: str  # a HEADLINES key
    page: str  # "draft" (the creator's page) or "review" (the certifier's)


def _creators(draft: ConnectorStaged) -> QuerySet[Any]:
    return draft.project.members.filter(is_active=True)


def _certifiers() -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name=CERTIFIERS_GROUP, is_active=True)


def _by_certifier(event: DraftEvent) -> bool:
    """Whether the event's comment is a certifier's: its actor's latest comment on the
    draft says (it was added by this event a moment ago), else the actor's group."""
    flag = (
        CertificationComment.objects.filter(draft_id=event.draft_id, user_id=event.actor)
        .order_by("-id")
        .values_list("by_certifier", flat=True)
        .first()
    )
    if flag is not None:
        return flag
    return _certifiers().filter(username=event.actor).exists()


def notes_for(event: DraftEvent, described: Described, draft: ConnectorStaged) -> list[Note]:
    """Every email the event asks for, before preferences (each person at most once)."""
    notes: list[Note] = []
    name = described.name
    if name in RUN_ENDS:
        notes += [Note(user, "runs", name, "draft") for user in _creators(draft)]
    if name == "submitted_for_certification":
        notes += [Note(user, "submissions", "submission", "review") for user in _certifiers()]
    if name in ("certification_approved", "certification_rejected"):
        notes += [Note(user, "decisions", name, "draft") for user in _creators(draft)]
    elif COMMENT in described.actions and described.comment:
        notes += [Note(user, "comments", "comment", "draft") for user in _creators(draft)]
        if not _by_certifier(event) and draft.status in IN_CERTIFICATION_QUEUE:
            certifiers = [draft.claimed_by] if draft.claimed_by_id else list(_certifiers())
            notes += [Note(user, "comments", "comment", "review") for user in certifiers]
    seen: set[Any] = set()
    unique = []
    for note in notes:
        if note.user.pk in seen or note.user.get_username() == event.actor:
            continue
        if not note.user.email:
            continue
        seen.add(note.user.pk)
        unique.append(note)
    return unique


def wanted(notes: list[Note]) -> list[Note]:
    """The notes whose person has not turned their topic off."""
    preferences = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(user__in=[n.user.pk for n in notes])
    }
    return [
        n for n in notes if n.user.pk not in preferences or preferences[n.user.pk].wants(n.topic)
    ]


def page_url(draft: ConnectorStaged, page: str) -> str:
    name = "certification-review" if page == "review" else "draft-detail"
    return settings.WORKBENCH_BASE_URL + reverse(name, args=[draft.id])


def message(
    note: Note, *, event: DraftEvent, described: Described, draft: ConnectorStaged
) -> EmailMessage:
    title, line = HEADLINES[note.headline]
    values = {"name": draft.name, "actor": event.actor, "project": draft.project.key}
    subject = " ".join(f"{title}: {draft.name}".split())[:200]
    body = render_to_string(
        "notifications/email.txt",
        {
            "headline": line.format(**values),
            "draft": draft,
            "event": event,
            "comment": described.comment,
            "reason": described.reason,
            "link": page_url(draft, note.page),
            "preferences": settings.WORKBENCH_BASE_URL + reverse("notification-preferences"),
            "as_certifier": note.page == "review",
        },
    )
    return EmailMessage(subject=subject, body=body, to=[note.user.email])
