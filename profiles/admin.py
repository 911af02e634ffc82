"""The CV's HTTP side in the admin: staff download a person's CV from the user's page.

accounts/admin.py keeps the user admin (fields, and storing or clearing the CV); this adds the download: a link
beside the CV, the widget's "Currently" pointing at it, and the staff-only view behind it. Uploaded files are never
served from a media URL, so the admin cannot link to the file itself.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.models import User

from .downloads import cv_download_response


@dataclass
class StoredFileLink:
    """What the admin's file widget shows as "Currently": the staff download, by the original name."""

    url: str
    name: str

    def __str__(self) -> str:
        return self.name


class StaffCVInput(forms.ClearableFileInput):
    """The admin's CV widget, whose "Currently" links to the staff download."""

    link: StoredFileLink | None = None

    def format_value(self, value):
        value = super().format_value(value)
        return self.link if value and self.link else value


def with_download_after_cv(fieldsets: Any) -> tuple:
    """accounts' fieldsets, with the download link right after the CV field."""
    return tuple(
        (name, {**options, "fields": sum(((f, "cv_download") if f == "cv" else (f,) for f in options["fields"]), ())})
        for name, options in fieldsets
    )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountsUserAdmin):
    readonly_fields = ("cv_download", *AccountsUserAdmin.readonly_fields)  # type: ignore[assignment]
    fieldsets = with_download_after_cv(AccountsUserAdmin.fieldsets)

    @admin.display(description="CV download")
    def cv_download(self, user: User) -> str:
        if not user.cv:
            return "—"
        url = reverse("admin:accounts_user_cv", args=[user.pk])
        return format_html('<a href="{}">{}</a>', url, user.cv_original_name)

    # django-stubs gives ModelAdmin.get_form a "change" argument and UserAdmin.get_form none: no signature fits both.
    def get_form(self, request: HttpRequest, obj: Any | None = None, **kwargs: Any) -> type[forms.ModelForm]:  # type: ignore[override]
        form = super().get_form(request, obj, **kwargs)
        if "cv" in form.base_fields:
            widget = StaffCVInput()
            if obj is not None and obj.cv:
                widget.link = StoredFileLink(reverse("admin:accounts_user_cv", args=[obj.pk]), obj.cv_original_name)
            form.base_fields["cv"].widget = widget
        return form

    def get_urls(self):
        download = self.admin_site.admin_view(self.cv_view)
        return [path("<int:user_id>/cv/", download, name="accounts_user_cv"), *super().get_urls()]

    def cv_view(self, request: HttpRequest, user_id: int) -> HttpResponseBase:
        user = get_object_or_404(User, pk=user_id)
        if not self.has_view_permission(request, user):
            raise PermissionDenied
        return cv_download_response(user)
