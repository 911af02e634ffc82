"""The browsers an account has signed in with, their whole life: the device cookie, recognising it at a sign-in,
the new-device warning email, and forgetting devices that can no longer come back.

allauth's session list cannot tell a new browser (it drops a session's row when the session ends), so each
browser carries a long-lived, signed, HttpOnly cookie holding a random id. It names no one: the same id serves
every account used in that browser. An account remembers a keyed digest of (account, id), never the id, so the
database cannot be used to forge a known browser, nor to tell that two accounts share one. A browser whose
cookie was cleared, or that the account has not seen within a year, is new again: one warning, then known.

The digests are keyed with SECRET_KEY. Rotating it (the old key kept in SECRET_KEY_FALLBACKS, as Django's own tokens
allow) must not make every browser a stranger: a digest made with a fallback key still recognises its browser, and
the browser's next sign-in rewrites it with the current key, so the old key can be retired without a warning storm.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from mail.outbox import send_email

from .browsers import browser_name, translated_browser_name_lazy
from .clients import client_ip, describe_place
from .models import KnownDevice

# The salts' names predate the move from accounts: renaming them would make every known browser a stranger again.
COOKIE_SALT = "accounts.devices.cookie"
DIGEST_SALT = "accounts.devices.digest"
COOKIE_AGE = timedelta(days=365)
# The newest browsers an account remembers; an older one signing in again is new once more (one email).
DEVICES_PER_ACCOUNT = 20


def cookie_name() -> str:
    # The __Secure- prefix makes browsers refuse the cookie from plain HTTP, as the session's does.
    return "__Secure-device" if settings.SESSION_COOKIE_SECURE else "device"


def recognise_device(*, request: HttpRequest, response: HttpResponseBase, user: AbstractBaseUser) -> bool:
    """Note the browser of a sign-in that just completed: True if the account has not used it before.

    The cookie is set (or renewed) on ``response``. A browser new to an account that already knows others gets
    the new-device email, queued in the same transaction; an account's very first browser (the sign-up's
    confirmation) gets none.
    """
    device_id = _device_id(request) or secrets.token_urlsafe(32)
    digest, *earlier_digests = _digests(user, device_id)
    now = timezone.now()
    with transaction.atomic():
        known = KnownDevice.objects.filter(user_id=user.pk)
        if known.filter(digest=digest).update(last_seen_at=now):
            new = False
        elif earlier := known.filter(digest__in=earlier_digests).first():
            # Known under a key being retired: the same browser, its record moved to the current key.
            known.filter(pk=earlier.pk).update(digest=digest, last_seen_at=now)
            new = False
        else:
            first_browser = not known.exists()
            _, new = KnownDevice.objects.get_or_create(
                user_id=user.pk, digest=digest, defaults={"first_seen_at": now, "last_seen_at": now}
            )
            _forget_beyond_limit(user)
            if new and not first_browser:
                send_new_device_email(request=request, user=user, signed_in_at=now)
    response.set_signed_cookie(
        cookie_name(),
        device_id,
        salt=COOKIE_SALT,
        max_age=int(COOKIE_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return new


def known_device(*, request: HttpRequest, user: AbstractBaseUser) -> KnownDevice | None:
    """The account's record of the request's browser, or None if the account has not signed in with it (or the
    browser carries no valid device cookie). Reads only: the sign-in itself renews the record."""
    device_id = _device_id(request)
    if device_id is None:
        return None
    return KnownDevice.objects.filter(user_id=user.pk, digest__in=_digests(user, device_id)).first()


def carries_device_cookie(request: HttpRequest) -> bool:
    """Whether the browser has been given a device cookie (by any account) that is still valid."""
    return _device_id(request) is not None


def _device_id(request: HttpRequest) -> str | None:
    # Signed cookies honour SECRET_KEY_FALLBACKS by themselves (django.core.signing).
    return request.get_signed_cookie(cookie_name(), default=None, salt=COOKIE_SALT)


def _digests(user: AbstractBaseUser, device_id: str) -> list[str]:
    """The browser's digest for this account under SECRET_KEY, then under each key in SECRET_KEY_FALLBACKS (as
    Django's PasswordResetTokenGenerator checks its tokens)."""
    value = f"{user.pk}:{device_id}"
    return [
        salted_hmac(DIGEST_SALT, value, secret=secret, algorithm="sha256").hexdigest()
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]


def _forget_beyond_limit(user: AbstractBaseUser) -> None:
    keep = KnownDevice.objects.filter(user_id=user.pk).order_by("-last_seen_at", "-pk")[:DEVICES_PER_ACCOUNT]
    KnownDevice.objects.filter(user_id=user.pk).exclude(pk__in=list(keep.values_list("pk", flat=True))).delete()


def send_new_device_email(*, request: HttpRequest, user: AbstractBaseUser, signed_in_at: datetime) -> None:
    """Tell the person about a sign-in from a browser new to their account: when (in their time zone), from where,
    which browser (in their language)."""
    context = {
        "signed_in_at": signed_in_at,
        "place": describe_place(client_ip(request)),
        "browser": translated_browser_name_lazy(browser_name(request)),
        "sessions_url": settings.SITE_URL + reverse("usersessions_list"),
        "change_password_url": settings.SITE_URL + reverse("account_change_password"),
        "activity_url": settings.SITE_URL + reverse("account_activity"),
    }
    email = getattr(user, user.get_email_field_name())
    send_email(
        "new_device",
        to=email,
        context=context,
        language=getattr(user, "language", None) or None,
        time_zone=getattr(user, "time_zone", None) or None,
    )


def export_devices(*, user: AbstractBaseUser) -> list[dict]:
    """What the site keeps about the person's browsers (the digests mean nothing outside it)."""
    return [
        {"first_seen_at": device.first_seen_at, "last_seen_at": device.last_seen_at}
        for device in KnownDevice.objects.filter(user_id=user.pk).order_by("-last_seen_at", "-pk")
    ]


def forget_stale_devices(*, now: datetime | None = None) -> int:
    """Forget browsers not seen for longer than their cookie lives: they cannot be recognised any more."""
    deleted, _ = KnownDevice.objects.filter(last_seen_at__lt=(now or timezone.now()) - COOKIE_AGE).delete()
    return deleted
