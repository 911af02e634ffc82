"""Background work: every outgoing email, retried only when a later attempt can succeed, stored-file cleanup, and
the deletion of an account whose grace period is over."""

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import FileField
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task, TaskContext, TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .cv import discard
from .delivery import EmailNotSent, EmailRejected, deserialize_email, transmit
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


@task(takes_context=True)
def deliver_email(context: TaskContext, *, message: dict[str, Any], attempt: int = 1) -> None:
    """Send one queued message. A permanent refusal (5xx) ends it; a transient failure queues the next attempt.

    An attempt that did not deliver the message raises, so that its result is FAILED for an operator to see
    (``EmailRejected``: final; ``EmailNotSent``: its note says whether another attempt follows). Its log line,
    with the event, is the only one: config/logging.py drops django_tasks' traceback of it.
    """
    email = deserialize_email(message)
    details = {
        "task_id": str(context.task_result.id),
        "message_id": email.extra_headers.get("Message-ID"),
        "subject": email.subject,
        "recipients": len(email.recipients()),
        "attempt": attempt,
    }
    try:
        transmit(email)
    except EmailRejected as error:
        logger.error(
            "email rejected", extra={**details, "event": "email_rejected", "code": error.code, "error": str(error)}
        )
        error.add_note(f"Attempt {attempt}: the server refused the message for good; it is not retried.")
        raise
    except EmailNotSent as error:
        failure = {**details, "code": error.code, "error": str(error)}
        retry_at = _schedule_retry(message, attempt)
        if retry_at:
            logger.warning(
                "email failed, will retry",
                extra={**failure, "event": "email_failed", "retry_at": retry_at.isoformat()},
            )
            error.add_note(f"Attempt {attempt}: the next attempt is queued for {retry_at.isoformat()}.")
        else:
            logger.error("email failed, giving up", extra={**failure, "event": "email_gave_up"})
            error.add_note(f"Attempt {attempt} was the last: the message was not delivered.")
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


@task()
def delete_account_when_due(*, user_id: int) -> None:
    """Delete an account whose grace period is over; nothing for one that was kept, or is due later.

    The account's row is locked first, so this and "Keep my account" (which clears the mark under the same lock)
    happen one after the other: a kept account is never deleted by a task that was already running.
    """
    from .services import delete_account  # services queue their emails through this module: imported when run

    with transaction.atomic():
        user = User._default_manager.select_for_update().filter(pk=user_id).first()
        if user is None or user.deletion_due_at is None or user.deletion_due_at > timezone.now():
            reason = "gone" if user is None else "kept" if user.deletion_due_at is None else "not_due"
            logger.info(
                "scheduled deletion not carried out",
                extra={"event": "account_deletion_skipped", "user_id": user_id, "reason": reason},
            )
            return
        delete_account(user=user)


def remove_scheduled_deletions(*, user_id: int) -> int:
    """Remove the account's scheduled deletion tasks that have not started (database backend; others keep none)."""
    if not isinstance(delete_account_when_due.get_backend(), DatabaseBackend):
        return 0
    removed, _ = DBTaskResult.objects.filter(
        task_path=delete_account_when_due.module_path,
        status=TaskResultStatus.READY,
        args_kwargs__kwargs__user_id=user_id,
    ).delete()
    return removed
