"""Every email the site sends, allauth's included, leaves through ``send_email``: one way out, in the transaction."""

from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import punycode

from .delivery import serialize_email
from .tasks import deliver_email, enqueue_in_transaction

# (template_prefix, recipient, context) -> message; allauth's ``render_mail`` is one, ``render_site_email`` another.
Renderer = Callable[[str, str, dict[str, Any]], EmailMessage]


def render_site_email(template_prefix: str, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """``emails/<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html``: one message from DEFAULT_FROM_EMAIL."""
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


def send_email(
    template_prefix: str,
    *,
    to: str,
    context: Mapping[str, Any],
    language: str | None = None,
    render: Renderer = render_site_email,
) -> None:
    """Render a message for ``to`` and queue it as part of the current transaction.

    It is sent if, and only if, the transaction commits: with the database task backend its row is written in
    the transaction (a process that dies right after the commit still has it sent), with the immediate backend
    it is sent right after the commit. It is rendered here, once, in ``language`` (else the active language),
    so that neither a worker nor a retry renders it again; its Message-ID and Date are fixed here too, so every
    attempt sends the same message and a receiver can drop the rare duplicate (delivery is at least once).
    """
    with translation.override(language or translation.get_language()):
        message = render(template_prefix, to, dict(context))
    stamp_message_id_and_date(message)
    enqueue_in_transaction(deliver_email, message=serialize_email(message), attempt=1)


def stamp_message_id_and_date(message: EmailMessage) -> None:
    """Fix the message's Message-ID (at SITE_URL's host) and Date, unless its renderer did."""
    names = {name.lower() for name in message.extra_headers}
    if "message-id" not in names:
        host = urlsplit(settings.SITE_URL).hostname
        message.extra_headers["Message-ID"] = make_msgid(domain=punycode(host) if host else DNS_NAME.get_fqdn())
    if "date" not in names:
        message.extra_headers["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)


def send_welcome_email(*, email: str, first_name: str = "", language: str | None = None) -> None:
    profile_url = settings.SITE_URL + reverse("profile")
    context = {"first_name": first_name, "profile_url": profile_url}
    send_email("welcome", to=email, context=context, language=language)


def send_account_deleted_email(*, email: str, language: str | None = None) -> None:
    send_email("account_deleted", to=email, context={}, language=language)


def send_deletion_scheduled_email(*, email: str, due_at: datetime, language: str | None = None) -> None:
    """When the account goes, and how to keep it: log in before then and choose "Keep my account"."""
    context = {"due_at": due_at, "login_url": settings.SITE_URL + reverse("account_login")}
    send_email("deletion_scheduled", to=email, context=context, language=language)


def send_deletion_cancelled_email(*, email: str, language: str | None = None) -> None:
    context = {"profile_url": settings.SITE_URL + reverse("profile")}
    send_email("deletion_cancelled", to=email, context=context, language=language)
