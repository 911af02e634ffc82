"""Receivers: on the User model, the welcome email and the cleanup of its stored files; on Django's and allauth's
authentication signals, the person's security activity and the new-device warning."""

from collections.abc import Collection
from typing import Any

from allauth.account import signals as account_signals
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from . import activity, cv, devices
from .emails import send_welcome_email
from .models import SecurityEvent, User
from .tasks import delete_stored_files, enqueue_in_transaction

Kind = SecurityEvent.Kind


def schedule_file_deletion(names: Collection[str | None], *, user_id: int | None, reason: str) -> None:
    """Hand the CV files to the cleanup task, which runs only once the current transaction has committed."""
    if to_delete := sorted({name for name in names if name}):
        enqueue_in_transaction(delete_stored_files, field_name="cv", names=to_delete, user_id=user_id, reason=reason)


@receiver(post_save, sender=User, dispatch_uid="accounts.welcome_email")
def schedule_welcome_email(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    """Queue the welcome email in the transaction that creates the user; none for fixtures or later saves."""
    if created and not raw:
        send_welcome_email(email=instance.email, first_name=instance.first_name, language=instance.language)


@receiver(post_save, sender=User, dispatch_uid="accounts.delete_replaced_files")
def delete_replaced_files(
    sender: type[User], instance: User, raw: bool, update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    """Once a save that replaced or cleared the CV is committed, delete the file the row held before."""
    if raw or (update_fields is not None and "cv" not in update_fields):
        return
    previous, current = cv.loaded_name(instance), cv.stored_name(instance)
    if previous and previous != current:
        schedule_file_deletion([previous], user_id=instance.pk, reason="replaced")


@receiver(post_delete, sender=User, dispatch_uid="accounts.delete_files_of_deleted_user")
def delete_files_of_deleted_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Once a user's deletion is committed (one, a queryset, a cascade), delete their CV file."""
    names = [cv.loaded_name(instance), cv.stored_name(instance)]
    schedule_file_deletion(names, user_id=instance.pk, reason="user_deleted")


# --- Security activity (accounts/activity.py) -------------------------------------------------------


@receiver(account_signals.user_logged_in, dispatch_uid="accounts.record_sign_in")
def record_sign_in(sender: type[User], request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record every completed sign-in (password, emailed code, passkey, two-factor) with its method."""
    activity.record(user_id=user.pk, kind=activity.sign_in_kind(request, user), request=request)


@receiver(account_signals.user_logged_in, dispatch_uid="accounts.recognise_device")
def recognise_device(
    sender: type[User], request: HttpRequest, response: HttpResponse, user: User, **kwargs: Any
) -> None:
    """Give the browser its device cookie; one the account has not used before gets the new-device email."""
    devices.recognise_device(request=request, response=response, user=user)


@receiver(auth_signals.user_login_failed, dispatch_uid="accounts.record_failed_sign_in")
def record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Record a wrong password against the account the typed address belongs to; never the address itself."""
    # allauth's forms pass "email"; Django's own authenticate() calls pass the USERNAME_FIELD (the email) as "username".
    typed_email = credentials.get("email", credentials.get("username"))
    activity.record_failed_sign_in(request=request, typed_email=typed_email)


@receiver(account_signals.login_code_rejected, dispatch_uid="accounts.record_rejected_login_code")
def record_rejected_login_code(sender: Any, request: HttpRequest, user: User | None = None, **kwargs: Any) -> None:
    """Record a wrong emailed sign-in code against the account it was sent for."""
    if user is not None:
        activity.record(user_id=user.pk, kind=Kind.SIGN_IN_CODE_REJECTED, request=request)


@receiver(auth_signals.user_logged_out, dispatch_uid="accounts.record_sign_out")
def record_sign_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    """Record a sign-out of a signed-in person; nothing for a log-out without one, or after their account's deletion."""
    if user is not None and user.pk is not None:
        activity.record(user_id=user.pk, kind=Kind.SIGNED_OUT, request=request)


@receiver(account_signals.password_changed, dispatch_uid="accounts.record_password_changed")
def record_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record a password change."""
    activity.record(user_id=user.pk, kind=Kind.PASSWORD_CHANGED, request=request)


@receiver(account_signals.password_set, dispatch_uid="accounts.record_password_set")
def record_password_set(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record a password set on an account that had none."""
    activity.record(user_id=user.pk, kind=Kind.PASSWORD_SET, request=request)


@receiver(account_signals.password_reset, dispatch_uid="accounts.record_password_reset")
def record_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record a password reset from an emailed link."""
    activity.record(user_id=user.pk, kind=Kind.PASSWORD_RESET, request=request)


@receiver(account_signals.email_added, dispatch_uid="accounts.record_email_added")
def record_email_added(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """Record an address added to the account (the address's owner: the request may be signed out)."""
    activity.record(user_id=email_address.user_id, kind=Kind.EMAIL_ADDED, request=request)


@receiver(account_signals.email_removed, dispatch_uid="accounts.record_email_removed")
def record_email_removed(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """Record an address removed from the account."""
    activity.record(user_id=email_address.user_id, kind=Kind.EMAIL_REMOVED, request=request)


@receiver(account_signals.email_confirmed, dispatch_uid="accounts.record_email_verified")
def record_email_verified(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """Record an address verified, the sign-up's first one included."""
    activity.record(user_id=email_address.user_id, kind=Kind.EMAIL_VERIFIED, request=request)


@receiver(account_signals.email_changed, dispatch_uid="accounts.record_primary_email_changed")
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


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts.record_authenticator_added")
def record_authenticator_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record two-factor turned on, recovery codes made, a passkey or a security key added."""
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        kind = _key_kind(authenticator, passkey=Kind.PASSKEY_ADDED, security_key=Kind.SECURITY_KEY_ADDED)
    else:
        kind = AUTHENTICATOR_ADDED[authenticator.type]
    activity.record(user_id=authenticator.user_id, kind=kind, request=request)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="accounts.record_authenticator_removed")
def record_authenticator_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record two-factor turned off, a passkey or a security key removed (not the recovery codes that go with them)."""
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        kind = _key_kind(authenticator, passkey=Kind.PASSKEY_REMOVED, security_key=Kind.SECURITY_KEY_REMOVED)
    elif authenticator.type in AUTHENTICATOR_REMOVED:
        kind = AUTHENTICATOR_REMOVED[authenticator.type]
    else:
        return
    activity.record(user_id=authenticator.user_id, kind=kind, request=request)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="accounts.record_recovery_codes_regenerated")
def record_recovery_codes_regenerated(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record a new set of recovery codes."""
    activity.record(user_id=authenticator.user_id, kind=Kind.RECOVERY_CODES_GENERATED, request=request)


@receiver(mfa_signals.authentication_failed, dispatch_uid="accounts.record_two_factor_failed")
def record_two_factor_failed(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Record a wrong two-factor code: whoever typed it knew the password (or holds the session)."""
    activity.record(user_id=authenticator.user_id, kind=Kind.TWO_FACTOR_FAILED, request=request)
