"""Routes of the lists API under /api/v1/."""

from django.urls import path

from lists import api

urlpatterns = [
    path("lists/", api.ListListView.as_view(), name="api_lists"),
    path("lists/<int:pk>/", api.ListDetailView.as_view(), name="api_list"),
    path("lists/<int:pk>/members/", api.ListMembersView.as_view(), name="api_list_members"),
    path(
        "lists/<int:pk>/members/remove/",
        api.ListMembersRemoveView.as_view(),
        name="api_list_members_remove",
    ),
    path(
        "lists/<int:pk>/members/<int:contact_id>/",
        api.ListMemberView.as_view(),
        name="api_list_member",
    ),
]
