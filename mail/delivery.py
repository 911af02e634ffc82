"""How a queued email travels: over one connection of EMAIL_BACKEND, with what can go wrong sorted.

``transmit`` sends one message and raises ``EmailRejected`` (the server answered 5xx about this message: retrying
cannot help), ``EmailConfigurationFault`` (the site cannot log in to its server, or the server lacks what EMAIL_URL
asks for: every message fails until an operator fixes it, then a later attempt succeeds) or ``EmailNotSent``
(unreachable, timed out, disconnected before it accepted the message, or 4xx: a later attempt may succeed).
"""

import smtplib
from typing import Any

from django.core.mail import EmailMessage, get_connection

from .attempts import AttemptFailed, Interrupted

# Replies about the site's own log-in, whatever the message: authentication required (530), mechanism too weak (534),
# credentials invalid (535), encryption required for the mechanism (538). RFC 4954.
CONFIGURATION_REPLIES = frozenset({530, 534, 535, 538})


class EmailDeliveryError(AttemptFailed):
    """This attempt did not deliver the message; ``code`` is the SMTP reply code, when there was one."""

    # The task has already logged this failure as one line with an event: config/logging.py keeps
    # django_tasks from logging it a second time, with a traceback.
    already_logged = True

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code


class EmailRejected(EmailDeliveryError):
    """The server refused the message for good (a 5xx reply): recipient, sender or content."""


class EmailNotSent(EmailDeliveryError):
    """The message did not reach the server this time (refused or reset connection, timeout, 4xx)."""


class EmailConfigurationFault(EmailNotSent):
    """The site's mail settings are wrong: its credentials are refused, or the server lacks STARTTLS or AUTH that
    EMAIL_URL asks for. No message can go until an operator fixes them (a credential rotation, say), so it is retried
    like any failure that may go better later, and logged loudly."""


# --- Over the wire ----------------------------------------------------------------------------------


def transmit(message: EmailMessage) -> None:
    """Send one message through EMAIL_BACKEND; raise an ``EmailDeliveryError`` if it was not accepted.

    The connection is opened here rather than inside ``send_messages`` (which would also close it there), so
    that closing it happens after the answer: once the server has accepted the message, nothing that goes
    wrong at QUIT can make this attempt count as failed and the message go out twice.
    """
    connection = get_connection()
    try:
        try:
            connection.open()
            connection.send_messages([message])
        except smtplib.SMTPException as error:  # includes refused, reset and timed-out connections
            raise classify(error) from error
        except OSError as error:
            raise EmailNotSent(repr(error)) from error
    except Interrupted:
        # The worker is stopping now: a polite QUIT would wait for a server that may be the reason it is stuck.
        hang_up(connection)
        raise
    except Exception:
        say_goodbye(connection)
        raise
    say_goodbye(connection)


def say_goodbye(connection: Any) -> None:
    try:
        connection.close()
    except OSError:
        pass  # the message was accepted or not, as decided already; a broken goodbye changes neither
    except Interrupted:
        hang_up(connection)  # accepted already: the attempt succeeded, and the worker stops right after it


def hang_up(connection: Any) -> None:
    """Close Django's SMTP connection without QUIT (other backends hold no connection)."""
    for name in ("_partial_connection", "connection"):
        smtp = getattr(connection, name, None)
        if isinstance(smtp, smtplib.SMTP):
            smtp.close()
            setattr(connection, name, None)


def classify(error: smtplib.SMTPException) -> EmailDeliveryError:
    """A reply about the site's log-in, or a server without what EMAIL_URL asks for, is a configuration fault; any
    other 5xx reply is permanent; everything else (4xx, no reply at all) may go better later."""
    text: bytes | str
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Every recipient was refused (one accepted is a sent message): permanent if none was refused for now.
        replies = sorted(error.recipients.values(), key=lambda reply: reply[0])
        code, text = replies[0] if replies else (None, b"")
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    elif isinstance(error, smtplib.SMTPNotSupportedError):
        # The server lacks what EMAIL_URL asks for (STARTTLS, AUTH): only a configuration change helps.
        return EmailConfigurationFault(str(error))
    else:
        return EmailNotSent(repr(error))
    detail = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if code in CONFIGURATION_REPLIES:
        return EmailConfigurationFault(detail, code=code)
    if code is not None and 500 <= code < 600:
        return EmailRejected(detail, code=code)
    return EmailNotSent(detail, code=code)
