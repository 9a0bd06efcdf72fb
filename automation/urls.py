"""Pages of the automation app: the flow list, the canvas and published versions."""

from django.urls import include, path

from automation import views

app_name = "automation"

urlpatterns: list = [
    path("", views.flow_index, name="flow_index"),
    path("flows/<int:pk>/", views.flow_canvas, name="flow_canvas"),
    path("flows/<int:pk>/check/", views.flow_check, name="flow_check"),
    path("flows/<int:pk>/versions/", views.flow_versions, name="flow_versions"),
    path("flows/<int:pk>/versions/<int:number>/", views.flow_version, name="flow_version"),
    path("templates/", include("automation.gallery_urls")),
]
