"""Forms owned by accounts: allauth's forms and the admin's with canonical addresses, and the deletion form."""

from allauth.account import forms as allauth_forms
from allauth.account.fields import EmailField
from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from .email_addresses import canonical_email
from .models import User


class CanonicalEmailField(EmailField):
    """An email field whose value is the address's canonical form; when there is none, the reason is shown
    next to the field. Length and Django's own syntax check then judge the canonical form, not the spelling."""

    def to_python(self, value: str | None) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return canonical_email(value)


# --- allauth's forms (ACCOUNT_FORMS) --------------------------------------------------------------


class SignupForm(allauth_forms.SignupForm):
    email = CanonicalEmailField()

    def try_save(self, request: HttpRequest):
        if self.account_already_exists:
            # A new account costs a password hash; an address that has one must cost the same, or the response
            # time tells a registered address from a new one (enumeration prevention is on).
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any spelling of the mailbox (case, fullwidth letters, a Unicode domain) finds the account.
        self.fields["login"] = CanonicalEmailField()


class AddEmailForm(allauth_forms.AddEmailForm):
    email = CanonicalEmailField(required=True)


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    email = CanonicalEmailField(required=True)


# --- The admin's forms ----------------------------------------------------------------------------


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)
        field_classes = {"email": CanonicalEmailField}


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": CanonicalEmailField}


class EmailAddressForm(forms.ModelForm):
    """allauth's email address in the admin, stored in canonical form like every other."""

    class Meta:
        model = EmailAddress
        fields = ("user", "email", "verified", "primary")
        field_classes = {"email": CanonicalEmailField}


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
