"""Addresses visitors open: each carries an unguessable token, never an account or form id."""

from django.urls import path

from forms import public_views

app_name = "public_forms"
urlpatterns = [
    path("f/confirm/<str:signed>/", public_views.confirm, name="confirm"),
    path("f/<str:token>/", public_views.form_page, name="form"),
    path("f/<str:token>/embed/", public_views.embed, name="embed"),
    path("f/<str:token>/view.gif", public_views.view_pixel, name="view_pixel"),
    path("f/<str:token>/thanks/", public_views.thanks, name="thanks"),
    path("p/<str:token>/", public_views.landing_page, name="page"),
    path("p/<str:token>/image/", public_views.page_image, name="page_image"),
]
