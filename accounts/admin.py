"""The user in the admin (its CV stored and cleared through accounts.cv); email addresses stored in canonical form.

The staff download of a CV is the CV's HTTP side: profiles/admin.py adds it to this admin."""

from typing import Any, cast

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from .cv import CVStorageUnavailable, StoredCV, clear_cv, discard_unless_pointed_at, point_at_cv, store_cv
from .forms import EmailAddressForm, UserChangeForm, UserCreationForm
from .models import AccountEmailAddress, ScheduledDeletion, User

STORED_CV = "_stored_cv"  # the request's CV, stored before the admin's transaction


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
        """Save the other fields (a full save never writes the CV columns), then point the row at the CV stored
        before the transaction (``changeform_view``), or clear it."""
        super().save_model(request, obj, form, change)
        if "cv" in form.changed_data:
            if form.cleaned_data["cv"]:
                point_at_cv(user=obj, stored=getattr(request, STORED_CV))
            else:
                clear_cv(user=obj)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Django's change view, which runs in one transaction, with a new CV stored before that transaction begins.

        A write to storage is a round trip (to S3: tens of milliseconds, or seconds when it is slow), and on SQLite
        a transaction holds the whole site's write lock from its start. So the CV is stored first; the transaction
        only points the row at it; and a file that no row points at once it is over (a form sent back with errors,
        a rolled-back save) is deleted.
        """
        try:
            uploaded = self.store_uploaded_cv(request, object_id)
        except CVStorageUnavailable as fault:
            # Nothing was changed. Say so, on the page the staff was on.
            self.message_user(request, f"Nothing was saved. {fault}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        if uploaded is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        owner, stored = uploaded
        setattr(request, STORED_CV, stored)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        finally:
            discard_unless_pointed_at(user=owner, stored=stored)

    def store_uploaded_cv(self, request: HttpRequest, object_id: str | None) -> tuple[User, StoredCV] | None:
        """Store the CV a change form sends, if the form's own CV field accepts it; None when there is nothing to
        store (no file; a file the form will refuse, next to the field; a user this staff may not change)."""
        if request.method != "POST" or object_id is None or "cv" not in request.FILES:
            return None
        user = self.get_object(request, unquote(object_id))
        if user is None or not self.has_change_permission(request, user):
            return None  # the change view answers as it always does
        field = cast(forms.FileField, self.get_form(request, user, change=True).base_fields["cv"])
        try:
            upload = field.clean(request.FILES["cv"], user.cv)
        except ValidationError:
            return None
        return (user, store_cv(user=user, upload=upload)) if upload else None


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
