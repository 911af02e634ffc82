"""How a rendered email travels: whole, as JSON in a task's row, and then over one SMTP connection.

``serialize_email`` carries everything an ``EmailMessage`` or ``EmailMultiAlternatives`` can hold and refuses,
when the message is queued, what it cannot carry. ``transmit`` sends one message and sorts what can go wrong:
``EmailRejected`` (the server answered 5xx: retrying cannot help) or ``EmailNotSent`` (unreachable, timed out,
disconnected before it accepted the message, or 4xx: a later attempt may succeed).
"""

import base64
import smtplib
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.utils.functional import Promise

CARRIED_CLASSES = (EmailMessage, EmailMultiAlternatives)


class EmailDeliveryError(Exception):
    """This attempt did not deliver the message; ``code`` is the SMTP reply code, when there was one."""

    # The task has already logged this failure as one line with an event: config/logging.py keeps
    # django_tasks from logging it a second time, with a traceback.
    already_logged = True

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code


class EmailRejected(EmailDeliveryError):
    """The server refused the message for good (a 5xx reply): recipient, sender, authentication or content."""


class EmailNotSent(EmailDeliveryError):
    """The message did not reach the server this time (refused or reset connection, timeout, 4xx)."""


# --- To JSON and back -------------------------------------------------------------------------------


def serialize_email(message: EmailMessage) -> dict[str, Any]:
    """The message as JSON-ready data; raises ``TypeError``/``ValueError`` now for what could not be carried."""
    if type(message) not in CARRIED_CLASSES:
        # A subclass may build its MIME differently (message()); the worker would rebuild a plain one.
        raise TypeError(f"Only EmailMessage and EmailMultiAlternatives can be queued, not {type(message).__name__}.")
    if message.connection is not None:
        raise ValueError("A queued message is sent with EMAIL_BACKEND; it cannot bring a connection of its own.")
    headers = {_text(name, "a header's name"): _text(value, name) for name, value in message.extra_headers.items()}
    if "message-id" not in {name.lower() for name in headers}:
        raise ValueError("A queued message needs its Message-ID before it is queued, to keep it on every attempt.")
    if message.encoding is not None and not isinstance(message.encoding, str):
        raise TypeError("A queued message's encoding must be a charset name.")
    return {
        "subject": _text(message.subject, "the subject"),
        "body": _text(message.body, "the body"),
        "from_email": _text(message.from_email, "the sender"),
        "to": [_text(address, "an address") for address in message.to],
        "cc": [_text(address, "an address") for address in message.cc],
        "bcc": [_text(address, "an address") for address in message.bcc],
        "reply_to": [_text(address, "an address") for address in message.reply_to],
        "headers": headers,
        "encoding": message.encoding,
        "content_subtype": message.content_subtype,
        "mixed_subtype": getattr(message, "mixed_subtype", "mixed"),
        "alternative_subtype": getattr(message, "alternative_subtype", "alternative"),
        "alternatives": [
            {"mimetype": mimetype, **_content(content)} for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": [_attachment(attachment) for attachment in message.attachments],
    }


def deserialize_email(data: dict[str, Any]) -> EmailMultiAlternatives:
    """The message ``serialize_email`` saw, ready to send (an ``EmailMultiAlternatives`` carries both kinds)."""
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
    message.content_subtype = data.get("content_subtype", EmailMessage.content_subtype)
    # Both are Django's, for years; django-stubs does not declare them.
    message.mixed_subtype = data.get("mixed_subtype", "mixed")  # type: ignore[attr-defined]
    message.alternative_subtype = data.get("alternative_subtype", "alternative")  # type: ignore[attr-defined]
    for alternative in data.get("alternatives", []):
        if isinstance(alternative, list):
            # [content, mimetype]: queued by the release before this one; a rolling deploy may still hold some.
            message.attach_alternative(*alternative)
        else:
            message.attach_alternative(_content_of(alternative), alternative["mimetype"])
    for attachment in data.get("attachments", []):
        message.attach(attachment["filename"], _content_of(attachment), attachment["mimetype"])
    return message


def _text(value: object, what: str) -> str:
    if isinstance(value, Promise):  # a lazy translation: rendered now, in the language active now
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(f"A queued message carries text only; {what} is a {type(value).__name__}.")
    return value


def _content(content: object) -> dict[str, str]:
    if isinstance(content, bytes):
        return {"content_base64": base64.b64encode(content).decode("ascii")}
    return {"content": _text(content, "a part's content")}


def _content_of(part: dict[str, Any]) -> str | bytes:
    if "content_base64" in part:
        return base64.b64decode(part["content_base64"])
    return part["content"]


def _attachment(attachment: object) -> dict[str, Any]:
    if not isinstance(attachment, tuple):  # a MIMEBase part, built by hand: nothing here can rebuild it
        raise TypeError(
            f"A {type(attachment).__name__} attachment cannot be queued; attach(filename, content, mimetype) instead."
        )
    filename, content, mimetype = attachment
    return {
        "filename": None if filename is None else _text(filename, "an attachment's name"),
        "mimetype": _text(mimetype, "an attachment's type"),
        **_content(content),
    }


# --- Over the wire ----------------------------------------------------------------------------------


def transmit(message: EmailMessage) -> None:
    """Send one message through EMAIL_BACKEND; raise ``EmailRejected`` or ``EmailNotSent`` if it was not accepted.

    The connection is opened here rather than inside ``send_messages`` (which would also close it there), so
    that closing it happens after the answer: once the server has accepted the message, nothing that goes
    wrong at QUIT can make this attempt count as failed and the message go out twice.
    """
    connection = get_connection()
    try:
        connection.open()
        connection.send_messages([message])
    except smtplib.SMTPException as error:  # includes refused, reset and timed-out connections
        raise classify(error) from error
    except OSError as error:
        raise EmailNotSent(repr(error)) from error
    finally:
        try:
            connection.close()
        except OSError:
            pass  # the message was accepted or not, as decided above; a broken goodbye changes neither


def classify(error: smtplib.SMTPException) -> EmailDeliveryError:
    """A 5xx reply is permanent; everything else (4xx, no reply at all) may go better later."""
    text: bytes | str
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Every recipient was refused (one accepted is a sent message): permanent if none was refused for now.
        replies = sorted(error.recipients.values(), key=lambda reply: reply[0])
        code, text = replies[0] if replies else (None, b"")
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    elif isinstance(error, smtplib.SMTPNotSupportedError):
        # The server lacks what EMAIL_URL asks for (STARTTLS, AUTH): only a configuration change helps.
        return EmailRejected(str(error))
    else:
        return EmailNotSent(repr(error))
    detail = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if code is not None and 500 <= code < 600:
        return EmailRejected(detail, code=code)
    return EmailNotSent(detail, code=code)
