"""The ``addCertificationComment`` update action, registered with the connectors app."""

from __future__ import annotations

from connectors import schemas
from connectors.drafts import Change
from connectors.models import CertificationComment
from connectors.update_actions import handles


@handles("addCertificationComment")
def add_certification_comment(change: Change, action: schemas.AddCertificationComment) -> None:
    CertificationComment.objects.create(
        draft=change.draft,
        user_id=change.actor.label,
        author=change.actor.user,
        by_certifier=change.actor.is_certifier,
        comment=action.comment,
    )
