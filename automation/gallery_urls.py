"""Pages of the flow template gallery, included by automation.urls."""

from django.urls import path

from automation import gallery_views

urlpatterns: list = [
    path("", gallery_views.index, name="template_index"),
    path("<slug:key>/use/", gallery_views.use, name="template_use"),
]
