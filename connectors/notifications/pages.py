"""The dashboard's notification pages: a person's email preferences, a project's webhooks.

Members of a project manage its webhooks (anyone else gets a 404). Every write is a form
post calling the same service as the API: with htmx the changed region comes back, without
it the page redirects (PRG). A new or rotated secret waits in the server-side session until
one page shows it, once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from connectors.errors import ConnectError, ConnectErrors, ResourceNotFound
from connectors.models import Project
from connectors.pages.base import HtmxHttpRequest
from connectors.parsing import parse
from connectors.roles import is_certifier

from . import schemas, selectors, services
from .models import WebhookEndpoint

DELIVERY_LOG_LIMIT = 50
ISSUED_SECRET = "notifications:issued-secret"
TOPICS = {
    "runs": "Finished previews and publishes of my projects' drafts",
    "comments": "Certification comments by others",
    "decisions": "Certification decisions on my projects' drafts",
    "submissions": "Drafts submitted for certification",
}


def _answer(request: HtmxHttpRequest, template: str, context: dict[str, Any], **kw: Any):
    response = render(request, template, context, **kw)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _errors(error: ConnectError) -> list[str]:
    found = error.errors if isinstance(error, ConnectErrors) else [error]
    return [e.problem or e.message for e in found]


# --- email preferences --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HtmxHttpRequest) -> HttpResponse:
    saved = False
    # Only certifiers hear about submissions: nobody else sees (or changes) that topic.
    shown = [name for name in TOPICS if name != "submissions" or is_certifier(request.user)]
    if request.method == "POST":
        topics = {name: name in request.POST for name in ("emails", *shown)}
        services.save_preferences(user=request.user, **topics)
        if not request.htmx:
            messages.success(request, "Your email preferences are saved.")
            return redirect("notification-preferences")
        saved = True
    preference = selectors.preferences_of(request.user)
    context = {
        "preference": preference,
        "topics": [(name, TOPICS[name], getattr(preference, name)) for name in shown],
        "saved": saved,
        "projects": Project.objects.filter(members=request.user.pk),
        "email": getattr(request.user, "email", ""),
    }
    template = "notifications/preferences.html"
    return _answer(request, template + "#form" if request.htmx else template, context)


# --- a project's webhooks -----------------------------------------------------------------------


def _project(request: HttpRequest, key: str) -> Project:
    try:
        return selectors.member_project(user=request.user, key=key)
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None


def _endpoint(project: Project, endpoint_id: Any) -> WebhookEndpoint:
    try:
        return selectors.get_endpoint(project=project, id=endpoint_id)
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None


def _hold_secret(request: HttpRequest, endpoint: WebhookEndpoint) -> None:
    request.session[ISSUED_SECRET] = {"endpoint": str(endpoint.id), "secret": endpoint.secret}


def _issued_secret(request: HttpRequest, endpoint_id: Any) -> str | None:
    held = request.session.get(ISSUED_SECRET)
    if held and held.get("endpoint") == str(endpoint_id):
        del request.session[ISSUED_SECRET]
        return held["secret"]
    return None


def _endpoint_url(endpoint: WebhookEndpoint) -> str:
    return reverse("project-webhook", args=[endpoint.project.key, endpoint.id])


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """The project's endpoints and the form to add one."""
    project = _project(request, key)
    context: dict[str, Any] = {"project": project, "form": {}, "errors": []}
    status = 200
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", "").strip(),
            "description": request.POST.get("description", "").strip(),
        }
        try:
            draft = parse(schemas.WebhookEndpointDraft, {**form, "enabled": True})
            created = services.create_endpoint(
                project=project,
                url=draft.url,
                description=draft.description,
                actor=request.user.get_username(),
            )
        except ConnectError as error:
            context.update(form=form, errors=_errors(error))
            status = error.status
        else:
            _hold_secret(request, created)
            if request.htmx:
                return HttpResponseClientRedirect(_endpoint_url(created))
            return redirect(_endpoint_url(created))
    context["endpoints"] = list(selectors.endpoints_of(project))
    template = "notifications/webhooks.html"
    return _answer(
        request, template + "#endpoints" if request.htmx else template, context, status=status
    )


def _endpoint_context(request: HttpRequest, endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "project": endpoint.project,
        "endpoint": endpoint,
        "secret": _issued_secret(request, endpoint.id),
        "deliveries": list(selectors.deliveries_of(endpoint)[:DELIVERY_LOG_LIMIT]),
    }


@login_required
@require_GET
def webhook(request: HtmxHttpRequest, key: str, endpoint_id: Any) -> HttpResponse:
    """One endpoint: its settings, its secret's rotation and its delivery log."""
    endpoint = _endpoint(_project(request, key), endpoint_id)
    return _answer(request, "notifications/endpoint.html", _endpoint_context(request, endpoint))


ENDPOINT_ACTIONS = ("enable", "disable", "rotate", "delete")


@login_required
@require_POST
def webhook_action(
    request: HtmxHttpRequest, key: str, endpoint_id: Any, action: str
) -> HttpResponse:
    if action not in ENDPOINT_ACTIONS:
        raise Http404("No such action.")
    project = _project(request, key)
    endpoint = _endpoint(project, endpoint_id)
    if action == "delete":
        services.delete_endpoint(endpoint=endpoint)
        messages.success(request, f"The endpoint {endpoint.url} was deleted.")
        target = reverse("project-webhooks", args=[project.key])
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    if action == "rotate":
        services.rotate_secret(endpoint=endpoint)
        _hold_secret(request, endpoint)
    else:
        services.update_endpoint(endpoint=endpoint, enabled=action == "enable")
    if not request.htmx:
        return redirect(_endpoint_url(endpoint))
    context = _endpoint_context(request, endpoint)
    return _answer(request, "notifications/endpoint.html#settings", context)


@login_required
@require_POST
def webhook_redeliver(
    request: HtmxHttpRequest, key: str, endpoint_id: Any, delivery_id: Any
) -> HttpResponse:
    endpoint = _endpoint(_project(request, key), endpoint_id)
    try:
        delivery = selectors.get_delivery(endpoint=endpoint, id=delivery_id)
    except ResourceNotFound as exc:
        raise Http404(exc.message) from None
    problem = None
    try:
        delivery = services.redeliver(delivery=delivery)
    except ConnectError as error:
        problem = error.message
    if not request.htmx:
        if problem:
            messages.error(request, problem)
        else:
            messages.success(request, f"Event {delivery.event.event_id} is being sent again.")
        return redirect(_endpoint_url(endpoint))
    delivery = selectors.get_delivery(endpoint=endpoint, id=delivery.id)
    context = {
        "project": endpoint.project,
        "endpoint": endpoint,
        "delivery": delivery,
        "problem": problem,
    }
    return _answer(request, "notifications/endpoint.html#delivery", context)
