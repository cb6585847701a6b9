"""The draft's editable fields, and form input turned into the API's request shapes.

The pages post plain HTML form fields. These functions build exactly the dicts the REST API
receives (a ConnectorStagedDraft, one update action) and validate them with the API's own
pydantic models, so a page refuses what the API refuses; ``errors_by_field`` places each
error beside the field it concerns and words it for people (``messages``), from the
location and rule the error carries as data, never from its message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

from django.http import QueryDict
from pydantic import BaseModel

from .. import schemas
from ..errors import ConnectError, ConnectErrors
from ..models import ConnectorStaged
from ..parsing import parse
from ..values import INTEGRATION_TYPES, REGIONS
from .messages import page_problems, sentence

# --- the editable fields of a draft --------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field of the draft page and the update action that changes it."""

    name: str  # the field's id on the page and in URLs (the API's name)
    label: str
    action: str  # the update action sent on save
    kind: str  # text, textarea, email, url, number, choices, repository
    param: str | None  # the action's parameter (None for repository: url and tag)
    attributes: tuple[str, ...]  # the model attributes it shows
    choices: tuple[str, ...] = ()
    required: bool = False
    hint: str = ""


EDITABLE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "Name", "setName", "text", "name", ("name",), required=True),
    FieldSpec(
        "description", "Description", "setDescription", "textarea", "description", ("description",)
    ),
    FieldSpec(
        "repository",
        "Repository",
        "setRepository",
        "repository",
        None,
        ("repository_url", "repository_tag"),
        required=True,
        hint="Saving reads connect.yaml at the tag again; a new tag needs a new preview.",
    ),
    FieldSpec(
        "integrationTypes",
        "Integration types",
        "setIntegrationTypes",
        "choices",
        "integrationTypes",
        ("integration_types",),
        choices=INTEGRATION_TYPES,
    ),
    FieldSpec(
        "supportedRegions",
        "Supported regions",
        "setSupportedRegions",
        "choices",
        "regions",
        ("supported_regions",),
        choices=REGIONS,
        required=True,
        hint="At least one region.",
    ),
    FieldSpec(
        "documentationUrl",
        "Documentation URL",
        "setDocumentationUrl",
        "url",
        "documentationUrl",
        ("documentation_url",),
    ),
    FieldSpec(
        "creatorName", "Creator name", "setCreatorName", "text", "creatorName", ("creator_name",)
    ),
    FieldSpec(
        "creatorTitle",
        "Creator title",
        "setCreatorTitle",
        "text",
        "creatorTitle",
        ("creator_title",),
    ),
    FieldSpec(
        "creatorEmail",
        "Creator email",
        "setCreatorEmail",
        "email",
        "creatorEmail",
        ("creator_email",),
        required=True,
    ),
    FieldSpec(
        "creatorCompany",
        "Creator company",
        "setCreatorCompany",
        "text",
        "creatorCompany",
        ("creator_company",),
    ),
    FieldSpec(
        "creatorNoOfContributors",
        "Number of contributors",
        "setCreatorNoOfContributors",
        "number",
        "creatorNoOfContributors",
        ("creator_no_of_contributors",),
        required=True,
        hint="A whole number, 1 or more.",
    ),
    FieldSpec(
        "creatorSupportUrl",
        "Creator support URL",
        "setCreatorSupportUrl",
        "url",
        "creatorSupportUrl",
        ("creator_support_url",),
    ),
    FieldSpec(
        "creatorLogo", "Creator logo URL", "setCreatorLogo", "url", "logoUrl", ("creator_logo_url",)
    ),
)
FIELDS_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in EDITABLE_FIELDS}

# Update action name -> the pydantic model the API validates it with.
ACTION_MODELS: dict[str, type[BaseModel]] = {
    get_args(model.model_fields["action"].annotation)[0]: model
    for model in schemas.UPDATE_ACTION_MODELS
}


def current_values(spec: FieldSpec, draft: ConnectorStaged) -> dict[str, Any]:
    """The field's current value as form values (what an edit form starts with)."""
    if spec.kind == "repository":
        return {"url": draft.repository_url, "tag": draft.repository_tag}
    value = getattr(draft, spec.attributes[0])
    if spec.kind == "choices":
        return {"value": list(value or [])}
    return {"value": "" if value is None else str(value)}


def posted_values(spec: FieldSpec, data: QueryDict) -> dict[str, Any]:
    """What the user typed, to show it again after an error or a conflict."""
    if spec.kind == "repository":
        return {"url": data.get("url", ""), "tag": data.get("tag", "")}
    if spec.kind == "choices":
        return {"value": data.getlist(spec.name)}
    return {"value": data.get(spec.name, "")}


def _optional(text: str) -> str | None:
    """An emptied optional field clears the value, as sending null does in the API."""
    return text if text != "" else None


def _integer(text: str) -> int | str | None:
    """ASCII digits become a number; anything else goes through as typed so the API rejects
    it (``int()`` would also take "١٢"); numbers too large for the API stay numbers, which
    the API's range check refuses."""
    stripped = text.strip()
    if stripped == "":
        return None
    if re.fullmatch(r"[0-9]{1,30}", stripped, re.ASCII):
        return int(stripped)
    return text


def action_body(spec: FieldSpec, data: QueryDict) -> dict[str, Any]:
    """The update action the API would receive for this field's form."""
    body: dict[str, Any] = {"action": spec.action}
    if spec.kind == "repository" or spec.param is None:
        body["url"] = _optional(data.get("url", "").strip())
        body["tag"] = data.get("tag", "").strip()
    elif spec.kind == "choices":
        body[spec.param] = data.getlist(spec.name)
    elif spec.kind == "number":
        body[spec.param] = _integer(data.get(spec.name, ""))
    elif spec.required:
        body[spec.param] = data.get(spec.name, "")
    else:
        body[spec.param] = _optional(data.get(spec.name, ""))
    return body


def parse_action(body: dict[str, Any]) -> BaseModel:
    """Validate one update action with the API's model. Raises ConnectErrors."""
    return parse(ACTION_MODELS[body["action"]], body)


# --- the create form ----------------------------------------------------------------------

CREATOR_FIELDS: tuple[tuple[str, str, str], ...] = (
    # (form and API name, label, input type)
    ("name", "Name", "text"),
    ("title", "Title", "text"),
    ("email", "Email", "email"),
    ("company", "Company", "text"),
    ("logoUrl", "Logo URL", "url"),
    ("noOfContributors", "Number of contributors", "number"),
    ("supportUrl", "Support URL", "url"),
)

_list_separator = re.compile(r"[\s,]+")


def draft_body(data: QueryDict) -> dict[str, Any]:
    """The ConnectorStagedDraft the API would receive for the create form.

    Empty optional fields are left out, as a client would leave them out of its JSON.
    """
    body: dict[str, Any] = {"name": data.get("name", "")}
    for name in ("key", "description", "documentationUrl"):
        if data.get(name, "") != "":
            body[name] = data.get(name)
    if data.getlist("integrationTypes"):
        body["integrationTypes"] = data.getlist("integrationTypes")
    if data.getlist("supportedRegions"):
        body["supportedRegions"] = data.getlist("supportedRegions")
    projects = [p for p in _list_separator.split(data.get("privateProjects", "")) if p]
    if projects:
        body["privateProjects"] = projects
    creator: dict[str, Any] = {"email": data.get("creator.email", "")}
    for name, _label, kind in CREATOR_FIELDS:
        raw = data.get(f"creator.{name}", "")
        if name == "email" or raw == "":
            continue
        creator[name] = _integer(raw) if kind == "number" else raw
    body["creator"] = creator
    body["repository"] = {
        "url": data.get("repository.url", "").strip(),
        "tag": data.get("repository.tag", "").strip(),
    }
    return body


# --- errors beside the fields ------------------------------------------------------------

GENERAL = "general"
# Errors that name no location but clearly concern one field: the repository's answer
# concerns its URL, the connect.yaml read at the tag concerns the tag (GitTagNotFound
# carries its own location).
_ERROR_FIELDS = {
    "GitRepositoryNotReachable": "repository.url",
    "ConnectorSpecificationFileNotFound": "repository.tag",
    "ConnectorSpecificationFileNotValid": "repository.tag",
}


def _errors(exc: ConnectError) -> list[ConnectError]:
    return list(exc.errors) if isinstance(exc, ConnectErrors) else [exc]


def errors_by_field(
    exc: ConnectError, *, aliases: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """The error messages of a ConnectError, in words for people, grouped by the form field
    they concern.

    An error with a location (``creator -> email``) goes to that field (``creator.email``,
    list positions dropped); one without goes to ``general`` (or the field the code concerns).
    Each message is the field's sentence for the rule that refused it (``messages``), else
    the API's own message.
    """
    aliases = aliases or {}
    grouped: dict[str, list[str]] = {}
    for error in _errors(exc):
        if error.location:
            key = ".".join(part for part in error.location if not part.isdigit())
            message = error.problem or error.message
        elif "field" in error.extra:
            key, message = str(error.extra["field"]), error.message
        else:
            key = _ERROR_FIELDS.get(error.code, GENERAL)
            message = str(error.extra.get("detailedErrorMessage") or error.message)
        message = sentence(error, key, message)
        key = aliases.get(key, key)
        if message not in grouped.get(key, []):
            grouped.setdefault(key, []).append(message)
    return grouped


def page_rule_errors(spec: FieldSpec, data: QueryDict) -> dict[str, list[str]]:
    """What the pages refuse in a field's form that the API would store (``messages.page_rule``),
    keyed as the field's form shows errors (``value``, ``url``)."""
    if spec.kind == "repository":
        return page_problems({"url": data.get("url", "")})
    problems = page_problems({spec.name: data.get(spec.name, "")})
    return {"value": problems[spec.name]} if problems else {}


def editor_summary(spec: FieldSpec, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """An inline editor's errors as its error summary lists them (each with the input it links
    to), when there are several; [] for one or none (it shows beside its input)."""
    if spec.kind == "repository":
        inputs = {
            "url": ("input-repository-url", "Git URL"),
            "tag": ("input-repository-tag", "Tag"),
        }
    else:
        inputs = {"value": (f"input-{spec.name}", spec.label)}
    items = [{"href": "", "label": "", "message": m} for m in errors.get(GENERAL, [])]
    for key, (input_id, label) in inputs.items():
        items += [
            {"href": f"#{input_id}", "label": label, "message": m} for m in errors.get(key, [])
        ]
    return items if len(items) > 1 else []
