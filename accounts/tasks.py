"""Background work: every outgoing email is delivered here, with retries when the server fails."""

import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def serialize_email(message: EmailMultiAlternatives) -> dict[str, Any]:
    """Turn a rendered message into JSON a task can carry (attachments are not used here)."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])],
    }


def enqueue_email(message: EmailMultiAlternatives) -> None:
    """Hand a rendered message to the task queue once the current transaction commits."""
    data = serialize_email(message)
    transaction.on_commit(lambda: deliver_email.enqueue(message=data, attempt=1), robust=True)


@task()
def deliver_email(*, message: dict[str, Any], attempt: int = 1) -> None:
    """Send one message; on a mail-server failure, schedule the next attempt and fail this one."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        cc=message.get("cc") or None,
        bcc=message.get("bcc") or None,
        reply_to=message.get("reply_to") or None,
        headers=message.get("headers") or None,
        alternatives=[tuple(alternative) for alternative in message.get("alternatives", [])],
    )
    recipients = len(email.recipients())
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        retry_at = _schedule_retry(message, attempt)
        logger.warning(
            "event=email_failed subject=%r recipients=%d attempt=%d error=%r retry_at=%s",
            message["subject"],
            recipients,
            attempt,
            error,
            retry_at.isoformat() if retry_at else "never",
        )
        raise
    logger.info("event=email_sent subject=%r recipients=%d attempt=%d", message["subject"], recipients, attempt)


def _schedule_retry(message: dict[str, Any], attempt: int):
    delays = settings.EMAIL_RETRY_DELAYS
    if attempt > len(delays) or not deliver_email.get_backend().supports_defer:
        return None
    retry_at = timezone.now() + timedelta(seconds=delays[attempt - 1])
    deliver_email.using(run_after=retry_at).enqueue(message=message, attempt=attempt + 1)
    return retry_at
