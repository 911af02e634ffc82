"""Security events in the admin, for operators: what happened to which account, when and from where; read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "user", "browser", "ip")
    list_filter = ("kind", "created_at")
    search_fields = ("user__email", "ip")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    fields = readonly_fields = ("created_at", "kind", "user", "browser", "ip")

    # A record of what happened is not edited, nor made up; it goes with its account or after 90 days.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
