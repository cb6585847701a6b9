from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from connectors.api.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    # Before the Connect API's routes: "connectors/webhooks" is not a Connector's id.
    path("", include("connectors.notifications.api_urls")),
    *api_urlpatterns,
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from our static files (drf-spectacular-sidecar), its set-up script served
    # from the same URL (?script): the page runs under the site's CSP, with no CDN.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("", include("connectors.urls")),
]

handler400 = "connectors.api.fallbacks.bad_request"
handler404 = "connectors.api.fallbacks.not_found"
handler500 = "connectors.api.fallbacks.server_error"
