"""The Connect API endpoints. Thin: parse, call a selector or a service, represent."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from .. import schemas, selectors, services
from ..drafts import Actor
from ..errors import InvalidQueryParam
from ..oauth import Principal
from ..parsing import load_json, parse_draft, parse_update
from ..representations import connector_representation, draft_representation
from ..update_actions import apply_update_actions
from ..values import KEY_PATTERN, MAX_INT32, ascii_integer
from . import query
from .authentication import require

ERRORS = {code: schemas.ErrorResponse for code in (400, 401, 403, 404, 409, 413)}


def _integer_schema(maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": maximum}


def _list_schema() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "maxItems": query.MAX_VALUES}


TEXT_SCHEMA = {"type": "string", "maxLength": query.MAX_TEXT}
PAGE_PARAMETERS = [
    OpenApiParameter("limit", _integer_schema(query.MAX_LIMIT), description="0 to 500, default 20"),
    OpenApiParameter(
        "offset", _integer_schema(query.MAX_OFFSET), description="0 to 10000, default 0"
    ),
    OpenApiParameter(
        "sort", _list_schema(), explode=True, description="e.g. 'createdAt desc', 'name asc'"
    ),
    OpenApiParameter("integrationTypes", _list_schema(), explode=True),
]


def _actor(request: Request) -> Actor:
    token = request.auth
    assert isinstance(token, Principal)
    return Actor(label=token.project.key)


def _paged(total: int, page: selectors.Page, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "limit": page.limit,
        "offset": page.offset,
        "count": len(results),
        "total": total,
        "results": results,
    }


@extend_schema(
    methods=["GET"],
    operation_id="queryConnectorStaged",
    parameters=[*PAGE_PARAMETERS, OpenApiParameter("isPrivate", bool)],
    responses={200: schemas.ConnectorStagedPagedQueryResponse, **ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="createConnectorStaged",
    request=schemas.ConnectorStagedDraft,
    responses={201: schemas.ConnectorStaged, **ERRORS},
)
@api_view(["GET", "HEAD", "POST"])
def drafts(request: Request) -> Response:
    if request.method == "POST":
        principal = require(request, "manage")
        body = parse_draft(load_json(request.body))
        draft = services.create_draft(project=principal.project, draft=body, actor=_actor(request))
        return Response(draft_representation(draft), status=201)
    principal = require(request, "view")
    params = request.query_params
    page = query.page(params)
    total, rows = selectors.query_drafts(
        projects=principal.project,
        page=page,
        is_private=query.boolean(params, "isPrivate"),
        integration_types=query.integration_types(params),
    )
    return Response(_paged(total, page, [draft_representation(d) for d in rows]))


def _reference(suffix: str) -> OpenApiParameter:
    """The path's id (a UUID, so that "drafts" or "search" is never read as one) or key."""
    if suffix == "ById":
        return OpenApiParameter("id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH)
    key = {"type": "string", "pattern": KEY_PATTERN}
    return OpenApiParameter("key", key, OpenApiParameter.PATH)


def _draft_view(suffix: str):
    """The same view for ``/{id}`` and ``/key={key}``, with an operation id each."""

    @extend_schema(
        methods=["GET"],
        operation_id=f"getConnectorStaged{suffix}",
        parameters=[_reference(suffix)],
        responses={200: schemas.ConnectorStaged, **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        operation_id=f"updateConnectorStaged{suffix}",
        parameters=[_reference(suffix)],
        request=schemas.ConnectorStagedUpdate,
        responses={201: schemas.ConnectorStaged, **ERRORS},
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id=f"deleteConnectorStaged{suffix}",
        parameters=[
            _reference(suffix),
            OpenApiParameter(
                "version",
                {"type": "integer", "minimum": 1, "maximum": MAX_INT32},
                description="checked like an update's",
            ),
        ],
        responses={200: schemas.ConnectorStaged, **ERRORS},
    )
    @api_view(["GET", "HEAD", "POST", "DELETE"])
    def view(request: Request, **ref: str) -> Response:
        return _draft(request, **ref)

    return view


def _connector_view(suffix: str):
    @extend_schema(
        operation_id=f"getConnector{suffix}",
        parameters=[_reference(suffix)],
        responses={200: schemas.Connector, **ERRORS},
    )
    @api_view(["GET", "HEAD"])
    def view(request: Request, **ref: str) -> Response:
        principal = require(request, "view")
        found = selectors.get_connector(project=principal.project, **ref)
        return Response(connector_representation(found))

    return view


def _draft(request: Request, **ref: str) -> Response:
    if request.method in ("GET", "HEAD"):
        principal = require(request, "view")
        found = selectors.get_draft(
            projects=principal.project, id=ref.get("id"), key=ref.get("key")
        )
        return Response(draft_representation(found))
    principal = require(request, "manage")
    if request.method == "DELETE":
        version = _version_param(request)
        deleted = services.delete_draft(
            projects=principal.project, actor=_actor(request), version=version, **ref
        )
        return Response(deleted)
    body = parse_update(load_json(request.body))
    apply_update_actions(
        projects=principal.project,
        version=body.version,
        actions=body.actions,
        actor=_actor(request),
        **ref,
    )
    updated = selectors.get_draft(projects=principal.project, id=ref.get("id"), key=ref.get("key"))
    return Response(draft_representation(updated), status=201)


def _version_param(request: Request) -> int | None:
    raw = request.query_params.get("version")
    if raw is None or raw == "":
        return None
    version = ascii_integer(raw)
    if version is None or version < 1:
        raise InvalidQueryParam(
            f"The query parameter 'version' must be a whole number from 1 to {MAX_INT32}.",
            detailed=f"version: '{raw[:40]}' is not a whole number from 1 to {MAX_INT32}.",
        )
    return version


draft = _draft_view("ById")
draft_by_key = _draft_view("ByKey")
connector = _connector_view("ById")
connector_by_key = _connector_view("ByKey")


@extend_schema(
    operation_id="searchConnectors",
    parameters=[
        *PAGE_PARAMETERS,
        OpenApiParameter("text", TEXT_SCHEMA),
        OpenApiParameter("private", bool),
        OpenApiParameter("creator.company", TEXT_SCHEMA),
        OpenApiParameter("id", _list_schema(), explode=True),
        OpenApiParameter("key", _list_schema(), explode=True),
    ],
    responses={200: schemas.ConnectorPagedQueryResponse, **ERRORS},
)
@api_view(["GET", "HEAD"])
def search(request: Request) -> Response:
    principal = require(request, "view")
    params = request.query_params
    page = query.page(params)
    total, rows = selectors.search_connectors(
        project=principal.project,
        page=page,
        text=query.text(params, "text"),
        private=query.boolean(params, "private"),
        company=query.text(params, "creator.company"),
        ids=query.values(params, "id"),
        keys=query.values(params, "key"),
        integration_types=query.integration_types(params),
    )
    return Response(_paged(total, page, [connector_representation(c) for c in rows]))
