"""The certifier pages' forms: the queue's filters, the rejection and the approval.

Values are validated by the domain (``services.reject`` refuses a reason that is not
offered, ``approve`` a note the API would refuse as a comment); these forms read what was
posted, as typed, and give it back to the page when it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.http import QueryDict

from connectors.pages.forms import DraftForm
from connectors.values import INTEGRATION_TYPES, REGIONS


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters from the query string. Lenient, like the drafts list: a value
    that is not understood (an old bookmark) is left out, and the page says which."""

    region: str = ""
    integration_type: str = ""
    mine: bool = False
    ignored: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params: QueryDict) -> QueueFilters:
        region = params.get("region", "").strip()
        integration_type = params.get("type", "").strip()
        ignored = []
        if region and region not in REGIONS:
            ignored.append(f"region “{region[:64]}”")
            region = ""
        if integration_type and integration_type not in INTEGRATION_TYPES:
            ignored.append(f"integration type “{integration_type[:64]}”")
            integration_type = ""
        return cls(
            region=region,
            integration_type=integration_type,
            mine=params.get("mine") in ("1", "on", "yes", "true"),
            ignored=ignored,
        )

    @property
    def active(self) -> bool:
        return bool(self.region or self.integration_type or self.mine)


class RejectForm(DraftForm):
    """The rejection: reasons chosen from the list (their codes) and free text."""

    reason = forms.CharField(required=False, strip=False)

    def codes(self) -> list[str]:
        data = self.data
        chosen = data.getlist("reasons") if isinstance(data, QueryDict) else []
        return [str(code) for code in chosen][:50]

    def typed(self) -> str:
        return str(self.data.get("reason", ""))


class ApproveForm(DraftForm):
    """The approval's confirmation step: an optional note, and the answer to "are you sure"."""

    note = forms.CharField(required=False, strip=False)

    def typed(self) -> str:
        return str(self.data.get("note", ""))

    def confirmed(self) -> bool:
        return self.data.get("confirm") == "yes"
