"""The dashboard's notification pages."""

from django.urls import path

from . import pages

urlpatterns = [
    path("notifications/", pages.preferences, name="notification-preferences"),
    path("projects/<str:key>/webhooks/", pages.webhooks, name="project-webhooks"),
    path("projects/<str:key>/webhooks/<uuid:endpoint_id>/", pages.webhook, name="project-webhook"),
    path(
        "projects/<str:key>/webhooks/<uuid:endpoint_id>/<str:action>/",
        pages.webhook_action,
        name="project-webhook-action",
    ),
    path(
        "projects/<str:key>/webhooks/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver/",
        pages.webhook_redeliver,
        name="project-webhook-redeliver",
    ),
]
