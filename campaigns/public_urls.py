"""Public URLs: tracking, unsubscribe and provider callbacks."""

from django.urls import path

from campaigns import callback_views, public_views

app_name = "campaigns_public"
urlpatterns = [
    path("t/o/<str:token>/", public_views.open_pixel, name="open"),
    path("t/c/<str:token>/", public_views.click, name="click"),
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("senders/verify/<str:token>/", public_views.verify_sender, name="verify_sender"),
    path("hooks/ses/", callback_views.ses_notification, name="ses_notification"),
    path("hooks/twilio/status", callback_views.twilio_status, name="twilio_status"),
    path("hooks/twilio/inbound", callback_views.twilio_inbound, name="twilio_inbound"),
    path("hooks/twilio/whatsapp", callback_views.twilio_inbound, name="twilio_whatsapp"),
]
