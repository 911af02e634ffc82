"""The user in the admin (its CV stored and cleared through accounts.cv); email addresses stored in canonical form.

The staff download of a CV is the CV's HTTP side: profiles/admin.py adds it to this admin."""

from typing import Any

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from .cv import CVStorageUnavailable, clear_cv, replace_cv
from .forms import EmailAddressForm, UserChangeForm, UserCreationForm
from .models import AccountEmailAddress, ScheduledDeletion, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("cv_size", "cv_uploaded_at", "last_login", "date_joined", "deletion_due_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "cv", "cv_size", "cv_uploaded_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined", "deletion_due_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

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


@admin.register(ScheduledDeletion)
class ScheduledDeletionAdmin(admin.ModelAdmin):
    """The accounts waiting out their grace period, soonest first. Keeping or deleting one is the person's choice
    (they log in and choose); an operator can delete one at once with the admin's own delete."""

    list_display = ("email", "deletion_due_at", "date_joined")
    search_fields = ("email",)
    fields = readonly_fields = ("email", "deletion_due_at", "date_joined", "last_login")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# allauth registers its own admin for addresses, in a section of its own also called "Accounts": the addresses are
# listed here instead, in this app's one Accounts section, and stored in canonical form.
admin.site.unregister(EmailAddress)


@admin.register(AccountEmailAddress)
class CanonicalEmailAddressAdmin(EmailAddressAdmin):
    form = EmailAddressForm
