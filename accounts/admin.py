"""The user in the admin, with a staff-only CV download; email addresses stored in canonical form."""

from dataclasses import dataclass
from typing import Any

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from .cv import CVStorageUnavailable, clear_cv, cv_download_response, replace_cv
from .forms import EmailAddressForm, UserChangeForm, UserCreationForm
from .models import User


@dataclass
class StoredFileLink:
    """What the admin's file widget shows as "Currently": the staff download, by the original name."""

    url: str
    name: str

    def __str__(self) -> str:
        return self.name


class StaffCVInput(forms.ClearableFileInput):
    """The admin's CV widget; uploads are never served from a media URL, so it links to the staff view."""

    link: StoredFileLink | None = None

    def format_value(self, value):
        value = super().format_value(value)
        return self.link if value and self.link else value


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("cv_download", "cv_size", "cv_uploaded_at", "last_login", "date_joined", "deletion_due_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "cv", "cv_download", "cv_size", "cv_uploaded_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined", "deletion_due_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

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

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        """Save the other fields (a full save never writes the CV columns), then store or clear the CV."""
        super().save_model(request, obj, form, change)
        if "cv" in form.changed_data:
            if upload := form.cleaned_data["cv"]:
                replace_cv(user=obj, upload=upload)
            else:
                clear_cv(user=obj)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CVStorageUnavailable as fault:
            # The admin's transaction has rolled back: nothing was changed. Say so, on the page the staff was on.
            self.message_user(request, f"Nothing was saved. {fault}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_urls(self):
        download = self.admin_site.admin_view(self.cv_view)
        return [path("<int:user_id>/cv/", download, name="accounts_user_cv"), *super().get_urls()]

    def cv_view(self, request: HttpRequest, user_id: int) -> HttpResponseBase:
        user = get_object_or_404(User, pk=user_id)
        if not self.has_view_permission(request, user):
            raise PermissionDenied
        return cv_download_response(request, user)


# allauth registers its own admin for addresses; this one differs only in storing the canonical form.
admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class CanonicalEmailAddressAdmin(EmailAddressAdmin):
    form = EmailAddressForm
