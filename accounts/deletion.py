"""Deleting an account, its whole life: asking for it (after a grace period, or now), keeping the account meanwhile,
and carrying it out, at once, by the task queued for the day it falls due, or by the daily sweep
(``manage.py delete_due_accounts``) for an account whose task was lost.

The task lives here, beside the operations that queue and remove it, rather than in tasks.py: it carries out
``delete_account``, and the operations queue it, so one module holds both ends without an import circle.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from mail.outbox import enqueue_in_transaction
from security import activity
from security.models import SecurityEvent

from .emails import send_account_deleted_email, send_deletion_cancelled_email, send_deletion_scheduled_email
from .models import User

logger = logging.getLogger(__name__)


def deletion_grace_period() -> timedelta:
    """How long a deletion waits after the person confirms it: ``ACCOUNT_DELETION_GRACE_DAYS``, or nothing.

    Nothing when the setting is 0, and nothing when the task backend cannot hold a task until a given time
    (the immediate backend runs a task at once and refuses ``run_after``): there, "Delete my account" deletes
    at once rather than promise a grace period no one would end.
    """
    days = settings.ACCOUNT_DELETION_GRACE_DAYS
    if days <= 0 or not delete_account_when_due.get_backend().supports_defer:
        return timedelta(0)
    return timedelta(days=days)


def schedule_account_deletion(*, user: User, request: HttpRequest | None = None) -> datetime | None:
    """Mark the account, schedule its deletion after the grace period and tell the person by email; once that is
    committed, end every session. Without a grace period the account is deleted at once (and None returned).

    Returns when the account goes. Asking twice keeps the first date.
    """
    grace_period = deletion_grace_period()
    if not grace_period:
        delete_account(user=user)
        return None
    due_at = timezone.now() + grace_period
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, deletion_due_at__isnull=True).update(deletion_due_at=due_at):
            user.deletion_due_at = User.objects.values_list("deletion_due_at", flat=True).get(pk=user.pk)
            return user.deletion_due_at
        # The task's row is written in this transaction (database backend): the mark never exists without it.
        enqueue_in_transaction(delete_account_when_due.using(run_after=due_at), user_id=user.pk)
        activity.record(user_id=user.pk, kind=SecurityEvent.Kind.DELETION_SCHEDULED, request=request)
        send_deletion_scheduled_email(email=user.email, due_at=due_at, language=user.language, time_zone=user.time_zone)
        _end_sessions_after_commit(user)
    user.deletion_due_at = due_at
    logger.info(
        "account deletion scheduled",
        extra={"event": "account_deletion_scheduled", "user_id": user.pk, "due_at": due_at.isoformat()},
    )
    return due_at


def cancel_account_deletion(*, user: User, request: HttpRequest | None = None) -> bool:
    """Keep the account: clear the mark, remove the scheduled task, and tell the person by email.

    The mark is cleared under the row's lock, which the deletion task takes too: a task already running either
    finished first (the account is gone: False) or finds the mark cleared and does nothing. False as well when
    no deletion was scheduled.
    """
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, deletion_due_at__isnull=False).update(deletion_due_at=None):
            return False
        remove_scheduled_deletions(user_id=user.pk)
        activity.record(user_id=user.pk, kind=SecurityEvent.Kind.DELETION_CANCELLED, request=request)
        send_deletion_cancelled_email(email=user.email, language=user.language)
    user.deletion_due_at = None
    logger.info("account deletion cancelled", extra={"event": "account_deletion_cancelled", "user_id": user.pk})
    return True


def delete_account(*, user: User) -> bool:
    """Delete the user and all that is theirs, and tell them by email; once committed, end every session.

    False, doing nothing, when the account is already gone. The row is locked first, as the deletion task and
    "Keep my account" lock it: of two deletions at once (a double-clicked "Delete now", the task at the same
    moment) the second waits for the first to commit and then finds no row, so one goodbye email goes, not two.
    """
    user_id = user.pk
    with transaction.atomic():
        try:
            # The row as it is now, not as the caller loaded it: its files, address and language are current.
            user.refresh_from_db(from_queryset=User._default_manager.select_for_update())
        except User.DoesNotExist:
            logger.info(
                "account already deleted",
                extra={"event": "account_deletion_skipped", "user_id": user_id, "reason": "gone"},
            )
            return False
        email, language = user.email, user.language
        _end_sessions_after_commit(user)
        remove_scheduled_deletions(user_id=user_id)  # "Delete now" during the grace period
        user.delete()  # allauth's rows and the activity cascade; the signals delete the files after commit
        # Queued in this transaction: sent if, and only if, it commits; in the language saved on the row just deleted.
        send_account_deleted_email(email=email, language=language)
    logger.info("account deleted", extra={"event": "account_deleted", "user_id": user_id})
    return True


def _end_sessions_after_commit(user: User) -> None:
    sessions = list(UserSession.objects.filter(user=user))
    transaction.on_commit(partial(end_sessions, sessions, user_id=user.pk), robust=True)


def end_sessions(sessions: list[UserSession], *, user_id: int) -> None:
    for session in sessions:
        session.end()
    logger.info("sessions ended", extra={"event": "sessions_ended", "user_id": user_id, "count": len(sessions)})


# --- Carrying out a deletion once its grace period is over: the task, and the daily sweep --------------


def delete_account_if_due(*, user_id: int) -> bool:
    """Delete an account whose grace period is over; nothing for one that was kept, is due later or is gone.

    The account's row is locked first, so this and "Keep my account" (which clears the mark under the same lock)
    happen one after the other: a kept account is never deleted by a task (or sweep) that was already running,
    and of the task and the sweep at once, one deletes and the other finds the account gone.
    """
    with transaction.atomic():
        user = User._default_manager.select_for_update().filter(pk=user_id).first()
        if user is None or user.deletion_due_at is None or user.deletion_due_at > timezone.now():
            reason = "gone" if user is None else "kept" if user.deletion_due_at is None else "not_due"
            logger.info(
                "scheduled deletion not carried out",
                extra={"event": "account_deletion_skipped", "user_id": user_id, "reason": reason},
            )
            return False
        return delete_account(user=user)


@task()
def delete_account_when_due(*, user_id: int) -> None:
    """Delete an account whose grace period is over (queued for that day by ``schedule_account_deletion``)."""
    delete_account_if_due(user_id=user_id)


@dataclass(frozen=True)
class SweepOutcome:
    deleted: int
    failed: list[int]  # the accounts whose deletion raised: still there, tried again at the next sweep


def delete_due_accounts() -> SweepOutcome:
    """Delete every account past its deletion date, each in a transaction of its own.

    The task queued for the day is one row: a restore, an operator clearing the queue or an early run that
    found it "not due" would leave the account for ever. The daily sweep (``manage.py delete_due_accounts``) does
    not rest on it. An account whose task is merely late is deleted here and the task then finds it gone; running
    the sweep twice deletes nothing the second time. One account that cannot be deleted (logged) does not hold
    back the others.
    """
    due = list(
        User._default_manager.filter(deletion_due_at__lte=timezone.now())
        .order_by("deletion_due_at", "pk")
        .values_list("pk", flat=True)
    )
    deleted, failed = 0, []
    for user_id in due:
        try:
            deleted += delete_account_if_due(user_id=user_id)
        except Exception as error:  # noqa: BLE001 - logged and counted; the next account's deletion is independent
            logger.error(
                "due account not deleted",
                extra={"event": "account_deletion_failed", "user_id": user_id, "error": repr(error)},
                exc_info=True,
            )
            failed.append(user_id)
    logger.info(
        "due accounts swept",
        extra={"event": "due_accounts_swept", "due": len(due), "deleted": deleted, "failed": len(failed)},
    )
    return SweepOutcome(deleted=deleted, failed=failed)


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
