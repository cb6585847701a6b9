from django.urls import path

from . import oauth_views, views

urlpatterns = [
    path("oauth/token", oauth_views.token, name="oauth-token"),
    path("oauth/introspect", oauth_views.introspect, name="oauth-introspect"),
    path("connectors/drafts", views.drafts, name="api-drafts"),
    path("connectors/drafts/key=<str:key>", views.draft_by_key, name="api-draft-by-key"),
    path("connectors/drafts/<str:id>", views.draft, name="api-draft"),
    path("connectors/search", views.search, name="api-connector-search"),
    path("connectors/key=<str:key>", views.connector_by_key, name="api-connector-by-key"),
    path("connectors/<str:id>", views.connector, name="api-connector"),
]
