"""The marketer's screens: messages, the block editor, sends, reports and the outbox."""

from django.urls import path

app_name = "campaigns"
urlpatterns: list = []
