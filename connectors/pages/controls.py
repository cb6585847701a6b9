"""What the draft's state allows: the draft page's buttons, usable or disabled with a reason.

Each button asks the domain's refusal for the update action it sends (``drafts.refuse_*``),
so the reason beside a disabled button is the error the API would answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import drafts
from ..errors import ConnectError
from ..labels import last_rejection
from ..models import ConnectorStaged
from ..state import IN_CERTIFICATION_QUEUE, Previewable, Status


@dataclass(frozen=True)
class Control:
    """A button of the draft page: usable, or disabled with the reason shown beside it."""

    enabled: bool
    reason: str = ""


ENABLED = Control(True)


def _control(*refusals: ConnectError | None) -> Control:
    """Usable, or disabled with the message of the first refusal (the API's own error)."""
    for refusal in refusals:
        if refusal is not None:
            return Control(False, refusal.message)
    return ENABLED


@dataclass(frozen=True)
class DraftControls:
    edit: Control
    preview: Control
    publish: Control
    certify: Control
    unlist: Control
    private_projects: Control
    comment: Control = ENABLED
    delete: Control = ENABLED
    primary: str | None = None  # the button the state suggests next ("preview", "certify")
    next_step: str = ""  # what to do next, in a sentence


def next_step(draft: ConnectorStaged) -> tuple[str | None, str]:
    """The button the draft's state suggests, and why, in words."""
    if is_running(draft):
        return None, "A run is going on: its report fills in below."
    if draft.status in IN_CERTIFICATION_QUEUE:
        return None, "A certifier reviews this draft; you will see the decision here."
    if last_rejection(draft) is not None:
        return "preview", (
            "The certifier asked for changes: fix what they ask, run a preview, then publish "
            "for certification again."
        )
    if draft.status == Status.FAILED:
        return "preview", (
            "Publishing failed: see the publishing report, fix the repository, then run a "
            "preview again."
        )
    if draft.is_previewable == Previewable.FALSE:
        return "preview", "The last preview failed: fix the findings below, then run it again."
    if draft.is_previewable == Previewable.NONE:
        return "preview", "Run a preview to check the repository at its tag before publishing."
    if draft.status == Status.PUBLISHED and not draft.has_changes:
        return None, "Published. Change a field or the tag to publish again."
    return "certify", "The preview passed: publish privately, or for certification."


NOT_LISTED = Control(False, "The connector is not listed.")


def draft_controls(draft: ConnectorStaged) -> DraftControls:
    """Which of the draft page's buttons the draft's state allows, and why not.

    Each button asks the refusal of the update action it sends, so the reason shown
    beside it is the error the API would answer.
    """

    def publishing(action: str) -> ConnectError | None:
        return drafts.refuse_while_publishing(draft, [action])

    unlist = _control(publishing("unlist"))
    if unlist.enabled and not draft.already_listed:
        # Unlisting a connector that is not listed is harmless (the API accepts it); the
        # page only spares the click.
        unlist = NOT_LISTED
    primary, step = next_step(draft)
    return DraftControls(
        primary=primary,
        next_step=step,
        edit=_control(publishing("setName")),
        preview=_control(publishing("updatePreviewable"), drafts.refuse_preview(draft)),
        publish=_control(publishing("publish"), drafts.refuse_publish(draft)),
        certify=_control(publishing("publish"), drafts.refuse_certification(draft)),
        unlist=unlist,
        private_projects=_control(
            publishing("addPrivateProject"), drafts.refuse_private_projects(draft)
        ),
    )


def is_running(draft: ConnectorStaged) -> bool:
    """A pipeline works on the draft: its page follows the report live."""
    return draft.status == Status.PROCESSING or draft.is_previewable == Previewable.PENDING
