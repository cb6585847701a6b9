"""Request and response shapes of the webhook API, as pydantic models (see connectors.schemas)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from connectors.schemas import TEXT_PATTERN, Output, StrictInput, Url

WebhookUrl = Annotated[Url, StringConstraints(min_length=1)]
Description = Annotated[str, StringConstraints(max_length=256, pattern=TEXT_PATTERN)]


class WebhookEndpointDraft(StrictInput):
    url: WebhookUrl
    description: Description = ""
    enabled: bool = True


class WebhookEndpointUpdate(StrictInput):
    url: WebhookUrl | None = None
    description: Description | None = None
    enabled: bool | None = None


class WebhookEndpoint(Output):
    id: str
    url: str
    description: str
    enabled: bool
    createdAt: str
    lastModifiedAt: str
    secretRotatedAt: str | None = None


class WebhookEndpointWithSecret(WebhookEndpoint):
    """Only the answers of create and rotate carry the secret: it is never shown again."""

    secret: str


class WebhookEndpointList(Output):
    count: int
    results: list[WebhookEndpoint]


class WebhookAttempt(Output):
    number: int
    startedAt: str
    durationMs: int
    statusCode: int | None = None
    error: str | None = None


class WebhookDelivery(Output):
    id: str
    eventId: str
    type: str
    state: Literal["pending", "sending", "delivered", "failed"]
    attempts: int
    lastStatusCode: int | None = None
    nextAttemptAt: str | None = None
    deliveredAt: str | None = None
    createdAt: str
    attemptLog: list[WebhookAttempt]


class WebhookDeliveryPagedQueryResponse(Output):
    limit: int
    offset: int
    count: int
    total: int
    results: list[WebhookDelivery]
