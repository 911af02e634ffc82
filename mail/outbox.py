"""The outbox: every email the site sends, allauth's included, leaves through ``send_email``, in the caller's
transaction.

With the database task backend a message's task row is written in the transaction that causes the email (a
transactional outbox): a commit always carries its emails, even when the process dies a moment later, and a rollback
carries none. The row holds the message sealed (``QueuedMessage.sealed``: encrypted under a key derived from
SECRET_KEY): a reset link in it is readable by the worker alone, never by whoever reads the table, a backup or the
admin. With the immediate backend
the message is sent in-process right after the commit.
"""

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend

from .messages import QueuedMessage, render_email, stamp
from .tasks import deliver_email

# (template_prefix, recipient, context) -> message; allauth's ``render_mail`` is one, ``render_email`` another.
Renderer = Callable[[str, str, dict[str, Any]], EmailMessage]


def send_email(
    template_prefix: str,
    *,
    to: str,
    context: Mapping[str, Any],
    language: str | None = None,
    time_zone: str | None = None,
    render: Renderer = render_email,
) -> None:
    """Render a message for ``to`` and queue it as part of the current transaction.

    It is sent if, and only if, the transaction commits. It is rendered here, once, in ``language`` (else the active
    language) and with its times in ``time_zone`` (an IANA name; else UTC, whatever page sent it), so that neither a
    worker nor a retry renders it again; its Message-ID and Date are fixed here too, so every attempt sends the same
    message (delivery is at least once).
    """
    with translation.override(language or translation.get_language()), timezone.override(_zone(time_zone)):
        message = render(template_prefix, to, dict(context))
    stamp(message)
    enqueue_in_transaction(deliver_email, message=QueuedMessage.of(message).sealed(), attempt=1)


def _zone(name: str | None) -> ZoneInfo | None:
    """The zone called ``name``; None (the default, UTC) for no name or one this machine does not know."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def enqueue_in_transaction(task: Task, **kwargs: Any) -> None:
    """Queue ``task`` as part of the current transaction: it runs if, and only if, the transaction commits.

    The database backend writes the task's row now, inside the transaction; a backend that runs tasks at once
    (immediate) runs it right after the commit instead.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs), robust=True)
