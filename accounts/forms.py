"""Forms owned by accounts: allauth's and the admin's with canonical addresses, an emailed log-in code guessed at most
three times, and the deletion pages' buttons."""

import hashlib
from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.account.fields import EmailField
from allauth.account.models import EmailAddress
from allauth.core import context, ratelimit
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .email_addresses import canonical_email
from .models import User
from .time_zones import supported_time_zone
from .validators import validate_cv_file


class CanonicalEmailField(EmailField):
    """An email field whose value is the address's canonical form; when there is none, the reason is shown
    next to the field. Length and Django's own syntax check then judge the canonical form, not the spelling."""

    def to_python(self, value: str | None) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return canonical_email(value)


class TimeZoneGuessInput(forms.HiddenInput):
    """A hidden input that static/js/time-zone-guess.js fills with the browser's time zone, and that script.

    Always rendered empty, whatever was sent: the sign-up page is kept once per worker for every visitor
    (web/page_cache.py), so nothing in it may be one visitor's. The script comes with the field, so the page that
    shows the form needs no change of its own (allauth's sign-up template renders no form media).
    """

    def __init__(self) -> None:
        super().__init__(attrs={"data-time-zone-guess": ""})

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        field = super().render(name, None, attrs, renderer)
        return format_html('{}<script src="{}" defer></script>', field, static("js/time-zone-guess.js"))


# --- allauth's forms (ACCOUNT_FORMS) --------------------------------------------------------------


class SignupForm(allauth_forms.SignupForm):
    email = CanonicalEmailField()
    # The browser's guess (an IANA name); anything else, or nothing, is UTC: never an error on the sign-up page.
    time_zone = forms.CharField(required=False, widget=TimeZoneGuessInput())

    def clean_time_zone(self) -> str:
        return supported_time_zone(self.cleaned_data.get("time_zone"))

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


class ConfirmLoginCodeForm(allauth_forms.ConfirmLoginCodeForm):
    """The emailed log-in code: at most ``ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS`` guesses are ever compared with one code,
    however many arrive at once.

    allauth counts wrong codes in the session (its login stage's state): simultaneous requests each read the session
    before any of them writes it back, so 50 guesses at once had 16 compared. Here every guess first takes one of the
    pending code's attempts from the shared cache, and a guess that finds none left is refused without a look at
    the code. An attempt is a key of its own, taken with ``cache.add``: atomic in every cache the site uses (the
    database cache's is an INSERT on a unique key), where ``incr`` is a read then a write in Django's database cache.
    """

    def clean_code(self) -> str:
        if not take_attempt(pending_code_identity(), limit=allauth_settings.LOGIN_BY_CODE_MAX_ATTEMPTS):
            raise get_adapter().validation_error("too_many_login_attempts")
        return super().clean_code()


def pending_code_identity() -> str:
    """What tells this pending log-in code from every other: the account it is for (or the address, for one with no
    account) and the moment allauth issued it, from its login stage, as allauth's own view reads it. A resent code
    keeps the moment, as allauth's count of wrong codes carries over a resend."""
    state = context.request._login_stage.state  # set by allauth's login_stage_required decorator
    return f"{state.get('user_id') or state.get('email')}@{state['at']!r}"


def take_attempt(identity: str, *, limit: int) -> bool:
    """Take one of ``limit`` attempts at the code ``identity`` names; False when all are taken. Kept while the code
    lives (``ACCOUNT_LOGIN_BY_CODE_TIMEOUT``); the key is a digest, so the cache holds no address."""
    digest = hashlib.sha256(identity.encode()).hexdigest()
    timeout = allauth_settings.LOGIN_BY_CODE_TIMEOUT
    return any(cache.add(f"accounts:login-code:{digest}:{n}", True, timeout) for n in range(1, limit + 1))


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
