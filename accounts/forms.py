"""Forms owned by accounts: the admin's user forms and the account-deletion confirmation."""

from allauth.core import ratelimit
from django import forms
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest

from .models import User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


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
        # Count the attempt before checking it, as allauth's log-in does: a check first and a count after would
        # let every request that arrives while others are still hashing (one per worker) past the limit.
        # A right password ends the session, so there is nothing to give back when it succeeds.
        if not ratelimit.consume(self.request, action="delete_account_failed", user=user):
            raise forms.ValidationError("Too many wrong passwords. Wait a few minutes and try again.", code="rate")
        if not user.check_password(password):
            raise forms.ValidationError("That is not your current password.", code="password_incorrect")
        return password
