"""The webhook API: a project's endpoints and their deliveries. Thin: parse, call, represent.

The project is the token's, as everywhere in the API: reads need ``view_connectors``,
writes ``manage_connectors``; another project's endpoint is a 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from connectors import schemas as connect_schemas
from connectors.api import query
from connectors.api.authentication import require
from connectors.parsing import load_json, parse
from connectors.representations import timestamp

from . import schemas, selectors, services
from .models import WebhookDelivery, WebhookEndpoint

ERRORS = {code: connect_schemas.ErrorResponse for code in (400, 401, 403, 404, 409, 413)}
TAGS = ["Webhooks"]
ENDPOINT_ID = OpenApiParameter("id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter(
    "delivery_id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH
)
PAGE = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 0, "maximum": query.MAX_LIMIT},
        description="0 to 500, default 20",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": query.MAX_OFFSET},
        description="0 to 10000, default 0",
    ),
]


def _stamp(value: Any) -> str | None:
    return timestamp(value) if value is not None else None


def endpoint_representation(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "createdAt": timestamp(endpoint.created_at),
        "lastModifiedAt": timestamp(endpoint.last_modified_at),
    }
    if endpoint.secret_rotated_at is not None:
        body["secretRotatedAt"] = timestamp(endpoint.secret_rotated_at)
    if secret:
        body["secret"] = endpoint.secret
    return body


def delivery_representation(delivery: WebhookDelivery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(delivery.id),
        "eventId": delivery.event.event_id,
        "type": delivery.event.type,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "createdAt": timestamp(delivery.created_at),
        "attemptLog": [
            {
                "number": attempt.number,
                "startedAt": timestamp(attempt.started_at),
                "durationMs": attempt.duration_ms,
                **({"statusCode": attempt.status_code} if attempt.status_code else {}),
                **({"error": attempt.error} if attempt.error else {}),
            }
            for attempt in delivery.attempt_log.all()
        ],
    }
    for name, value in (
        ("lastStatusCode", delivery.last_status_code),
        ("nextAttemptAt", _stamp(delivery.next_attempt_at)),
        ("deliveredAt", _stamp(delivery.delivered_at)),
    ):
        if value is not None:
            body[name] = value
    return body


@extend_schema(
    methods=["GET"],
    operation_id="queryWebhookEndpoints",
    tags=TAGS,
    responses={200: schemas.WebhookEndpointList, **ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="createWebhookEndpoint",
    tags=TAGS,
    description="Register an endpoint. The answer carries its signing secret, shown only once.",
    request=schemas.WebhookEndpointDraft,
    responses={201: schemas.WebhookEndpointWithSecret, **ERRORS},
)
@api_view(["GET", "HEAD", "POST"])
def endpoints(request: Request) -> Response:
    if request.method == "POST":
        principal = require(request, "manage")
        draft = parse(schemas.WebhookEndpointDraft, load_json(request.body))
        created = services.create_endpoint(
            project=principal.project,
            url=draft.url,
            description=draft.description,
            enabled=draft.enabled,
            actor=principal.project.key,
        )
        return Response(endpoint_representation(created, secret=True), status=201)
    principal = require(request, "view")
    found = [endpoint_representation(e) for e in selectors.endpoints_of(principal.project)]
    return Response({"count": len(found), "results": found})


@extend_schema(
    methods=["GET"],
    operation_id="getWebhookEndpoint",
    tags=TAGS,
    parameters=[ENDPOINT_ID],
    responses={200: schemas.WebhookEndpoint, **ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="updateWebhookEndpoint",
    tags=TAGS,
    description="Change the URL, the description or whether the endpoint is enabled.",
    parameters=[ENDPOINT_ID],
    request=schemas.WebhookEndpointUpdate,
    responses={200: schemas.WebhookEndpoint, **ERRORS},
)
@extend_schema(
    methods=["DELETE"],
    operation_id="deleteWebhookEndpoint",
    tags=TAGS,
    parameters=[ENDPOINT_ID],
    responses={200: schemas.WebhookEndpoint, **ERRORS},
)
@api_view(["GET", "HEAD", "POST", "DELETE"])
def endpoint(request: Request, id: str) -> Response:
    if request.method in ("GET", "HEAD"):
        principal = require(request, "view")
        found = selectors.get_endpoint(project=principal.project, id=id)
        return Response(endpoint_representation(found))
    principal = require(request, "manage")
    found = selectors.get_endpoint(project=principal.project, id=id)
    if request.method == "DELETE":
        body = endpoint_representation(found)
        services.delete_endpoint(endpoint=found)
        return Response(body)
    update = parse(schemas.WebhookEndpointUpdate, load_json(request.body))
    updated = services.update_endpoint(
        endpoint=found, url=update.url, description=update.description, enabled=update.enabled
    )
    return Response(endpoint_representation(updated))


@extend_schema(
    operation_id="rotateWebhookEndpointSecret",
    tags=TAGS,
    description="A new signing secret, shown only in this answer; the old one signs nothing more.",
    parameters=[ENDPOINT_ID],
    request=None,
    responses={200: schemas.WebhookEndpointWithSecret, **ERRORS},
)
@api_view(["POST"])
def rotate_secret(request: Request, id: str) -> Response:
    principal = require(request, "manage")
    found = selectors.get_endpoint(project=principal.project, id=id)
    rotated = services.rotate_secret(endpoint=found)
    return Response(endpoint_representation(rotated, secret=True))


@extend_schema(
    operation_id="queryWebhookDeliveries",
    tags=TAGS,
    description="The endpoint's deliveries, newest first, each with its attempts.",
    parameters=[ENDPOINT_ID, *PAGE],
    responses={200: schemas.WebhookDeliveryPagedQueryResponse, **ERRORS},
)
@api_view(["GET", "HEAD"])
def endpoint_deliveries(request: Request, id: str) -> Response:
    principal = require(request, "view")
    found = selectors.get_endpoint(project=principal.project, id=id)
    page = query.page(request.query_params)
    rows = selectors.deliveries_of(found)
    results = [delivery_representation(d) for d in rows[page.offset : page.offset + page.limit]]
    return Response(
        {
            "limit": page.limit,
            "offset": page.offset,
            "count": len(results),
            "total": rows.count(),
            "results": results,
        }
    )


@extend_schema(
    operation_id="redeliverWebhook",
    tags=TAGS,
    description=(
        "Send a delivered or failed delivery again: the same event id and body, a new "
        "timestamp and signature, attempts from the start."
    ),
    parameters=[ENDPOINT_ID, DELIVERY_ID],
    request=None,
    responses={202: schemas.WebhookDelivery, **ERRORS},
)
@api_view(["POST"])
def redeliver(request: Request, id: str, delivery_id: str) -> Response:
    principal = require(request, "manage")
    found = selectors.get_endpoint(project=principal.project, id=id)
    delivery = selectors.get_delivery(endpoint=found, id=delivery_id)
    queued = services.redeliver(delivery=delivery)
    return Response(delivery_representation(queued), status=202)
