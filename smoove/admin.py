from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from smoove import actions
from smoove.models import Account, ApiKey, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "contact_limit", "identifier_policy", "created_at")
    list_filter = ("plan",)
    search_fields = ("name",)
    inlines = (MembershipInline,)

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The plan is set here by operators; re-mark contacts so an upgrade
        # releases those kept over the old limit at once.
        if change and {"plan", "contact_limit"} & set(form.changed_data):
            actions.set_plan(obj, obj.plan, obj.contact_limit)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("account", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash",)
