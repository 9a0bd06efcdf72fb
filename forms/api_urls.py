"""Routes of the forms API under /api/v1/."""

from django.urls import path

from forms import api

urlpatterns = [
    path("forms/", api.FormListView.as_view(), name="api_forms"),
    path("forms/<int:pk>/", api.FormDetailView.as_view(), name="api_form"),
    path(
        "forms/<int:pk>/submissions/",
        api.SubmissionListView.as_view(),
        name="api_form_submissions",
    ),
    path(
        "forms/<int:pk>/submissions/<int:submission_pk>/replay/",
        api.SubmissionReplayView.as_view(),
        name="api_form_submission_replay",
    ),
]
