from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("smoove.web_urls")),
    path("contacts/", include("contacts.urls")),
    path("lists/", include("lists.urls")),
    path("forms/", include("forms.urls")),
    path("", include("forms.public_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("", include("campaigns.public_urls")),
    path("automation/", include("automation.urls")),
    path("api/v1/", include("smoove.api_urls")),
    path("admin/", admin.site.urls),
]
