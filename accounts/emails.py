"""The site's own emails, rendered from templates/emails/ and queued for delivery."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .tasks import enqueue_email


def render_email(template_prefix: str, *, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` into one message."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template_prefix}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template_prefix}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template_prefix}.html", context), "text/html")
    return message


def send_welcome_email(*, email: str, first_name: str = "") -> None:
    profile_url = settings.SITE_URL + reverse("profile")
    context = {"first_name": first_name, "profile_url": profile_url}
    enqueue_email(render_email("welcome", to=email, context=context))


def send_account_deleted_email(*, email: str) -> None:
    enqueue_email(render_email("account_deleted", to=email, context={}))
