"""The emails accounts sends of its own (allauth sends the rest through its adapter): welcome, and the deletion's.
Each is queued through the outbox (mail.outbox.send_email), in the person's language."""

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from mail.outbox import send_email


def send_welcome_email(*, email: str, first_name: str = "", language: str | None = None) -> None:
    profile_url = settings.SITE_URL + reverse("profile")
    context = {"first_name": first_name, "profile_url": profile_url}
    send_email("welcome", to=email, context=context, language=language)


def send_account_deleted_email(*, email: str, language: str | None = None) -> None:
    send_email("account_deleted", to=email, context={}, language=language)


def send_deletion_scheduled_email(
    *, email: str, due_at: datetime, language: str | None = None, time_zone: str | None = None
) -> None:
    """When the account goes (in the person's time zone), and how to keep it: log in before then and choose "Keep my
    account"."""
    context = {"due_at": due_at, "login_url": settings.SITE_URL + reverse("account_login")}
    send_email("deletion_scheduled", to=email, context=context, language=language, time_zone=time_zone)


def send_deletion_cancelled_email(*, email: str, language: str | None = None) -> None:
    context = {"profile_url": settings.SITE_URL + reverse("profile")}
    send_email("deletion_cancelled", to=email, context=context, language=language)
