"""The outbox moves to the mail app and keeps its messages as sealed MIME.

Queued (READY or RUNNING) emails of ``accounts.tasks.deliver_email``, kept as the old hand-made JSON of an
``EmailMessage``, are rebuilt as that message, then kept as ``mail.tasks.deliver_email`` expects them: the MIME bytes
and the envelope, sealed under SECRET_KEY. Nothing queued is lost. Finished email tasks keep no message at all: a
reset link in a row that is done with is a secret kept for nothing.
"""

import base64
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import migrations

OLD_TASK = "accounts.tasks.deliver_email"
NEW_TASK = "mail.tasks.deliver_email"
WAITING = ("READY", "RUNNING")


def _content(part: dict[str, Any]) -> str | bytes:
    return base64.b64decode(part["content_base64"]) if "content_base64" in part else part["content"]


def old_message(data: dict[str, Any]) -> EmailMessage:
    """The message the previous release's ``serialize_email`` kept (a frozen copy of its reader)."""
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data.get("cc"),
        bcc=data.get("bcc"),
        reply_to=data.get("reply_to"),
        headers=dict(data.get("headers") or {}),
    )
    message.encoding = data.get("encoding")
    message.content_subtype = data.get("content_subtype", "plain")
    message.mixed_subtype = data.get("mixed_subtype", "mixed")  # type: ignore[attr-defined]
    message.alternative_subtype = data.get("alternative_subtype", "alternative")  # type: ignore[attr-defined]
    for alternative in data.get("alternatives", []):
        if isinstance(alternative, list):
            message.attach_alternative(*alternative)
        else:
            message.attach_alternative(_content(alternative), alternative["mimetype"])
    for attachment in data.get("attachments", []):
        message.attach(attachment["filename"], _content(attachment), attachment["mimetype"])
    return message


def seal_queued_messages(apps: Any, schema_editor: Any) -> None:
    from mail.messages import QueuedMessage

    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    for row in task_results.objects.using(schema_editor.connection.alias).filter(task_path=OLD_TASK):
        kwargs = row.args_kwargs.get("kwargs", {})
        attempt = kwargs.get("attempt", 1)
        if row.status in WAITING:
            sealed = QueuedMessage.of(old_message(kwargs["message"])).sealed()
            row.args_kwargs = {"args": [], "kwargs": {"message": sealed, "attempt": attempt}}
        else:
            row.args_kwargs = {"args": [], "kwargs": {"attempt": attempt}}
        row.task_path = NEW_TASK
        row.save(update_fields=["task_path", "args_kwargs"])


class Migration(migrations.Migration):
    dependencies = [("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [migrations.RunPython(seal_queued_messages, migrations.RunPython.noop, elidable=True)]
