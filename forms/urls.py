from django.urls import path

from forms import page_views, views

app_name = "forms"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.builder, name="builder"),
    path("<int:pk>/fields/add/", views.add_field, name="add_field"),
    path("<int:pk>/fields/<int:field_pk>/", views.update_field, name="update_field"),
    path("<int:pk>/fields/<int:field_pk>/move/", views.move_field, name="move_field"),
    path("<int:pk>/fields/<int:field_pk>/remove/", views.remove_field, name="remove_field"),
    path("<int:pk>/settings/", views.update_settings, name="update_settings"),
    path("<int:pk>/lists/", views.update_lists, name="update_lists"),
    path("<int:pk>/consent/", views.update_consent, name="update_consent"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/submissions/", views.submissions, name="submissions"),
    path("<int:pk>/submissions/remind/", views.remind, name="remind"),
    path("<int:pk>/submissions/export/", views.submissions_export, name="submissions_export"),
    path(
        "<int:pk>/submissions/<int:submission_pk>/",
        views.submission_detail,
        name="submission_detail",
    ),
    path("<int:pk>/submissions/<int:submission_pk>/replay/", views.replay, name="replay"),
    path("pages/new/", page_views.create, name="page_create"),
    path("pages/<int:pk>/", page_views.edit, name="page_edit"),
    path("pages/<int:pk>/publish/", page_views.publish, name="page_publish"),
    path("pages/<int:pk>/preview/", page_views.preview, name="page_preview"),
    path("pages/<int:pk>/report/", page_views.report, name="page_report"),
    path("pages/<int:pk>/delete/", page_views.delete, name="page_delete"),
]
