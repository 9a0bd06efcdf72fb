from django.urls import path

from contacts import field_views, import_views, table_views, views

app_name = "contacts"
urlpatterns = [
    # Contacts: the table (column chooser, sorting, filters, paging), its
    # export, and one contact's card.
    path("", table_views.index, name="index"),
    path("export/", table_views.export, name="export"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/data/", views.data_export, name="data_export"),
    # Custom fields.
    path("fields/", field_views.index, name="field_index"),
    path("fields/new/", field_views.create, name="field_create"),
    path("fields/<int:pk>/edit/", field_views.edit, name="field_edit"),
    path("fields/<int:pk>/delete/", field_views.delete, name="field_delete"),
    # Imports.
    path("imports/", import_views.index, name="import_index"),
    path("imports/<int:pk>/", import_views.detail, name="import_detail"),
    path("imports/<int:pk>/progress/", import_views.progress, name="import_progress"),
    path("imports/<int:pk>/issues.csv", import_views.issues_csv, name="import_issues"),
    path("imports/<int:pk>/replay/", import_views.replay, name="import_replay"),
]
