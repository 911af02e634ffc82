"""Background work: every outgoing email, with retries when the server fails, and stored-file cleanup."""

import logging
import smtplib
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import FileField
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend

from .cv import discard
from .models import User

logger = logging.getLogger(__name__)


def enqueue_in_transaction(task: Task, **kwargs: Any) -> None:
    """Queue ``task`` as part of the current transaction: it runs if, and only if, the transaction commits.

    The database backend writes the task's row now, inside the transaction (a transactional outbox): a commit
    always carries its tasks, even if the process dies a moment later, and a rollback carries none. A backend
    that runs tasks at once (immediate) runs it right after the commit instead.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs), robust=True)


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
    """Hand a rendered message to the task queue, to be delivered once the current transaction commits."""
    enqueue_in_transaction(deliver_email, message=serialize_email(message), attempt=1)


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
    details = {"subject": message["subject"], "recipients": len(email.recipients()), "attempt": attempt}
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        retry_at = _schedule_retry(message, attempt)
        if retry_at:
            logger.warning(
                "email failed, will retry",
                extra={**details, "event": "email_failed", "error": repr(error), "retry_at": retry_at.isoformat()},
            )
        else:
            # Nothing more will be tried: the task result stays FAILED for an operator to see.
            logger.error("email failed, giving up", extra={**details, "event": "email_gave_up", "error": repr(error)})
        raise
    logger.info("email sent", extra={**details, "event": "email_sent"})


def _schedule_retry(message: dict[str, Any], attempt: int) -> datetime | None:
    delays = settings.EMAIL_RETRY_DELAYS
    if attempt > len(delays) or not deliver_email.get_backend().supports_defer:
        return None
    retry_at = timezone.now() + timedelta(seconds=delays[attempt - 1])
    deliver_email.using(run_after=retry_at).enqueue(message=message, attempt=attempt + 1)
    return retry_at


@task()
def delete_stored_files(*, field_name: str, names: list[str], user_id: int | None, reason: str) -> None:
    """Delete files through their storage, except those another row still points at (one query)."""
    field = cast(FileField, User._meta.get_field(field_name))
    still_referenced = set(
        User._default_manager.filter(**{f"{field.attname}__in": names}).values_list(field.attname, flat=True)
    )
    failed = []
    details = {"field": field_name, "user_id": user_id}
    for name in names:
        if name in still_referenced:
            logger.info("file kept: still referenced", extra={**details, "event": "file_kept", "file": name})
            continue
        if fault := discard(field.storage, name):  # a file already gone is not an error, on disk or on S3
            logger.warning(
                "file not deleted", extra={**details, "event": "file_delete_failed", "file": name, "error": repr(fault)}
            )
            failed.append(fault)
            continue
        logger.info("file deleted", extra={**details, "event": "file_deleted", "file": name, "reason": reason})
    if failed:
        # The task is left failed, visible; sweep_orphaned_files removes the file later.
        raise failed[0]
