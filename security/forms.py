"""allauth.mfa's two-factor forms (``MFA_FORMS``): an authenticator-app code is single-use for as long as allauth
accepts it, a wrong code counts against the client address's failed log-ins as a wrong password does, and the code
field says which codes work for the account."""

import string
from functools import cached_property

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core import context
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.utils.functional import lazy
from django.utils.translation import gettext

from . import login_limits


def totp_code_used_key(user_id: int, code: str) -> str | None:
    """The cache key that marks ``code`` used by this user; None if what was typed is no authenticator code at all
    (a recovery code, or anything a visitor sends), which keeps hostile input out of the cache's keys."""
    # Spaces and punctuation are ignored, as allauth ignores them when it compares codes: "123 456" is "123456".
    typed = code.translate(str.maketrans("", "", string.punctuation + string.whitespace))
    if len(typed) != mfa_settings.TOTP_DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    return f"security.mfa.totp.used?user={user_id}&code={typed}"


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
        # The client address's failed log-ins, which allauth's check does not count any more (security/login_limits.py):
        # counted first, rolled back below if the code is right, never cleared.
        address_attempt = login_limits.count_attempt_from_address(context.request)
        if address_attempt is None:
            raise get_account_adapter().validation_error("too_many_login_attempts")
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
        address_attempt.rollback()
        return code

    def _refuse(self, authenticator: Authenticator) -> None:
        self._emit_authentication_failed(authenticator)
        raise get_mfa_adapter().validation_error("incorrect_code")


class SaysWhichCodesWork(mfa_forms.BaseAuthenticateForm):
    """The code field says what to type: the authenticator app's code, or a recovery code (allauth takes either and says
    neither). The page around it asks the form which keys the account has, to offer the right one or none."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Lazy: read only when the page is drawn, never for a code that is right.
        self.fields["code"].help_text = lazy(self.code_help, str)()

    def code_help(self) -> str:
        if self.has_authenticator_app:
            return gettext("The 6-digit code from your authenticator app, or one of your recovery codes.")
        return gettext("One of your recovery codes.")

    @cached_property
    def _authenticators(self) -> list[Authenticator]:
        return list(Authenticator.objects.filter(user_id=self.user.pk))

    @property
    def has_authenticator_app(self) -> bool:
        return any(found.type == Authenticator.Type.TOTP for found in self._authenticators)

    @property
    def keys(self) -> list[Authenticator]:
        return [found for found in self._authenticators if found.type == Authenticator.Type.WEBAUTHN]

    @property
    def has_passkey(self) -> bool:
        return any(key.wrap().is_passwordless is True for key in self.keys)

    @property
    def has_security_key(self) -> bool:
        return any(key.wrap().is_passwordless is not True for key in self.keys)


class AuthenticateForm(SaysWhichCodesWork, SingleUseTOTPCodeForm, mfa_forms.AuthenticateForm):
    """The second step of a log-in (``/accounts/2fa/authenticate/``)."""


class ReauthenticateForm(SaysWhichCodesWork, SingleUseTOTPCodeForm, mfa_forms.ReauthenticateForm):
    """Confirming it is you before a sensitive action (``/accounts/2fa/reauthenticate/``)."""
