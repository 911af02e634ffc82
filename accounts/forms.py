"""Forms owned by accounts: allauth's and the admin's with canonical addresses, two-factor codes that work once, and
the deletion pages' buttons."""

import string
from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.account.fields import EmailField
from allauth.account.models import EmailAddress
from allauth.core import context, ratelimit
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections
from django.http import HttpRequest

from .email_addresses import canonical_email
from .models import User
from .validators import validate_cv_file


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

    def validate_unique_email(self, value: str) -> str:
        # Taken means another account verified it or signed up with it. An address someone merely added to
        # their account, unverified, never stops its owner signing up (allauth counts those too).
        self.account_already_exists = User.objects.owners_of_address(value).exists()
        return get_adapter().validate_unique_email(value)

    def save(self, request: HttpRequest) -> User:
        user = super().save(request)
        # allauth mails an address at most once per cooldown. Someone who added this address to their own
        # account a moment ago must not hold back its owner's verification mail: a new account sends it anyway
        # (once only: the address is then taken).
        ratelimit.clear(request, action="confirm_email", key=user.email)
        return user

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

    def clean_email(self) -> str:
        email = get_adapter().clean_email(self.cleaned_data["email"])
        # A reset link goes only to an address the account verified or signed up with, never to one it
        # merely added; with enumeration prevention the page answers the same either way.
        self.users = list(User.objects.owners_of_address(email).filter(is_active=True))
        if not self.users and not allauth_settings.PREVENT_ENUMERATION:
            raise get_adapter().validation_error("unknown_email")
        return email


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    email = CanonicalEmailField()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        # A code goes only to an address the account verified or signed up with. allauth would also mail one to
        # an address someone merely added to their account, and whoever reads that mailbox would be logged in to
        # that account (and the address verified on it). Known or not, the answer and the work are the same.
        users = list(User.objects.owners_of_address(email).filter(is_active=True))
        if not users and not allauth_settings.PREVENT_ENUMERATION:
            raise get_adapter().validation_error("unknown_email")
        if not ratelimit.consume(context.request, action="request_login_code", key=email):
            raise get_adapter().validation_error("too_many_login_attempts")
        self._user = users[0] if users else None
        return email


# --- allauth.mfa's forms (MFA_FORMS) --------------------------------------------------------------


def totp_code_used_key(user_id: int, code: str) -> str | None:
    """The cache key that marks ``code`` used by this user; None if what was typed is no authenticator code at all
    (a recovery code, or anything a visitor sends), which keeps hostile input out of the cache's keys."""
    # Spaces and punctuation are ignored, as allauth ignores them when it compares codes: "123 456" is "123456".
    typed = code.translate(str.maketrans("", "", string.punctuation + string.whitespace))
    if len(typed) != mfa_settings.TOTP_DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    return f"accounts.mfa.totp.used?user={user_id}&code={typed}"


def totp_code_lifetime() -> int:
    """Seconds for which allauth accepts one authenticator code: its window and ``MFA_TOTP_TOLERANCE`` on each side."""
    return (2 * mfa_settings.TOTP_TOLERANCE + 1) * mfa_settings.TOTP_PERIOD


class SingleUseTOTPCodeForm(mfa_forms.BaseAuthenticateForm):
    """An authenticator-app code logs in or confirms once, for as long as allauth would accept it.

    allauth remembers a used code for one period (30 s), enough while it accepts a code only in its own window;
    with ``MFA_TOTP_TOLERANCE`` it accepts each code for ``totp_code_lifetime()`` seconds, so a code seen over a
    shoulder could be replayed once allauth forgot it. An accepted code is remembered here for that whole span
    (``cache.add``: of two requests racing with one code, one wins), and a used one is refused as a wrong code is:
    the same message, the same failure signal (activity log), and it counts against the failed-attempt limit.
    It is checked *before* allauth's own check too, because allauth clears that limit's counter when it accepts a
    code: a replay must never wipe the record of guesses made meanwhile. Recovery codes are untouched: allauth
    keeps each of them single-use for ever.
    """

    def clean_code(self) -> str:
        used_key = totp_code_used_key(self.user.pk, self.cleaned_data["code"])
        if used_key is not None and cache.get(used_key) is not None:
            totp = Authenticator.objects.filter(user=self.user, type=Authenticator.Type.TOTP).first()
            if totp is not None:
                check_rate_limit(self.user)  # an attempt like any wrong code (over the limit: allauth's refusal)
                self._refuse(totp)
        code = super().clean_code()
        # Every code allauth accepts from an app is six digits; only its insecure bypass code (for development,
        # MFA_TOTP_INSECURE_BYPASS_CODE) may look otherwise, and that one is meant to work again and again.
        accepted_key = totp_code_used_key(self.user.pk, code)
        if self.authenticator.type == Authenticator.Type.TOTP and accepted_key is not None:
            if not cache.add(accepted_key, "used", timeout=totp_code_lifetime()):
                self._refuse(self.authenticator)
        return code

    def _refuse(self, authenticator: Authenticator) -> None:
        self._emit_authentication_failed(authenticator)
        raise get_mfa_adapter().validation_error("incorrect_code")


class AuthenticateForm(SingleUseTOTPCodeForm, mfa_forms.AuthenticateForm):
    """The second step of a log-in (``/accounts/2fa/authenticate/``)."""


class ReauthenticateForm(SingleUseTOTPCodeForm, mfa_forms.ReauthenticateForm):
    """Confirming it is you before a sensitive action (``/accounts/2fa/reauthenticate/``)."""


# --- The admin's forms ----------------------------------------------------------------------------


class ModelChoicesField(forms.ModelMultipleChoiceField):
    """Django's multiple choice of rows, where an id beyond the database's integer range is an invalid choice.

    Django guards ``exact`` look-ups against such numbers but not the ``__in`` one this field runs, so SQLite
    would raise OverflowError: a 500 for anyone who edits the form's hidden values.
    """

    def _check_values(self, value: Any) -> Any:
        queryset = self.queryset
        assert queryset is not None  # set by every form that uses the field
        key = (
            queryset.model._meta.pk
            if self.to_field_name is None
            else queryset.model._meta.get_field(self.to_field_name)
        )
        ranges = connections[queryset.db].ops.integer_field_ranges
        if key.get_internal_type() in ranges:
            low, high = ranges[key.get_internal_type()]
            for choice in value:
                try:
                    number = int(choice)
                except (TypeError, ValueError):
                    continue  # Django's own check names it
                if not low <= number <= high:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": choice}
                    )
        return super()._check_values(value)  # type: ignore[misc]  # Django's private hook, in its stubs' blind spot


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)
        field_classes = {"email": CanonicalEmailField}


class UserChangeForm(auth_forms.UserChangeForm):
    # Not the model field: the form never puts an upload on the user; the admin stores it through accounts.cv.
    cv = forms.FileField(label="CV", required=False, validators=[validate_cv_file])

    class Meta:
        model = User
        fields = "__all__"
        exclude = ("cv",)
        field_classes = {
            "email": CanonicalEmailField,
            "groups": ModelChoicesField,
            "user_permissions": ModelChoicesField,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("cv", self.instance.cv or None)


class EmailAddressForm(forms.ModelForm):
    """allauth's email address in the admin, stored in canonical form like every other."""

    class Meta:
        model = EmailAddress
        fields = ("user", "email", "verified", "primary")
        field_classes = {"email": CanonicalEmailField}


# The deletion pages' forms have no field to fill in: their input is the button pressed (``name="action"``).
CHOOSE_A_BUTTON = {"required": "Choose one of the buttons.", "invalid_choice": "Choose one of the buttons."}


class DeleteAccountForm(forms.Form):
    """The deletion page: "Delete my account" (after the grace period) or "Delete now"."""

    SCHEDULE, NOW = "schedule", "now"
    action = forms.ChoiceField(
        choices=[(SCHEDULE, "Delete my account"), (NOW, "Delete now")], error_messages=CHOOSE_A_BUTTON
    )


class ScheduledDeletionForm(forms.Form):
    """The grace period's page: "Keep my account" or "Delete now", nothing else."""

    KEEP, NOW = "keep", "now"
    action = forms.ChoiceField(choices=[(KEEP, "Keep my account"), (NOW, "Delete now")], error_messages=CHOOSE_A_BUTTON)
