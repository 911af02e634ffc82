"""Operations on a whole account: scheduling, cancelling and carrying out its deletion, and exporting its data."""

import json
import logging
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import IO, Any, cast

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from . import activity, devices
from .cv import clean_original_filename, open_cv
from .emails import send_account_deleted_email, send_deletion_cancelled_email, send_deletion_scheduled_email
from .models import SecurityEvent, User
from .tasks import delete_account_when_due, enqueue_in_transaction, remove_scheduled_deletions

logger = logging.getLogger(__name__)

EXPORT_CHUNK_SIZE = 64 * 1024
PROFILE_ENTRY_NAME = "profile.json"


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
        send_deletion_scheduled_email(email=user.email, due_at=due_at, language=user.language)
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


def delete_account(*, user: User) -> None:
    """Delete the user and all that is theirs, and tell them by email; once committed, end every session."""
    email, user_id, language = user.email, user.pk, user.language
    with transaction.atomic():
        _end_sessions_after_commit(user)
        remove_scheduled_deletions(user_id=user_id)  # "Delete now" during the grace period
        user.delete()  # allauth's rows and the activity cascade; the signals delete the files after commit
        # Queued in this transaction: sent if, and only if, it commits; in the language saved on the row just deleted.
        send_account_deleted_email(email=email, language=language)
    logger.info("account deleted", extra={"event": "account_deleted", "user_id": user_id})


def _end_sessions_after_commit(user: User) -> None:
    sessions = list(UserSession.objects.filter(user=user))
    transaction.on_commit(partial(end_sessions, sessions, user_id=user.pk), robust=True)


def end_sessions(sessions: list[UserSession], *, user_id: int) -> None:
    for session in sessions:
        session.end()
    logger.info("sessions ended", extra={"event": "sessions_ended", "user_id": user_id, "count": len(sessions)})


def export_data(*, user: User) -> dict[str, Any]:
    """Everything the site keeps about a person, as JSON-ready data."""
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "cv": (
            {"file_name": user.cv_original_name, "size": user.cv_size, "uploaded_at": user.cv_uploaded_at}
            if user.cv
            else None
        ),
        "security_activity": activity.export_events(user=user),
        "browsers": devices.export_devices(user=user),
    }


class _StreamBuffer:
    """A write-only file that hands what was written to a generator, so a ZIP can stream."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def stream_export_zip(*, user: User) -> Iterator[bytes]:
    """A ZIP of ``profile.json`` and the CV, as chunks, reading the CV from storage chunk by chunk.

    The CV is opened now, before the caller starts a response: while storage is down this raises
    ``CVStorageUnavailable``, and the person gets a page saying so instead of a broken download.
    """
    data = json.dumps(export_data(user=user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    source = open_cv(user)
    # Entry names come from the person: one plain file name, never a path, never profile.json again.
    cv_entry_name = clean_original_filename(user.cv_original_name)
    if cv_entry_name == PROFILE_ENTRY_NAME:
        cv_entry_name = f"cv-{cv_entry_name}"
    return _zip_chunks(data, source, cv_entry_name)


def _zip_chunks(data: str, source: File | None, cv_entry_name: str) -> Iterator[bytes]:
    buffer = _StreamBuffer()
    with zipfile.ZipFile(cast(IO[bytes], buffer), mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PROFILE_ENTRY_NAME, data)
        yield buffer.drain()
        if source is not None:
            with source, archive.open(cv_entry_name, mode="w") as target:
                while chunk := source.read(EXPORT_CHUNK_SIZE):
                    target.write(chunk)
                    yield buffer.drain()
    yield buffer.drain()
