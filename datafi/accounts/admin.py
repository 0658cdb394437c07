from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from datafi.accounts.models import (
    ApiKey,
    DeletionRequest,
    Invitation,
    Membership,
    Organization,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "is_staff", "date_joined", "last_login")
    readonly_fields = ("public_id",)
    fieldsets = BaseUserAdmin.fieldsets + (("datafi", {"fields": ("public_id",)}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "website", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization")
    raw_id_fields = ("user",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Seats offered and not yet answered; the person accepts on their provider page."""

    list_display = ("user", "organization", "role", "invited_by", "created_at")
    list_filter = ("role", "organization")
    raw_id_fields = ("user", "invited_by")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "organization", "scopes", "last_used_at", "revoked_at")
    list_filter = ("organization",)
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    """Deleted accounts, for operators: when, and nothing about who they were."""

    list_display = ("user", "requested_at", "completed_at")
    readonly_fields = ("user", "requested_at", "completed_at")

    def has_add_permission(self, request):
        return False  # only the person deletes their account (/accounts/delete/)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
