"""The warning that someone knows a person's password: the right password was followed by a wrong second factor.

Two-factor authentication stopped them, but the password is no secret any more; its owner should change it. They are
told by email (when, from where, which browser, what to do), at most once per account in ``INTERVAL``: a stranger
trying codes must not flood the mailbox. ``cache.add`` is atomic in every cache the site uses, so of two wrong codes
at once only one sends. Each warning sent is a line in the person's security activity.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from mail.outbox import send_email

from . import activity
from .browsers import browser_name, translated_browser_name_lazy
from .clients import client_ip, describe_place
from .models import SecurityEvent

INTERVAL = 15 * 60  # seconds


def first_warning_in_interval(user_id: int) -> bool:
    """True once per account in INTERVAL (and remembered, atomically)."""
    return cache.add(f"security:known-password-warning:{user_id}", True, timeout=INTERVAL)


def warn_password_known(*, request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Tell the person that their password was typed right and a second factor wrong; True if an email went."""
    if not first_warning_in_interval(user.pk):
        return False
    ip = client_ip(request)
    context = {
        "attempted_at": timezone.now(),
        "place": describe_place(ip),
        "browser": translated_browser_name_lazy(browser_name(request)),
        "change_password_url": settings.SITE_URL + reverse("account_change_password"),
        "sessions_url": settings.SITE_URL + reverse("usersessions_list"),
        "activity_url": settings.SITE_URL + reverse("account_activity"),
    }
    send_email(
        "password_known",
        to=getattr(user, user.get_email_field_name()),
        context=context,
        language=getattr(user, "language", None) or None,
        time_zone=getattr(user, "time_zone", None) or None,
    )
    activity.record(user_id=user.pk, kind=SecurityEvent.Kind.PASSWORD_KNOWN_WARNING, request=request)
    return True
