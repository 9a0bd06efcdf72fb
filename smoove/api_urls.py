"""The REST API v1: each app's routes, and the OpenAPI schema with its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("contacts.api_urls")),
    path("", include("lists.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("forms.api_urls")),
    path("", include("automation.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
