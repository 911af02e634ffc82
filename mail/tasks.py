"""Delivering a queued email: retried only when a later attempt can succeed."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskContext

from .attempts import Retry
from .delivery import EmailConfigurationFault, EmailNotSent, EmailRejected, transmit
from .messages import QueuedMessage

logger = logging.getLogger(__name__)


@task(takes_context=True)
def deliver_email(context: TaskContext, *, message: str, attempt: int = 1) -> None:
    """Send one queued (sealed) message. A permanent refusal (5xx) ends it; a transient failure, or a fault of the
    site's mail configuration, asks the worker for the next attempt.

    An attempt that did not deliver the message raises, so that its result is FAILED for an operator to see
    (``EmailRejected``: final; ``EmailNotSent``: its note says whether another attempt follows, and its ``retry``
    is that attempt, which the worker queues along with the failure). Its log line, with the event, is the only one:
    config/logging.py drops django_tasks' traceback of it.
    """
    queued = QueuedMessage.unsealed(message)
    headers = queued.headers()
    details = {
        "task_id": str(context.task_result.id),
        "message_id": headers["Message-ID"],
        "subject": str(headers["Subject"]),
        "recipients": len(queued.recipients),
        "attempt": attempt,
    }
    try:
        transmit(queued.as_email())
    except EmailRejected as error:
        logger.error(
            "email rejected", extra={**details, "event": "email_rejected", "code": error.code, "error": str(error)}
        )
        error.add_note(f"Attempt {attempt}: the server refused the message for good; it is not retried.")
        raise
    except EmailNotSent as error:
        failure = {**details, "code": error.code, "error": str(error)}
        error.retry = next_attempt(message, attempt)
        retry_at = error.retry.run_after.isoformat() if error.retry else None
        if isinstance(error, EmailConfigurationFault):
            # Every message fails alike until an operator fixes the settings: the one line to alert on.
            logger.error(
                "email not sent: the mail settings are wrong",
                extra={**failure, "event": "email_configuration_fault", "retry_at": retry_at},
            )
        elif retry_at:
            logger.warning("email failed, will retry", extra={**failure, "event": "email_failed", "retry_at": retry_at})
        if retry_at:
            error.add_note(f"Attempt {attempt}: the next attempt is queued for {retry_at}.")
        else:
            logger.error("email failed, giving up", extra={**failure, "event": "email_gave_up"})
            error.add_note(f"Attempt {attempt} was the last: the message was not delivered.")
        raise
    logger.info("email sent", extra={**details, "event": "email_sent"})


def next_attempt(message: str, attempt: int) -> Retry | None:
    """The attempt after ``attempt``, if there is one: none after the last delay, none on a backend that cannot wait
    (the immediate one runs every task at once)."""
    delays = settings.EMAIL_RETRY_DELAYS
    if attempt > len(delays) or not deliver_email.get_backend().supports_defer:
        return None
    return Retry(
        run_after=timezone.now() + timedelta(seconds=delays[attempt - 1]),
        kwargs={"message": message, "attempt": attempt + 1},
    )
