"""Receivers on allauth's and Django's authentication signals: each records what happened to an account's security in
its activity (security/activity.py), and a sign-in from a browser the account has not used before sends a warning."""

from typing import Any

from allauth.account import signals as account_signals
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.base_user import AbstractBaseUser
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from . import activity, devices, known_password, session_activity
from .models import SecurityEvent

Kind = SecurityEvent.Kind


@receiver(account_signals.user_logged_in, dispatch_uid="security.record_sign_in")
def record_sign_in(sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Record every completed sign-in (password, emailed code, passkey, two-factor) with its method."""
    activity.record(user_id=user.pk, kind=activity.sign_in_kind(request, user), request=request)


@receiver(auth_signals.user_logged_in, dispatch_uid="security.note_session_active")
def note_session_active(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    """A session that logs in is active now: its "last active" needs no write for a few minutes."""
    if request is not None and hasattr(request, "session"):
        session_activity.note_signed_in(request)


@receiver(account_signals.user_logged_in, dispatch_uid="security.recognise_device")
def recognise_device(
    sender: Any, request: HttpRequest, response: HttpResponse, user: AbstractBaseUser, **kwargs: Any
) -> None:
    """Give the browser its device cookie; one the account has not used before gets the new-device email."""
    devices.recognise_device(request=request, response=response, user=user)


@receiver(auth_signals.user_login_failed, dispatch_uid="security.record_failed_sign_in")
def record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Record a wrong password against the account the typed address belongs to; never the address itself."""
    # allauth's forms pass "email"; Django's own authenticate() calls pass the USERNAME_FIELD (the email) as "username".
    typed_email = credentials.get("email", credentials.get("username"))
    activity.record_failed_sign_in(request=request, typed_email=typed_email)


@receiver(account_signals.login_code_rejected, dispatch_uid="security.record_rejected_login_code")
def record_rejected_login_code(
    sender: Any, request: HttpRequest, user: AbstractBaseUser | None = None, **kwargs: Any
) -> None:
    """Record a wrong emailed sign-in code against the account it was sent for."""
    if user is not None:
        activity.record(user_id=user.pk, kind=Kind.SIGN_IN_CODE_REJECTED, request=request)


@receiver(auth_signals.user_logged_out, dispatch_uid="security.record_sign_out")
def record_sign_out(sender: Any, request: HttpRequest, user: AbstractBaseUser | None, **kwargs: Any) -> None:
    """Record a sign-out of a signed-in person; nothing for a log-out without one, or after their account's deletion."""
    if user is not None and user.pk is not None:
        activity.record(user_id=user.pk, kind=Kind.SIGNED_OUT, request=request)


@receiver(account_signals.password_changed, dispatch_uid="security.record_password_changed")
def record_password_changed(sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Record a password change."""
    activity.record(user_id=user.pk, kind=Kind.PASSWORD_CHANGED, request=request)


@receiver(account_signals.password_set, dispatch_uid="security.record_password_set")
def record_password_set(sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Record a password set on an account that had none."""
    activity.record(user_id=user.pk, kind=Kind.PASSWORD_SET, request=request)


@receiver(account_signals.password_reset, dispatch_uid="security.record_password_reset")
def record_password_reset(sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Record a password reset from an emailed link."""
    activity.record(user_id=user.pk, kind=Kind.PASSWORD_RESET, request=request)


@receiver(account_signals.email_added, dispatch_uid="security.record_email_added")
def record_email_added(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """Record an address added to the account (the address's owner: the request may be signed out)."""
    activity.record(user_id=email_address.user_id, kind=Kind.EMAIL_ADDED, request=request)


@receiver(account_signals.email_removed, dispatch_uid="security.record_email_removed")
def record_email_removed(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """Record an address removed from the account."""
    activity.record(user_id=email_address.user_id, kind=Kind.EMAIL_REMOVED, request=request)


@receiver(account_signals.email_confirmed, dispatch_uid="security.record_email_verified")
def record_email_verified(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """Record an address verified, the sign-up's first one included."""
    activity.record(user_id=email_address.user_id, kind=Kind.EMAIL_VERIFIED, request=request)


@receiver(account_signals.email_changed, dispatch_uid="security.record_primary_email_changed")
def record_primary_email_changed(
    sender: Any,
    request: HttpRequest,
    to_email_address: EmailAddress,
    from_email_address: EmailAddress | None = None,
    **kwargs: Any,
) -> None:
    """Record a new primary address; none for the first address verified (allauth sends this signal then too)."""
    if from_email_address is not None:
        activity.record(user_id=to_email_address.user_id, kind=Kind.EMAIL_MADE_PRIMARY, request=request)


AUTHENTICATOR_ADDED = {
    Authenticator.Type.TOTP: Kind.TWO_FACTOR_ENABLED,
    Authenticator.Type.RECOVERY_CODES: Kind.RECOVERY_CODES_GENERATED,
}
AUTHENTICATOR_REMOVED = {Authenticator.Type.TOTP: Kind.TWO_FACTOR_DISABLED}


def _key_kind(authenticator: Authenticator, *, passkey: Kind, security_key: Kind) -> Kind:
    return passkey if authenticator.wrap().is_passwordless else security_key


@receiver(mfa_signals.authenticator_added, dispatch_uid="security.record_authenticator_added")
def record_authenticator_added(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record two-factor turned on, recovery codes made, a passkey or a security key added."""
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        kind = _key_kind(authenticator, passkey=Kind.PASSKEY_ADDED, security_key=Kind.SECURITY_KEY_ADDED)
    else:
        kind = AUTHENTICATOR_ADDED[authenticator.type]
    activity.record(user_id=authenticator.user_id, kind=kind, request=request)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="security.record_authenticator_removed")
def record_authenticator_removed(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record two-factor turned off, a passkey or a security key removed (not the recovery codes that go with them)."""
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        kind = _key_kind(authenticator, passkey=Kind.PASSKEY_REMOVED, security_key=Kind.SECURITY_KEY_REMOVED)
    elif authenticator.type in AUTHENTICATOR_REMOVED:
        kind = AUTHENTICATOR_REMOVED[authenticator.type]
    else:
        return
    activity.record(user_id=authenticator.user_id, kind=kind, request=request)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="security.record_recovery_codes_regenerated")
def record_recovery_codes_regenerated(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record a new set of recovery codes."""
    activity.record(user_id=authenticator.user_id, kind=Kind.RECOVERY_CODES_GENERATED, request=request)


@receiver(mfa_signals.authentication_failed, dispatch_uid="security.record_two_factor_failed")
def record_two_factor_failed(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record a wrong two-factor code: whoever typed it knew the password (or holds the session)."""
    activity.record(user_id=authenticator.user_id, kind=Kind.TWO_FACTOR_FAILED, request=request)


@receiver(mfa_signals.authentication_failed, dispatch_uid="security.warn_password_known")
def warn_password_known(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, reauthentication: bool = False, **kwargs: Any
) -> None:
    """Warn the owner by email when a log-in's right password was followed by a wrong second factor (at most once in a
    quarter of an hour); not when a signed-in person mistypes a code to confirm it is them."""
    if not reauthentication and activity.password_was_just_right(request, user):
        known_password.warn_password_known(request=request, user=user)


@receiver(mfa_signals.authenticator_used, dispatch_uid="security.record_recovery_code_used")
def record_recovery_code_used(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record a recovery code used, to log in or to confirm it was the person: one fewer left, and a sign that the
    authenticator app may be lost."""
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        activity.record(user_id=authenticator.user_id, kind=Kind.RECOVERY_CODE_USED, request=request)


@receiver(
    [mfa_signals.authenticator_added, mfa_signals.authenticator_removed], dispatch_uid="security.name_the_changed_key"
)
def name_the_changed_key(sender: Any, request: HttpRequest, authenticator: Authenticator, **kwargs: Any) -> None:
    """Let the message and the email that follow a key's addition or removal in this request name the key and call it
    a passkey or a security key: allauth renders both from the request alone (``request.changed_key``)."""
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        request.changed_key = authenticator.wrap()  # type: ignore[attr-defined]
