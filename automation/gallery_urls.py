"""Pages of the flow template gallery, included by automation.urls."""

urlpatterns: list = []
