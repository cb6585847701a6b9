"""The pages' forms, as Django forms.

Every form of a draft carries the version its region was rendered with (``VersionField``).
Values are validated by the API's own models (``fields.parse_action``, the draft schema),
so a page refuses what the API refuses, in words for people (``messages``), and a little
more (``messages.page_rule``: URLs people would call wrong); a form adds its errors to the
field the API error's location names.
"""

from __future__ import annotations

from typing import Any

from django import forms

from .. import schemas
from ..errors import ConnectError
from ..models import Project
from ..parsing import parse
from ..values import INTEGRATION_TYPES, REGIONS, ascii_integer
from .fields import CREATOR_FIELDS, GENERAL, draft_body, errors_by_field
from .messages import page_problems

# The create form's inputs the pages check beyond the API (``messages.page_rule``).
PAGE_CHECKED = ("documentationUrl", "creator.supportUrl", "creator.logoUrl", "repository.url")


class VersionField(forms.Field):
    """The draft version a form was rendered with: ASCII digits, else None (never an error
    here: a missing version is the write's ``MissingVersion``)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        return ascii_integer(value if isinstance(value, str) else None)


class DraftForm(forms.Form):
    """A form that changes one draft."""

    version = VersionField()

    def version_value(self) -> int | None:
        return self.fields["version"].clean(self.data.get("version"))


class CommentForm(DraftForm):
    comment = forms.CharField(required=False, strip=False)

    def typed(self) -> str:
        return str(self.data.get("comment", ""))


class PrivateProjectForm(DraftForm):
    privateProject = forms.CharField(required=False)

    def typed(self) -> str:
        return str(self.data.get("privateProject", "")).strip()


class DeleteForm(DraftForm):
    """The delete page's confirmation: the version the person saw."""


def _text() -> forms.CharField:
    """Typed text kept as typed: the API's model validates (and trims) it."""
    return forms.CharField(required=False, strip=False)


class _Choices(forms.MultipleChoiceField):
    """Checkboxes whose values the API's model checks (and words), not Django."""

    def valid_value(self, value: str) -> bool:
        return True


class DraftCreateForm(forms.Form):
    """A new draft: the fields of a ConnectorStagedDraft, and the project it belongs to.

    Input names are the API's (``creator.email``, ``repository.url``), so the fields are
    added by name. ``clean`` validates the body the API would receive with the API's model;
    ``draft`` is that model once the form is valid.
    """

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.projects = projects
        self.draft: schemas.ConnectorStagedDraft | None = None
        self.project: Project | None = None
        self.fields["project"] = forms.CharField(required=False)
        for name in ("key", "name", "description", "documentationUrl", "privateProjects"):
            self.fields[name] = _text()
        self.fields["integrationTypes"] = _Choices(
            required=False, choices=[(t, t) for t in INTEGRATION_TYPES]
        )
        self.fields["supportedRegions"] = _Choices(
            required=False, choices=[(r, r) for r in REGIONS]
        )
        for name, _label, _kind in CREATOR_FIELDS:
            self.fields[f"creator.{name}"] = _text()
        for name in ("repository.url", "repository.tag", "repository"):
            self.fields[name] = _text()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = next((p for p in self.projects if p.key == self.data.get("project")), None)
        if chosen is None and len(self.projects) == 1:
            chosen = self.projects[0]
        if chosen is None:
            self.add_error("project", "Choose the project the draft belongs to.")
        self.project = chosen
        try:
            self.draft = parse(schemas.ConnectorStagedDraft, draft_body(self.data))  # type: ignore[arg-type]
        except ConnectError as exc:
            self.add_api_errors(exc)
        typed = {name: self.data.get(name, "") for name in PAGE_CHECKED}
        for name, problems in page_problems(typed).items():
            if name not in self.errors:
                for problem in problems:
                    self.add_error(name, problem)
        return cleaned

    def add_api_errors(self, exc: ConnectError) -> None:
        """The API's errors, each beside the field its location names (else at the top)."""
        for key, messages in errors_by_field(exc).items():
            target = key if key in self.fields and key != GENERAL else None
            for message in messages:
                self.add_error(target, message)

    def error_lists(self) -> dict[str, list[str]]:
        """Errors by field name (``__all__``: the form's own), as plain strings."""
        return {name: [str(m) for m in errors] for name, errors in self.errors.items()}
