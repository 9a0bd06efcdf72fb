"""Routes of the messages API under /api/v1/."""

from django.urls import path

from campaigns import api

urlpatterns = [
    path("messages/", api.MessageListView.as_view(), name="api_messages"),
    path("messages/<int:pk>/", api.MessageDetailView.as_view(), name="api_message"),
    path(
        "messages/<int:pk>/validate/",
        api.MessageValidateView.as_view(),
        name="api_message_validate",
    ),
    path(
        "messages/<int:pk>/preview/", api.MessagePreviewView.as_view(), name="api_message_preview"
    ),
    path("messages/<int:pk>/test/", api.MessageTestView.as_view(), name="api_message_test"),
    path("messages/<int:pk>/sends/", api.MessageSendsView.as_view(), name="api_message_sends"),
    path("sends/<int:pk>/", api.SendDetailView.as_view(), name="api_send"),
    path("sends/<int:pk>/pause/", api.SendControlView.as_view(verb="pause"), name="api_send_pause"),
    path(
        "sends/<int:pk>/resume/", api.SendControlView.as_view(verb="resume"), name="api_send_resume"
    ),
    path(
        "sends/<int:pk>/cancel/", api.SendControlView.as_view(verb="cancel"), name="api_send_cancel"
    ),
    path("senders/", api.SenderListView.as_view(), name="api_senders"),
    path("senders/<int:pk>/", api.SenderDetailView.as_view(), name="api_sender"),
    path(
        "senders/<int:pk>/verification/",
        api.SenderActionView.as_view(verb="verification"),
        name="api_sender_verification",
    ),
    path(
        "senders/<int:pk>/default/",
        api.SenderActionView.as_view(verb="default"),
        name="api_sender_default",
    ),
]
