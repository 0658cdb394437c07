from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from datafi.accounts.models import ApiKey, Membership, Organization, User


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


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "organization", "scopes", "last_used_at", "revoked_at")
    list_filter = ("organization",)
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")
