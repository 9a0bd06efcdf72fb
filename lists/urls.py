from django.urls import path

from lists import table_views, views

app_name = "lists"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("count/", views.count_conditions, name="count_conditions"),
    path("<int:pk>/", table_views.detail, name="detail"),
    path("<int:pk>/export/", table_views.export, name="export"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/members/add/", views.add_members, name="add_members"),
    path("<int:pk>/members/remove/", views.remove_members, name="remove_members"),
]
