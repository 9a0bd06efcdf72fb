from django.contrib import admin

from automation.models import Enrollment, Flow, FlowVersion, StepRecord, WebhookAttempt


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "state", "reentry", "current_version", "updated_at")
    list_filter = ("state",)
    search_fields = ("name",)
    raw_id_fields = ("account", "current_version")


@admin.register(FlowVersion)
class FlowVersionAdmin(admin.ModelAdmin):
    list_display = ("flow", "number", "published_at")
    raw_id_fields = ("account", "flow")
    readonly_fields = ("graph",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("contact", "flow", "version", "node_id", "state", "wake_at", "parked_reason")
    list_filter = ("state",)
    raw_id_fields = ("account", "flow", "version", "contact")


@admin.register(StepRecord)
class StepRecordAdmin(admin.ModelAdmin):
    list_display = ("enrollment", "node_id", "visit", "node_type", "outcome", "executed_at")
    raw_id_fields = ("account", "flow", "enrollment")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ("url", "status_code", "error", "attempted_at")
    raw_id_fields = ("account", "enrollment")
