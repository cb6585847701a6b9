from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from connectors.api.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    *api_urlpatterns,
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("", include("connectors.urls")),
]

handler400 = "connectors.api.fallbacks.bad_request"
handler404 = "connectors.api.fallbacks.not_found"
handler500 = "connectors.api.fallbacks.server_error"
