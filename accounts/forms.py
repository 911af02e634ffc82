"""Forms owned by accounts: the admin's user forms and the account-deletion confirmation."""

from typing import Any

from allauth.core import ratelimit
from django import forms
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest

from .models import User
from .validators import validate_cv_file


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(auth_forms.UserChangeForm):
    # Not the model field: the form never puts an upload on the user; the admin stores it through accounts.cv.
    cv = forms.FileField(label="CV", required=False, validators=[validate_cv_file])

    class Meta:
        model = User
        fields = "__all__"
        exclude = ("cv",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("cv", self.instance.cv or None)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your current password, to confirm that it is you.",
    )

    def __init__(self, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        if not ratelimit.consume(self.request, action="delete_account_failed", user=user, dry_run=True):
            raise forms.ValidationError("Too many wrong passwords. Wait a few minutes and try again.", code="rate")
        if not user.check_password(password):
            ratelimit.consume(self.request, action="delete_account_failed", user=user)
            raise forms.ValidationError("That is not your current password.", code="password_incorrect")
        return password
