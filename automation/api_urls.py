"""Routes of the flows API under /api/v1/."""

from django.urls import path

from automation import api, gallery_api

urlpatterns = [
    path("flows/", api.FlowListView.as_view(), name="api_flows"),
    path("flows/<int:pk>/", api.FlowDetailView.as_view(), name="api_flow"),
    path("flows/<int:pk>/versions/", api.FlowVersionListView.as_view(), name="api_flow_versions"),
    path("flows/<int:pk>/validate/", api.FlowValidateView.as_view(), name="api_flow_validate"),
    path(
        "flows/<int:pk>/activate/",
        api.FlowControlView.as_view(verb="activate"),
        name="api_flow_activate",
    ),
    path("flows/<int:pk>/pause/", api.FlowControlView.as_view(verb="pause"), name="api_flow_pause"),
    path(
        "flows/<int:pk>/resume/",
        api.FlowControlView.as_view(verb="resume"),
        name="api_flow_resume",
    ),
    path(
        "flows/<int:pk>/archive/",
        api.FlowControlView.as_view(verb="archive"),
        name="api_flow_archive",
    ),
    path(
        "flows/<int:pk>/retry-parked/",
        api.FlowControlView.as_view(verb="retry"),
        name="api_flow_retry_parked",
    ),
    path("flows/<int:pk>/counts/", api.FlowCountsView.as_view(), name="api_flow_counts"),
    path("flows/<int:pk>/dry-run/", api.FlowDryRunView.as_view(), name="api_flow_dry_run"),
    path("flow-node-types/", api.NodeTypeListView.as_view(), name="api_flow_node_types"),
    path("contacts/<int:pk>/flows/", api.ContactFlowsView.as_view(), name="api_contact_flows"),
    path("flow-templates/", gallery_api.FlowTemplateListView.as_view(), name="api_flow_templates"),
    path(
        "flow-templates/<slug:key>/use/",
        gallery_api.FlowTemplateUseView.as_view(),
        name="api_flow_template_use",
    ),
]
