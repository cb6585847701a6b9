"""The webhook API's routes, beside the Connect API's (``/connectors/…``, the token's project)."""

from django.urls import path

from . import api

urlpatterns = [
    path("connectors/webhooks", api.endpoints, name="api-webhooks"),
    path("connectors/webhooks/<str:id>", api.endpoint, name="api-webhook"),
    path(
        "connectors/webhooks/<str:id>/rotate-secret",
        api.rotate_secret,
        name="api-webhook-rotate-secret",
    ),
    path(
        "connectors/webhooks/<str:id>/deliveries",
        api.endpoint_deliveries,
        name="api-webhook-deliveries",
    ),
    path(
        "connectors/webhooks/<str:id>/deliveries/<str:delivery_id>/redeliver",
        api.redeliver,
        name="api-webhook-redeliver",
    ),
]
