"""Pages of the automation app: the flow list and the canvas."""

from django.urls import include, path

app_name = "automation"

urlpatterns: list = [
    path("templates/", include("automation.gallery_urls")),
]
