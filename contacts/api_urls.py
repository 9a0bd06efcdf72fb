"""Routes of the contacts API under /api/v1/."""

from django.urls import path

from contacts import api

urlpatterns = [
    path("contacts/", api.ContactListView.as_view(), name="api_contacts"),
    path("contacts/<int:pk>/", api.ContactDetailView.as_view(), name="api_contact"),
    path("fields/", api.CustomFieldListView.as_view(), name="api_fields"),
    path("fields/<int:pk>/", api.CustomFieldDetailView.as_view(), name="api_field"),
    path("events/", api.ContactEventView.as_view(), name="api_events"),
]
