"""The marketer's screens: messages, the block editor, sends, reports and the outbox."""

from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("sms-length/", views.sms_length, name="sms_length"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/duplicate/", views.duplicate, name="duplicate"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/test/", views.test_send, name="test_send"),
    path("<int:pk>/send/", views.send_setup, name="send_setup"),
    path("<int:pk>/send/estimate/", views.estimate, name="estimate"),
    path("sends/<int:pk>/", views.send_detail, name="send_detail"),
    path("sends/<int:pk>/pause/", views.send_control, {"verb": "pause"}, name="send_pause"),
    path("sends/<int:pk>/resume/", views.send_control, {"verb": "resume"}, name="send_resume"),
    path("sends/<int:pk>/cancel/", views.send_control, {"verb": "cancel"}, name="send_cancel"),
    path("sends/<int:pk>/contacts/<slug:segment>/", views.send_segment, name="send_segment"),
    path("senders/", views.sender_list, name="senders"),
    path("senders/<int:pk>/resend/", views.sender_resend, name="sender_resend"),
    path("senders/<int:pk>/default/", views.sender_default, name="sender_default"),
    path("senders/<int:pk>/delete/", views.sender_delete, name="sender_delete"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
]
